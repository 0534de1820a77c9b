"""Rule-level on SAM: failing (vulnerable) and passing (hardened) fixtures, lines asserted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from fortress.config import ScanConfig
from fortress.findings import Finding, Status
from fortress.rules import engine
from fortress.sources import cloudformation
from fortress.sources.base import IacOptions

FIXTURES = Path(__file__).parent / "fixtures" / "sam"
CONFIG = ScanConfig(as_of=date(2026, 3, 1))
FN, API = ("OrderFunction", 9), ("ServerlessRestApi", 9)
ROLE = ("OrderFunction", 9)  # the implicit role is reported at the SAM function that makes it
FAILS = {
    "FTR-API-001": FN,
    "FTR-API-002": FN,
    "FTR-API-003": API,
    "FTR-API-005": API,
    "FTR-API-006": API,
    "FTR-API-007": API,
    "FTR-CODE-001": FN,
    "FTR-CODE-002": FN,
    "FTR-EPH-003": FN,
    "FTR-GOV-002": FN,
    "FTR-IAM-002": ROLE,
    "FTR-IAM-003": ROLE,
    "FTR-IAM-004": ROLE,
    "FTR-IAM-007": FN,
    "FTR-LOG-001": FN,
    "FTR-LOG-002": FN,
    "FTR-LOG-004": FN,
    "FTR-LOG-006": API,
    "FTR-NET-001": FN,
    "FTR-PATCH-001": FN,
    "FTR-SEC-001": FN,
}
SUPPRESSED = {"FTR-API-008": FN, "FTR-LOG-003": FN}
HFN, HAPI = ("OrderFunction", 23), ("OrderApi", 9)
PASSES = {
    "FTR-API-001": HFN,
    "FTR-API-002": HFN,
    "FTR-API-003": HAPI,
    "FTR-API-005": HAPI,
    "FTR-API-006": HAPI,
    "FTR-API-008": HFN,
    "FTR-EPH-003": HFN,
    "FTR-GOV-002": HFN,
    "FTR-IAM-007": HFN,
    "FTR-LOG-001": HFN,
    "FTR-LOG-003": HFN,
    "FTR-LOG-006": HAPI,
    "FTR-PATCH-001": HFN,
    "FTR-SEC-001": HFN,
}


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


def _statuses(findings: list[Finding], rule_id: str, where: tuple[str, int]) -> list[Status]:
    return [
        f.status
        for f in findings
        if f.rule_id == rule_id and (f.resource.logical_id, f.resource.line) == where
    ]


@pytest.mark.parametrize(("rule_id", "where"), sorted(FAILS.items()))
def test_vulnerable_fails(vulnerable: list[Finding], rule_id: str, where: tuple[str, int]) -> None:
    assert _statuses(vulnerable, rule_id, where) == [Status.FAIL]


@pytest.mark.parametrize(("rule_id", "where"), sorted(SUPPRESSED.items()))
def test_metadata_suppressions(
    vulnerable: list[Finding], rule_id: str, where: tuple[str, int]
) -> None:
    assert _statuses(vulnerable, rule_id, where) == [Status.SUPPRESSED]
    finding = next(f for f in vulnerable if f.rule_id == rule_id)
    assert finding.suppression  # an empty reason is reported as "(no reason given)"


@pytest.mark.parametrize(("rule_id", "where"), sorted(PASSES.items()))
def test_hardened_passes(hardened: list[Finding], rule_id: str, where: tuple[str, int]) -> None:
    assert _statuses(hardened, rule_id, where) == [Status.PASS]


def test_managed_policy_by_name_judged_by_document(vulnerable: list[Finding]) -> None:
    wildcard = next(f for f in vulnerable if f.rule_id == "FTR-IAM-002")
    assert "s3:*" in wildcard.message or "AmazonS3FullAccess" in wildcard.message
