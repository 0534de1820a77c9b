"""`fortress scan --packages` on the emulator: packages fetched over loopback HTTP, verified
against CodeSha256, extracted safely and analysed; every failure a coverage gap, never a pass."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import ClientFactory
from fortress.cli import main
from fortress.demo import package_mirror
from fortress.forensics.acquire import code_sha256

ROLE = "arn:aws:iam::123456789012:role/lambda"
AWS_ID = "AKIA" + "QX7RZ2VN4K8M3P6T"  # fake, in the AWS format


def package(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, body in files.items():
            zf.writestr(name, body)
    return buf.getvalue()


BAD = package({"app.py": f"KEY = '{AWS_ID}'\n\ndef handler(event, context):\n    return 1\n"})
GOOD = package({"app.py": "def handler(event, context):\n    return 1\n"})


class Mirror:
    """What the loopback mirror (``fortress.demo.package_mirror``) serves, by CodeSha256;
    ``requests`` records its GETs."""

    def __init__(self) -> None:
        self.packages: dict[str, bytes] = {}
        self.requests: list[str] = []

    def add(self, data: bytes, served: bytes | None = None) -> None:
        """Serve ``data`` under its hash (or ``served`` instead: a tampered mirror)."""
        self.packages[code_sha256(data)] = data if served is None else served


@pytest.fixture
def mirror() -> Iterator[tuple[Mirror, str]]:
    state = Mirror()
    with package_mirror(state.packages, state.requests) as url:
        yield state, url


TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def create(client: ClientFactory, name: str, data: bytes, **extra: Any) -> None:
    """A Python function whose package is ``data`` (``extra``: more CreateFunction fields)."""
    iam = client("iam")
    if not iam.list_roles()["Roles"]:
        iam.create_role(RoleName="lambda", AssumeRolePolicyDocument=json.dumps(TRUST))
    client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": data},
        **extra,
    )


def scan(
    capsys: pytest.CaptureFixture[str], endpoint: str, *extra: str
) -> tuple[int, dict[str, Any]]:
    code = main(
        ["scan", "--endpoint-url", endpoint, "--region", "us-east-1", "--format", "json", *extra]
    )
    return code, json.loads(capsys.readouterr().out)


def status_of(report: dict[str, Any], rule: str) -> dict[str, str]:
    return {f["resource"]["name"]: f["status"] for f in report["findings"] if f["rule_id"] == rule}


@pytest.fixture(autouse=True)
def no_osv_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORTRESS_OSV_CACHE", str(tmp_path_factory.mktemp("osv")))


def test_packages_are_fetched_verified_and_analysed(
    aws: str, client: ClientFactory, mirror: tuple[Mirror, str], capsys: pytest.CaptureFixture[str]
) -> None:
    state, url = mirror
    create(client, "bad", BAD)
    create(client, "good", GOOD)
    state.add(BAD)
    state.add(GOOD)
    _, report = scan(capsys, aws, "--packages", "--code-mirror", url)
    assert status_of(report, "FTR-SEC-004") == {"bad": "fail", "good": "pass"}
    assert AWS_ID not in json.dumps(report)
    assert not [g for g in report["coverage_gaps"] if g["operation"] == "read-package"]


def test_a_snapshot_collected_with_packages_gives_the_same_package_findings_offline(
    aws: str,
    client: ClientFactory,
    mirror: tuple[Mirror, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    state, url = mirror
    create(client, "bad", BAD)
    create(client, "good", GOOD)
    state.add(BAD)
    state.add(GOOD)
    snap, plain = tmp_path / "snap.json", tmp_path / "plain.json"
    common = ["collect", "--endpoint-url", aws, "--region", "us-east-1", "--output"]
    assert (
        main([*common, str(snap), "--packages", "--code-mirror", url]) == 3
    )  # the emulator lacks two reads
    assert main([*common, str(plain)]) == 3
    capsys.readouterr()
    assert AWS_ID not in snap.read_text()  # facts only: file, line, kind, fingerprint
    main(["scan", "--snapshot", str(snap), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert status_of(report, "FTR-SEC-004") == {"bad": "fail", "good": "pass"}
    main(["scan", "--snapshot", str(plain), "--format", "json"])
    assert status_of(json.loads(capsys.readouterr().out), "FTR-SEC-004") == {}


def test_without_packages_no_package_rule_reports(
    aws: str, client: ClientFactory, mirror: tuple[Mirror, str], capsys: pytest.CaptureFixture[str]
) -> None:
    state, _ = mirror
    create(client, "bad", BAD)
    _, report = scan(capsys, aws)
    assert status_of(report, "FTR-SEC-004") == {}
    assert state.requests == []


def test_the_same_package_is_downloaded_once(
    aws: str, client: ClientFactory, mirror: tuple[Mirror, str], capsys: pytest.CaptureFixture[str]
) -> None:
    state, url = mirror
    for name in ("a", "b", "c"):
        create(client, name, BAD)
    state.add(BAD)
    _, report = scan(capsys, aws, "--packages", "--code-mirror", url)
    assert status_of(report, "FTR-SEC-004") == {"a": "fail", "b": "fail", "c": "fail"}
    assert len(state.requests) == 1


def test_a_package_that_does_not_match_code_sha256_is_not_analysed(
    aws: str, client: ClientFactory, mirror: tuple[Mirror, str], capsys: pytest.CaptureFixture[str]
) -> None:
    state, url = mirror
    create(client, "swapped", GOOD)
    state.add(GOOD, served=BAD)  # the mirror serves other bytes under the expected hash
    code, report = scan(capsys, aws, "--packages", "--code-mirror", url, "--rules", "FTR-SEC-004")
    assert status_of(report, "FTR-SEC-004") == {"swapped": "unknown"}
    [gap] = [g for g in report["coverage_gaps"] if g["operation"] == "read-package"]
    assert "does not match CodeSha256" in gap["message"]
    assert code == 3


def test_a_failed_download_is_a_gap_and_unknown(
    aws: str, client: ClientFactory, mirror: tuple[Mirror, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = mirror
    create(client, "gone", GOOD)  # the mirror does not have it: 404
    code, report = scan(capsys, aws, "--packages", "--code-mirror", url, "--rules", "FTR-SEC-004")
    assert status_of(report, "FTR-SEC-004") == {"gone": "unknown"}
    [gap] = [g for g in report["coverage_gaps"] if g["operation"] == "read-package"]
    assert "download failed" in gap["message"] and "404" in gap["message"]
    assert code == 3


def test_without_a_mirror_the_emulator_location_is_a_gap(
    aws: str, client: ClientFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """The emulator's Code.Location is an unreachable AWS host: a gap, never a pass."""
    create(client, "fn", GOOD)
    code, report = scan(capsys, aws, "--packages", "--rules", "FTR-SEC-004")
    assert status_of(report, "FTR-SEC-004") == {"fn": "unknown"}
    assert code == 3


def test_an_unsafe_package_is_refused(
    aws: str, client: ClientFactory, mirror: tuple[Mirror, str], capsys: pytest.CaptureFixture[str]
) -> None:
    state, url = mirror
    hostile = package({"../../escape.py": "x = 1\n", "app.py": "def handler(e, c):\n    pass\n"})
    create(client, "hostile", hostile)
    state.add(hostile)
    _, report = scan(capsys, aws, "--packages", "--code-mirror", url)
    assert status_of(report, "FTR-SEC-004") == {"hostile": "unknown"}
    [gap] = [g for g in report["coverage_gaps"] if g["operation"] == "read-package"]
    assert "refused" in gap["message"]
