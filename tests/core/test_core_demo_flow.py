"""The demo end to end: `fortress demo`, then forensics and hunting on what it leaves behind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import reset_emulator
from fortress.cli import main
from fortress.demo import cloudtrail as demo_trail
from fortress.demo import package_mirror
from fortress.demo.seed import seed
from fortress.demo.shopfast import SEEDED_SECRETS, Seeded


def test_fortress_demo_command(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "fortress-demo"
    assert main(["demo", "--output-dir", str(out)]) == 0
    printed = capsys.readouterr()
    report = json.loads((out / "report.json").read_text())
    practices = {f["practice"] for f in report["findings"] if f["status"] == "fail"}
    assert len(practices) == 9, practices
    assert "Posture by practice" in printed.out
    assert list((out / "cloudtrail").rglob("*.json.gz"))
    for secret in SEEDED_SECRETS:
        assert secret not in printed.out + printed.err
        assert secret not in (out / "report.sarif").read_text()


@pytest.fixture(scope="module")
def seeded(emulator: str) -> Seeded:
    reset_emulator(emulator)
    return seed(emulator)


def test_acquire_verify_diff_timeline_on_the_demo(
    seeded: Seeded, tmp_path: Path, capsys: Any
) -> None:
    trail = tmp_path / "cloudtrail"
    demo_trail.write(trail)
    bundle = tmp_path / "evidence"
    with package_mirror(seeded.packages) as mirror:
        code = main(
            [
                "acquire",
                "orders-api",
                "--endpoint-url",
                seeded.endpoint,
                "--code-mirror",
                mirror,
                "--cloudtrail",
                str(trail),
                "--since",  # the demo's day, whenever the test runs
                demo_trail.SINCE,
                "--output",
                str(bundle),
            ]
        )
    assert code == 0, capsys.readouterr().err
    manifest = json.loads((bundle / "manifest.json").read_text())
    packages = [c for c in manifest["code_checks"] if c["kind"] == "function"]
    assert {c["status"] for c in packages} == {"match"} and len(packages) == 4
    assert main(["verify", str(bundle)]) == 0

    capsys.readouterr()
    assert main(["diff", str(bundle), "--from", "2", "--to", "3"]) == 1
    diff = capsys.readouterr().out
    assert "vendor/telemetry.py" in diff and "analytics-sdk" in diff

    assert main(["timeline", str(bundle), "--format", "jsonl"]) == 0
    entries = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    overwrite = [
        e
        for e in entries
        if "UpdateFunctionCode" in e["message"] and "contractor-dana" in json.dumps(e)
    ]
    assert overwrite, "the attacker's code overwrite is on the timeline"
    assert all("datetime" in e and "timestamp_desc" in e for e in entries)

    # Detections of `fortress hunt` join the timeline as marked entries.
    hunted = tmp_path / "hunt.json"
    assert main(["hunt", str(trail), "--format", "json", "--output", str(hunted)]) == 1
    capsys.readouterr()
    assert main(["timeline", str(bundle), "--format", "jsonl", "--detections", str(hunted)]) == 0
    marked = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if line.strip() and json.loads(line)["source"] == "detection"
    ]
    rules = {m["action"] for m in marked}
    assert {"FTR-DET-005", "FTR-DET-003"} <= rules  # code overwrite and layer on orders-api
    assert "FTR-DET-002" not in rules  # the public URL was on another function
    assert all(m["details"]["marked"] and m["timestamp_desc"] == "Detection Time" for m in marked)


def test_hunting_the_demo_trail_finds_the_intrusion(tmp_path: Path, capsys: Any) -> None:
    trail = tmp_path / "cloudtrail"
    demo_trail.write(trail)
    out = tmp_path / "hunt.json"
    assert main(["hunt", str(trail), "--format", "json", "--output", str(out)]) == 1
    found = {d["rule_id"] for d in json.loads(out.read_text())["detections"]}
    # backdoor permission, public URL, layer added, code overwrite, stolen role credentials,
    # sensitive IAM calls by an execution role, trail selectors narrowed, enumeration burst
    expected = {
        "FTR-DET-001",
        "FTR-DET-002",
        "FTR-DET-003",
        "FTR-DET-005",
        "FTR-DET-007",
        "FTR-DET-008",
        "FTR-DET-010",
        "FTR-DET-012",
    }
    assert expected <= found
