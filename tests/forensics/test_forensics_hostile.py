"""Tampered or hostile evidence bundles: members that unpack to gigabytes, deep or wrong-typed
manifests, ``../`` paths, FIFOs, impossible times. One-line errors, never a hang or a crash."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from fortress.cli import main
from fortress.forensics.bundle import FORMAT, BundleWriter, verify_bundle, zip_bundle
from hang_guard import bounded

FN = "orders-api"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = bounded(lambda: main(list(argv)))
    out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in err
    return code, out, err


def small_bundle(root: Path, logs: list[dict[str, Any]] | None = None) -> Path:
    bundle = BundleWriter(root)
    bundle.add_json(
        "versions/1/function.json",
        {"Configuration": {"Version": "1", "LastModified": "2024-05-01T09:00:00.000+0000"}},
        "test",
    )
    with bundle.stream("logs/events.jsonl", "test") as writer:
        for record in logs or [{"timestamp": 1714557600000, "message": "ERROR boom"}]:
            writer.write_line(record)
    bundle.finalize({"function": {"name": FN, "versions": ["1"]}})
    return root


def raw_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def manifest_of(artifacts: list[dict[str, Any]], **extra: Any) -> bytes:
    return json.dumps({"format": FORMAT, "artifacts": artifacts, **extra}).encode()


def test_zip_bundle_member_unpacking_past_the_cap_stops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cap is lowered to 1 MB here (default 2 GB) so that the test stays small."""
    monkeypatch.setenv("FORTRESS_MAX_BUNDLE_MEMBER_MB", "1")
    log = (json.dumps({"timestamp": 1714557600000, "message": "ERROR x" * 40}) + "\n") * 20_000
    data = log.encode()
    assert len(data) > 4 * 1024 * 1024
    artifacts = [
        {"path": "logs/events.jsonl", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    ]
    bomb = raw_zip(
        tmp_path / "b.zip",
        {"manifest.json": manifest_of(artifacts, function={"name": FN}), "logs/events.jsonl": data},
    )
    assert bomb.stat().st_size < len(data) // 20
    code, _, err = cli(capsys, "timeline", str(bomb))
    assert code == 2
    assert "logs/events.jsonl: bundle member is larger than the 1 MB cap" in err
    result = verify_bundle(bomb)  # no hash file either, but the member is refused too
    assert "logs/events.jsonl" in result.modified
    monkeypatch.delenv("FORTRESS_MAX_BUNDLE_MEMBER_MB")
    assert verify_bundle(bomb).checked == 1


def test_one_endless_log_line_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORTRESS_MAX_JSON_MB", "1")
    bundle = BundleWriter(tmp_path / "b")
    bundle.add_bytes("logs/events.jsonl", b'{"message": "' + b"A" * (3 * 1024 * 1024), "test")
    bundle.finalize({"function": {"name": FN, "versions": []}})
    code, _, err = cli(capsys, "timeline", str(tmp_path / "b"))
    assert code == 2
    assert "logs/events.jsonl:1: line larger than the 1 MB cap" in err


def test_deep_manifest_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = b'{"format": "' + FORMAT.encode() + b'", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    for kind in ("dir", "zip"):
        if kind == "zip":
            target = raw_zip(tmp_path / "deep.zip", {"manifest.json": deep})
        else:
            target = tmp_path / "deep"
            target.mkdir()
            (target / "manifest.json").write_bytes(deep)
        for argv in (["verify"], ["timeline"], ["diff", "--from", "1", "--to", "2"]):
            code, _, err = cli(capsys, argv[0], str(target), *argv[1:])
            assert code == 2, (kind, argv)
            assert "manifest.json: nested too deeply" in err


def test_wrong_typed_manifest_fields_are_errors_not_crashes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "manifest.json").write_bytes(manifest_of(5, function=[1, 2]))  # type: ignore[arg-type]
    code, _, err = cli(capsys, "timeline", str(folder))
    assert code == 2 and "'function' is not an object" in err
    (folder / "manifest.json").write_bytes(manifest_of(5, function={"versions": 7}))  # type: ignore[arg-type]
    code, _, _ = cli(capsys, "timeline", str(folder))
    assert code == 0
    code, out, _ = cli(capsys, "verify", str(folder))
    assert code == 1 and "NOT INTACT" in out


