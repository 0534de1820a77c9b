"""Practice: continuous patching — dependencies with known vulnerabilities (OSV, offline).

The facts come from ``fortress.packages`` (dependency inventory matched against the OSV data
named in ``PackageAnalysis.vulndb``); these rules only judge them.
"""

from __future__ import annotations

from typing import Any

from fortress.findings import Practice, Severity
from fortress.inventory import Function, LayerVersion, PackageAnalysis, Vulnerability
from fortress.rules.engine import Context, Verdict, rule
from fortress.rules.package_facts import unread

_ORDER = ["critical", "high", "medium", "low", "unknown"]

_RATIONALE = """
    Lambda runs the third-party libraries bundled in the deployment package and its layers as
    they were when it was built: AWS patches the runtime, never those libraries. A dependency
    with a published advisory (remote code execution in a YAML loader, prototype pollution in
    lodash...) stays exploitable in every deployed version until the package is rebuilt.
"""
_REMEDIATION = """
    Upgrade each listed dependency to the fixed version (or later), rebuild and redeploy the
    package (and publish a new layer version for layer dependencies, then move the functions to
    it). Pin exact versions in lock files so the scan can tell what is deployed, and keep the OSV
    data fresh with `fortress vulndb update`.
"""
_REFERENCES = {
    "inspector": ["Lambda standard scanning"],
    # Trivy's vulnerability scanner, not a misconfiguration check (no AVD id).
    "trivy-scanner": ["vuln (Lambda packages and layers)"],
}
_CONTROLS = {
    "nist-800-53-r5": ["RA-5", "SI-2"],
    "pci-dss-4.0": ["6.3.1", "6.3.3"],
}


def _item(v: Vulnerability) -> dict[str, Any]:
    return {
        "package": v.package,
        "version": v.version,
        "ecosystem": v.ecosystem,
        "path": v.path,
        "layer": v.layer,
        "ids": v.ids,
        "severity": v.severity,
        "score": v.score,
        "fixed": v.fixed,
        "summary": v.summary,
        "may_be_affected": v.may_be_affected,
    }


def _describe(v: Vulnerability) -> str:
    where = v.path + (f" in layer {v.layer}" if v.layer else "")
    fix = f", fixed in {v.fixed}" if v.fixed else ", no fix named"
    may = " (may be affected: declared range)" if v.may_be_affected else ""
    return f"{v.package}@{v.version} ({where}): {', '.join(v.ids[:3])} {v.severity}{fix}{may}"


def _judge(package: PackageAnalysis | None) -> Verdict:
    answer = unread(package, "vulnerabilities")
    if answer is not None:
        return answer
    assert package is not None
    label = package.vulndb or "the OSV data"
    vulns = package.vulnerabilities
    if not vulns:
        n = len(package.dependencies)
        noun = "dependency" if n == 1 else "dependencies"
        return Verdict.passed(f"{n} {noun} checked against {label}", vulndb=label)
    vulns = sorted(vulns, key=lambda v: (v.may_be_affected, _ORDER.index(v.severity)))
    confirmed = [v for v in vulns if not v.may_be_affected]
    worst = (confirmed or vulns)[0].severity
    shown = "; ".join(_describe(v) for v in vulns[:5])
    more = f"; and {len(vulns) - 5} more" if len(vulns) > 5 else ""
    kind = "known" if confirmed else "possible (declared ranges only)"
    return Verdict.fail(
        f"{len(vulns)} {kind} vulnerabilities, worst {worst}, against {label}: {shown}{more}",
        worst_severity=worst,
        may_be_affected_only=not confirmed,
        vulnerabilities=[_item(v) for v in vulns],
        vulndb=label,
    )


@rule(
    id="FTR-PATCH-005",
    title="Function package has a dependency with a known vulnerability",
    target="function",
    practice=Practice.PATCHING,
    severity=Severity.HIGH,
    rationale=_RATIONALE,
    remediation=_REMEDIATION,
    references=_REFERENCES,
    controls=_CONTROLS,
)
def function_vulnerable_dependency(fn: Function, ctx: Context) -> Verdict:
    return _judge(fn.package)


@rule(
    id="FTR-PATCH-006",
    title="Layer has a dependency with a known vulnerability",
    target="layer",
    practice=Practice.PATCHING,
    severity=Severity.HIGH,
    rationale=_RATIONALE,
    remediation=_REMEDIATION,
    references=_REFERENCES,
    controls=_CONTROLS,
)
def layer_vulnerable_dependency(layer: LayerVersion, ctx: Context) -> Verdict:
    return _judge(layer.package)
