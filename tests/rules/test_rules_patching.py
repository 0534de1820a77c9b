"""Runtime data and FTR-PATCH-001..004 run through the engine."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from fortress.config import ScanConfig
from fortress.errors import FortressError
from fortress.findings import Finding, Status
from fortress.inventory import Function, Inventory, Origin, RegionStatus, Unknown
from fortress.rules import engine
from fortress.rules.runtimes import parse_table, runtime_info, runtime_table

ACCOUNT, REGION = "123456789012", "us-east-1"
ORIGIN = Origin(source="aws", account=ACCOUNT, region=REGION)


def run(rule_id: str, inv: Inventory, config: ScanConfig | None = None) -> list[Finding]:
    import fortress.rules.patching  # noqa: F401

    return engine.evaluate(inv, [engine._REGISTRY[rule_id]], config)


def fn(runtime: object = "python3.12", **kw: object) -> Function:
    return Function(
        name="orders",
        arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders",
        origin=ORIGIN,
        runtime=runtime,  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


# --------------------------------------------------------------------------- data


def test_runtime_data_covers_every_family_and_is_dated() -> None:
    table = runtime_table()
    assert table.compiled >= date(2026, 1, 1)
    assert any("docs.aws.amazon.com/lambda" in s for s in table.sources)
    for rid in (
        "nodejs22.x",
        "python3.13",
        "java21",
        "dotnet8",
        "ruby3.3",
        "go1.x",
        "provided",
        "provided.al2",
        "provided.al2023",
    ):
        assert runtime_info(rid) is not None, rid
    py38 = runtime_info("python3.8")
    assert py38 is not None and py38.deprecated == date(2024, 10, 14) and py38.family == "python"
    assert runtime_info("Python3.8 ") == py38
    assert runtime_info("cobol85") is None
    for info in table.runtimes.values():
        assert info.family in {"nodejs", "python", "java", "dotnet", "ruby", "go", "provided"}


def test_bad_runtime_data_is_one_clear_error() -> None:
    with pytest.raises(FortressError, match=r"runtimes.json: py\.deprecated: 'soon'"):
        parse_table(
            {"compiled": "2026-01-01", "runtimes": [{"identifier": "py", "deprecated": "soon"}]}
        )
    with pytest.raises(FortressError, match="'runtimes' list"):
        parse_table({"compiled": "2026-01-01"})


# --------------------------------------------------------------------------- FTR-PATCH-001

AS_OF = ScanConfig(as_of=date(2026, 11, 27))


def test_patch001_fails_on_deprecated_runtime_naming_it_and_its_date() -> None:
    finding = only(run("FTR-PATCH-001", Inventory(functions=[fn("python3.8")]), AS_OF))
    assert finding.status is Status.FAIL
    assert finding.message.startswith("runtime python3.8 (Python 3.8) was deprecated on 2024-10-14")
    assert "upgrade to python3.14" in finding.message
    assert finding.evidence["deprecated"] == "2024-10-14"


def test_patch001_passes_on_supported_runtime() -> None:
    finding = only(run("FTR-PATCH-001", Inventory(functions=[fn("python3.13")]), AS_OF))
    assert finding.status is Status.PASS
    assert finding.message == "runtime python3.13 is supported until 2029-06-30"


def test_patch001_judges_at_as_of() -> None:
    early = ScanConfig(as_of=date(2024, 10, 13))
    assert (
        only(run("FTR-PATCH-001", Inventory(functions=[fn("python3.8")]), early)).status
        is Status.PASS
    )


def test_patch001_unknown_and_not_applicable() -> None:
    unknown = only(run("FTR-PATCH-001", Inventory(functions=[fn("cobol85")]), AS_OF))
    assert unknown.status is Status.UNKNOWN and "cobol85" in unknown.message
    unresolved = only(
        run("FTR-PATCH-001", Inventory(functions=[fn(Unknown("parameter Runtime"))]), AS_OF)
    )
    assert unresolved.status is Status.UNKNOWN and "parameter Runtime" in unresolved.message
    image = fn(None, package_type="Image")
    assert run("FTR-PATCH-001", Inventory(functions=[image]), AS_OF) == []


# --------------------------------------------------------------------------- FTR-PATCH-002


def test_patch002_fails_inside_the_window() -> None:
    config = ScanConfig(as_of=date(2026, 3, 1), deprecation_window_days=90)
    finding = only(run("FTR-PATCH-002", Inventory(functions=[fn("nodejs20.x")]), config))
    assert finding.status is Status.FAIL
    assert (
        "runtime nodejs20.x (Node.js 20) is deprecated on 2026-04-30, in 60 days" in finding.message
    )
    assert finding.evidence["days_left"] == 60


def test_patch002_passes_outside_the_window_and_skips_already_deprecated() -> None:
    config = ScanConfig(as_of=date(2026, 3, 1), deprecation_window_days=30)
    assert (
        only(run("FTR-PATCH-002", Inventory(functions=[fn("nodejs20.x")]), config)).status
        is Status.PASS
    )
    assert run("FTR-PATCH-002", Inventory(functions=[fn("python3.8")]), config) == []


# --------------------------------------------------------------------------- FTR-PATCH-003


def region(scanning: object) -> RegionStatus:
    return RegionStatus(
        account=ACCOUNT, region=REGION, origin=ORIGIN, inspector_lambda_scanning=scanning
    )  # type: ignore[arg-type]


def test_patch003_fails_when_scanning_off_where_functions_run() -> None:
    finding = only(run("FTR-PATCH-003", Inventory(functions=[fn()], regions=[region(False)])))
    assert finding.status is Status.FAIL
    assert finding.message == "Inspector Lambda scanning is off in us-east-1, where 1 function run"


def test_patch003_pass_unknown_and_not_applicable() -> None:
    assert (
        only(run("FTR-PATCH-003", Inventory(functions=[fn()], regions=[region(True)]))).status
        is Status.PASS
    )
    unknown = only(
        run("FTR-PATCH-003", Inventory(functions=[fn()], regions=[region(Unknown("AccessDenied"))]))
    )
    assert unknown.status is Status.UNKNOWN and "AccessDenied" in unknown.message
    assert run("FTR-PATCH-003", Inventory(functions=[fn()], regions=[region(None)])) == []
    assert run("FTR-PATCH-003", Inventory(functions=[], regions=[region(False)])) == []


# --------------------------------------------------------------------------- FTR-PATCH-004


def test_patch004_stale_and_fresh() -> None:
    config = ScanConfig(as_of=date(2026, 11, 27), stale_after_days=365)
    old = fn(last_modified=datetime(2024, 1, 2, 10, 0, tzinfo=UTC))
    finding = only(run("FTR-PATCH-004", Inventory(functions=[old]), config))
    assert finding.status is Status.FAIL
    assert finding.message == "last updated 2024-01-02, 1060 days ago (limit 365 days)"
    fresh = fn(last_modified=datetime(2026, 6, 1, tzinfo=UTC))
    assert only(run("FTR-PATCH-004", Inventory(functions=[fresh]), config)).status is Status.PASS
    assert run("FTR-PATCH-004", Inventory(functions=[fn()]), config) == []  # template: no date


# --------------------------------------------------------------------------- metadata


def test_metadata_of_secrets_patching_ephemerality_governance_rules() -> None:
    import fortress.rules.ephemerality
    import fortress.rules.governance
    import fortress.rules.recursion
    import fortress.rules.secrets  # noqa: F401

    ids = [
        rid
        for rid, r in engine._REGISTRY.items()
        if rid.split("-")[1] in {"SEC", "PATCH", "EPH", "GOV"}
        and not r.func.__module__.startswith("fortress.rules.package_")  # tests/packages
    ]
    assert sorted(ids) == sorted(
        [
            "FTR-SEC-001",
            "FTR-SEC-002",
            "FTR-SEC-003",
            "FTR-SEC-006",
            "FTR-PATCH-001",
            "FTR-PATCH-002",
            "FTR-PATCH-003",
            "FTR-PATCH-004",
            "FTR-PATCH-007",
            "FTR-PATCH-008",
            "FTR-PATCH-009",
            "FTR-EPH-001",
            "FTR-EPH-002",
            "FTR-EPH-003",
            "FTR-GOV-001",
            "FTR-GOV-002",
        ]
    )
    for rid in ids:
        meta = engine._REGISTRY[rid].meta
        assert meta.title and len(meta.rationale) > 80 and len(meta.remediation) > 60, rid
        assert set(meta.snippets) <= {"cli", "cloudformation", "terraform"}, rid
        assert set(meta.references) <= {"checkov", "prowler", "kics", "securityhub"}, rid
        assert set(meta.controls) <= {"aws-fsbp", "cis-aws", "nist-800-53-r5", "pci-dss-4.0"}, rid
        assert all(meta.controls.values()) and all(meta.references.values()), rid
    assert engine._REGISTRY["FTR-GOV-001"].meta.template is False
    assert engine._REGISTRY["FTR-PATCH-003"].meta.template is False


# --------------------------------------------------------------------------- FTR-PATCH-007/008


def test_patch007_manual_mode_fails() -> None:
    pinned = fn(runtime_update_mode="Manual", runtime_version_arn="arn:aws:lambda:::runtime:ab")
    finding = only(run("FTR-PATCH-007", Inventory(functions=[pinned])))
    assert finding.status is Status.FAIL and "arn:aws:lambda:::runtime:ab" in finding.message
    for mode in ("Auto", "FunctionUpdate", "functionupdate"):
        passed = only(run("FTR-PATCH-007", Inventory(functions=[fn(runtime_update_mode=mode)])))
        assert passed.status is Status.PASS, mode


def test_patch007_unknown_and_images() -> None:
    from fortress.inventory import PART_RUNTIME_MANAGEMENT

    vague = fn(runtime_update_mode=Unknown("get_runtime_management_config failed (404)"))
    assert only(run("FTR-PATCH-007", Inventory(functions=[vague]))).status is Status.UNKNOWN
    gap = fn(uncollected={PART_RUNTIME_MANAGEMENT})
    assert only(run("FTR-PATCH-007", Inventory(functions=[gap]))).status is Status.UNKNOWN
    image = fn(runtime=None, package_type="Image", runtime_update_mode="Manual")
    assert run("FTR-PATCH-007", Inventory(functions=[image])) == []


def test_patch008_function_update_mode_age() -> None:
    config = ScanConfig(as_of=date(2026, 11, 27), function_update_max_age_days=90)
    old = datetime(2026, 6, 1, tzinfo=UTC)
    stale = fn(runtime_update_mode="FunctionUpdate", last_modified=old)
    finding = only(run("FTR-PATCH-008", Inventory(functions=[stale]), config))
    assert finding.status is Status.FAIL and "179 days ago (limit 90 days)" in finding.message
    fresh = fn(
        runtime_update_mode="FunctionUpdate", last_modified=datetime(2026, 11, 1, tzinfo=UTC)
    )
    assert only(run("FTR-PATCH-008", Inventory(functions=[fresh]), config)).status is Status.PASS
    longer = ScanConfig(as_of=date(2026, 11, 27), function_update_max_age_days=200)
    assert only(run("FTR-PATCH-008", Inventory(functions=[stale]), longer)).status is Status.PASS
    auto = fn(runtime_update_mode="Auto", last_modified=old)
    assert run("FTR-PATCH-008", Inventory(functions=[auto]), config) == []
    assert (
        run("FTR-PATCH-008", Inventory(functions=[fn(runtime_update_mode="FunctionUpdate")])) == []
    )


def test_patch008_unknown_mode_is_unknown_when_old() -> None:
    config = ScanConfig(as_of=date(2026, 11, 27))
    old = fn(
        runtime_update_mode=Unknown("AccessDenied"), last_modified=datetime(2025, 1, 1, tzinfo=UTC)
    )
    finding = only(run("FTR-PATCH-008", Inventory(functions=[old]), config))
    assert finding.status is Status.UNKNOWN and "AccessDenied" in finding.message