def test_manifest_naming_parent_paths_reads_nothing_outside(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    digest = hashlib.sha256(b"outside").hexdigest()
    entries = [
        {"path": "../secret.txt", "size": 7, "sha256": digest},
        {"path": "/etc/passwd", "size": 1, "sha256": "0"},
        {"path": "a/../../secret.txt", "size": 7, "sha256": digest},
    ]
    for kind in ("dir", "zip"):
        if kind == "zip":
            target = raw_zip(tmp_path / "b.zip", {"manifest.json": manifest_of(entries)})
        else:
            target = tmp_path / "inner" / "b"
            target.mkdir(parents=True)
            (target / "manifest.json").write_bytes(manifest_of(entries))
            (tmp_path / "inner" / "secret.txt").write_text("outside")
        result = verify_bundle(target)
        assert not result.intact
        assert sorted(result.modified) == sorted(e["path"] for e in entries)
        assert result.checked == 0


def test_fifo_in_a_folder_bundle_is_not_waited_on(tmp_path: Path) -> None:
    root = small_bundle(tmp_path / "b")
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["artifacts"].append({"path": "cloudtrail/pipe.jsonl", "size": 0, "sha256": "0"})
    (root / "cloudtrail").mkdir(mode=0o700)
    os.mkfifo(root / "cloudtrail" / "pipe.jsonl")
    os.chmod(root / "manifest.json", 0o600)
    (root / "manifest.json").write_text(json.dumps(manifest))
    result = bounded(lambda: verify_bundle(root))
    assert not result.intact
    assert "cloudtrail/pipe.jsonl" in result.missing + result.modified


def test_impossible_log_and_event_times_are_listed_and_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = [
        {"timestamp": 1e30, "message": "ERROR far future"},
        {"timestamp": -1e300, "message": "ERROR far past"},
        {"timestamp": 1714557600000, "message": "ERROR real"},
    ]
    root = small_bundle(tmp_path / "b", logs)
    trail = tmp_path / "extra.jsonl"
    events = [
        {
            "eventID": eid,
            "eventName": "UpdateFunctionCode20150331v2",
            "eventTime": when,
            "requestParameters": {"functionName": FN},
        }
        for eid, when in (("bad", "1e30"), ("good", "2024-05-01T10:00:00Z"))
    ]
    trail.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    code, out, err = cli(
        capsys, "timeline", str(root), "--cloudtrail", str(trail), "--format", "jsonl"
    )
    assert code == 3
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["message"] for x in lines if x["source"] == "logs"] == ["ERROR real"]
    assert [x["action"] for x in lines if x["source"] == "cloudtrail"] == ["UpdateFunctionCode"]
    problems = [x for x in err.splitlines() if x.startswith("fortress: input problem:")]
    assert len(problems) == 3
    assert any("CloudTrail event bad: eventTime '1e30' is not a time" in p for p in problems)
    assert any("log event timestamp '1e+30' is not a time" in p for p in problems)


def test_intact_bundle_still_verifies(tmp_path: Path) -> None:
    root = small_bundle(tmp_path / "b")
    assert verify_bundle(root).intact
    zip_bundle(root, tmp_path / "b.zip")
    assert verify_bundle(tmp_path / "b.zip").intact


def test_diff_with_a_refused_package_is_incomplete_not_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    def package(names: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zf:
            for name, data in names.items():
                zf.writestr(name, data)
        return buffer.getvalue()

    bundle = BundleWriter(tmp_path / "b")
    for version in ("1", "2"):
        config = {"Configuration": {"Version": version, "Handler": "app.handler"}}
        bundle.add_json(f"versions/{version}/function.json", config, "test")
    bundle.add_bytes("versions/1/code.zip", package({"app.py": b"print(1)\n"}), "test")
    bundle.add_bytes("versions/2/code.zip", package({"../../evil.py": b"x"}), "test")
    bundle.finalize({"function": {"name": FN, "versions": ["1", "2"]}})
    code, out, _ = cli(capsys, "diff", str(tmp_path / "b"), "--from", "1", "--to", "2")
    assert code == 3
    assert "refused: path traversal" in out
    assert "no differences found in what could be read" in out
    code, out, _ = cli(capsys, "diff", str(tmp_path / "b"), "--from", "1", "--to", "1")
    assert code == 0
