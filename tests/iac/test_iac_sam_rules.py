"""Every template rule on SAM: fails on the vulnerable template, passes on the hardened one, at
the line where the SAM resource starts. Resources SAM has no shorthand for are plain
CloudFormation resources next to the SAM ones, as in real SAM applications."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from iac_findings import Where, at, package_rules, seen

from fortress.config import ScanConfig
from fortress.findings import Finding, Status
from fortress.rules import engine
from fortress.sources import cloudformation
from fortress.sources.base import IacOptions

FIXTURES = Path(__file__).parent / "fixtures" / "sam"
# Fixed date: nodejs20.x (deprecated 2026-04-30) is inside the 90-day window.
CONFIG = ScanConfig(as_of=date(2026, 3, 1))

FN, REST, HTTP = ("OrderFunction", 12), ("ServerlessRestApi", 12), ("ServerlessHttpApi", 12)
ROLE = FN  # the implicit role is reported at the SAM function that makes it
SHARED_ROLE, VPC, EFS = ("SharedRole", 76), ("VpcFunction", 86), ("EfsFunction", 99)
FAILS: dict[str, Where] = {
    "FTR-API-001": FN,
    "FTR-API-002": FN,
    "FTR-API-003": REST,
    "FTR-API-004": HTTP,
    "FTR-API-005": REST,
    "FTR-API-006": REST,
    "FTR-API-007": REST,
    "FTR-API-008": VPC,  # suppressed with a reason on OrderFunction
    "FTR-CODE-001": FN,
    "FTR-CODE-002": FN,
    "FTR-CODE-003": FN,
    "FTR-CODE-006": FN,
    "FTR-CODE-004": ("SharedLayer", 119),
    "FTR-EPH-001": EFS,
    "FTR-EPH-002": VPC,
    "FTR-EPH-003": FN,
    "FTR-GOV-002": FN,
    "FTR-IAM-001": SHARED_ROLE,
    "FTR-IAM-002": ROLE,
    "FTR-IAM-003": ROLE,
    "FTR-IAM-004": ROLE,
    "FTR-IAM-005": SHARED_ROLE,
    "FTR-IAM-006": SHARED_ROLE,
    "FTR-IAM-007": FN,
    "FTR-IAM-008": FN,
    "FTR-IAM-009": FN,
    "FTR-IAM-010": FN,
    "FTR-IAM-012": SHARED_ROLE,
    "FTR-LOG-001": FN,
    "FTR-LOG-002": FN,
    "FTR-LOG-003": FN,  # its suppression gives no reason: reported, not honoured
    "FTR-LOG-004": FN,
    "FTR-LOG-006": REST,
    "FTR-NET-001": FN,
    "FTR-NET-002": VPC,
    "FTR-NET-003": ("OpenSg", 107),
    "FTR-NET-004": ("OpenSg", 107),
    "FTR-API-009": ("WsApi", 140),  # no $connect route at all
    "FTR-API-010": ("PartnerApi", 149),
    "FTR-API-011": ("LegacyDomain", 154),
    "FTR-API-012": ("CorsApi", 159),  # CorsConfiguration: true is any origin
    "FTR-API-013": FN,
    "FTR-NET-005": VPC,
    "FTR-NET-006": VPC,  # the declared VPC's default network ACL
    "FTR-PATCH-001": FN,
    "FTR-PATCH-002": VPC,
    "FTR-SEC-001": FN,
    "FTR-SEC-002": REST,
    "FTR-SEC-003": ("DbSecret", 116),
}
# On a template, a missing trail/alarm may live in another stack: unknown, never a failure.
UNKNOWN_ON_TEMPLATE: dict[str, Where] = {"FTR-LOG-005": FN, "FTR-LOG-007": FN}
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

HFN, HAPI, HHTTP = ("OrderFunction", 23), ("OrderApi", 9), ("StatusApi", 73)
HARDENED_OTHER: dict[str, Where] = {
    "FTR-API-003": HAPI,
    "FTR-API-004": HHTTP,
    "FTR-API-005": HAPI,
    "FTR-API-006": HAPI,
    "FTR-API-007": HAPI,
    "FTR-CODE-004": ("SharedLayer", 91),
    "FTR-LOG-006": HAPI,
    "FTR-NET-003": ("FnSg", 101),
    "FTR-NET-004": ("FnSg", 101),
    "FTR-API-009": ("WsApi", 176),
    "FTR-API-010": ("PartnerApi", 185),
    "FTR-API-011": ("ApiDomain", 196),
    "FTR-API-012": HHTTP,  # no CORS configuration
    "FTR-SEC-002": HAPI,
    "FTR-SEC-003": ("DbSecret", 126),
    "FTR-PATCH-007": HFN,
    "FTR-LOG-009": HFN,
    "FTR-PATCH-009": HFN,
}
# Everything else (function and implicit-role rules) passes at the hardened function.
PASSES: dict[str, Where] = {
    **{rid: HFN for rid in [*FAILS, *UNKNOWN_ON_TEMPLATE] if rid not in HARDENED_OTHER},
    **HARDENED_OTHER,
}
EXTRA_PASSES: dict[str, Where] = {"FTR-API-005": HHTTP, "FTR-LOG-006": HHTTP}


def _run(name: str) -> list[Finding]:
    return engine.evaluate(
        cloudformation.load(FIXTURES / name, IacOptions()), engine.all_rules(), CONFIG
    )


@pytest.fixture(scope="module")
def vulnerable() -> list[Finding]:
    return _run("vulnerable.yaml")


@pytest.fixture(scope="module")
def hardened() -> list[Finding]:
    return _run("hardened.yaml")


@pytest.mark.parametrize(("rule_id", "where"), sorted(FAILS.items()))
def test_vulnerable_fails(vulnerable: list[Finding], rule_id: str, where: Where) -> None:
    found = at(vulnerable, rule_id, where)
    assert [f.status for f in found] == [Status.FAIL], seen(vulnerable, rule_id)
    assert found[0].resource.file == str(FIXTURES / "vulnerable.yaml")


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
    assert found[0].resource.file == str(FIXTURES / "hardened.yaml")


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


def test_suppression_with_reason_is_honoured(vulnerable: list[Finding]) -> None:
    (finding,) = at(vulnerable, "FTR-API-008", FN)
    assert finding.status is Status.SUPPRESSED
    assert finding.suppression == "concurrency is managed by the account quota"


def test_suppression_without_reason_is_reported_not_honoured(vulnerable: list[Finding]) -> None:
    (finding,) = at(vulnerable, "FTR-LOG-003", FN)
    assert finding.status is Status.FAIL and finding.suppression is None
    assert "in-code suppression ignored: it gives no reason" in finding.message
    assert finding.evidence["ignored_suppression"] == "no reason given"


def test_managed_policy_by_name_judged_by_document(vulnerable: list[Finding]) -> None:
    (wildcard,) = at(vulnerable, "FTR-IAM-002", ROLE)
    assert "AmazonS3FullAccess statement #1: s3:*" in wildcard.message


def test_policy_template_judged_by_its_expansion(tmp_path: Path) -> None:
    """SQSSendMessagePolicy expands (SAM translator data) to sqs:SendMessage*: a wildcard."""
    path = tmp_path / "template.yaml"
    path.write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
        "    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Runtime: python3.12\n      Handler: a.h\n      Policies:\n"
        "        - SQSSendMessagePolicy: {QueueName: jobs}\n"
    )
    findings = engine.evaluate(cloudformation.load(path, IacOptions()), engine.all_rules())
    (wildcard,) = at(findings, "FTR-IAM-002", ("Fn", 3))
    assert wildcard.status is Status.FAIL
    assert "FnRolePolicy0SQSSendMessagePolicy" in wildcard.message
    assert "sqs:SendMessage*" in wildcard.message
