"""Readers: delivery folders, plain files, arrays, JSON Lines, odd exports, S3, LookupEvents."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import boto3
from botocore.stub import Stubber
from ftr_detection_events import ACCOUNT, iam_user, update_code

from fortress.aws.client import AwsClient, AwsOptions
from fortress.detection import cloudtrail
from fortress.detection.hunt import HuntRequest, hunt


def backdoor() -> dict[str, Any]:
    from ftr_detection_events import event

    return event(
        "AddPermission20150331v2",
        iam_user(),
        request={
            "action": "lambda:InvokeFunction",
            "functionName": "orders",
            "principal": "*",
            "statementId": "b",
        },
    )


def delivery_file(root: Path, records: list[dict[str, Any]], name: str = "a") -> Path:
    folder = root / "AWSLogs" / ACCOUNT / "CloudTrail" / "us-east-1" / "2024" / "08" / "01"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ACCOUNT}_CloudTrail_us-east-1_20240801T1350Z_{name}.json.gz"
    with gzip.open(path, "wt") as fh:
        json.dump({"Records": records}, fh)
    return path


def test_every_file_format_is_read(tmp_path: Path) -> None:
    delivery_file(tmp_path / "logs", [backdoor(), update_code("orders", iam_user())])
    digest = tmp_path / "logs" / "AWSLogs" / ACCOUNT / "CloudTrail-Digest" / "x.json.gz"
    digest.parent.mkdir(parents=True)
    with gzip.open(digest, "wt") as fh:
        json.dump({"awsAccountId": ACCOUNT}, fh)
    (tmp_path / "array.json").write_text(json.dumps([backdoor()]))
    (tmp_path / "lines.jsonl").write_text("\n".join(json.dumps(backdoor()) for _ in range(3)))
    # Athena-style export: lowercase keys, nested fields as JSON strings
    lower = {
        k.lower(): (json.dumps(v) if isinstance(v, dict) else v) for k, v in backdoor().items()
    }
    (tmp_path / "athena.jsonl").write_text(json.dumps(lower) + "\n")
    # pretty-printed single event
    (tmp_path / "one.json").write_text(json.dumps(backdoor(), indent=2))
    files, bad = cloudtrail.discover([str(tmp_path)])
    kinds = sorted(f.kind for f in files)
    assert kinds == ["array", "fallback", "fallback", "jsonl", "records"] and bad == []
    result = hunt(HuntRequest(paths=[str(tmp_path)]))
    assert result.events == 2 + 1 + 3 + 1 + 1 and result.unreadable == []
    backdoors = [d for d in result.detections if d.rule_id == "FTR-DET-001"]
    assert len(backdoors) == 7  # the Athena-style record's JSON-string fields were decoded


def test_unreadable_inputs_are_listed(tmp_path: Path) -> None:
    good = delivery_file(tmp_path, [backdoor()])
    (tmp_path / "broken.json.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    (tmp_path / "text.json").write_text("hello")
    (tmp_path / "empty.json").write_text("")
    (tmp_path / "half.jsonl").write_text(json.dumps(backdoor()) + "\n{not json\n")
    result = hunt(HuntRequest(paths=[str(tmp_path), str(tmp_path / "missing")]))
    reasons = {Path(u["path"]).name: u["reason"] for u in result.unreadable}
    assert set(reasons) == {"broken.json.gz", "text.json", "empty.json", "half.jsonl", "missing"}
    assert "gzip" in reasons["broken.json.gz"] and "empty" in reasons["empty.json"]
    assert result.events == 2 and good.exists()  # the good file and the good line were read


def test_time_window(tmp_path: Path) -> None:
    early, late = backdoor(), backdoor()
    early["eventTime"], late["eventTime"] = "2024-07-01T00:00:00Z", "2024-08-01T00:00:00Z"
    delivery_file(tmp_path, [early, late])
    result = hunt(HuntRequest(paths=[str(tmp_path)], since=dt.datetime(2024, 7, 15)))
    assert result.events == 1
    assert [d.event_ids for d in result.detections] == [[late["eventID"]]]


def test_s3_prefix_on_emulator(aws: str, client: Any, tmp_path: Path) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="trail-bucket")
    local = delivery_file(tmp_path, [backdoor()])
    key = str(local.relative_to(tmp_path))
    s3.upload_file(str(local), "trail-bucket", key)
    s3.put_object(
        Bucket="trail-bucket", Key=f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/d.json.gz", Body=b"ignored"
    )
    aws_client = AwsClient(AwsOptions(endpoint_url=aws, max_attempts=1))
    result = hunt(HuntRequest(s3=["s3://trail-bucket/AWSLogs/"]), aws_client)
    assert result.events == 1 and result.unreadable == [] and result.coverage_gaps == []
    assert [d.rule_id for d in result.detections] == ["FTR-DET-001"]
    missing = hunt(
        HuntRequest(s3=["s3://no-such-bucket/x"]),
        AwsClient(AwsOptions(endpoint_url=aws, max_attempts=1)),
    )
    assert missing.coverage_gaps and missing.coverage_gaps[0]["error_code"] == "NoSuchBucket"


def test_lookup_events_with_stubber(tmp_path: Path) -> None:
    aws_client = AwsClient(AwsOptions())
    ct = boto3.client("cloudtrail", region_name="us-east-1")
    aws_client._clients[("cloudtrail", aws_client.default_region)] = ct
    record = backdoor()
    page = {
        "Events": [
            {
                "EventId": record["eventID"],
                "EventName": record["eventName"],
                "CloudTrailEvent": json.dumps(record),
            }
        ]
    }
    with Stubber(ct) as stub:
        stub.add_response("lookup_events", {**page, "NextToken": "t"}, {})
        stub.add_response("lookup_events", page, {"NextToken": "t"})
        result = hunt(HuntRequest(lookup=True), aws_client)
    assert result.events == 2 and "cloudtrail:LookupEvents" in result.inputs
    assert [d.rule_id for d in result.detections] == ["FTR-DET-001", "FTR-DET-001"]


def test_a_detection_out_of_memory_is_a_gap_and_the_others_run(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """DuckDB cannot spill every join: a detection whose query exceeds --memory-limit is named
    in a coverage gap (the hunt is incomplete) instead of aborting the hunt."""
    import duckdb

    from fortress.detection import hunt as hunt_module

    real = hunt_module.run_detections

    def starved(store: Any, chosen: Any, settings: Any) -> Any:
        if chosen[0].id == "FTR-DET-002":
            raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")
        return real(store, chosen, settings)

    monkeypatch.setattr(hunt_module, "run_detections", starved)
    delivery_file(tmp_path / "logs", [backdoor(), update_code("orders", iam_user())])
    result = hunt(HuntRequest(paths=[str(tmp_path)], memory_limit="256MB"))
    assert [d.rule_id for d in result.detections if d.rule_id == "FTR-DET-001"]
    assert "FTR-DET-002" not in result.rules_run and "FTR-DET-001" in result.rules_run
    (gap,) = [g for g in result.coverage_gaps if g["error_code"] == "OutOfMemory"]
    assert "FTR-DET-002 did not run" in gap["message"] and "256MB" in gap["message"]
