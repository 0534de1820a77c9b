"""The deployer baseline: who usually changes functions, from the same data, a look-back
before the hunt window (``--baseline-days``, also through LookupEvents) and ``deployers:``
patterns; with no history at all the unusual-principal detections say so at medium."""

from __future__ import annotations

import argparse
import fnmatch
import gzip
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from ftr_detection_events import (
    ACCOUNT,
    CI_UA,
    CLI_UA,
    assumed_role,
    ci_role,
    create_function,
    event,
    fn_arn,
    iam_user,
    update_code,
)
from ftr_detection_hunt import hits

from fortress.aws.client import AwsClient, AwsOptions
from fortress.cli import hunt as hunt_cli
from fortress.detection.hunt import HuntRequest, hunt
from fortress.detection.ruledefs import NO_HISTORY, fnmatch_regex
from fortress.detection.sql import HuntSettings
from fortress.errors import FortressError
from fortress.findings import Severity

BOT = iam_user("deploy-bot", "AKIAEXAMPLEDEPLOYBOT")  # CI with IAM user keys and the CLI


def _ci_role(name: str) -> dict[str, Any]:
    return assumed_role(name, "session-1", "ASIAEXAMPLEPIPE00001")


# ---------------------------------------------------------------- no history


def test_no_history_is_medium_with_the_reason() -> None:
    """The CI/CD false positive: an IAM-user pipeline's first update in the data."""
    found = hits([update_code("orders", BOT, ua=CLI_UA)], "FTR-DET-005")
    assert [d.severity for d in found] == [Severity.MEDIUM]
    assert NO_HISTORY in found[0].message


def test_history_of_the_function_keeps_high() -> None:
    recs = [
        create_function("orders", ci_role(), time="2024-08-01T10:00:00Z"),
        update_code("orders", BOT, ua=CLI_UA),
    ]
    assert [d.severity for d in hits(recs, "FTR-DET-005")] == [Severity.HIGH]


def test_principal_with_own_history_is_a_known_deployer() -> None:
    recs = [
        update_code("orders", BOT, ua=CLI_UA, time="2024-08-01T10:00:00Z"),
        update_code("orders", BOT, ua=CLI_UA, time="2024-08-01T11:00:00Z"),
        update_code("orders", BOT, ua=CLI_UA, time="2024-08-01T12:00:00Z"),
    ]
    found = hits(recs, "FTR-DET-005")
    assert [d.event_ids for d in found] == [[recs[0]["eventID"]]]


# ---------------------------------------------------------------- deployers: patterns


@pytest.mark.parametrize(
    ("pattern", "skipped"),
    [
        (f"arn:aws:iam::{ACCOUNT}:user/deploy-bot", True),
        ("arn:aws:iam::*:user/deploy-*", True),
        ("arn:aws:iam::*:user/deploy-b?t", True),
        ("arn:aws:iam::*:user/deploy-[a-c]ot", True),
        ("arn:aws:iam::*:user/deploy-[!b]ot", False),
        ("arn:aws:iam::*:user/other", False),
        ("deploy-bot", False),  # a pattern matches whole ARNs, not parts
    ],
)
def test_configured_deployers(pattern: str, skipped: bool) -> None:
    recs = [
        create_function("orders", ci_role(), time="2024-08-01T10:00:00Z"),
        update_code("orders", BOT, ua=CLI_UA),
    ]
    settings = HuntSettings(deployers=(pattern,))
    found = hits(recs, "FTR-DET-005", settings=settings)
    assert (found == []) is skipped


