"""CLI arguments are checked before work starts; write failures and SIGTERM end cleanly."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fortress.cli import main

FIXTURES = Path(__file__).parent.parent / "iac" / "fixtures"
TEMPLATE = str(FIXTURES / "sam" / "vulnerable.yaml")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse errors
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err
    return code, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scan", "--endpoint-url", "file:///etc/passwd"], "is not an http(s):// URL"),
        (["scan", "--endpoint-url", "garbage"], "is not an http(s):// URL"),
        (["scan", "--endpoint-url", "http://"], "has no valid host name"),
        (["scan", "--endpoint-url", "http://host:99999"], "is not a URL"),
        (["hunt", "x", "--endpoint-url", "ftp://h"], "is not an http(s):// URL"),
        (["acquire", "f", "--endpoint-url", "file://x"], "is not an http(s):// URL"),
        (["hunt", "x", "--memory-limit", "garbage"], "'garbage' is not a memory size"),
        (["hunt", "x", "--memory-limit", "0GB"], "is not a memory size"),
        (["hunt", "x", "--memory-limit", "10"], "is not a memory size"),
    ],
)
def test_bad_arguments_are_one_line_errors_before_work(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, err = _run(capsys, *argv)
    assert code == 2
    [line] = [x for x in err.splitlines() if x.startswith("fortress: error:")]
    assert message in line


@pytest.mark.parametrize("value", ["file:///etc", "garbage", "http://user:pw@host:1"])
@pytest.mark.parametrize("argv", [["scan"], ["collect", "--output", "snap.json"], ["acquire", "f"]])
def test_a_bad_aws_endpoint_url_in_the_environment_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    value: str,
    argv: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", value)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    code, err = _run(capsys, *argv)
    assert code == 2
    assert err.strip().startswith("fortress:") and "AWS_ENDPOINT_URL:" in err
    assert len(err.strip().splitlines()) == 1 and "pw" not in err.split("://…")[-1]


def test_good_arguments_pass_validation() -> None:
    from fortress.cli import validate

    assert validate.endpoint_url("http://127.0.0.1:4566") == "http://127.0.0.1:4566"
    assert validate.endpoint_url("https://lambda.eu-west-1.amazonaws.com/")
    assert validate.endpoint_url("http://moto_server:5000")
    assert validate.memory_limit("512MiB") == "512MiB"
    assert validate.memory_limit("1.5 GB") == "1.5GB"
    assert validate.memory_limit("50%") == "50%"


@pytest.mark.parametrize("command", ["scan", "hunt", "timeline"])
def test_output_that_is_a_directory_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    first = {"scan": TEMPLATE, "hunt": str(tmp_path), "timeline": str(tmp_path)}[command]
    code, err = _run(capsys, command, first, "--output", str(tmp_path))
    assert code == 2
    assert f"argument --output: {tmp_path}: is a directory" in err


def test_output_in_a_missing_place_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, err = _run(capsys, "hunt", str(tmp_path), "--output", str(blocker / "out.json"))
    assert code == 2
    assert "not a directory" in err.lower()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("command", ["scan", "hunt"])
def test_a_full_disk_is_a_one_line_error_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    if command == "scan":
        argv = ["scan", TEMPLATE, "--format", "json", "--output", "/dev/full"]
    else:
        (tmp_path / "t.jsonl").write_text(json.dumps({"eventName": "GetFunction"}) + "\n")
        argv = ["hunt", str(tmp_path), "--format", "json", "--output", "/dev/full"]
    code, err = _run(capsys, *argv)
    assert code == 2
    assert "No space left on device" in err.splitlines()[-1]


def test_random_bytes_for_detections_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from fortress.forensics.bundle import BundleWriter

    bundle = BundleWriter(tmp_path / "b")
    bundle.finalize({"function": {"name": "f", "versions": []}})
    junk = tmp_path / "junk.json"
    junk.write_bytes(bytes(range(256)) * 16)
    code, err = _run(capsys, "timeline", str(tmp_path / "b"), "--detections", str(junk))
    assert code == 2
    assert f"{junk}: not a `fortress hunt` JSON or JSONL output" in err
    os.mkfifo(tmp_path / "pipe")
    code, err = _run(
        capsys, "timeline", str(tmp_path / "b"), "--detections", str(tmp_path / "pipe")
    )
    assert code == 2
    assert "argument --detections" in err and "FIFO" in err


def _big_trail(root: Path, files: int = 400, per_file: int = 3000) -> None:
    record = {
        "eventVersion": "1.08",
        "eventTime": "2024-08-01T13:50:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.9",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a"},
        "requestParameters": {"bucketName": "b", "key": "k"},
        "recipientAccountId": "111122223333",
    }
    records = [dict(record, eventID=f"e{i}") for i in range(per_file)]
    data = gzip.compress(json.dumps({"Records": records}).encode())
    root.mkdir()
    for i in range(files):
        (root / f"f{i:04d}.json.gz").write_bytes(data)


def test_sigterm_during_a_hunt_removes_its_temp_folders(tmp_path: Path) -> None:
    """The hunt runs in a subprocess with a private TMPDIR; SIGTERM arrives once the hunt has
    made its temporary folder; afterwards that TMPDIR is empty and the exit code is 143."""
    trail = tmp_path / "trail"
    _big_trail(trail)
    private = tmp_path / "tmp"
    private.mkdir()
    env = dict(os.environ, TMPDIR=str(private))
    sigma = Path(__file__).parent.parent / "detection" / "fixtures" / "sigma"
    proc = subprocess.Popen(
        [sys.executable, "-m", "fortress", "hunt", str(trail), "--sigma", str(sigma)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(private.iterdir()):
            assert proc.poll() is None, "the hunt ended before it was signalled"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(0.3)  # inside the load
        assert proc.poll() is None, "the hunt ended before it was signalled"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err
    assert b"fortress: terminated" in err
    assert list(private.iterdir()) == []


@pytest.mark.parametrize("kind", ["fifo", "deep", "binary"])
def test_hostile_snapshot_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    snapshot = tmp_path / "snap.json"
    if kind == "fifo":
        os.mkfifo(snapshot)
    elif kind == "deep":
        snapshot.write_text("[" * 100_000 + "]" * 100_000)
    else:
        snapshot.write_bytes(b"\xff\xfe\x00garbage")
    code, err = _run(capsys, "scan", "--snapshot", str(snapshot))
    assert code == 2
    assert err.startswith(f"fortress: error: {snapshot}: ")
    assert len(err.strip().splitlines()) == 1
