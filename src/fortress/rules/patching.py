"""Practice: continuous patching (runtime lifecycle, vulnerability scanning, stale code)."""

from __future__ import annotations

from datetime import date

from fortress.findings import Practice, Severity
from fortress.inventory import PART_RUNTIME_MANAGEMENT, Function, RegionStatus, Unknown
from fortress.rules.engine import Context, Verdict, rule
from fortress.rules.runtimes import RuntimeInfo, runtime_info, runtime_table

_RUNTIME_REMEDIATION = """
    Move the function to a supported runtime of the same language (the newest one gets the
    longest support), run its tests, and deploy. Functions on a deprecated runtime keep running
    but receive no security patches, lose technical support and, after the block dates, can no
    longer be created or updated.
"""
_RUNTIME_SNIPPETS = {
    "cli": "aws lambda update-function-configuration --function-name <fn> --runtime <runtime>",
    "cloudformation": "Runtime: python3.13",
    "terraform": 'runtime = "python3.13"',
}


def _runtime_of(fn: Function) -> tuple[RuntimeInfo | None, Verdict | None]:
    """The function's runtime data, or the verdict to return when there is none."""
    runtime: object = fn.runtime
    if runtime is None or fn.package_type == "Image":
        return None, Verdict.not_applicable()  # container image: the image pins the runtime
    if isinstance(runtime, Unknown):
        return None, Verdict.unknown(f"runtime is not resolvable ({runtime.reason})")
    if not isinstance(runtime, str):
        return None, Verdict.unknown(f"runtime {runtime!r} is not a runtime identifier")
    info = runtime_info(runtime)
    if info is None:
        compiled = runtime_table().compiled.isoformat()
        return None, Verdict.unknown(
            f"runtime {runtime} is not in Fortress's runtime data (compiled {compiled})",
            runtime=runtime,
        )
    return info, None


def _blocks(info: RuntimeInfo, as_of: date) -> str:
    parts = []
    if info.block_create:
        verb = "blocked" if as_of >= info.block_create else "blocked from"
        parts.append(f"creation {verb} {info.block_create.isoformat()}")
    if info.block_update:
        verb = "blocked" if as_of >= info.block_update else "blocked from"
        parts.append(f"updates {verb} {info.block_update.isoformat()}")
    return "; ".join(parts)


def _evidence(info: RuntimeInfo) -> dict[str, str | None]:
    return {
        "runtime": info.identifier,
        "deprecated": info.deprecated.isoformat() if info.deprecated else None,
        "block_create": info.block_create.isoformat() if info.block_create else None,
        "block_update": info.block_update.isoformat() if info.block_update else None,
        "upgrade_to": info.upgrade_to,
    }


@rule(
    id="FTR-PATCH-001",
    title="Function runtime is deprecated (no more security patches)",
    target="function",
    practice=Practice.PATCHING,
    severity=Severity.HIGH,
    rationale="""
        When a Lambda runtime is deprecated, AWS stops applying security patches to its language
        runtime and operating system and the function is no longer eligible for technical
        support. Known vulnerabilities in the runtime then stay unfixed for as long as the
        function runs.
    """,
    remediation=_RUNTIME_REMEDIATION,
    snippets=_RUNTIME_SNIPPETS,
    references={
        "checkov": ["CKV_AWS_363"],
        "prowler": ["awslambda_function_using_supported_runtimes"],
        "securityhub": ["Lambda.2"],
    },
    controls={
        "aws-fsbp": ["Lambda.2"],
        "nist-800-53-r5": ["SA-22", "SI-2"],
        "pci-dss-4.0": ["6.3.3"],
    },
)
def deprecated_runtime(fn: Function, ctx: Context) -> Verdict:
    info, verdict = _runtime_of(fn)
    if info is None:
        return verdict or Verdict.not_applicable()
    as_of = ctx.config.as_of
    if info.deprecated is None:
        return Verdict.passed(f"runtime {info.identifier} has no announced deprecation date")
    if info.is_deprecated(as_of):
        blocks = _blocks(info, as_of)
        upgrade = f"; upgrade to {info.upgrade_to}" if info.upgrade_to else ""
        return Verdict.fail(
            f"runtime {info.identifier} ({info.name}) was deprecated on "
            f"{info.deprecated.isoformat()} and receives no security patches"
            + (f" ({blocks})" if blocks else "")
            + upgrade,
            **_evidence(info),
        )
    return Verdict.passed(
        f"runtime {info.identifier} is supported until {info.deprecated.isoformat()}",
        **_evidence(info),
    )


