"""Every template rule on Serverless Framework: fails on the vulnerable service, passes on the
hardened one, at the serverless.yml line of the function, provider section or resource. What the
framework has no shorthand for lives under ``resources.Resources``, as in real services."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from iac_findings import Where, at, package_rules, seen

from fortress.config import ScanConfig
from fortress.findings import Finding, Status
from fortress.rules import engine
from fortress.sources import serverless
from fortress.sources.base import IacOptions

FIXTURES = Path(__file__).parent / "fixtures" / "serverless"
VULNERABLE_FILE = FIXTURES / "serverless.yml"
HARDENED_FILE = FIXTURES / "hardened" / "serverless.yml"
CONFIG = ScanConfig(as_of=date(2026, 3, 1))

CONVERT, ADMIN, WORKER = (
    ("ConvertLambdaFunction", 22),
    ("AdminLambdaFunction", 40),
    ("WorkerLambdaFunction", 50),
)
ROLE, WORKER_ROLE = ("IamRoleLambdaExecution", 13), ("WorkerRole", 72)
REST, HTTP = ("ApiGatewayRestApi", 5), ("HttpApi", 5)
FAILS: dict[str, Where] = {
    "FTR-API-001": CONVERT,
    "FTR-API-002": CONVERT,
    "FTR-API-003": REST,
    "FTR-API-004": HTTP,
    "FTR-API-005": REST,
    "FTR-API-006": REST,
    "FTR-API-007": REST,
    "FTR-API-008": ADMIN,  # suppressed with a reason on convert
    "FTR-CODE-001": CONVERT,
    "FTR-CODE-002": CONVERT,
    "FTR-CODE-003": CONVERT,
    "FTR-CODE-006": CONVERT,
    "FTR-CODE-004": ("SharedLayer", 105),
    "FTR-EPH-001": WORKER,
    "FTR-EPH-002": WORKER,
    "FTR-EPH-003": CONVERT,
    "FTR-GOV-002": CONVERT,
    "FTR-IAM-001": WORKER_ROLE,
    "FTR-IAM-002": ROLE,
    "FTR-IAM-003": ROLE,
    "FTR-IAM-004": WORKER_ROLE,
    "FTR-IAM-005": ROLE,
    "FTR-IAM-006": WORKER_ROLE,
    "FTR-IAM-007": CONVERT,
    "FTR-IAM-008": CONVERT,
    "FTR-IAM-009": CONVERT,
    "FTR-IAM-010": CONVERT,
    "FTR-IAM-012": WORKER_ROLE,
    "FTR-LOG-001": CONVERT,
    "FTR-LOG-002": CONVERT,
    "FTR-LOG-003": CONVERT,  # its suppression gives no reason: reported, not honoured
    "FTR-LOG-004": CONVERT,
    "FTR-LOG-006": REST,
    "FTR-NET-001": CONVERT,
    "FTR-NET-002": WORKER,
    "FTR-NET-003": ("OpenSg", 93),
    "FTR-NET-004": ("OpenSg", 93),
    "FTR-API-009": ("LiveApi", 136),
    "FTR-API-010": ("PartnerApi", 145),
    "FTR-API-011": ("LegacyDomain", 152),
    "FTR-API-013": CONVERT,
    "FTR-NET-005": WORKER,
    "FTR-NET-006": WORKER,
    "FTR-PATCH-001": CONVERT,
    "FTR-PATCH-002": WORKER,
    "FTR-SEC-001": CONVERT,
    "FTR-SEC-002": REST,
    "FTR-SEC-003": ("DbSecret", 102),
}
UNKNOWN_ON_TEMPLATE: dict[str, Where] = {"FTR-LOG-005": CONVERT, "FTR-LOG-007": CONVERT}
# FTR-IAM-015 needs CloudTrail read with the scan (--cloudtrail): not run on a bare template
# (its failing and passing cases per format, with file and line: tests/iam/test_iam_usage.py).
# FTR-CODE-007 judges S3 package buckets and FTR-SEC-006 Parameter Store parameters, which
# these fixtures do not use: they are tested on every format in test_iac_package_bucket.py and
# test_iac_parameters.py.
NOT_APPLICABLE = {
    "FTR-PATCH-004",
    "FTR-CODE-007",
    "FTR-PATCH-008",
    "FTR-SEC-006",
    "FTR-IAM-015",
}
# Failing cases on every format in test_iac_function_settings.py (FTR-PATCH-008 judges the
# deployment date, which templates do not have).
# provider.httpApi.cors (FTR-API-012) and alb events (FTR-API-013): test_iac_alb_cors.py.
TESTED_ELSEWHERE = {"FTR-PATCH-007", "FTR-LOG-009", "FTR-PATCH-009", "FTR-API-012"}

LIST, HROLE, HREST, HHTTP = (
    ("ListLambdaFunction", 35),
    ("IamRoleLambdaExecution", 25),
    ("ApiGatewayRestApi", 13),
    ("HttpApi", 2),
)
HARDENED_OTHER: dict[str, Where] = {
    **{f"FTR-IAM-0{i:02}": HROLE for i in (*range(1, 7), 12)},
    "FTR-API-003": HREST,
    "FTR-API-004": HHTTP,
    "FTR-API-005": HREST,
    "FTR-API-006": HREST,
    "FTR-API-007": HREST,
    "FTR-CODE-004": ("SharedLayer", 92),
    "FTR-LOG-006": HREST,
    "FTR-NET-003": ("FnSg", 104),
    "FTR-NET-004": ("FnSg", 104),
    "FTR-API-009": ("LiveApi", 174),
    "FTR-API-010": ("PartnerApi", 183),
    "FTR-API-011": ("ApiDomain", 190),
    "FTR-API-012": HHTTP,  # no CORS configuration
    "FTR-SEC-002": HREST,
    "FTR-SEC-003": ("DbSecret", 116),
    "FTR-PATCH-007": LIST,
    "FTR-LOG-009": LIST,
    "FTR-PATCH-009": LIST,
}
PASSES: dict[str, Where] = {
    **{rid: LIST for rid in [*FAILS, *UNKNOWN_ON_TEMPLATE] if rid not in HARDENED_OTHER},
    **HARDENED_OTHER,
}
EXTRA_PASSES: dict[str, Where] = {"FTR-API-005": HHTTP, "FTR-LOG-006": HHTTP}


@pytest.fixture(scope="module")
def vulnerable() -> list[Finding]:
    return engine.evaluate(
        serverless.load(VULNERABLE_FILE, IacOptions()), engine.all_rules(), CONFIG
    )


@pytest.fixture(scope="module")
def hardened() -> list[Finding]:
    return engine.evaluate(serverless.load(HARDENED_FILE, IacOptions()), engine.all_rules(), CONFIG)


@pytest.mark.parametrize(("rule_id", "where"), sorted(FAILS.items()))
def test_vulnerable_fails(vulnerable: list[Finding], rule_id: str, where: Where) -> None:
    found = at(vulnerable, rule_id, where)
    assert [f.status for f in found] == [Status.FAIL], seen(vulnerable, rule_id)
    assert found[0].resource.file == str(VULNERABLE_FILE)


@pytest.mark.parametrize(("rule_id", "where"), sorted(UNKNOWN_ON_TEMPLATE.items()))
def test_vulnerable_is_unknown_not_failed(
    vulnerable: list[Finding], rule_id: str, where: Where
) -> None:
    assert [f.status for f in at(vulnerable, rule_id, where)] == [Status.UNKNOWN]
    assert not [f for f in vulnerable if f.rule_id == rule_id and f.status is Status.FAIL]


@pytest.mark.parametrize(("rule_id", "where"), sorted([*PASSES.items(), *EXTRA_PASSES.items()]))
def test_hardened_passes(hardened: list[Finding], rule_id: str, where: Where) -> None:
    found = at(hardened, rule_id, where)
    assert [f.status for f in found] == [Status.PASS], seen(hardened, rule_id)
    assert found[0].resource.file == str(HARDENED_FILE)


def test_no_failure_at_all_on_hardened(hardened: list[Finding]) -> None:
    assert [(f.rule_id, f.message) for f in hardened if f.status is not Status.PASS] == []


def test_every_template_rule_is_covered() -> None:
    template_rules = {r.meta.id for r in engine.all_rules() if r.meta.template} - package_rules()
    assert (
        template_rules - set(FAILS) - set(UNKNOWN_ON_TEMPLATE) - TESTED_ELSEWHERE == NOT_APPLICABLE
    )
    assert template_rules - set(PASSES) == NOT_APPLICABLE


def test_not_applicable_and_account_wide_rules_give_no_finding(
    vulnerable: list[Finding], hardened: list[Finding]
) -> None:
    wide = {r.meta.id for r in engine.all_rules() if not r.meta.template}
    ids = {f.rule_id for f in [*vulnerable, *hardened]}
    assert wide and not ids & (wide | NOT_APPLICABLE)


def test_function_suppression_with_reason_is_honoured(vulnerable: list[Finding]) -> None:
    (finding,) = at(vulnerable, "FTR-API-008", CONVERT)
    assert finding.status is Status.SUPPRESSED and finding.suppression == "low traffic"


def test_suppression_without_reason_is_reported_not_honoured(vulnerable: list[Finding]) -> None:
    (finding,) = at(vulnerable, "FTR-LOG-003", CONVERT)
    assert finding.status is Status.FAIL and finding.suppression is None
    assert "in-code suppression ignored: it gives no reason" in finding.message
    assert finding.evidence["ignored_suppression"] == "no reason given"


def test_service_wide_suppression_in_custom(tmp_path: Path) -> None:
    path = tmp_path / "serverless.yml"
    path.write_text(
        "service: s\ncustom:\n  fortress:\n    skip:\n"
        "      - {id: FTR-GOV-002, reason: tagged by the pipeline}\n"
        "      - {id: FTR-EPH-003}\n"
        "provider: {name: aws, runtime: python3.12}\n"
        "functions:\n  a:\n    handler: h.a\n    timeout: 900\n"
    )
    findings = engine.evaluate(serverless.load(path, IacOptions()), engine.all_rules())
    where = ("ALambdaFunction", 9)
    (tags,) = at(findings, "FTR-GOV-002", where)
    assert tags.status is Status.SUPPRESSED and tags.suppression == "tagged by the pipeline"
    (timeout,) = at(findings, "FTR-EPH-003", where)
    assert timeout.status is Status.FAIL and "gives no reason" in timeout.message


def test_stage_override_resources_reach_the_generated_api(hardened: list[Finding]) -> None:
    """``ApiGatewayStage``/``HttpApiStage`` under resources.Resources set the stage settings."""
    (variables,) = at(hardened, "FTR-SEC-002", HREST)
    assert variables.status is Status.PASS
    (throttle,) = at(hardened, "FTR-API-005", HHTTP)
    assert throttle.status is Status.PASS
