"""Practice: secrets management, inside the package — credentials hard-coded in function code
and in layers. Facts come from ``fortress.packages`` (the package was read); evidence names file,
line, kind and fingerprint only, never the value.
"""

from __future__ import annotations

from typing import Any

from fortress.findings import Practice, Severity
from fortress.inventory import Function, LayerVersion, PackageAnalysis
from fortress.rules.engine import Context, Verdict, rule
from fortress.rules.package_facts import unread

# The message names this many secrets; evidence holds them all.
_SHOWN = 10

_RATIONALE = """
    Anyone allowed lambda:GetFunction (or, for a layer, lambda:GetLayerVersion — and layers are
    often shared with other accounts or the world) downloads the package and reads the
    credential. It is copied into every published version and every build artifact, and it
    cannot be rotated without a redeploy.
"""
_REMEDIATION = """
    Remove the value from the code, rotate the credential (treat it as disclosed), store it in
    AWS Secrets Manager or SSM Parameter Store (SecureString), and read it at run time with the
    execution role (for example through the AWS Parameters and Secrets Lambda Extension).
"""
_CONTROLS = {"nist-800-53-r5": ["IA-5(7)"], "pci-dss-4.0": ["8.6.2"], "soc2": ["CC6.1"]}


def _verdict(package: PackageAnalysis | None, what: str) -> Verdict:
    blocked = unread(package, "secrets")
    if blocked is not None:
        return blocked
    assert package is not None
    if not package.secrets:
        return Verdict.passed(f"{package.files} files of the {what} scanned: no secret found")
    items: list[dict[str, Any]] = [
        {"file": s.file, "line": s.line, "kind": s.kind, "fingerprint": s.fingerprint}
        for s in package.secrets
    ]
    shown = ", ".join(
        f"{i['file']}:{i['line']} ({i['kind']}, {i['fingerprint']})" for i in items[:_SHOWN]
    )
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return Verdict.fail(
        f"{len(items)} secret(s) hard-coded in the {what}: {shown}{more}",
        secrets=items,
        location=package.location,
    )


@rule(
    id="FTR-SEC-004",
    title="Secret hard-coded in the function's code package",
    target="function",
    practice=Practice.SECRETS,
    severity=Severity.HIGH,
    rationale=_RATIONALE,
    remediation=_REMEDIATION,
    references={
        "prowler": ["awslambda_function_no_secrets_in_code"],
        "inspector": ["Lambda code scanning: hardcoded credentials"],
    },
    controls=_CONTROLS,
)
def secrets_in_code(fn: Function, ctx: Context) -> Verdict:
    return _verdict(fn.package, "code package")


@rule(
    id="FTR-SEC-005",
    title="Secret in a layer's content",
    target="layer",
    practice=Practice.SECRETS,
    severity=Severity.HIGH,
    rationale=_RATIONALE,
    remediation=_REMEDIATION,
    references={"prowler": ["awslambda_layer_no_secrets_in_content"]},
    controls=_CONTROLS,
)
def secrets_in_layer(layer: LayerVersion, ctx: Context) -> Verdict:
    return _verdict(layer.package, "layer")
