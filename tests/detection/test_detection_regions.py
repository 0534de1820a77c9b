"""FTR-DET-014: Lambda activity in regions outside ``expected_regions`` or never used
before in the data."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from ftr_detection_events import (
    ACCOUNT,
    CLI_UA,
    aws_service,
    ci_role,
    create_function,
    event,
    iam_user,
)
from ftr_detection_hunt import hits

from fortress.detection.hunt import HuntRequest, hunt
from fortress.detection.sql import HuntSettings
from fortress.findings import Severity

EXPECTED = HuntSettings(expected_regions=("us-east-1", "eu-west-1"))


def in_region(record: dict[str, Any], region: str) -> dict[str, Any]:
    record["awsRegion"] = region
    return record


def listing(identity: dict[str, Any], region: str, time: str) -> dict[str, Any]:
    return in_region(event("ListFunctions20150331", identity, read_only=True, time=time), region)


def test_unexpected_region_change_is_high_read_is_medium() -> None:
    recs = [
        in_region(create_function("miner", iam_user(), ua=CLI_UA), "ap-south-1"),
        listing(iam_user(), "ap-south-1", "2024-08-01T14:00:00Z"),
        listing(iam_user("eve", "AKIAEXAMPLEEVE000001"), "sa-east-1", "2024-08-01T14:05:00Z"),
        create_function("orders", ci_role()),  # us-east-1: expected
        in_region(create_function("web", ci_role()), "eu-west-1"),
    ]
    found = hits(recs, "FTR-DET-014", settings=EXPECTED)
    got = sorted((d.region, d.severity.label, len(d.event_ids)) for d in found)
    assert got == [("ap-south-1", "high", 2), ("sa-east-1", "medium", 1)]
    assert all("not in expected_regions" in d.message for d in found)


def test_expected_regions_negatives() -> None:
    recs = [
        create_function("orders", ci_role()),
        # an AWS service and a denied call in another region are not activity there
        in_region(
            event(
                "Invoke",
                aws_service("s3.amazonaws.com"),
                category="Data",
                ip="s3.amazonaws.com",
                request={"functionName": "x"},
            ),
            "ap-south-1",
        ),
        in_region(
            event("CreateFunction20150331", iam_user(), error="AccessDeniedException"),
            "ap-south-1",
        ),
    ]
    assert hits(recs, "FTR-DET-014", settings=EXPECTED) == []


def test_region_never_used_before_in_the_data() -> None:
    recs = [
        listing(ci_role(), "us-east-1", "2024-07-28T09:00:00Z"),
        listing(ci_role(), "us-east-1", "2024-08-01T09:00:00Z"),
        in_region(
            create_function("relay", iam_user(), ua=CLI_UA, time="2024-08-01T10:00:00Z"),
            "eu-north-1",
        ),
        listing(iam_user("eve", "AKIAEXAMPLEEVE000001"), "me-south-1", "2024-08-01T11:00:00Z"),
    ]
    found = hits(recs, "FTR-DET-014")
    got = sorted((d.region, d.severity) for d in found)
    assert got == [("eu-north-1", Severity.MEDIUM), ("me-south-1", Severity.LOW)]
    assert "no Lambda activity in the data before" in found[0].message


def test_no_history_no_region_verdict() -> None:
    """Two regions active from the start (within a day): nothing says one is unusual."""
    recs = [
        listing(ci_role(), "us-east-1", "2024-08-01T09:00:00Z"),
        listing(ci_role(), "eu-west-1", "2024-08-01T15:00:00Z"),
        in_region(create_function("b", ci_role(), time="2024-08-01T16:00:00Z"), "eu-west-1"),
    ]
    assert hits(recs, "FTR-DET-014") == []


def test_region_seen_in_the_look_back_is_not_new(tmp_path: Path) -> None:
    recs = [
        listing(ci_role(), "us-east-1", "2024-07-01T09:00:00Z"),
        listing(ci_role(), "eu-west-1", "2024-07-10T09:00:00Z"),
        listing(ci_role(), "eu-west-1", "2024-08-01T09:00:00Z"),
    ]
    path = tmp_path / "t.json.gz"
    with gzip.open(path, "wt") as fh:
        json.dump({"Records": recs}, fh)
    since = datetime(2024, 8, 1)
    # the look-back shows eu-west-1 in use since July: not new in the window
    result = hunt(HuntRequest(paths=[str(path)], since=since, baseline_days=60))
    assert [d for d in result.detections if d.rule_id == "FTR-DET-014"] == []
    # the whole data: eu-west-1 appeared nine days after us-east-1, reported at its first use
    full = hunt(HuntRequest(paths=[str(path)]))
    found = [d for d in full.detections if d.rule_id == "FTR-DET-014"]
    assert [(d.region, d.severity.label, d.time) for d in found] == [
        ("eu-west-1", "low", "2024-07-10T09:00:00Z")
    ]
    assert ACCOUNT in (found[0].account or "")
