"""The fast load path (delivery files parsed once, prefiltered) loses no detection."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from ftr_detection_events import ACCOUNT, LAMBDA_UA, aws_service, event, exec_role, iam_user

from fortress.detection import cloudtrail, rules, store
from fortress.detection.hunt import HuntRequest, hunt, run_detections
from fortress.detection.sql import HuntSettings
from fortress.detection.store import EventStore

KEY = "ASIAFASTPATHKEY00001"


def _records() -> list[dict[str, Any]]:
    # the Lambda-runtime call is dropped by the prefilter, but its access key must still mark
    # the session, so that the same key used with a CLI user agent is FTR-DET-007
    runtime = event("GetObject", exec_role("orders", KEY), source="s3.amazonaws.com", ua=LAMBDA_UA)
    stolen = event(
        "ListBuckets",
        exec_role("orders", KEY),
        source="s3.amazonaws.com",
        ip="198.51.100.7",
        ua="aws-cli/2.15.30 Python/3.11",
    )
    noise = [
        event("PutItem", exec_role("orders", KEY), source="dynamodb.amazonaws.com", ua=LAMBDA_UA)
        for _ in range(20)
    ]
    backdoor = event(
        "AddPermission20150331v2",
        iam_user(),
        request={"action": "lambda:InvokeFunction", "functionName": "orders", "principal": "*"},
    )
    return [runtime, *noise, backdoor, stolen]


def _write(root: Path, records: list[dict[str, Any]], name: str, gz: bool = True) -> Path:
    folder = root / "AWSLogs" / ACCOUNT / "CloudTrail" / "us-east-1" / "2024" / "08" / "01"
    folder.mkdir(parents=True, exist_ok=True)
    path = (
        folder / f"{ACCOUNT}_CloudTrail_us-east-1_20240801T1350Z_{name}.json{'.gz' if gz else ''}"
    )
    text = json.dumps({"Records": records})
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def _ids(found: list[Any]) -> list[tuple[str, str]]:
    return sorted((d.rule_id, d.severity.label) for d in found)


def test_fast_path_equals_full_store(tmp_path: Path) -> None:
    recs = _records()
    _write(tmp_path, recs[:10], "a")
    _write(tmp_path, recs[10:], "b", gz=False)
    files, bad = cloudtrail.discover([str(tmp_path)])
    assert bad == [] and {f.kind for f in files} == {"records"}
    settings = HuntSettings()
    with EventStore(settings, prefilter=True) as fast:
        fast.load(files)
        assert fast.scanned == len(recs)
        assert fast.count() == 2  # the backdoor and the stolen-key call; the rest dropped
        got = run_detections(fast, rules.DETECTIONS, settings)
    with EventStore(settings) as full:
        assert full.load_records(recs) == len(recs)
        want = run_detections(full, rules.DETECTIONS, settings)
    assert _ids(got) == _ids(want)
    assert ("FTR-DET-007", "high") in _ids(got) and ("FTR-DET-001", "high") in _ids(got)


def test_hunt_counts_every_event_and_keeps_all_for_sigma(tmp_path: Path) -> None:
    recs = _records()
    _write(tmp_path, recs, "a")
    result = hunt(HuntRequest(paths=[str(tmp_path)]))
    assert result.events == len(recs) and result.unreadable == []
    assert {d.rule_id for d in result.detections} == {"FTR-DET-001", "FTR-DET-007"}
    files, _ = cloudtrail.discover([str(tmp_path)])
    with EventStore() as full:  # no prefilter: every event stays queryable
        full.load(files)
        assert full.count() == full.scanned == len(recs)


def test_bad_file_in_a_fast_batch_is_named(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(store, "FAST_BATCH_FILES", 8)
    for i in range(5):
        _write(tmp_path, _records(), f"ok{i}")
    broken = _write(tmp_path, _records(), "zz")
    broken.write_bytes(gzip.compress(b'{"Records": [{"eventName": "x"}, {broken'))
    files, _ = cloudtrail.discover([str(tmp_path)])
    with EventStore(prefilter=True) as st:
        st.load(files)
        assert st.scanned == 5 * len(_records())
        assert [u["path"] for u in st.unreadable] == [str(broken)]


def _invoked_only(with_invoke: bool) -> list[dict[str, Any]]:
    """``reports`` appears only in invocations by API Gateway (dropped by the prefilter); its
    role's session named after it, used from a laptop, is FTR-DET-007 only because of them."""
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/reports-role"
    issued = event(
        "AssumeRole",
        aws_service("lambda.amazonaws.com"),
        source="sts.amazonaws.com",
        ip="lambda.amazonaws.com",
        ua="lambda.amazonaws.com",
        request={"roleArn": role_arn, "roleSessionName": "warmup"},
        response={"credentials": {"accessKeyId": "ASIAOTHERKEY00000001"}},
    )
    invokes = [
        event(
            "Invoke",
            aws_service("apigateway.amazonaws.com"),
            ip="apigateway.amazonaws.com",
            ua="apigateway.amazonaws.com",
            category="Data",
            request={"functionName": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:reports"},
        )
        for _ in range(30)
    ]
    stolen = event(
        "ListBuckets",
        exec_role("reports", "ASIASTOLENREPORTS001"),
        source="s3.amazonaws.com",
        ip="198.51.100.9",
        ua="aws-cli/2.15.30 Python/3.11",
    )
    return [issued, *(invokes if with_invoke else []), stolen]


def test_service_invocations_are_dropped_but_name_their_function(tmp_path: Path) -> None:
    settings = HuntSettings()
    for with_invoke in (True, False):
        recs = _invoked_only(with_invoke)
        folder = tmp_path / str(with_invoke)
        _write(folder, recs, "inv")
        files, _ = cloudtrail.discover([str(folder)])
        with EventStore(settings, prefilter=True) as fast:
            fast.load(files)
            assert fast.scanned == len(recs)
            assert fast.count() == 2  # the invocations are counted, not stored
            got = run_detections(fast, rules.DETECTIONS, settings)
        with EventStore(settings) as full:
            full.load(files)
            assert full.count() == len(recs)
            want = run_detections(full, rules.DETECTIONS, settings)
        assert _ids(got) == _ids(want)
        assert (("FTR-DET-007", "high") in _ids(got)) is with_invoke


def test_window_counts_only_events_inside_it(tmp_path: Path) -> None:
    from datetime import datetime

    recs = _records()
    early = [r for r in recs if r["userAgent"] == LAMBDA_UA]  # the calls that mark the key
    for r in early:
        r["eventTime"] = "2024-07-01T00:00:00Z"
    _write(tmp_path, recs, "w")
    files, _ = cloudtrail.discover([str(tmp_path)])
    with EventStore(prefilter=True) as st:
        st.load(files, since=datetime(2024, 8, 1))
        assert early and st.scanned == len(recs) - len(early)
        found = {d.rule_id for d in run_detections(st, rules.DETECTIONS, HuntSettings())}
    # without the runtime call inside the window, the key is not a Lambda session's
    assert found == {"FTR-DET-001"}
