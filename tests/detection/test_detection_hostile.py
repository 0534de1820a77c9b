"""Hostile CloudTrail input: FIFOs, gzip bombs, deep JSON, absurd times, empty or foreign
folders. The hunt never hangs or aborts; what it could not read is listed and exits 3."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ftr_detection_events import ACCOUNT, event, iam_user

from fortress.cli import main
from fortress.cloudtrail import iter_events
from fortress.detection import cloudtrail
from fortress.detection.hunt import HuntRequest, hunt
from fortress.detection.model import HuntResult
from fortress.errors import InputError
from hang_guard import bounded as _bounded


def backdoor(event_id: str, when: str = "2024-08-01T13:50:00Z") -> dict[str, Any]:
    record = event(
        "AddPermission20150331v2",
        iam_user(),
        request={
            "action": "lambda:InvokeFunction",
            "functionName": "orders",
            "principal": "*",
            "statementId": "b",
        },
    )
    record["eventID"] = event_id
    record["eventTime"] = when
    return record


def run_hunt(*paths: Path, sigma: list[str] | None = None) -> HuntResult:
    request = HuntRequest(paths=[str(p) for p in paths], sigma_paths=sigma or [])
    return bounded(lambda: hunt(request))


def detected_ids(result: HuntResult) -> set[str]:
    return {i for d in result.detections for i in d.event_ids}


def test_fifo_in_a_hunt_folder_is_unreadable_not_a_hang(tmp_path: Path) -> None:
    (tmp_path / "good.jsonl").write_text(json.dumps(backdoor("g1")) + "\n")
    os.mkfifo(tmp_path / "trap.json")
    result = run_hunt(tmp_path)
    assert detected_ids(result) == {"g1"}
    assert result.unreadable == [
        {
            "path": str(tmp_path / "trap.json"),
            "reason": "a FIFO (named pipe), not a regular file; not read",
        }
    ]


def test_named_fifo_and_device_are_listed_unreadable(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.json")
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    result = run_hunt(tmp_path / "pipe.json", tmp_path / "zero.json")
    reasons = {u["path"]: u["reason"] for u in result.unreadable}
    assert "FIFO" in reasons[str(tmp_path / "pipe.json")]
    assert "character device" in reasons[str(tmp_path / "zero.json")]


def test_symlink_to_dev_zero_inside_a_folder_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "good.jsonl").write_text(json.dumps(backdoor("g1")) + "\n")
    (tmp_path / "zero.json.gz").symlink_to("/dev/zero")
    result = run_hunt(tmp_path)
    assert detected_ids(result) == {"g1"}
    assert [u["path"] for u in result.unreadable] == [str(tmp_path / "zero.json.gz")]


def test_gzip_bomb_is_unreadable_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small gzip whose one JSON value unpacks past the cap (lowered here to 2 MB so the
    test stays small; the default is 1 GB). The good file is still read."""
    monkeypatch.setenv("FORTRESS_MAX_GUNZIP_MB", "2")
    monkeypatch.setenv("FORTRESS_MAX_JSON_MB", "64")
    (tmp_path / "good.jsonl").write_text(json.dumps(backdoor("g1")) + "\n")
    body = b'{"eventName": "x", "pad": "' + b"A" * (8 * 1024 * 1024) + b'"}\n'
    (tmp_path / "bomb.jsonl.gz").write_bytes(gzip.compress(body))
    assert (tmp_path / "bomb.jsonl.gz").stat().st_size < 100_000
    result = run_hunt(tmp_path)
    assert detected_ids(result) == {"g1"}
    [bad] = result.unreadable
    assert bad["path"] == str(tmp_path / "bomb.jsonl.gz")
    assert "larger than the 2 MB cap" in bad["reason"]


def test_deeply_nested_line_does_not_abort_the_hunt(tmp_path: Path) -> None:
    deep = "[" * 200_000 + "]" * 200_000
    # first line deep: the sniffer and the Python reader see it; only that line is bad
    (tmp_path / "first.jsonl").write_text(
        '{"a": ' * 100_000
        + "1"
        + "}" * 100_000
        + "\n"
        + json.dumps(backdoor("f1"))
        + "\n"
        + json.dumps(backdoor("f2"))
        + "\n"
    )
    # a deep record in a delivery file (DuckDB's reader) and in a pretty-printed Athena-style
    # export (the Python fallback decodes it whole: the file is unreadable, with the reason)
    (tmp_path / "records.json").write_text('{"Records": [' + deep + "]}")
    (tmp_path / "pretty.json").write_text('[\n {"eventname": "x", "deep": ' + deep + "}\n]")
    (tmp_path / "good.jsonl").write_text(json.dumps(backdoor("g1")) + "\n")
    result = run_hunt(tmp_path)
    assert {"f1", "f2", "g1"} <= detected_ids(result)
    reasons = {u["path"]: u["reason"] for u in result.unreadable}
    assert "nested too deeply" in reasons[str(tmp_path / "pretty.json")]
    assert (
        reasons[str(tmp_path / "first.jsonl")] == "1 part(s) are not CloudTrail records (skipped)"
    )


