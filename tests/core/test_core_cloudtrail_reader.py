"""The one Python reader of CloudTrail exports (fortress.cloudtrail), on every shape it takes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from fortress.cloudtrail import files_under, iter_events, iter_file
from fortress.errors import InputError

EVENT = {
    "eventName": "AddPermission20150331v2",
    "eventID": "e1",
    "eventSource": "lambda.amazonaws.com",
}


def test_shapes(tmp_path: Path) -> None:
    delivery = tmp_path / "AWSLogs" / "1" / "CloudTrail" / "us-east-1" / "2026" / "11" / "26"
    delivery.mkdir(parents=True)
    with gzip.open(delivery / "a.json.gz", "wt") as fh:
        json.dump({"Records": [EVENT, {**EVENT, "eventID": "e2"}]}, fh)
    digest = tmp_path / "AWSLogs" / "1" / "CloudTrail-Digest"
    digest.mkdir(parents=True)
    (digest / "d.json.gz").write_bytes(gzip.compress(b'{"digestStartTime": "x"}'))
    (tmp_path / "array.json").write_text(json.dumps([{**EVENT, "eventID": "e3"}]))
    (tmp_path / "pretty.json").write_text(json.dumps({**EVENT, "eventID": "e4"}, indent=2))
    lookup = {
        "Events": [{"EventId": "e5", "CloudTrailEvent": json.dumps({**EVENT, "eventID": "e5"})}]
    }
    (tmp_path / "lookup.json").write_text(json.dumps(lookup))
    athena = {
        "eventname": "UpdateFunctionCode20150331v2",
        "eventid": "e6",
        "requestparameters": '{"functionName": "f"}',
    }
    (tmp_path / "athena.jsonl").write_text(json.dumps(athena) + "\n")

    assert not any("Digest" in str(p) for p in files_under(tmp_path))
    records = {r["eventID"]: r for r in iter_events(tmp_path)}
    assert set(records) == {"e1", "e2", "e3", "e4", "e5", "e6"}
    # lowercase export keys are restored and JSON-text fields decoded
    assert records["e6"]["eventName"] == "UpdateFunctionCode20150331v2"
    assert records["e6"]["requestParameters"] == {"functionName": "f"}


def test_bad_lines_strict_and_lenient(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(EVENT) + "\n{not json\n" + json.dumps({"hello": 1}) + "\n")
    with pytest.raises(InputError) as caught:
        list(iter_file(path))
    assert caught.value.line == 2 and str(path) in str(caught.value)
    lenient = list(iter_file(path, strict=False))
    assert [r["eventID"] if r else None for r in lenient] == ["e1", None, None]


def test_large_array_is_streamed(tmp_path: Path) -> None:
    path = tmp_path / "big.json.gz"
    events = [{**EVENT, "eventID": f"e{i}", "pad": "x" * 500} for i in range(6000)]
    with gzip.open(path, "wt") as fh:
        json.dump({"Records": events}, fh)
    assert sum(1 for _ in iter_file(path)) == 6000


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.json.gz"
    path.write_bytes(b"\x1f\x8bnot really gzip")
    with pytest.raises(InputError) as caught:
        list(iter_file(path))
    assert str(path) in str(caught.value)
