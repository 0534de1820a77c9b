"""Athena scale path (generated Trino SQL, execution on the emulator) and the ``hunt`` command."""

from __future__ import annotations

import argparse
import gzip
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from ftr_detection_events import ACCOUNT, event, iam_user

from fortress.aws.client import AwsClient, AwsOptions
from fortress.cli import hunt as hunt_cli
from fortress.detection import rules
from fortress.detection.athena import AthenaTarget, detection_sql, hunt_athena
from fortress.detection.sql import HuntSettings
from fortress.errors import FortressError

TARGET = AthenaTarget("security", "cloudtrail_logs", "s3://athena-results/hunt/")


def test_generated_trino_sql_shape() -> None:
    for rule in rules.DETECTIONS:
        sql = detection_sql(rule, TARGET, HuntSettings())
        assert sql.startswith("WITH events AS (")
        assert sql.count("WITH ") == 1  # the rule's own CTEs were merged
        assert '"security"."cloudtrail_logs"' in sql
        assert "json_extract_string" not in sql and "list_filter" not in sql  # no DuckDB-isms
        assert sql.count("(") == sql.count(")")
    backdoor = detection_sql(rules.BY_ID["FTR-DET-001"], TARGET)
    assert "json_extract_scalar(requestparameters, '$.functionName')" in backdoor
    assert (
        "json_extract_scalar(json_format(CAST(useridentity AS JSON)), '$.sessioncontext" in backdoor
    )
    assert "regexp_replace(_name, '[0-9]{8}(v[0-9]+)?$', '')" in backdoor
    layers = detection_sql(rules.BY_ID["FTR-DET-003"], TARGET)
    assert "any_match(" in layers and "x ->" in layers


def test_athena_identifiers_are_validated() -> None:
    with pytest.raises(FortressError, match="athena-table"):
        AthenaTarget("db", "t; DROP TABLE x")


def test_athena_execution_on_emulator(aws: str) -> None:
    row = [
        "high",
        "2024-08-01 13:47:16.000",
        f"arn:aws:iam::{ACCOUNT}:user/alice",
        "1.2.3.4",
        "aws-cli",
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders",
        "[e-1, e-2]",
        "resource policy of orders grants lambda:InvokeFunction to *",
        ACCOUNT,
        "us-east-1",
        "AddPermission20150331v2",
    ]
    header = list(rules.OUT_COLUMNS)
    body = {
        "account_id": "123456789012",  # the emulator's account
        "region": "us-east-1",
        "results": [
            {
                "rows": [
                    {"Data": [{"VarCharValue": v} for v in header]},
                    {"Data": [{"VarCharValue": v} for v in row]},
                ],
                "column_info": [{"Name": h, "Type": "varchar"} for h in header],
            }
        ],
    }
    req = urllib.request.Request(
        f"{aws}/moto-api/static/athena/query-results",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(req, timeout=10).read()
    client = AwsClient(AwsOptions(endpoint_url=aws, max_attempts=1))
    found = hunt_athena(client, TARGET, [rules.BY_ID["FTR-DET-001"]])
    assert client.gaps == []
    assert len(found) == 1 and found[0].event_ids == ["e-1", "e-2"]
    assert found[0].severity.label == "high" and found[0].rule_id == "FTR-DET-001"


def _records(tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    path = tmp_path / "trail.json.gz"
    with gzip.open(path, "wt") as fh:
        json.dump({"Records": records}, fh)
    return path


def run_cli(argv: list[str]) -> int:
    """Parse with the hunt sub-command registered exactly as fortress.cli does."""
    parser = argparse.ArgumentParser(prog="fortress")
    sub = parser.add_subparsers()
    hunt_cli.register(sub)
    ns = parser.parse_args(argv)
    return int(ns.func(ns))


def test_cli_json_output_and_exit_codes(tmp_path: Path, capsys: Any) -> None:
    bad = event(
        "AddPermission20150331v2",
        iam_user(),
        request={"functionName": "orders", "principal": "*", "action": "lambda:*"},
    )
    path = _records(tmp_path, [bad])
    out = tmp_path / "out.json"
    assert run_cli(["hunt", str(path), "--format", "json", "--output", str(out)]) == 1
    doc = json.loads(out.read_text())
    assert doc["schema_version"] and doc["unreadable"] == [] and doc["inputs"] == [str(path)]
    det = doc["detections"][0]
    for key in (
        "rule_id",
        "title",
        "severity",
        "technique",
        "time",
        "principal",
        "source_ip",
        "user_agent",
        "function",
        "event_ids",
    ):
        assert key in det
    assert det["rule_id"] == "FTR-DET-001" and det["event_ids"] == [bad["eventID"]]
    # with --output, stdout carries only the summary and the path
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"Report written to {out}"
    assert run_cli(["hunt", str(path), "--fail-on", "critical", "--format", "jsonl"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert json.loads(lines[0])["severity"] == "high"
    assert run_cli(["hunt", str(path), "--rules", "FTR-DET-002"]) == 0
    (tmp_path / "junk.json").write_text("nope")
    assert run_cli(["hunt", str(tmp_path), "--rules", "FTR-DET-002"]) == 3
    assert "junk.json" in capsys.readouterr().err


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(FortressError, match="needs input"):
        run_cli(["hunt"])
    with pytest.raises(FortressError, match="unknown detection"):
        run_cli(["hunt", str(tmp_path), "--rules", "FTR-DET-999"])
    with pytest.raises(FortressError, match="--since"):
        run_cli(["hunt", str(tmp_path), "--since", "yesterday-ish"])
    with pytest.raises(FortressError, match="12-digit"):
        run_cli(["hunt", str(tmp_path), "--trusted-accounts", "abc"])


def test_cli_show_sql(capsys: Any) -> None:
    code = run_cli(
        [
            "hunt",
            "--athena-database",
            "security",
            "--athena-table",
            "ct",
            "--rules",
            "FTR-DET-010",
            "--show-sql",
        ]
    )
    assert code == 0 and '"security"."ct"' in capsys.readouterr().out