@rule(
    id="FTR-PATCH-002",
    title="Function runtime will be deprecated soon",
    target="function",
    practice=Practice.PATCHING,
    severity=Severity.MEDIUM,
    rationale="""
        A runtime upgrade needs testing and a release; starting it when the deprecation date is
        near leaves the function unpatched if the migration slips. The deprecation window
        (default 90 days) gives a warning early enough to plan the upgrade.
    """,
    remediation=_RUNTIME_REMEDIATION,
    snippets=_RUNTIME_SNIPPETS,
    references={
        "checkov": ["CKV_AWS_363"],
        "prowler": ["awslambda_function_using_supported_runtimes"],
        "securityhub": ["Lambda.2"],
    },
    controls={
        "aws-fsbp": ["Lambda.2"],
        "nist-800-53-r5": ["SA-22", "SI-2"],
        "pci-dss-4.0": ["6.3.3"],
    },
)
def runtime_deprecated_soon(fn: Function, ctx: Context) -> Verdict:
    info, verdict = _runtime_of(fn)
    if info is None:
        return verdict or Verdict.not_applicable()
    as_of = ctx.config.as_of
    window = ctx.config.deprecation_window_days
    if info.deprecated is None:
        return Verdict.passed(f"runtime {info.identifier} has no announced deprecation date")
    if info.is_deprecated(as_of):
        return Verdict.not_applicable()  # already deprecated: FTR-PATCH-001 reports it
    days = (info.deprecated - as_of).days
    if days <= window:
        upgrade = f"; plan the move to {info.upgrade_to}" if info.upgrade_to else ""
        return Verdict.fail(
            f"runtime {info.identifier} ({info.name}) is deprecated on "
            f"{info.deprecated.isoformat()}, in {days} day{'s' if days != 1 else ''}"
            f" (window {window} days){upgrade}",
            days_left=days,
            **_evidence(info),
        )
    return Verdict.passed(
        f"runtime {info.identifier} is deprecated on {info.deprecated.isoformat()}, "
        f"in {days} days (beyond the {window}-day window)",
        days_left=days,
        **_evidence(info),
    )


@rule(
    id="FTR-PATCH-003",
    title="Amazon Inspector Lambda scanning is not enabled in the region",
    target="region",
    practice=Practice.PATCHING,
    severity=Severity.MEDIUM,
    rationale="""
        Amazon Inspector Lambda standard scanning continuously checks function and layer
        packages for dependencies with known vulnerabilities, and re-scans when new CVEs are
        published. Without it, a vulnerable library in a deployed function goes unnoticed until
        someone audits the package by hand.
    """,
    remediation="""
        Enable Amazon Inspector Lambda standard scanning (and Lambda code scanning where
        available) in every region that runs functions; in an organization, enable it from the
        Inspector delegated administrator for all member accounts.
    """,
    snippets={
        "cli": "aws inspector2 enable --resource-types LAMBDA LAMBDA_CODE --account-ids <account>",
        "cloudformation": (
            "# Inspector activation has no CloudFormation resource; use the CLI, the console or "
            "the Inspector delegated administrator."
        ),
        "terraform": (
            'resource "aws_inspector2_enabler" "lambda" {\n'
            "  account_ids    = [data.aws_caller_identity.current.account_id]\n"
            '  resource_types = ["LAMBDA", "LAMBDA_CODE"]\n}'
        ),
    },
    references={"prowler": ["inspector2_is_enabled"], "securityhub": ["Inspector.4"]},
    controls={
        "aws-fsbp": ["Inspector.4"],
        "nist-800-53-r5": ["RA-5", "SI-2"],
        "pci-dss-4.0": ["6.3.1"],
    },
)
def inspector_lambda_scanning(status: RegionStatus, ctx: Context) -> Verdict:
    scanning: object = status.inspector_lambda_scanning
    if scanning is None:
        return Verdict.not_applicable()
    functions = [
        fn
        for fn in ctx.inventory.functions
        if fn.region == status.region and fn.account in (None, status.account)
    ]
    if not functions:
        return Verdict.not_applicable()  # no function here: nothing to scan
    if isinstance(scanning, Unknown):
        return Verdict.unknown(
            f"Inspector status in {status.region} could not be read ({scanning.reason})"
        )
    n = len(functions)
    plural = "function" if n == 1 else "functions"
    if scanning is True:
        return Verdict.passed(f"Inspector Lambda scanning is on in {status.region}")
    return Verdict.fail(
        f"Inspector Lambda scanning is off in {status.region}, where {n} {plural} run",
        functions=n,
    )