def test_deployer_role_pattern_matches_every_session() -> None:
    """CloudFormation's service role or a CI role: the role's ARN (sessions vary)."""
    pipeline = _ci_role("cfn-exec-role")
    recs = [
        create_function("orders", ci_role(), time="2024-08-01T10:00:00Z"),
        update_code("orders", pipeline, ua="Boto3/1.34"),
        event(
            "CreateEventSourceMapping20150331",
            {**iam_user("ops"), "arn": f"arn:aws:iam::{ACCOUNT}:user/ops"},
            request={"functionName": "orders", "eventSourceArn": "arn:aws:sqs:us-east-1:1:q"},
        ),
    ]
    unset = hits(recs, "FTR-DET-005") + hits(recs, "FTR-DET-009")
    assert sorted(d.rule_id for d in unset) == ["FTR-DET-005", "FTR-DET-009"]
    settings = HuntSettings(deployers=("arn:aws:iam::*:role/cfn-*", "*:user/ops"))
    assert hits(recs, "FTR-DET-005", settings=settings) == []
    assert hits(recs, "FTR-DET-009", settings=settings) == []


def test_deployers_in_other_unusual_principal_detections() -> None:
    recs = [
        create_function("orders", ci_role(), time="2024-08-01T10:00:00Z"),
        event(
            "PutFunctionConcurrency20171031",
            BOT,
            request={"functionName": "orders", "reservedConcurrentExecutions": 0},
        ),
        event("DeleteFunction20150331", iam_user("ops2"), request={"functionName": "orders"}),
    ]
    assert sorted(d.severity.label for d in hits(recs, "FTR-DET-013")) == ["high", "medium"]
    settings = HuntSettings(deployers=("*:user/deploy-bot", "*:user/ops2"))
    # a known deployer's kill switch is still worth a line (low); its deletion is routine
    found = hits(recs, "FTR-DET-013", settings=settings)
    assert [(d.event_name, d.severity) for d in found] == [
        ("PutFunctionConcurrency20171031", Severity.LOW)
    ]


def test_escalation_skips_configured_deployers() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/worker"
    recs = [
        create_function("w", BOT, ua=CLI_UA, role=role, time="2024-08-01T14:00:00Z"),
        event(
            "Invoke",
            BOT,
            request={"functionName": fn_arn("w")},
            category="Data",
            time="2024-08-01T14:01:00Z",
        ),
    ]
    assert len(hits(recs, "FTR-DET-006")) == 1
    settings = HuntSettings(deployers=("*:user/deploy-bot",))
    assert hits(recs, "FTR-DET-006", settings=settings) == []


@pytest.mark.parametrize(
    "pattern", ["*", "a*b", "arn:aws:iam::*:role/x-?", "[ab]c", "[!a]b", "a.b+c", "x[", "[]]"]
)
def test_fnmatch_regex_agrees_with_fnmatch(pattern: str) -> None:
    import re

    regex = re.compile(fnmatch_regex(pattern))
    for name in [
        "",
        "ab",
        "aXb",
        "a.b+c",
        "axb+c",
        "bc",
        "cb",
        "ab",
        "arn:aws:iam::1:role/x-1",
        "x[",
        "]",
    ]:
        assert bool(regex.match(name)) is fnmatch.fnmatchcase(name, pattern), (pattern, name)


# ---------------------------------------------------------------- look-back


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    with gzip.open(path, "wt") as fh:
        json.dump({"Records": records}, fh)
    return path


def _lookback_records() -> list[dict[str, Any]]:
    backdoor = event(
        "AddPermission20150331v2",
        iam_user(),
        time="2024-07-20T09:00:00Z",  # before the window: history, never reported
        request={"functionName": "orders", "principal": "*", "action": "lambda:InvokeFunction"},
    )
    return [
        create_function("orders", ci_role(), time="2024-07-15T09:00:00Z"),
        update_code("orders", BOT, ua=CLI_UA, time="2024-07-20T10:00:00Z"),
        backdoor,
        update_code("orders", BOT, ua=CLI_UA, time="2024-08-01T10:00:00Z"),
        update_code(
            "orders",
            iam_user("eve", "AKIAEXAMPLEEVE000001"),
            ua=CLI_UA,
            time="2024-08-01T11:00:00Z",
        ),
    ]


