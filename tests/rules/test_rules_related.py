"""Findings name what they expose: an open API route names the function it runs (message,
evidence and `related`), a role finding the functions that use the role, a layer finding the
functions that use the layer; in JSON, SARIF (relatedLocations) and the console's details."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fortress.cli import main

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Handler: app.handler
    InlineCode: "def handler(e, c):\\n    return 1\\n"
Resources:
  Admin:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]
  Api:
    Type: AWS::Serverless::Api
    Properties: {StageName: prod}
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Role: !GetAtt Admin.Arn
      Events:
        Open: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /open, Method: post}}
  Billing:
    Type: AWS::Serverless::Function
    Properties:
      Role: !GetAtt Admin.Arn
      Layers: [arn:aws:lambda:us-east-1:999999999999:layer:foreign:3]
  Quiet:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Closed:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /closed
            Method: get
            Auth: {Authorizer: AWS_IAM}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], project: Path, *argv: str) -> str:
    main(["scan", str(project), "--no-packages", *argv])
    return capsys.readouterr().out


def failing(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule_id"] == rule and f["status"] == "fail"]


def names(finding: dict[str, Any]) -> set[str]:
    return {x["name"] for x in finding["related"]}


def test_open_route_names_the_function_it_runs(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = json.loads(run(capsys, project, "--format", "json"))
    [route] = failing(report, "FTR-API-003")
    assert names(route) == {"Orders"}  # not Quiet, whose route has an authorizer
    assert "POST /open -> Orders" in route["message"]
    assert route["evidence"]["exposed"][0]["route"] == "POST /open"
    assert route["related"][0]["file"] and route["related"][0]["line"]
    passes = [f for f in report["findings"] if f["status"] == "pass"]
    assert passes and all(f["related"] == [] for f in passes)


def test_role_and_layer_findings_list_the_functions_that_use_them(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = json.loads(run(capsys, project, "--format", "json"))
    role_findings = [
        f
        for f in report["findings"]
        if f["resource"]["type"] == "AWS::IAM::Role" and f["status"] == "fail"
    ]
    assert role_findings
    assert all(names(f) == {"Orders", "Billing"} for f in role_findings)
    function_findings = [
        f for f in report["findings"] if f["resource"]["type"] == "AWS::Lambda::Function"
    ]
    assert all(f["related"] == [] for f in function_findings)


def test_sarif_carries_related_locations(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sarif = json.loads(run(capsys, project, "--format", "sarif"))
    [route] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "FTR-API-003"]
    [related] = route["relatedLocations"]
    assert related["logicalLocations"][0]["name"] == "Orders"
    assert related["physicalLocation"]["artifactLocation"]["uri"].endswith("template.yaml")


def test_console_details_say_what_a_finding_affects(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # piped: 100 columns, whatever the runner inherited
    out = run(capsys, project, "--details")
    assert "POST /open -> Orders" in out
    assert "(affects Orders" in out


def test_console_summary_rows_name_the_function_an_api_exposes(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    out = run(capsys, project)
    assert "Api -> Orders" in out
