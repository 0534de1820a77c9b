"""CloudTrail reading (S3 folders, JSON, JSONL, streaming) and timeline building."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from fortress.errors import InputError
from fortress.forensics.bundle import BundleWriter
from fortress.forensics.cloudtrail import iter_events, iter_function_events
from fortress.forensics.timeline import build_timeline, normalize_event_name, to_csv, to_jsonl

FN = "orders-api"
ARN = f"arn:aws:lambda:us-east-1:123456789012:function:{FN}"


def event(event_id: str, name: str, when: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "eventID": event_id,
        "eventName": name,
        "eventTime": when,
        "eventSource": "lambda.amazonaws.com",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "Boto3/1.34",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/dev"},
        "requestParameters": {"functionName": FN},
    }
    base.update(extra)
    return base


def test_reader_handles_s3_folders_json_arrays_and_jsonl(tmp_path: Path) -> None:
    folder = tmp_path / "AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01"
    folder.mkdir(parents=True)
    with gzip.open(folder / "a.json.gz", "wt") as handle:
        json.dump(
            {"Records": [event("g1", "CreateFunction20150331", "2024-05-01T10:00:00Z")]}, handle
        )
    (tmp_path / "array.json").write_text(
        json.dumps([event("a1", "PublishVersion20150331", "2024-05-01T11:00:00Z")])
    )
    (tmp_path / "lines.jsonl").write_text(
        json.dumps(event("l1", "AddPermission20150331v2", "2024-05-01T12:00:00Z"))
        + "\n\n"
        + json.dumps({"Records": [event("l2", "GetFunction20150331v2", "2024-05-01T12:30:00Z")]})
        + "\n"
    )
    (tmp_path / "notes.txt").write_text("ignored: not a CloudTrail file name")
    assert sorted(e["eventID"] for e in iter_events(tmp_path)) == ["a1", "g1", "l1", "l2"]


def test_reader_streams_large_records_files(tmp_path: Path) -> None:
    padding = "x" * 400
    records = ",".join(
        json.dumps(event(f"e{i}", "Invoke", "2024-05-01T00:00:00Z", note=padding))
        for i in range(6000)
    )
    (tmp_path / "big.json").write_text('{"Records": [' + records + "]}")  # ~5 MB, several chunks
    ids = [e["eventID"] for e in iter_events(tmp_path / "big.json")]
    assert len(ids) == 6000 and ids[-1] == "e5999"


def test_reader_reports_bad_files_with_their_name(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{"Records": [{"eventID": "x"}, {"eventID": ')
    with pytest.raises(InputError, match=r"broken\.json"):
        list(iter_events(tmp_path / "broken.json"))
    with pytest.raises(InputError, match="no such CloudTrail"):
        list(iter_events(tmp_path / "missing"))


def test_function_filter_matches_names_arns_and_window(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    records = [
        event("n", "UpdateFunctionCode20150331v2", "2024-05-01T10:00:00Z"),
        event(
            "arn",
            "UpdateFunctionConfiguration20150331v2",
            "2024-05-01T10:00:00Z",
            requestParameters={"functionName": f"{ARN}:live"},
        ),
        event(
            "other",
            "UpdateFunctionCode20150331v2",
            "2024-05-01T10:00:00Z",
            requestParameters={"functionName": "orders-api-2"},
        ),
        event("old", "UpdateFunctionCode20150331v2", "2023-01-01T10:00:00Z"),
    ]
    (tmp_path / "t.json").write_text(json.dumps({"Records": records}))
    since = datetime(2024, 1, 1, tzinfo=UTC)
    assert [e["eventID"] for e in iter_function_events(tmp_path, FN, since=since)] == ["n", "arn"]


def make_bundle(root: Path) -> Path:
    bundle = BundleWriter(root)
    bundle.add_json(
        "versions/1/function.json",
        {
            "Configuration": {
                "Version": "1",
                "LastModified": "2024-05-01T09:00:00.000+0000",
                "CodeSha256": "A=",
            }
        },
        "test",
    )
    bundle.add_json(
        "versions/LATEST/function.json",
        {
            "Configuration": {
                "Version": "$LATEST",
                "LastModified": "2024-05-01T13:00:00.000+0000",
                "CodeSha256": "B=",
            }
        },
        "test",
    )
    with bundle.stream("cloudtrail/events.jsonl", "test") as writer:
        writer.write_line(
            event(
                "c2",
                "UpdateFunctionCode20150331v2",
                "2024-05-01T12:00:00Z",
                userIdentity={
                    "type": "AssumedRole",
                    "arn": "arn:aws:sts::123456789012:assumed-role/deployer/mallory",
                    "sessionContext": {
                        "sessionIssuer": {"arn": "arn:aws:iam::123456789012:role/deployer"}
                    },
                },
                sourceIPAddress="203.0.113.66",
                userAgent="=HYPERLINK(evil)",
                responseElements={"codeSha256": "B="},
            )
        )
        writer.write_line(event("c1", "CreateFunction20150331", "2024-05-01T08:00:00Z"))
        writer.write_line(event("skip", "GetFunction20150331v2", "2024-05-01T08:30:00Z"))
    with bundle.stream("logs/events.jsonl", "test") as writer:
        writer.write_line(
            {
                "timestamp": 1714557600000 + 5,
                "message": "Task timed out after 3.00 seconds",
                "logStreamName": "2024/05/01/[$LATEST]x",
            }
        )
        writer.write_line(
            {
                "timestamp": 1714557600000,
                "message": "START RequestId: r Version: $LATEST",
                "logStreamName": "s",
            }
        )
        writer.write_line(
            {"timestamp": 1714557600001, "message": "just chatter", "logStreamName": "s"}
        )
    bundle.finalize({"function": {"name": FN, "arn": ARN, "versions": ["$LATEST", "1"]}})
    return root


def test_timeline_orders_sources_and_fills_actor_fields(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b")
    extra = tmp_path / "extra.jsonl"
    extra.write_text(
        json.dumps(
            event(
                "c3",
                "AddPermission20150331v2",
                "2024-05-01T12:30:00Z",
                requestParameters={"functionName": FN, "principal": "*", "statementId": "pub"},
            )
        )
        + "\n"
        + json.dumps(event("c1", "CreateFunction20150331", "2024-05-01T08:00:00Z"))  # duplicate id
        + "\n"
    )
    entries = build_timeline(bundle, [extra])
    assert [(e.source, e.action) for e in entries] == [
        ("cloudtrail", "CreateFunction"),
        ("lambda", "VersionPublished"),
        ("logs", "invocation-start"),
        ("logs", "timeout"),
        ("cloudtrail", "UpdateFunctionCode"),
        ("cloudtrail", "AddPermission"),
        ("lambda", "LatestLastModified"),
    ]
    code = entries[4]
    assert code.principal == "arn:aws:sts::123456789012:assumed-role/deployer/mallory"
    assert code.source_ip == "203.0.113.66" and code.user_agent == "=HYPERLINK(evil)"
    assert "B=" in code.summary
    assert "principal=*" in entries[5].summary
    assert entries[3].version == "$LATEST"

    records = [json.loads(line) for line in to_jsonl(entries)]
    assert records[0]["datetime"] == "2024-05-01T08:00:00Z"
    assert all({"message", "datetime", "timestamp_desc"} <= set(r) for r in records)
    rows = list(csv.DictReader(io.StringIO("".join(to_csv(entries)))))
    assert rows[4]["actor_user_agent"] == "'=HYPERLINK(evil)"  # no spreadsheet formula injection
    assert rows[0]["timestamp_desc"] == "Event Time"


def test_event_names_are_matched_by_prefix() -> None:
    assert normalize_event_name("UpdateFunctionCode20150331v2") == "UpdateFunctionCode"
    assert normalize_event_name("CreateFunctionUrlConfig") == "CreateFunctionUrlConfig"
