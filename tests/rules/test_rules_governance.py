"""FTR-GOV-001/002 run through the engine."""

from __future__ import annotations

from typing import Any

import pytest

from fortress.config import ScanConfig
from fortress.findings import Finding, Status
from fortress.inventory import PART_TAGS, Function, Inventory, Origin, Trail, Unknown
from fortress.rules import engine

ACCOUNT = "123456789012"
ORIGIN = Origin(source="aws", account=ACCOUNT, region="us-east-1")


def run(rule_id: str, inv: Inventory, config: ScanConfig | None = None) -> list[Finding]:
    import fortress.rules.governance  # noqa: F401

    return engine.evaluate(inv, [engine._REGISTRY[rule_id]], config)


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def trail(name: str = "main", **kw: Any) -> Trail:
    return Trail(
        name=name, arn=f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{name}", origin=ORIGIN, **kw
    )


def account(*trails: Trail) -> Inventory:
    return Inventory(trails=list(trails), accounts=[ACCOUNT], sources=["aws"])


# --------------------------------------------------------------------------- FTR-GOV-001


def test_gov001_passes_with_a_good_multi_region_trail() -> None:
    finding = only(
        run("FTR-GOV-001", account(trail("regional"), trail("org", is_multi_region=True)))
    )
    assert finding.status is Status.PASS
    assert finding.message == "trail org records management events in all regions"


def test_gov001_fails_and_says_why_each_trail_does_not_count() -> None:
    finding = only(
        run(
            "FTR-GOV-001",
            account(
                trail("regional"),
                trail("stopped", is_multi_region=True, is_logging=False),
                trail(
                    "data-only",
                    is_multi_region=True,
                    event_selectors=[{"ReadWriteType": "All", "IncludeManagementEvents": False}],
                ),
                trail(
                    "reads",
                    is_multi_region=True,
                    advanced_event_selectors=[
                        {
                            "FieldSelectors": [
                                {"Field": "eventCategory", "Equals": ["Management"]},
                                {"Field": "readOnly", "Equals": ["true"]},
                            ]
                        }
                    ],
                ),
            ),
        )
    )
    assert finding.status is Status.FAIL
    assert (
        "no multi-region trail records management events in account 123456789012" in finding.message
    )
    for part in (
        "regional: single-region",
        "stopped: logging stopped",
        "data-only: no management events",
        "reads: no management events",
    ):
        assert part in finding.message


def test_gov001_advanced_selectors_with_management_count() -> None:
    good = trail(
        "adv",
        is_multi_region=True,
        include_management_events=False,
        advanced_event_selectors=[
            {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
        ],
    )
    assert only(run("FTR-GOV-001", account(good))).status is Status.PASS


def test_gov001_no_trail_and_unknown() -> None:
    assert only(run("FTR-GOV-001", account())).status is Status.FAIL
    unknown = only(
        run(
            "FTR-GOV-001",
            account(trail(is_multi_region=True, is_logging=Unknown("GetTrailStatus denied"))),
        )
    )
    assert unknown.status is Status.UNKNOWN and "GetTrailStatus denied" in unknown.message


def test_gov001_skipped_on_templates() -> None:
    inv = account(trail())
    inv.scope = "template"
    assert run("FTR-GOV-001", inv) == []


# --------------------------------------------------------------------------- FTR-GOV-002


def fn(tags: Any = None, uncollected: set[str] | None = None) -> Function:
    return Function(
        name="orders",
        arn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders",
        origin=ORIGIN,
        tags={} if tags is None else tags,
        uncollected=uncollected or set(),
    )


@pytest.mark.parametrize(
    ("tags", "required", "expected", "message"),
    [
        ({}, [], Status.FAIL, "function has no tags (aws:* tags do not count)"),
        (
            {"aws:cloudformation:stack-name": "s"},
            [],
            Status.FAIL,
            "function has no tags (aws:* tags do not count)",
        ),
        ({"team": "payments"}, [], Status.PASS, "function has 1 tag"),
        (
            {"owner": "a", "env": ""},
            ["owner", "env", "cost-center"],
            Status.FAIL,
            "missing required tags: env, cost-center",
        ),
        (
            {"owner": "a", "env": "prod"},
            ["owner", "env"],
            Status.PASS,
            "carries all required tags (owner, env)",
        ),
    ],
)
def test_gov002(tags: dict[str, str], required: list[str], expected: Status, message: str) -> None:
    finding = only(
        run("FTR-GOV-002", Inventory(functions=[fn(tags)]), ScanConfig(required_tags=required))
    )
    assert (finding.status, finding.message) == (expected, message)


def test_gov002_unknown_when_tags_not_collected() -> None:
    assert (
        only(run("FTR-GOV-002", Inventory(functions=[fn({}, {PART_TAGS})]))).status
        is Status.UNKNOWN
    )
    assert (
        only(run("FTR-GOV-002", Inventory(functions=[fn(Unknown("module output"))]))).status
        is Status.UNKNOWN
    )
