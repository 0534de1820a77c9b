"""Partial failure is data: real AccessDenied answers, account-wide rules, clean exit codes."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from fortress.aws.client import AwsClient, AwsOptions
from fortress.cli import main
from fortress.sources import aws

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("app.py", "def handler(e, c):\n    return 1\n")
    return buffer.getvalue()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def enforcing_emulator() -> Iterator[str]:
    """A separate emulator process that checks every call after the first few against IAM."""
    port = _free_port()
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="5")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_access_denied_becomes_coverage_gaps(
    enforcing_emulator: str, monkeypatch: Any, tmp_path: Path
) -> None:
    def admin(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=enforcing_emulator,
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}),
        )

    # The five unauthenticated calls: a function to scan, and a user who may only list it.
    iam = admin("iam")
    role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    admin("lambda").create_function(
        FunctionName="victim",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": package()},
    )
    iam.create_user(UserName="auditor")
    iam.put_user_policy(
        UserName="auditor",
        PolicyName="list-only",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["sts:GetCallerIdentity", "lambda:ListFunctions"],
                        "Resource": "*",
                    }
                ],
            }
        ),
    )
    key = iam.create_access_key(UserName="auditor")["AccessKey"]

    client = AwsClient(
        AwsOptions(
            regions=["us-east-1"],
            endpoint_url=enforcing_emulator,
            credentials=(key["AccessKeyId"], key["SecretAccessKey"]),
            max_attempts=1,
        )
    )
    inventory = aws.collect(client)
    # The emulator refuses this user every Lambda call (HTTP 403) and the services the
    # policy does not grant (AccessDenied): each becomes a gap; the scan itself goes on.
    denied = {(g.service, g.operation) for g in client.gaps if g.error_code == "AccessDenied"}
    assert {
        ("lambda", "list_functions"),
        ("apigateway", "get_rest_apis"),
        ("secretsmanager", "list_secrets"),
    } <= denied
    assert inventory.functions == []
    assert all(g.account == "123456789012" and g.region == "us-east-1" for g in client.gaps)

    # The same user through the CLI and the standard credential chain: exit 3 (incomplete).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    out = tmp_path / "report.json"
    code = main(
        ["scan", "--endpoint-url", enforcing_emulator, "--format", "json", "--output", str(out)]
    )
    assert code == 3
    gaps = json.loads(out.read_text())["coverage_gaps"]
    assert {
        "service": "lambda",
        "operation": "list_functions",
        "error_code": "AccessDenied",
    }.items() <= next(g for g in gaps if g["operation"] == "list_functions").items()


def test_account_without_trail_fails_governance_and_missing_operations_are_gaps(
    client: Any, aws: str, tmp_path: Path
) -> None:
    iam = client("iam")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    client("lambda").create_function(
        FunctionName="tidy",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": package()},
        Tags={"team": "core"},
    )
    out = tmp_path / "r.json"
    code = main(
        [
            "scan",
            "--endpoint-url",
            aws,
            "--rules",
            "FTR-GOV",
            "--format",
            "json",
            "--output",
            str(out),
        ]
    )
    report = json.loads(out.read_text())
    statuses = {(f["rule_id"], f["status"]) for f in report["findings"]}
    assert ("FTR-GOV-001", "fail") in statuses
    assert ("FTR-GOV-002", "pass") in statuses
    assert code == 1  # GOV-001 is high
    # Only the tag rule, which passes: not clean all the same, because the emulator lacks two
    # per-function reads (runtime management, recursion config) and the scan says so (exit 3)
    # with exactly those gaps, one per region, rather than calling the account clean.
    gaps = {(g["operation"], g["region"]) for g in report["coverage_gaps"]}
    assert {op for op, _ in gaps} == {
        "get_runtime_management_config",
        "get_function_recursion_config",
    }
    assert len(gaps) == len(report["coverage_gaps"])  # one gap per operation and region
    assert main(["scan", "--endpoint-url", aws, "--rules", "FTR-GOV-002", "--format", "json"]) == 3


def test_unreachable_endpoint_is_one_clear_error(capsys: Any) -> None:
    port = _free_port()
    code = main(["scan", "--endpoint-url", f"http://127.0.0.1:{port}", "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("fortress: error:")


def test_bad_snapshot_is_one_clear_error(tmp_path: Path, capsys: Any) -> None:
    bad = tmp_path / "snap.json"
    bad.write_text("{not json")
    assert main(["scan", "--snapshot", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "not valid JSON" in err and "Traceback" not in err
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    assert main(["scan", "--snapshot", str(other)]) == 2
    assert "not a Fortress snapshot" in capsys.readouterr().err
