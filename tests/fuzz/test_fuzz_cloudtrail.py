"""Fuzzing the CloudTrail readers (``fortress hunt``, ``fortress timeline``, the Python reader)
with mutated copies of the detection tests' records: wrong types, deep nesting, sizes,
encodings, broken bytes and every file shape the readers take.

The CLI must answer 0/1/2/3 with no ``internal error``; the Python reader may only raise its
input errors. Fixed seed, bounded examples: see ``fuzz_support``.
"""

from __future__ import annotations

import copy
import gzip
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from fuzz_support import (
    FUZZ,
    assert_input_error_path,
    hostile_values,
    paths_of,
    replace_at,
    run_cli,
)
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "detection"))
from ftr_detection_events import (
    CLI_UA,
    assumed_role,
    aws_service,
    create_function,
    event,
    exec_role,
    iam_user,
    update_code,
)

from fortress.cloudtrail import iter_events
from fortress.detection.cloudtrail import Unreadable, discover, iter_fallback
from fortress.errors import InputError
from fortress.forensics.bundle import BundleWriter

SIGMA = Path(__file__).resolve().parents[1] / "detection" / "fixtures" / "sigma"
FN = "orders"


def _seed_records() -> list[dict[str, Any]]:
    return [
        event(
            "AddPermission20150331v2",
            iam_user(),
            request={"action": "lambda:InvokeFunction", "functionName": FN, "principal": "*"},
        ),
        update_code(FN, iam_user(), ua=CLI_UA),
        create_function(FN, assumed_role("deployer", "mallory")),
        event("Invoke", aws_service(), request={"functionName": FN}),
        event("GetObject", exec_role(), source="s3.amazonaws.com", request={"bucketName": "b"}),
    ]


SEED = _seed_records()
_DEEP = "__DEEP__"


@st.composite
def mutated_records(draw: st.DrawFn) -> list[dict[str, Any]]:
    records = copy.deepcopy(SEED)
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        i = draw(st.integers(0, len(records) - 1))
        path = draw(st.sampled_from(paths_of(records[i])))
        value = draw(st.one_of(hostile_values, st.just(_DEEP)))
        records[i] = replace_at(records[i], path, value)
        if not isinstance(records[i], dict):
            records[i] = {"eventName": records[i]}
    copies = draw(st.integers(min_value=1, max_value=30))
    return records * copies


def _dump(value: Any) -> str:
    text = json.dumps(value, default=str)
    depth = 20_000
    return text.replace(json.dumps(_DEEP), "[" * depth + "1" + "]" * depth)


@st.composite
def trail_files(draw: st.DrawFn) -> dict[str, bytes]:
    """One to three files in the shapes the readers take, some broken on purpose."""
    files: dict[str, bytes] = {}
    for n in range(draw(st.integers(min_value=1, max_value=3))):
        records = draw(mutated_records())
        shape = draw(st.sampled_from(["records", "array", "jsonl", "pretty", "athena", "lookup"]))
        if shape == "records":
            text, name = '{"Records": ' + _dump(records) + "}", f"r{n}.json"
        elif shape == "array":
            text, name = _dump(records), f"a{n}.json"
        elif shape == "jsonl":
            text, name = "\n".join(_dump(r) for r in records), f"l{n}.jsonl"
        elif shape == "pretty":
            text, name = json.dumps(records[0], indent=2, default=str), f"p{n}.json"
        elif shape == "athena":
            lower = [
                {
                    str(k).lower(): (json.dumps(v, default=str) if isinstance(v, dict) else v)
                    for k, v in r.items()
                }
                for r in records
            ]
            text, name = "\n".join(_dump(r) for r in lower), f"x{n}.jsonl"
        else:
            events = [{"CloudTrailEvent": _dump(r)} for r in records]
            text, name = json.dumps({"Events": events}), f"e{n}.json"
        data = draw(
            st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]).map(
                lambda enc, t=text: t.encode(enc, "replace")
            )
        )
        if draw(st.booleans()):
            at = draw(st.integers(0, len(data)))
            junk = draw(st.one_of(st.binary(max_size=16), st.just(b"")))
            data = data[:at] + junk + (data[at:] if draw(st.booleans()) else b"")
        if draw(st.booleans()):
            data, name = gzip.compress(data), name + ".gz"
            if draw(st.integers(0, 4)) == 0:
                data = data[: len(data) // 2]  # truncated gzip
        files[name] = data
    return files


def _write(root: Path, files: dict[str, bytes]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (root / name).write_bytes(data)


@FUZZ
@given(files=trail_files(), sigma=st.booleans(), window=st.booleans())
def test_hunt_never_crashes(files: dict[str, bytes], sigma: bool, window: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="fortress-fuzz-") as tmp:
        root = Path(tmp) / "trail"
        _write(root, files)
        argv = ["hunt", str(root), "--format", "json"]
        if sigma:
            argv += ["--sigma", str(SIGMA)]
        if window:
            argv += ["--since", "2024-01-01", "--until", "2030-01-01"]
        code, out, err = run_cli(argv)
        assert_input_error_path(code, err, f"hunt {sorted(files)}")
        report = json.loads(out)
        if code == 0:  # clean only when events were read and nothing was left out
            assert report["events"] > 0 and not report["unreadable"]


@FUZZ
@given(files=trail_files())
def test_python_readers_raise_only_input_errors(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory(prefix="fortress-fuzz-") as tmp:
        root = Path(tmp) / "trail"
        _write(root, files)
        found, _ = discover([str(root)])
        for f in found:
            try:
                for _record in iter_fallback(f.path):
                    pass
            except Unreadable:
                pass
        try:
            for _record in iter_events(root):
                pass
        except InputError:
            pass


@st.composite
def log_records(draw: st.DrawFn) -> list[dict[str, Any]]:
    base = {"timestamp": 1714557600000, "message": "ERROR boom", "logStreamName": "s/[1]x"}
    out = []
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        record: dict[str, Any] = dict(base)
        key = draw(st.sampled_from(["timestamp", "message", "logStreamName"]))
        record[key] = draw(hostile_values)
        out.append(record)
    return out


@FUZZ
@given(files=trail_files(), logs=log_records(), events=mutated_records())
def test_timeline_never_crashes(
    files: dict[str, bytes], logs: list[dict[str, Any]], events: list[dict[str, Any]]
) -> None:
    with tempfile.TemporaryDirectory(prefix="fortress-fuzz-") as tmp:
        bundle = BundleWriter(Path(tmp) / "bundle")
        with bundle.stream("cloudtrail/events.jsonl", "fuzz") as writer:
            for record in events[:20]:
                writer.write(_dump(record).encode() + b"\n")
        with bundle.stream("logs/events.jsonl", "fuzz") as writer:
            for record in logs:
                writer.write(_dump(record).encode() + b"\n")
        bundle.finalize({"function": {"name": FN, "versions": []}})
        root = Path(tmp) / "trail"
        _write(root, files)
        for fmt in ("jsonl", "csv", "console"):
            code, _, err = run_cli(
                ["timeline", str(Path(tmp) / "bundle"), "--cloudtrail", str(root), "--format", fmt]
            )
            assert_input_error_path(code, err, f"timeline {fmt} {sorted(files)}")
