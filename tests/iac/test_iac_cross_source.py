"""Binding acceptance: one application written as SAM, Terraform and Serverless Framework gets
the same verdicts. Per function: the set of (rule id, status) of the rules judging the function
and its execution role must be equal across the three sources."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from fortress.config import ScanConfig
from fortress.findings import Status
from fortress.inventory import Inventory
from fortress.rules import engine
from fortress.sources import cloudformation, serverless, terraform
from fortress.sources.base import IacOptions

CROSS = Path(__file__).parent / "fixtures" / "cross"
CONFIG = ScanConfig(as_of=date(2026, 3, 1))
Verdicts = dict[str, set[tuple[str, str]]]


def _load(source: str) -> Inventory:
    if source == "sam":
        return cloudformation.load(CROSS / "sam" / "template.yaml", IacOptions())
    if source == "terraform":
        return terraform.load(CROSS / "terraform")
    return serverless.load(CROSS / "serverless" / "serverless.yml", IacOptions())


def _per_function(source: str) -> Verdicts:
    inventory = _load(source)
    by_arn = {fn.arn: fn.name for fn in inventory.functions}
    users: dict[str, list[str]] = defaultdict(list)
    for fn in inventory.functions:
        if isinstance(fn.role_arn, str):
            users[fn.role_arn].append(fn.name)
    verdicts: Verdicts = defaultdict(set)
    for finding in engine.evaluate(inventory, engine.all_rules(), CONFIG):
        if finding.resource.type == "AWS::Lambda::Function":
            names = [by_arn[finding.resource.id]]
        elif finding.resource.type == "AWS::IAM::Role":
            names = users[finding.resource.id]
        else:
            continue
        for name in names:
            verdicts[name].add((finding.rule_id, finding.status.value))
    return dict(verdicts)


@pytest.fixture(scope="module")
def sam() -> Verdicts:
    return _per_function("sam")


def _failing(verdicts: Verdicts) -> dict[str, set[str]]:
    return {
        name: {rid for rid, status in pairs if status == Status.FAIL.value}
        for name, pairs in verdicts.items()
    }


def test_the_app_has_real_failures_and_passes(sam: Verdicts) -> None:
    assert set(sam) == {"orders", "worker"}
    failing = _failing(sam)
    # The misconfigurations written into the app, each caught.
    assert {"FTR-API-001", "FTR-IAM-007", "FTR-SEC-001", "FTR-IAM-005"} <= failing["orders"]
    assert {"FTR-PATCH-001", "FTR-EPH-003", "FTR-LOG-003", "FTR-IAM-005"} <= failing["worker"]
    # What the app gets right passes.
    assert ("FTR-LOG-003", "pass") in sam["orders"] and ("FTR-API-008", "pass") in sam["worker"]
    assert ("FTR-LOG-005", "unknown") in sam["orders"]


@pytest.mark.parametrize("other", ["terraform", "serverless"])
def test_same_failing_rule_ids_per_function(sam: Verdicts, other: str) -> None:
    assert _failing(_per_function(other)) == _failing(sam)


@pytest.mark.parametrize("other", ["terraform", "serverless"])
def test_same_rule_statuses_per_function(sam: Verdicts, other: str) -> None:
    assert _per_function(other) == sam
