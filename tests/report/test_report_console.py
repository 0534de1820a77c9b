"""The console report fits a screen: grouped by rule, every resource only with --details,
at most 100 columns when piped, only the summary and the path with --output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from reportdata import sample_result

from conftest import reset_emulator
from fortress.cli import main
from fortress.cli.sanitize import clean
from fortress.demo import cloudtrail as demo_trail
from fortress.demo.seed import seed
from fortress.demo.shopfast import Seeded
from fortress.report import console as console_report


@pytest.fixture(autouse=True)
def _piped_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Output is piped here: 100 columns, whatever $COLUMNS the test runner inherited."""
    monkeypatch.delenv("COLUMNS", raising=False)


DEMO_SCAN = ["--region", "us-east-1", "--region", "eu-west-1", "--as-of", "2026-11-27"]


@pytest.fixture(scope="module")
def seeded(emulator: str) -> Seeded:
    reset_emulator(emulator)
    return seed(emulator)


def scan(seeded: Seeded, capsys: Any, *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["scan", "--endpoint-url", seeded.endpoint, *DEMO_SCAN, *extra])
    return code, capsys.readouterr().out


def test_the_demo_sized_scan_fits_a_screen(
    seeded: Seeded, capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COLUMNS", "240")  # piped: still at most 100 columns
    code, out = scan(seeded, capsys)
    assert code == 1
    lines = out.splitlines()
    # One row per failing rule of medium severity and up, and per kind of coverage gap: the
    # issue-14 checks added a failing rule (FTR-SEC-006) and two emulator gaps.
    assert len(lines) < 64, out
    assert max(len(line) for line in lines) <= 100
    assert "Posture by practice" in out and "Failures:" in out
    assert "FTR-IAM-001" in out and "+" in out and "more" in out  # grouped rows with examples
    assert "Coverage gaps (not examined)" in out and "get_code_signing_config" in out

    code, details = scan(seeded, capsys, "--details")
    assert code == 1
    assert max(len(line) for line in details.splitlines()) <= 100
    report = tmp_path / "r.json"
    scan(seeded, capsys, "--format", "json", "--output", str(report))
    failing = [f for f in json.loads(report.read_text())["findings"] if f["status"] == "fail"]
    # --details lists every failing resource; the compact view does not
    names = {f["resource"]["name"] for f in failing}
    assert all(name[:20] in details for name in names)
    assert f"Failures ({len(failing)})" in details
    assert len(details.splitlines()) > len(failing) > len(lines)


def test_with_output_stdout_carries_only_the_summary_and_the_path(
    seeded: Seeded, capsys: Any, tmp_path: Path
) -> None:
    for fmt in ("json", "sarif", "html", "console"):
        out_file = tmp_path / f"report.{fmt}"
        code, out = scan(seeded, capsys, "--format", fmt, "--output", str(out_file))
        assert code == 1
        assert out.rstrip().endswith(f"Report written to {out_file}")
        assert "Posture by practice" in out and "Result:" in out
        assert "FTR-" not in out  # nothing per rule or per resource
        assert len(out.splitlines()) < 20
        assert out_file.stat().st_size > 1000
    text = (tmp_path / "report.console").read_text()
    assert "Failures:" in text and max(len(line) for line in text.splitlines()) <= 100


def test_output_to_a_directory_is_a_one_line_error(tmp_path: Path, capsys: Any) -> None:
    fixture = next((Path(__file__).parents[1] / "iac" / "fixtures" / "sam").glob("*.yaml"))
    # Checked with the arguments, before any work starts.
    with pytest.raises(SystemExit) as exit_:
        main(["scan", str(fixture), "--format", "json", "--output", str(tmp_path)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.strip().splitlines()[-1].startswith("fortress: error: argument --output:")
    assert f"{tmp_path}: is a directory" in err


def test_unknowns_suppressions_and_gaps_are_summarised() -> None:
    from rich.console import Console

    result = sample_result()
    capture = Console(width=100, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    capture.print(console_report.render(result, clean=clean))
    text = capture.export_text()
    assert "Could not decide (inputs unknown): 1 finding (FTR-CODE-001 1)" in text
    assert "Suppressed: 1 finding (FTR-API-008 1)" in text
    assert "get_code_signing_config" in text and "FTR-API-008" not in text.split("Suppressed")[0]
    capture = Console(width=100, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    capture.print(console_report.render(result, details=True, clean=clean))
    detailed = capture.export_text()
    assert "Suppressed (1)" in detailed and "Could not decide (inputs unknown) (1)" in detailed
    assert "bursty" in detailed  # the suppression's reason, in the finding's row


def test_hunt_console_groups_detections(tmp_path: Path, capsys: Any) -> None:
    trail = tmp_path / "cloudtrail"
    demo_trail.write(trail)
    out_file = tmp_path / "hunt.json"
    assert main(["hunt", str(trail), "--format", "json", "--output", str(out_file)]) == 1
    summary = capsys.readouterr().out
    detections = json.loads(out_file.read_text())["detections"]
    assert summary.strip().splitlines()[-1] == f"Report written to {out_file}"
    assert f"{len(detections)} detections in" in summary and "FTR-DET" not in summary

    assert main(["hunt", str(trail)]) == 1
    grouped = capsys.readouterr().out
    rules = {d["rule_id"] for d in detections}
    rows = [line for line in grouped.splitlines() if "FTR-DET-" in line]
    assert sorted(r.split()[1] for r in rows) == sorted(rules)  # one row per detection id
    assert max(len(line) for line in grouped.splitlines()) <= 100

    assert main(["hunt", str(trail), "--details"]) == 1
    listed = capsys.readouterr().out
    assert sum(1 for line in listed.splitlines() if "FTR-DET-" in line) == len(detections)


def test_the_demo_writes_an_html_report(seeded: Seeded, tmp_path: Path) -> None:
    from fortress.demo import scan_demo, write_outputs

    result = scan_demo(seeded.endpoint)
    write_outputs(result, tmp_path)
    page = (tmp_path / "report.html").read_text()
    report = json.loads((tmp_path / "report.json").read_text())
    assert page.startswith("<!DOCTYPE html>") and "Fortress posture report" in page
    assert report["findings"][0]["rule_id"] in page
    assert '"snippets":{"FTR-' in page  # the rules' fix snippets travel with the findings