def test_baseline_days_reads_history_before_the_window(tmp_path: Path) -> None:
    path = _write(tmp_path / "trail.json.gz", _lookback_records())
    since = datetime(2024, 8, 1)
    without = hunt(HuntRequest(paths=[str(path)], since=since))
    found = [(d.principal, d.severity.label) for d in without.detections]
    # the window alone holds no history of the bot (medium, saying so); eve comes after it
    assert sorted(found) == [
        (f"arn:aws:iam::{ACCOUNT}:user/deploy-bot", "medium"),
        (f"arn:aws:iam::{ACCOUNT}:user/eve", "high"),
    ]
    assert NO_HISTORY in without.detections[0].message
    assert without.baseline is None
    with_baseline = hunt(HuntRequest(paths=[str(path)], since=since, baseline_days=30))
    found = [(d.rule_id, d.principal, d.severity.label) for d in with_baseline.detections]
    # the bot deployed before the window; eve never did while others did: high; the
    # backdoor of July is history, not a detection of this window
    assert found == [("FTR-DET-005", f"arn:aws:iam::{ACCOUNT}:user/eve", "high")]
    assert with_baseline.baseline == {
        "since": "2024-07-02T00:00:00Z",
        "window_start": "2024-08-01T00:00:00Z",
        "days": 30,
        "events_before_window": 3,
    }
    assert with_baseline.to_dict()["baseline"]["days"] == 30


def test_baseline_days_needs_since() -> None:
    with pytest.raises(FortressError, match="needs --since"):
        hunt(HuntRequest(paths=["x"], baseline_days=7))


def test_baseline_through_lookup_events() -> None:
    """With --lookup, LookupEvents is asked from the start of the look-back."""
    aws_client = AwsClient(AwsOptions())
    ct = boto3.client("cloudtrail", region_name="us-east-1")
    aws_client._clients[("cloudtrail", aws_client.default_region)] = ct
    page = {
        "Events": [
            {"EventId": r["eventID"], "EventName": r["eventName"], "CloudTrailEvent": json.dumps(r)}
            for r in _lookback_records()
        ]
    }
    since = datetime(2024, 8, 1)
    with Stubber(ct) as stub:
        # the call must ask from the look-back's start (the stub checks the parameters)
        stub.add_response("lookup_events", page, {"StartTime": datetime(2024, 7, 2)})
        result = hunt(HuntRequest(lookup=True, since=since, baseline_days=30), aws_client)
        stub.assert_no_pending_responses()
    assert [d.principal for d in result.detections] == [f"arn:aws:iam::{ACCOUNT}:user/eve"]
    assert result.baseline and result.baseline["events_before_window"] == 3


# ---------------------------------------------------------------- the command


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="fortress")
    hunt_cli.register(parser.add_subparsers())
    ns = parser.parse_args(argv)
    return int(ns.func(ns))


def test_cli_reads_deployers_from_fortress_yaml(tmp_path: Path, capsys: Any) -> None:
    trail = tmp_path / "trail"
    trail.mkdir()
    recs = [
        create_function("orders", ci_role(), time="2024-08-01T10:00:00Z", ua=CI_UA),
        update_code("orders", BOT, ua=CLI_UA),
    ]
    path = _write(trail / "t.json.gz", recs)
    out = tmp_path / "out.json"
    assert (
        run_cli(["hunt", str(path), "--no-config", "--format", "json", "--output", str(out)]) == 1
    )
    assert [d["rule_id"] for d in json.loads(out.read_text())["detections"]] == ["FTR-DET-005"]
    (tmp_path / ".fortress.yaml").write_text(
        "version: 1\ndeployers:\n  - arn:aws:iam::*:user/deploy-*\n"
    )
    assert run_cli(["hunt", str(path), "--format", "json", "--output", str(out)]) == 0
    assert json.loads(out.read_text())["detections"] == []
    # the same from the command line, with the file ignored
    code = run_cli(
        ["hunt", str(path), "--no-config", "--deployer", "*:user/deploy-bot", "--format", "json"]
    )
    assert code == 0
    capsys.readouterr()
    with pytest.raises(FortressError, match="needs --since"):
        run_cli(["hunt", str(path), "--baseline-days", "3"])
    with pytest.raises(FortressError, match="region name"):
        run_cli(["hunt", str(path), "--expected-region", "mars"])