@rule(
    id="FTR-PATCH-004",
    title="Function code has not been updated for a long time",
    target="function",
    practice=Practice.PATCHING,
    severity=Severity.LOW,
    rationale="""
        A function that has not been redeployed for a long time still carries the dependency
        versions it was built with; every vulnerability fixed since then is still present.
        Stale functions are also often forgotten ones, with nobody watching their permissions.
    """,
    remediation="""
        Rebuild the function with current dependency versions and redeploy it, or delete it if it
        is no longer used. Automate dependency updates (Dependabot, Renovate) and regular
        releases so that no function goes untouched for a year.
    """,
    snippets={
        "cli": "aws lambda update-function-code --function-name <fn> --zip-file fileb://build.zip"
    },
    controls={"nist-800-53-r5": ["SI-2", "CM-8"], "pci-dss-4.0": ["6.3.3"]},
)
def stale_function(fn: Function, ctx: Context) -> Verdict:
    if fn.last_modified is None:
        return Verdict.not_applicable()  # templates carry no deployment date
    limit = ctx.config.stale_after_days
    updated = fn.last_modified.date()
    age = (ctx.config.as_of - updated).days
    if age > limit:
        return Verdict.fail(
            f"last updated {updated.isoformat()}, {age} days ago (limit {limit} days)",
            last_modified=updated.isoformat(),
            age_days=age,
        )
    return Verdict.passed(
        f"updated {updated.isoformat()}, {age} days ago",
        last_modified=updated.isoformat(),
        age_days=age,
    )


def _update_mode(fn: Function) -> tuple[str | None, Verdict | None]:
    """The runtime update mode, or the verdict when there is none to judge."""
    if fn.package_type == "Image" or fn.runtime is None:
        return None, Verdict.not_applicable()  # an image pins its own runtime
    mode: object = fn.runtime_update_mode
    if isinstance(mode, Unknown):
        return None, Verdict.unknown(f"runtime update mode is not known ({mode.reason})")
    if PART_RUNTIME_MANAGEMENT in fn.uncollected:
        return None, Verdict.unknown("the runtime management configuration could not be read")
    if not isinstance(mode, str):
        return None, Verdict.unknown(f"runtime update mode {mode!r} is not a mode name")
    return mode, None


_MODES = {"auto": "Auto", "functionupdate": "FunctionUpdate", "manual": "Manual"}


