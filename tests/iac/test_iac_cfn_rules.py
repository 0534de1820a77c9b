"""Rule-level: every template rule fails on the vulnerable CloudFormation fixture and passes on
the hardened one, reported at the resource's line. Account-wide rules never run on templates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from iac_findings import at, package_rules

from fortress.config import ScanConfig
from fortress.findings import Finding, Status
from fortress.rules import engine
from fortress.sources import cloudformation
from fortress.sources.base import IacOptions

FIXTURES = Path(__file__).parent / "fixtures" / "cloudformation"
# Fixed date: nodejs20.x (deprecated 2026-04-30) is inside the 90-day window.
CONFIG = ScanConfig(as_of=date(2026, 3, 1))

FN, VPC = ("OrderFunction", 37), ("VpcFunction", 114)
ROLE, API, STAGE, SG = ("OrderRole", 16), ("OrderApi", 74), ("OrderStage", 95), ("OrderSg", 102)
FAILS = {
    "FTR-API-001": FN,
    "FTR-API-002": FN,
    "FTR-API-003": API,
    "FTR-API-004": ("HttpApi", 158),
    "FTR-API-005": STAGE,
    "FTR-API-006": API,
    "FTR-API-007": STAGE,
    "FTR-API-008": FN,
    "FTR-API-009": ("WsApi", 194),
    "FTR-API-010": ("PartnerApi", 203),
    "FTR-API-011": ("LegacyDomain", 211),
    "FTR-API-012": ("HttpApi", 158),
    "FTR-API-013": FN,
    "FTR-CODE-001": FN,
    "FTR-CODE-002": FN,
    "FTR-CODE-003": FN,
    "FTR-CODE-004": ("SharedLayer", 147),
    "FTR-CODE-006": FN,
    "FTR-EPH-001": ("EfsFunction", 138),
    "FTR-EPH-002": VPC,
    "FTR-EPH-003": FN,
    "FTR-GOV-002": FN,
    "FTR-IAM-001": ROLE,
    "FTR-IAM-002": ROLE,
    "FTR-IAM-003": ROLE,
    "FTR-IAM-004": ROLE,
    "FTR-IAM-005": ROLE,
    "FTR-IAM-006": ROLE,
    "FTR-IAM-007": FN,
    "FTR-IAM-008": FN,
    "FTR-IAM-009": FN,
    "FTR-IAM-010": FN,
    "FTR-IAM-012": ROLE,
    "FTR-LOG-001": FN,
    "FTR-LOG-002": FN,
    "FTR-LOG-003": FN,
    "FTR-LOG-004": FN,
    "FTR-LOG-006": STAGE,
    "FTR-NET-001": FN,
    "FTR-NET-002": VPC,
    "FTR-NET-003": SG,
    "FTR-NET-004": SG,
    "FTR-NET-005": VPC,
    "FTR-NET-006": VPC,
    "FTR-PATCH-001": FN,
    "FTR-PATCH-002": VPC,
    "FTR-SEC-001": FN,
    "FTR-SEC-002": STAGE,
    "FTR-SEC-003": ("DbSecret", 125),
}
# On a template, a missing trail/alarm may live in another stack: unknown, never a failure.
UNKNOWN_ON_TEMPLATE = {"FTR-LOG-005": FN, "FTR-LOG-007": FN}
# FTR-PATCH-004 judges code age, which a template does not have: no finding at all.
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
TESTED_ELSEWHERE = {"FTR-PATCH-007", "FTR-LOG-009", "FTR-PATCH-009"}
HFN, HSTAGE, HAPI = ("OrderFunction", 31), ("Stage", 134), ("Api", 116)
PASSES = {
    "FTR-API-001": HFN,
    "FTR-API-002": HFN,
    "FTR-API-003": HAPI,
    "FTR-API-004": ("HttpApi", 163),
    "FTR-API-005": HSTAGE,
    "FTR-API-006": HAPI,
    "FTR-API-007": HSTAGE,
    "FTR-API-008": HFN,
    "FTR-API-009": ("WsApi", 224),
    "FTR-API-010": ("PartnerApi", 236),
    "FTR-API-011": ("ApiDomain", 249),
    "FTR-API-012": ("HttpApi", 163),
    "FTR-API-013": HFN,
    "FTR-CODE-001": HFN,
    "FTR-CODE-002": HFN,
    "FTR-CODE-003": HFN,
    "FTR-CODE-004": ("SharedLayer", 151),
    "FTR-CODE-006": HFN,
    "FTR-EPH-001": HFN,
    "FTR-EPH-002": HFN,
    "FTR-EPH-003": HFN,
    "FTR-GOV-002": HFN,
    **{f"FTR-IAM-0{i:02}": ("OrderRole", 18) for i in (*range(1, 7), 12)},
    "FTR-IAM-007": HFN,
    "FTR-IAM-008": HFN,
    "FTR-IAM-009": HFN,
    "FTR-IAM-010": HFN,
    "FTR-LOG-001": HFN,
    "FTR-LOG-002": HFN,
    "FTR-LOG-003": HFN,
    "FTR-LOG-004": HFN,
    "FTR-LOG-005": HFN,
    "FTR-LOG-006": HSTAGE,
    "FTR-LOG-007": HFN,
    "FTR-NET-001": HFN,
    "FTR-NET-002": HFN,
    "FTR-NET-003": ("FnSg", 68),
    "FTR-NET-004": ("FnSg", 68),
    "FTR-NET-005": HFN,
    "FTR-NET-006": HFN,
    "FTR-PATCH-001": HFN,
    "FTR-PATCH-002": HFN,
    "FTR-PATCH-007": HFN,
    "FTR-LOG-009": HFN,
    "FTR-PATCH-009": HFN,
    "FTR-SEC-001": HFN,
    "FTR-SEC-002": HSTAGE,
    "FTR-SEC-003": ("DbSecret", 107),
}


def _findings(name: str) -> list[Finding]:
    inv = cloudformation.load(FIXTURES / name, IacOptions())
    return engine.evaluate(inv, engine.all_rules(), CONFIG)


@pytest.fixture(scope="module")
def vulnerable() -> list[Finding]:
    return _findings("vulnerable.yaml")


@pytest.fixture(scope="module")
def hardened() -> list[Finding]:
    return _findings("hardened.yaml")


@pytest.mark.parametrize(("rule_id", "where"), sorted(FAILS.items()))
def test_vulnerable_fails(vulnerable: list[Finding], rule_id: str, where: tuple[str, int]) -> None:
    found = at(vulnerable, rule_id, where)
    assert [f.status for f in found] == [Status.FAIL], [
        (f.rule_id, f.resource.logical_id, f.status) for f in vulnerable if f.rule_id == rule_id
    ]
    assert found[0].resource.file == str(FIXTURES / "vulnerable.yaml")


@pytest.mark.parametrize(("rule_id", "where"), sorted(PASSES.items()))
def test_hardened_passes(hardened: list[Finding], rule_id: str, where: tuple[str, int]) -> None:
    found = at(hardened, rule_id, where)
    assert [f.status for f in found] == [Status.PASS], [
        (f.rule_id, f.resource.logical_id, f.status, f.message)
        for f in hardened
        if f.rule_id == rule_id
    ]


def test_no_account_wide_rule_runs_on_templates(vulnerable: list[Finding]) -> None:
    ids = {f.rule_id for f in vulnerable}
    wide = {r.meta.id for r in engine.all_rules() if not r.meta.template}
    assert wide and not ids & wide
    assert not [f for f in vulnerable if f.rule_id == "FTR-LOG-005" and f.status is Status.FAIL]


@pytest.mark.parametrize(("rule_id", "where"), sorted(UNKNOWN_ON_TEMPLATE.items()))
def test_vulnerable_is_unknown_not_failed(
    vulnerable: list[Finding], rule_id: str, where: tuple[str, int]
) -> None:
    assert [f.status for f in at(vulnerable, rule_id, where)] == [Status.UNKNOWN]


def test_no_failure_at_all_on_hardened(hardened: list[Finding]) -> None:
    assert [(f.rule_id, f.message) for f in hardened if f.status is not Status.PASS] == []


def test_every_template_rule_is_covered() -> None:
    template_rules = {r.meta.id for r in engine.all_rules() if r.meta.template} - package_rules()
    assert (
        template_rules - set(FAILS) - set(UNKNOWN_ON_TEMPLATE) - TESTED_ELSEWHERE == NOT_APPLICABLE
    )
    assert template_rules - set(PASSES) == NOT_APPLICABLE
    ids = {f.rule_id for f in _findings("vulnerable.yaml")}
    assert not ids & NOT_APPLICABLE


def test_metadata_suppressions_need_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Metadata:\n"
        "      fortress:\n        skip:\n"
        "          - {id: FTR-LOG-003, reason: traced by the sidecar}\n"
        "          - {id: FTR-EPH-003, reason: '  '}\n"
        "    Properties: {Runtime: python3.12, Handler: a.h, Timeout: 900, Role: arn:aws:iam::1:role/r}\n"
    )
    findings = engine.evaluate(cloudformation.load(path, IacOptions()), engine.all_rules())
    (tracing,) = at(findings, "FTR-LOG-003", ("Fn", 2))
    assert tracing.status is Status.SUPPRESSED and tracing.suppression == "traced by the sidecar"
    (timeout,) = at(findings, "FTR-EPH-003", ("Fn", 2))
    assert timeout.status is Status.FAIL and timeout.suppression is None
    assert "in-code suppression ignored: it gives no reason" in timeout.message
    assert timeout.evidence["ignored_suppression"] == "no reason given"
