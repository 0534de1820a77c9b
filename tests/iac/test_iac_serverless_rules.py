"""Rule-level on Serverless Framework: vulnerable and hardened services, lines asserted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from fortress.config import ScanConfig
from fortress.findings import Finding, Status
from fortress.rules import engine
from fortress.sources import serverless
from fortress.sources.base import IacOptions

FIXTURES = Path(__file__).parent / "fixtures" / "serverless"
CONFIG = ScanConfig(as_of=date(2026, 3, 1))
CONVERT, ADMIN = ("ConvertLambdaFunction", 23), ("AdminLambdaFunction", 36)
ROLE, REST, HTTP = ("IamRoleLambdaExecution", 14), ("ApiGatewayRestApi", 5), ("HttpApi", 5)
FAILS = {
    "FTR-API-001": CONVERT,
    "FTR-API-003": REST,
    "FTR-API-004": HTTP,
    "FTR-API-005": REST,
    "FTR-API-006": REST,
    "FTR-API-007": REST,
    "FTR-API-008": ADMIN,
    "FTR-CODE-001": CONVERT,
    "FTR-CODE-002": CONVERT,
    "FTR-EPH-003": CONVERT,
    "FTR-GOV-002": CONVERT,
    "FTR-IAM-002": ROLE,
    "FTR-IAM-003": ROLE,
    "FTR-IAM-005": ROLE,
    "FTR-IAM-007": CONVERT,
    "FTR-LOG-002": CONVERT,
    "FTR-LOG-003": CONVERT,
    "FTR-LOG-006": REST,
    "FTR-NET-001": CONVERT,
    "FTR-PATCH-001": CONVERT,
    "FTR-SEC-001": CONVERT,
}
LIST, HROLE, HREST = (
    ("ListLambdaFunction", 22),
    ("IamRoleLambdaExecution", 15),
    ("ApiGatewayRestApi", 12),
)
PASSES = {
    "FTR-API-003": HREST,
    "FTR-API-005": HREST,
    "FTR-API-008": LIST,
    "FTR-CODE-002": LIST,
    "FTR-EPH-003": LIST,
    "FTR-IAM-001": HROLE,
    "FTR-IAM-002": HROLE,
    "FTR-IAM-003": HROLE,
    "FTR-IAM-004": HROLE,
    "FTR-IAM-005": HROLE,
    "FTR-IAM-007": LIST,
    "FTR-LOG-001": LIST,
    "FTR-LOG-003": LIST,
    "FTR-LOG-006": HREST,
    "FTR-PATCH-001": LIST,
    "FTR-SEC-001": LIST,
}


@pytest.fixture(scope="module")
def vulnerable() -> list[Finding]:
    return engine.evaluate(
        serverless.load(FIXTURES / "serverless.yml", IacOptions()), engine.all_rules(), CONFIG
    )


@pytest.fixture(scope="module")
def hardened() -> list[Finding]:
    inv = serverless.load(FIXTURES / "hardened" / "serverless.yml", IacOptions())
    return engine.evaluate(inv, engine.all_rules(), CONFIG)


def _statuses(findings: list[Finding], rule_id: str, where: tuple[str, int]) -> list[Status]:
    return [
        f.status
        for f in findings
        if f.rule_id == rule_id and (f.resource.logical_id, f.resource.line) == where
    ]


@pytest.mark.parametrize(("rule_id", "where"), sorted(FAILS.items()))
def test_vulnerable_fails(vulnerable: list[Finding], rule_id: str, where: tuple[str, int]) -> None:
    assert _statuses(vulnerable, rule_id, where) == [Status.FAIL]


@pytest.mark.parametrize(("rule_id", "where"), sorted(PASSES.items()))
def test_passes(
    vulnerable: list[Finding], hardened: list[Finding], rule_id: str, where: tuple[str, int]
) -> None:
    findings = vulnerable if where == ADMIN else hardened
    assert _statuses(findings, rule_id, where) == [Status.PASS]


def test_function_level_suppression(vulnerable: list[Finding]) -> None:
    assert _statuses(vulnerable, "FTR-API-008", CONVERT) == [Status.SUPPRESSED]