@rule(
    id="FTR-PATCH-007",
    title="Runtime updates are pinned: the function no longer receives runtime security patches",
    target="function",
    practice=Practice.PATCHING,
    severity=Severity.MEDIUM,
    rationale="""
        With the runtime update mode Manual, the function keeps the runtime version it names
        for as long as it exists: the security patches AWS applies to the language runtime and
        its operating system never reach it. Manual mode is meant as a short rollback while an
        incompatibility with a new runtime version is fixed; left in place, it pins known
        vulnerabilities.
    """,
    remediation="""
        Fix whatever required the rollback, then set the runtime update mode back to Auto (or
        FunctionUpdate, with regular deployments) so that the function receives runtime
        patches again.
    """,
    snippets={
        "cli": (
            "aws lambda put-runtime-management-config --function-name <fn> --update-runtime-on Auto"
        ),
        "cloudformation": "RuntimeManagementConfig:\n  UpdateRuntimeOn: Auto",
        "terraform": (
            'resource "aws_lambda_runtime_management_config" "fn" {\n'
            "  function_name     = aws_lambda_function.fn.function_name\n"
            '  update_runtime_on = "Auto"\n}'
        ),
    },
    controls={"nist-800-53-r5": ["SI-2"], "pci-dss-4.0": ["6.3.3"]},
)
def runtime_updates_pinned(fn: Function, ctx: Context) -> Verdict:
    mode, verdict = _update_mode(fn)
    if mode is None:
        return verdict or Verdict.not_applicable()
    name = _MODES.get(mode.lower(), mode)
    if name == "Manual":
        pinned = fn.runtime_version_arn or "a fixed runtime version"
        return Verdict.fail(
            f"runtime updates of {fn.name} are pinned (UpdateRuntimeOn=Manual) to {pinned}: "
            "runtime security patches no longer reach it",
            update_runtime_on="Manual",
            runtime_version_arn=fn.runtime_version_arn,
        )
    return Verdict.passed(
        f"runtime update mode of {fn.name} is {name}: runtime patches are applied",
        update_runtime_on=name,
    )


@rule(
    id="FTR-PATCH-008",
    title="Function on the FunctionUpdate runtime mode has not been deployed for a long time",
    target="function",
    practice=Practice.PATCHING,
    severity=Severity.LOW,
    rationale="""
        In the FunctionUpdate mode, Lambda moves a function to the newest runtime version only
        when the function is updated. A function that has not been deployed for months still
        runs the runtime version of its last deployment, without the security patches released
        since. The limit (default 90 days) is --function-update-max-age.
    """,
    remediation="""
        Redeploy the function regularly (a scheduled pipeline run is enough), or switch its
        runtime update mode to Auto so that patches arrive without a deployment.
    """,
    snippets={
        "cli": (
            "aws lambda put-runtime-management-config --function-name <fn> --update-runtime-on Auto"
        ),
    },
    controls={"nist-800-53-r5": ["SI-2"], "pci-dss-4.0": ["6.3.3"]},
)
def function_update_mode_stale(fn: Function, ctx: Context) -> Verdict:
    if fn.last_modified is None or fn.package_type == "Image" or fn.runtime is None:
        return Verdict.not_applicable()  # templates carry no deployment date
    limit = ctx.config.function_update_max_age_days
    updated = fn.last_modified.date()
    age = (ctx.config.as_of - updated).days
    mode: object = fn.runtime_update_mode
    known = isinstance(mode, str) and PART_RUNTIME_MANAGEMENT not in fn.uncollected
    if known and _MODES.get(str(mode).lower()) != "FunctionUpdate":
        return Verdict.not_applicable()  # Auto patches without a deployment; Manual: PATCH-007
    if age <= limit:
        return Verdict.passed(
            f"{fn.name} was deployed {updated.isoformat()}, {age} days ago (limit {limit}): "
            "its runtime version is at most that old",
            last_modified=updated.isoformat(),
            age_days=age,
        )
    if not known:
        reason = mode.reason if isinstance(mode, Unknown) else "it could not be read"
        return Verdict.unknown(
            f"{fn.name} was last deployed {age} days ago; whether its runtime waits for a "
            f"deployment (FunctionUpdate) is not known ({reason})",
            last_modified=updated.isoformat(),
            age_days=age,
        )
    return Verdict.fail(
        f"{fn.name} updates its runtime only on deployment (FunctionUpdate) and was last "
        f"deployed {updated.isoformat()}, {age} days ago (limit {limit} days)",
        last_modified=updated.isoformat(),
        age_days=age,
        update_runtime_on="FunctionUpdate",
    )


__all__ = [
    "deprecated_runtime",
    "function_update_mode_stale",
    "inspector_lambda_scanning",
    "runtime_deprecated_soon",
    "runtime_updates_pinned",
    "stale_function",
]