def test_lone_surrogates_do_not_make_a_file_unreadable(tmp_path: Path) -> None:
    """``"\\ud800"`` in a record (valid JSON text, no valid string): DuckDB refused the file
    whole, losing its other records; the character is replaced and every record is read. A
    valid pair (an emoji written as two escapes) is kept as its character."""

    def spelled(record: dict[str, Any], escape: str) -> str:
        text = json.dumps(record)
        return text.replace('"orders"', f'"{escape}orders"', 1)

    (tmp_path / "trail.json").write_text(
        '{"Records": ['
        + spelled(backdoor("s1"), "\\ud800")
        + ", "
        + json.dumps(backdoor("s2"))
        + "]}"
    )
    (tmp_path / "lines.jsonl").write_text(
        spelled(backdoor("s3"), "\\udc80") + "\n" + spelled(backdoor("s4"), "\\ud83d\\ude00") + "\n"
    )
    result = run_hunt(tmp_path)
    assert result.unreadable == []
    assert {"s1", "s2", "s3", "s4"} <= detected_ids(result)


def test_python_reader_counts_a_deep_line_bad_and_reads_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(
        json.dumps(backdoor("a")) + "\n" + "{" * 100_000 + "\n" + json.dumps(backdoor("b"))
    )
    records = list(cloudtrail.iter_fallback(str(path)))
    assert [r["eventID"] if r else None for r in records] == ["a", None, "b"]
    with pytest.raises(InputError, match=r"t\.jsonl:2: bad JSON"):
        list(iter_events(path))


def test_absurd_event_times_are_an_input_problem_not_an_exception(tmp_path: Path) -> None:
    times: list[Any] = [1e30, "1e30", 10**400, -1e308, "2024-13-45T99:99:99Z", True, {"a": 1}]
    records = [backdoor(f"t{i}", when) for i, when in enumerate(times)]  # type: ignore[arg-type]
    records.append(backdoor("ok"))
    folder = tmp_path / "AWSLogs" / ACCOUNT / "CloudTrail" / "us-east-1" / "2024" / "08" / "01"
    folder.mkdir(parents=True)
    with gzip.open(folder / "a.json.gz", "wt") as fh:  # the DuckDB fast path
        fh.write('{"Records": ' + json.dumps(records) + "}")
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r) for r in records))  # slow path
    pretty = tmp_path / "c.json"  # the Python fallback
    pretty.write_text(json.dumps(records, indent=1))
    for path in (tmp_path / "AWSLogs", tmp_path / "b.jsonl", pretty):
        result = run_hunt(path)
        assert result.events == len(records)
        assert detected_ids(result) == {r["eventID"] for r in records}
        [gap] = result.coverage_gaps
        assert gap["error_code"] == "BadEventTime"
        assert gap["message"].startswith(f"{len(times)} event(s)")
    # the forensics reader (Python) yields them, no exception
    assert len(list(iter_events(pretty))) == len(records)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = bounded(lambda: main(["hunt", *argv]))
    return code, capsys.readouterr().err


def test_empty_folder_is_a_gap_and_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _cli(capsys, str(tmp_path))
    assert code == 3
    assert f"unreadable input {tmp_path}: no CloudTrail files in this folder" in err
    assert f"(NoEvents): {tmp_path}: no CloudTrail events were read" in err


def test_non_cloudtrail_folder_is_a_gap_and_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"name": "app", "version": "1.0.0"}))
    (tmp_path / "data.jsonl").write_text('{"id": 1}\n{"id": 2}\n')
    (tmp_path / "README.md").write_text("hello")
    code, err = _cli(capsys, str(tmp_path), "--format", "json")
    assert code == 3
    assert "unreadable input" in err and "package.json" in err and "data.jsonl" in err
    assert "NoEvents" in err


def test_a_clean_trail_still_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = backdoor("x")
    record["eventName"] = "GetFunction20150331v2"
    (tmp_path / "t.jsonl").write_text(json.dumps(record) + "\n")
    code, err = _cli(capsys, str(tmp_path))
    assert (code, err) == (0, "")


def bounded(fn: Callable[[], Any]) -> Any:
    return _bounded(fn, 60, "the hunt")
