"""Baselines: fail only on failures not in an earlier report; list new, fixed, unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fortress.cli import main

SCHEMA = Path(__file__).parents[2] / "src" / "fortress" / "data" / "report.schema.json"

FUNCTION = """\
  {name}Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: {name}
      Runtime: {runtime}
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/r
      Code: {{ZipFile: "def handler(e, c): pass"}}
"""


def _template(path: Path, functions: dict[str, str]) -> Path:
    body = "".join(FUNCTION.format(name=n, runtime=rt) for n, rt in functions.items())
    path.write_text('AWSTemplateFormatVersion: "2010-09-09"\nResources:\n' + body)
    return path


def _scan(args: list[str], capsys: Any) -> tuple[int, dict[str, Any], str]:
    code = main(["scan", *args, "--no-config", "--format", "json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def test_baseline_fails_only_on_new_failures(tmp_path: Path, capsys: Any) -> None:
    template = _template(tmp_path / "t.yaml", {"orders": "python3.12", "legacy": "python3.7"})
    code, first, _ = _scan([str(template)], capsys)
    assert code == 1  # python3.7 is deprecated: FTR-PATCH-001, high
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps(first))

    # Same template against its own report: nothing new, so the known failure does not fail.
    code, same, err = _scan([str(template), "--baseline", str(previous)], capsys)
    assert code == 0, err
    failing = sum(1 for f in first["findings"] if f["status"] == "fail")
    assert same["baseline"] == {"new": [], "fixed": [], "unchanged": failing}
    jsonschema.validate(same, json.loads(SCHEMA.read_text(encoding="utf-8")))

    # legacy is upgraded (fixed), billing arrives on a deprecated runtime (new).
    _template(template, {"orders": "python3.12", "legacy": "python3.12", "billing": "python3.8"})
    code, later, err = _scan([str(template), "--baseline", str(previous)], capsys)
    assert code == 1
    new = {(e["rule_id"], e["resource"].rsplit(":", 1)[-1]) for e in later["baseline"]["new"]}
    fixed = {(e["rule_id"], e["resource"].rsplit(":", 1)[-1]) for e in later["baseline"]["fixed"]}
    assert ("FTR-PATCH-001", "billing") in new
    assert ("FTR-PATCH-001", "legacy") in fixed
    assert not any(name == "orders" for _, name in new)  # orders' failures are unchanged
    assert later["baseline"]["unchanged"] > 0
    assert "Baseline" in err and "new" in err

    # A new failure below the threshold does not fail the run.
    _template(template, {"orders": "python3.12", "legacy": "python3.12", "billing": "python3.12"})
    code, quiet, _ = _scan([str(template), "--baseline", str(previous)], capsys)
    assert code == 0
    assert {e["resource"].rsplit(":", 1)[-1] for e in quiet["baseline"]["new"]} == {"billing"}


def test_baseline_console_lists_new_and_fixed(tmp_path: Path, capsys: Any) -> None:
    template = _template(tmp_path / "t.yaml", {"legacy": "python3.7"})
    _, first, _ = _scan([str(template)], capsys)
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps(first))
    _template(template, {"legacy": "python3.12"})
    assert main(["scan", str(template), "--no-config", "--baseline", str(previous)]) == 0
    out = capsys.readouterr().out
    assert "Baseline" in out and "fixed" in out and "FTR-PATCH-001" in out


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "baseline is not JSON"),
        ('{"findings": []}', "not a Fortress JSON report"),
        ('{"schema_version": "1.0", "findings": {}}', "'findings' is not a list"),
        (
            '{"schema_version": "1.0", "findings": [{"rule_id": "FTR-NET-001"}]}',
            "findings[0] has no rule_id and resource.id",
        ),
        ('["a", "list"]', "not a Fortress JSON report"),
    ],
)
def test_malformed_baseline_is_one_line_naming_the_file(
    tmp_path: Path, capsys: Any, content: str, needle: str
) -> None:
    template = _template(tmp_path / "t.yaml", {"orders": "python3.12"})
    bad = tmp_path / "bad-baseline.json"
    bad.write_text(content)
    code = main(["scan", str(template), "--no-config", "--baseline", str(bad)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "bad-baseline.json" in err[0] and needle in err[0], err


def test_missing_baseline(tmp_path: Path, capsys: Any) -> None:
    template = _template(tmp_path / "t.yaml", {"orders": "python3.12"})
    code = main(["scan", str(template), "--no-config", "--baseline", str(tmp_path / "gone.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "gone.json: baseline: no such file" in err[0]
