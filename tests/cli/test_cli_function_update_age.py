"""``--function-update-max-age``: the FTR-PATCH-008 limit, from the command line, on a snapshot."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fortress.cli import main
from fortress.inventory import Function, Inventory, Origin
from fortress.sources import snapshot

ORIGIN = Origin(source="aws", account="123456789012", region="us-east-1")


def _snapshot(tmp_path: Path) -> Path:
    fn = Function(
        name="batch",
        arn="arn:aws:lambda:us-east-1:123456789012:function:batch",
        origin=ORIGIN,
        runtime="python3.12",
        runtime_update_mode="FunctionUpdate",
        last_modified=datetime(2026, 6, 1, tzinfo=UTC),
    )
    path = tmp_path / "snap.json"
    inventory = Inventory(functions=[fn], accounts=["123456789012"], sources=["aws"])
    snapshot.save(path, inventory, [], datetime(2026, 11, 27, tzinfo=UTC))
    return path


def _status(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> str:
    argv = ["scan", "--snapshot", str(path), "--rules", "FTR-PATCH-008", "--format", "json"]
    main([*argv, "--as-of", "2026-11-27", *extra])
    report = json.loads(capsys.readouterr().out)
    [finding] = [f for f in report["findings"] if f["rule_id"] == "FTR-PATCH-008"]
    return str(finding["status"])


def test_the_limit_decides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _snapshot(tmp_path)
    assert _status(capsys, path) == "fail"  # 179 days against the default 90
    assert _status(capsys, path, "--function-update-max-age", "200") == "pass"


def test_a_negative_limit_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["scan", "--snapshot", str(_snapshot(tmp_path)), "--function-update-max-age", "-1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--function-update-max-age must be 0 or more days" in err
    assert "Traceback" not in err
