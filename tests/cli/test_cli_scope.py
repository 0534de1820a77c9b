"""Each input is its own scope, end to end through `fortress scan`: two services or templates with
the same names are two sets of resources (never merged by name), files found by walking that are
not templates are skipped silently, non-AWS Serverless services are skipped with a warning, and a
malformed field is a one-line input error while the rest is scanned."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from fortress.cli import main

IAC = Path(__file__).resolve().parents[1] / "iac" / "fixtures"
SCOPE = IAC / "serverless" / "scope"
AS_OF = ["--as-of", "2026-03-01"]


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = main(["scan", *argv, "--format", "json", *AS_OF])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def _failing(report: dict[str, Any], prefix: str = "") -> list[tuple[str, str, str]]:
    return sorted(
        (f["rule_id"], Path(f["resource"]["file"]).parent.name, f["resource"]["name"])
        for f in report["findings"]
        if f["status"] == "fail" and f["rule_id"].startswith(prefix)
    )


def test_two_services_with_the_same_names_are_two_scopes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report, err = _json(capsys, str(SCOPE))
    assert (code, err) == (1, "")
    assert [Path(s["target"]).parent.name for s in report["sources"]] == ["billing", "orders"]
    # The wildcard lives in billing's role only; each role serves one function, so no
    # "shared role" failure (merging by name would report both, and judge orders by billing).
    assert _failing(report, "FTR-IAM") == [
        ("FTR-IAM-002", "billing", "api-dev-us-east-1-lambdaRole")
    ]
    roles = [f for f in report["findings"] if f["rule_id"] == "FTR-IAM-002"]
    assert sorted((Path(f["resource"]["file"]).parent.name, f["status"]) for f in roles) == [
        ("billing", "fail"),
        ("orders", "pass"),
    ]
    functions = {
        f["resource"]["id"]: Path(f["resource"]["file"]).parent.name
        for f in report["findings"]
        if f["resource"]["type"] == "AWS::Lambda::Function"
    }
    assert sorted(functions.values()) == ["billing", "orders"]  # two ids, one per service
    # The first input keeps its ids; the second's colliding ids name their input.
    billing_id = next(i for i, d in functions.items() if d == "billing")
    orders_id = next(i for i, d in functions.items() if d == "orders")
    assert billing_id.endswith(":function:api-dev-hello")
    assert orders_id == billing_id + "@orders-serverless.yml"
    assert report["summary"]["resources"]["roles"] == 2


def test_two_templates_with_the_same_logical_ids_are_two_scopes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    template = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  FnRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: sts:AssumeRole}}
      ManagedPolicyArns: [{policy}]
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt FnRole.Arn
      Code: {{ZipFile: "def handler(e, c): pass"}}
"""
    for name, policy in (("a", "arn:aws:iam::aws:policy/AdministratorAccess"), ("b", "!Ref X")):
        (tmp_path / name).mkdir()
        text = template.format(policy=policy)
        if name == "b":
            text = text.replace("ManagedPolicyArns: [!Ref X]", "Policies: []")
        (tmp_path / name / "template.yaml").write_text(text)
    code, report, _ = _json(capsys, str(tmp_path))
    assert code == 1
    admin = [f for f in report["findings"] if f["rule_id"] == "FTR-IAM-001"]
    assert sorted((Path(f["resource"]["file"]).parent.name, f["status"]) for f in admin) == [
        ("a", "fail"),
        ("b", "pass"),
    ]
    assert [f for f in _failing(report) if f[0] == "FTR-IAM-005"] == []


def test_files_that_are_not_templates_are_skipped_when_walking(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shutil.copytree(IAC / "serverless" / "hardened", tmp_path / "svc")
    junk = {
        "package.json": '{"name": "app", "version": "1.0.0", '
        '"Transform": "AWS::Serverless-2016-10-31", "scripts": {"deploy": "sam deploy"}}',
        "cdk.json": '{"app": "npx ts-node bin/app.ts", "Resources": {}}',
        "tsconfig.json": '{"compilerOptions": {"Resources": {}}}',
        ".eslintrc.json": '{"Resources": {"x": {"Type": "AWS::Lambda::Function"}}}',
        "App.deps.json": '{"Resources": {"x": {"Type": "AWS::Lambda::Function"}}}',
        "lambda-2015-03-31.normal.json": '{"Resources": {"x": {"Type": "AWS::Lambda::Function"}}}',
        "template.yaml": "",
        "plugin/serverless.yml": "custom:\n  webpack: {includeModules: true}\n",
        # Found by walking, detected, but nothing to scan: skipped silently.
        "buckets/storage.yaml": 'AWSTemplateFormatVersion: "2010-09-09"\n'
        "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n",
        "skeleton/serverless.yml": "service: skeleton\nprovider:\n  name: aws\n",
    }
    for name, text in junk.items():
        (tmp_path / "svc" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "svc" / name).write_text(text)
    code, report, err = _json(capsys, str(tmp_path))
    assert (code, err) == (0, "")
    assert report["input_errors"] == []
    assert [Path(s["target"]).name for s in report["sources"]] == ["serverless.yml"]
    # Named on the command line, a file must be a template.
    assert main(["scan", str(tmp_path / "svc" / "package.json")]) == 2
    assert "package.json" in capsys.readouterr().err


def test_files_a_service_includes_are_part_of_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, report, _ = _json(capsys, str(IAC / "serverless" / "files"))
    assert code == 1
    [source] = report["sources"]
    assert (source["kind"], source["functions"]) == ("serverless", 2)
    assert source["not_followed"] == [
        "${file(./conf/absent.yml)}: ./conf/absent.yml: no such file in the service folder"
    ]
    files = {Path(f["resource"]["file"]).name for f in report["findings"]}
    assert files == {"serverless.yml", "functions.yml", "resources.yml"}


def test_non_aws_service_is_skipped_with_a_warning(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "gcp").mkdir()
    (tmp_path / "gcp" / "serverless.yml").write_text(
        "service: gcf\nprovider:\n  name: google\n  runtime: nodejs18\n"
        "functions:\n  first:\n    handler: http\n    events:\n      - http: path\n"
    )
    code, report, err = _json(capsys, str(tmp_path))
    assert code == 0
    assert err.strip().splitlines() == [
        f"fortress: warning: {tmp_path / 'gcp' / 'serverless.yml'}:2: "
        "provider google is not AWS Lambda; skipped"
    ]
    assert report["findings"] == [] and report["summary"]["resources"]["functions"] == 0
    assert report["sources"][0]["functions"] == 0


def test_malformed_field_is_an_input_error_and_the_rest_is_scanned(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shutil.copytree(IAC / "serverless" / "hardened", tmp_path / "svc")
    path = tmp_path / "svc" / "serverless.yml"
    text = path.read_text()
    path.write_text(
        text.replace("  list:\n", "  broken:\n    handler: h.b\n    layers: {a: b}\n  list:\n", 1)
    )
    assert "broken:" in path.read_text()
    code, report, err = _json(capsys, str(tmp_path), "--fail-on", "critical")
    assert code == 3
    [error] = report["input_errors"]
    assert error["file"] == str(path) and error["line"]
    assert error["message"] == "function broken: layers must be a list, not a mapping"
    assert err.strip().splitlines() == [
        f"fortress: error: {path}:{error['line']}: {error['message']}"
    ]
    assert report["sources"][0]["functions"] == 2
    assert report["findings"]
