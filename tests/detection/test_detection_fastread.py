"""The multi-process delivery-file reader (fortress.detection.fastread) keeps what the
existing path keeps, counts every event, honours the window and hands odd files back."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from ftr_detection_events import ACCOUNT, LAMBDA_UA, aws_service, event, exec_role, iam_user
from test_detection_fastpath import KEY as FASTPATH_KEY
from test_detection_fastpath import _records as fastpath_records

from fortress.detection import cloudtrail, fastread, rules, sql, store
from fortress.detection.hunt import run_detections
from fortress.detection.sql import HuntSettings
from fortress.detection.store import EventStore


def _mixed(n: int) -> list[dict[str, Any]]:
    """Routine traffic plus events each detection path cares about."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        key = f"ASIAFASTREAD{i % 3:08d}"
        t = f"2024-08-0{1 + i % 3}T10:00:{i % 60:02d}Z"
        out += [
            event("GetObject", exec_role("orders", key), source="s3.amazonaws.com", ua=LAMBDA_UA),
            event(
                "Invoke",
                aws_service("apigateway.amazonaws.com"),
                ip="apigateway.amazonaws.com",
                ua="apigateway.amazonaws.com",
                category="Data",
                time=t,
                request={"functionName": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f{i}"},
            ),
            event("GetFunction20150331v2", iam_user(), request={"functionName": f"f{i}"}, time=t),
            event("PutItem", exec_role("orders", key), source="dynamodb.amazonaws.com", time=t),
            event("ListBuckets", iam_user(), source="s3.amazonaws.com", error="AccessDenied"),
        ]
    out.append(
        event(
            "AddPermission20150331v2",
            iam_user(),
            request={"action": "lambda:InvokeFunction", "functionName": "f1", "principal": "*"},
        )
    )
    return out


def _write(folder: Path, records: list[dict[str, Any]], name: str, gz: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = (
        folder / f"{ACCOUNT}_CloudTrail_us-east-1_20240801T1350Z_{name}.json{'.gz' if gz else ''}"
    )
    data = json.dumps({"Records": records}).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _snapshot(st: EventStore) -> tuple[Any, ...]:
    events = st.query("SELECT * EXCLUDE (ui, rp, re, aed, resources) FROM events ORDER BY event_id")
    keys = st.query(f"SELECT DISTINCT k FROM {sql.LAMBDA_UA_KEYS} ORDER BY k")
    names = st.query(f"SELECT DISTINCT n FROM {sql.LAMBDA_FUNCTION_NAMES} ORDER BY n")
    return st.scanned, events, keys, names, sorted(map(str, st.unreadable))


def _load(files: list[cloudtrail.InputFile], fast: bool, **window: Any) -> tuple[Any, ...]:
    with EventStore(prefilter=True, fast_reader=fast) as st:
        st.load(files, **window)
        return _snapshot(st)


def test_mirrors_of_sql_constants() -> None:
    assert frozenset(sql.DETECTION_SOURCES) == fastread.DETECTION_SOURCES
    assert frozenset(sql.INVOKE_ACTIONS) == fastread.INVOKE_ACTIONS


def test_pool_keeps_what_the_existing_path_keeps(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(store, "MIN_FILES_FOR_POOL", 2)
    monkeypatch.setattr(store, "NDJSON_BATCH_FILES", 2)  # several DuckDB batches
    for i in range(5):
        _write(tmp_path, _mixed(6 + i), f"p{i}", gz=i != 3)
    files, bad = cloudtrail.discover([str(tmp_path)])
    assert bad == [] and len(files) == 5
    fast, old = _load(files, True), _load(files, False)
    assert fast == old
    scanned, events, keys, names, _ = fast
    assert scanned == sum(len(_mixed(6 + i)) for i in range(5))
    # invocations and Lambda-runtime calls are counted, not stored; they feed the side tables
    assert not any(e["event_name"] in ("Invoke", "GetObject") for e in events)
    assert {k["k"] for k in keys} == {f"ASIAFASTREAD{i:08d}" for i in range(3)}
    assert {n["n"] for n in names} >= {"f0", "f9"}


def test_window_and_counts_match(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(store, "MIN_FILES_FOR_POOL", 2)
    for i in range(3):
        _write(tmp_path, _mixed(20), f"w{i}")
    files, _ = cloudtrail.discover([str(tmp_path)])
    window = {"since": datetime(2024, 8, 2), "until": datetime(2024, 8, 2, 23, 59, 59)}
    fast, old = _load(files, True, **window), _load(files, False, **window)
    assert fast == old
    inside = sum(1 for r in _mixed(20) if r["eventTime"].startswith("2024-08-02"))
    assert 0 < fast[0] == 3 * inside < 3 * len(_mixed(20))


def test_odd_and_unreadable_files_take_the_existing_path(tmp_path: Path) -> None:
    good = _write(tmp_path, _mixed(3), "good")
    odd_recs = _mixed(2)
    odd_recs[0]["userIdentity"] = json.dumps(odd_recs[0]["userIdentity"])  # a string
    odd = _write(tmp_path, odd_recs, "odd")
    broken = _write(tmp_path, _mixed(1), "broken")
    broken.write_bytes(gzip.compress(b'{"Records": [{"eventName": "x"}, {broken'))
    assert fastread.worker_read((str(good), None, None)) is not None
    assert fastread.worker_read((str(odd), None, None)) is None
    assert fastread.worker_read((str(broken), None, None)) is None
    files, _ = cloudtrail.discover([str(tmp_path)])
    with EventStore(prefilter=True, fast_reader=True) as st:
        st.load(files)
        assert st.scanned == len(_mixed(3)) + len(odd_recs)
        assert [u["path"] for u in st.unreadable] == [str(broken)]
        found = {d.rule_id for d in run_detections(st, rules.DETECTIONS, HuntSettings())}
    assert "FTR-DET-001" in found


def test_without_isal_the_result_is_the_same(tmp_path: Path, monkeypatch: Any) -> None:
    path = str(_write(tmp_path, _mixed(8), "acc"))
    fast = fastread.read_file(path)
    monkeypatch.setattr(fastread, "_igzip", None)
    plain = fastread.read_file(path)
    assert (plain.scanned, plain.kept, plain.lambda_keys, plain.function_raws, plain.ndjson) == (
        fast.scanned,
        fast.kept,
        fast.lambda_keys,
        fast.function_raws,
        fast.ndjson,
    )
    assert fast.kept == len(fast.ndjson.splitlines()) > 0


def test_without_msgspec_files_take_the_duckdb_path(tmp_path: Path, monkeypatch: Any) -> None:
    path = _write(tmp_path, _mixed(8), "nomsgspec")
    files, _ = cloudtrail.discover([str(tmp_path)])
    expected = _load(files, False)
    monkeypatch.setattr(fastread, "_msgspec", None)
    assert fastread.worker_read((str(path), None, None)) is None
    assert _load(files, True) == expected


def test_decompression_is_capped(tmp_path: Path, monkeypatch: Any) -> None:
    path = _write(tmp_path, _mixed(4), "big")
    monkeypatch.setattr(fastread, "MAX_BYTES", 1000)
    with pytest.raises(fastread.OddFile, match="limit"):
        fastread.read_file(str(path))
    monkeypatch.setattr(fastread, "ONE_SHOT_BYTES", 0)  # the streaming path
    with pytest.raises(fastread.OddFile, match="limit"):
        fastread.read_file(str(path))


def _escaped(text: str) -> str:
    """``text`` with every letter written as a ``\\uXXXX`` escape (the same JSON string)."""
    return "".join(f"\\u{ord(c):04x}" if c.isalpha() else c for c in text)


def test_escapes_mixed_sources_and_quiet_files_match_the_full_parse(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """The byte-level test of a file (a detection source's host name in quotes, an
    ``"errorCode"``, ``AssumedRole``, else only counted) stays a superset: escaped names
    are decoded before the filter; a file with nothing a detection reads is counted only;
    a pretty-printed file gives one NDJSON line per record."""
    quiet = [
        event("GetObject", iam_user(), source="s3.amazonaws.com", ip="198.51.100.9")
        for _ in range(7)
    ]
    _write(tmp_path, quiet, "quiet")
    # a Lambda-runtime call and 20 more with its key, a backdoor, the key used outside Lambda
    records = fastpath_records()
    runtime, backdoor, stolen = records[0], records[-2], records[-1]
    denied = event("ListBuckets", iam_user(), source="s3.amazonaws.com", error="AccessDenied")
    text = json.dumps({"Records": [*records, denied, *quiet]})
    # the host name, the identity types and the error key spelled with escapes only
    for plain in ("lambda.amazonaws.com", "AssumedRole", "errorCode"):
        text = text.replace(f'"{plain}"', f'"{_escaped(plain)}"')
    assert "AssumedRole" not in text and "lambda.amazonaws.com" not in text
    folder = tmp_path / "escaped"
    folder.mkdir()
    (folder / f"{ACCOUNT}_CloudTrail_us-east-1_20240801T1350Z_esc.json.gz").write_bytes(
        gzip.compress(text.encode())
    )
    pretty = tmp_path / "pretty"
    pretty.mkdir()
    (pretty / f"{ACCOUNT}_CloudTrail_us-east-1_20240801T1350Z_pretty.json").write_text(
        json.dumps({"Records": [backdoor, runtime, stolen]}, indent=2)
    )
    files, bad = cloudtrail.discover([str(tmp_path)])
    assert bad == [] and len(files) == 3 and {f.kind for f in files} == {"records"}
    by_name = {Path(f.path).name.rsplit("_", 1)[1]: f.path for f in files}
    with monkeypatch.context() as m:  # the quiet file is counted without decoding a field

        def no_decode(data: bytes) -> Any:
            raise AssertionError("decoded")

        m.setattr(fastread, "_DECODE_HEADS", no_decode)
        quiet_result = fastread.read_file(by_name["quiet.json.gz"])
    assert (quiet_result.scanned, quiet_result.kept, quiet_result.ndjson) == (7, 0, b"")
    assert fastread.read_file(by_name["esc.json.gz"]).kept == 3  # backdoor, stolen, denied
    assert len(fastread.read_file(by_name["pretty.json"]).ndjson.splitlines()) == 2
    fast, old = _load(files, True), _load(files, False)
    assert fast == old
    assert fast[0] == 7 + len(records) + 1 + 7 + 3
    assert {k["k"] for k in fast[2]} == {FASTPATH_KEY}
    settings = HuntSettings()
    found = []
    for reader in (True, False):
        with EventStore(settings, prefilter=True, fast_reader=reader) as st:
            st.load(files)
            found.append(sorted(d.rule_id for d in run_detections(st, rules.DETECTIONS, settings)))
    assert found[0] == found[1]
    assert {"FTR-DET-001", "FTR-DET-007"} <= set(found[0])


@pytest.mark.parametrize(
    "body",
    [
        b'{"Records": [1, 2]}',  # records that are not objects, in a file the byte test skips
        b'{"Records": [{"eventSource": "iam.amazonaws.com", "userIdentity": "x"}]}',
        b'{"Records": [{"eventSource": "lambda.amazonaws.com", "eventName": "Invoke", '
        b'"userIdentity": {"type": "AWSService", "invokedBy": "s3.amazonaws.com", '
        b'"sessionContext": "odd"}}]}',
        b'{"Records": {"eventSource": "iam.amazonaws.com"}}',
        # a list where a string belongs: not hashable in the hot loop (found by the fuzz suite)
        b'{"Records": [{"eventSource": ["lambda.amazonaws.com"], "eventName": "x"}]}',
        b'{"Records": [{"eventSource": {"a": 1}, "errorCode": "x"}]}',
    ],
)
def test_a_file_the_reader_cannot_handle_takes_the_duckdb_path(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / f"{ACCOUNT}_CloudTrail_us-east-1_20240801T1350Z_odd.json.gz"
    path.write_bytes(gzip.compress(body))
    with pytest.raises(fastread.OddFile):
        fastread.read_file(str(path))
    assert fastread.worker_read((str(path), None, None)) is None
    files, _ = cloudtrail.discover([str(tmp_path)])
    assert _load(files, True) == _load(files, False)


def test_workers_keep_freed_heap_unless_the_user_tuned_malloc(monkeypatch: Any) -> None:
    """Workers run with glibc's trim threshold raised (re-faulting each file's freed heap
    cost ~30% of their time); a value the user set is kept."""

    def environ(worker: Any) -> dict[str, str]:
        worker.send("/nonexistent.json.gz", None, None)
        assert worker.receive("/nonexistent.json.gz") is None  # answered: it runs our code
        raw = Path(f"/proc/{worker.proc.pid}/environ").read_bytes()
        return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)

    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    worker = fastread._Worker()
    try:
        assert environ(worker)["MALLOC_TRIM_THRESHOLD_"] == str(1 << 30)
    finally:
        worker.close()
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    worker = fastread._Worker()
    try:
        assert environ(worker)["MALLOC_TRIM_THRESHOLD_"] == "131072"
    finally:
        worker.close()
