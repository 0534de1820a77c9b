"""Wrong shapes in CloudFormation/SAM fields (Layers not a list, Events a string,
AvailabilityZone a list, Properties a string, ...): one line naming file, resource and
property, and the rest of the template scanned (the public function URL is still found)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fortress.cli import main
from fortress.config import ScanConfig
from fortress.findings import Status
from fortress.inventory import NOTE_GAP
from fortress.rules.engine import evaluate, select_rules
from fortress.sources import cloudformation
from fortress.sources.base import IacOptions

HEAD = "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"
OPEN = """\
  Open:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src
      FunctionUrlConfig: {AuthType: NONE}
"""
CASES = {
    "cfn-layers-string": (
        "  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n"
        "      Role: arn:aws:iam::111122223333:role/r\n"
        "      Layers: arn:aws:lambda:us-east-1:111122223333:layer:l:1\n",
        "resource Fn property Layers is a string, not a list",
        9,
    ),
    "sam-events-string": (
        "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: s\n"
        "      Events: everything\n",
        "resource Fn property Events is a string, not a mapping",
        8,
    ),
    "sam-event-properties-string": (
        "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: s\n"
        "      Events:\n        Get: {Type: Api, Properties: /get}\n",
        "resource Fn property Events.Get.Properties is a string",
        4,
    ),
    "sam-event-a-list": (
        "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: s\n"
        "      Events:\n        Get: [Api]\n",
        "resource Fn property Events.Get is a list, not a mapping",
        4,
    ),
    "subnet-az-list": (
        "  Net:\n    Type: AWS::EC2::Subnet\n    Properties:\n      VpcId: vpc-1\n"
        "      AvailabilityZone: [eu-west-1a, eu-west-1b]\n",
        "resource Net property AvailabilityZone is a list, not a string",
        8,
    ),
    "properties-string": (
        "  Queue:\n    Type: AWS::SQS::Queue\n    Properties: fifo\n",
        "resource Queue property Properties is a string",
        4,
    ),
    "resource-a-string": (
        "  Queue: AWS::SQS::Queue\n",
        "resource Queue is a string, not a mapping",
        4,
    ),
    "resource-without-type": (
        "  Queue:\n    Properties: {}\n",
        "resource Queue has no Type",
        4,
    ),
    "role-policies-mapping": (
        "  Role:\n    Type: AWS::IAM::Role\n    Properties:\n"
        "      AssumeRolePolicyDocument: {Statement: []}\n"
        "      Policies: {PolicyName: p}\n",
        "resource Role property Policies is a mapping, not a list",
        8,
    ),
    "environment-list": (
        "  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n"
        "      Environment: [A=1]\n",
        "resource Fn property Environment is a list, not a mapping",
        8,
    ),
    "globals-layers-mapping": (
        "",
        "resource Globals.Function property Layers is a mapping, not a list",
        4,
    ),
}


def _write(tmp_path: Path, case: str) -> Path:
    resource, _, _ = CASES[case]
    globals_ = (
        "Globals:\n  Function:\n    Timeout: 5\n    Layers: {Arn: x}\n"
        if case == "globals-layers-mapping"
        else ""
    )
    # Resources first, so that line numbers do not depend on the Globals block above.
    path = tmp_path / "template.yaml"
    path.write_text(HEAD + "Resources:\n" + resource + OPEN + globals_)
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_wrong_shape_is_one_line_and_the_rest_is_scanned(tmp_path: Path, case: str) -> None:
    _, message, line = CASES[case]
    path = _write(tmp_path, case)
    if case == "globals-layers-mapping":
        line = len((HEAD + "Resources:\n" + OPEN).splitlines()) + 4
    inventory = cloudformation.load(path, IacOptions())
    [note] = inventory.notes
    assert note.kind == NOTE_GAP and note.file == str(path)
    assert note.message == f"{message}; it is not read"
    assert "\n" not in note.message
    assert note.line == line
    urls = [
        f
        for f in evaluate(inventory, select_rules(["FTR-API-001"]), ScanConfig())
        if f.resource.logical_id == "Open"
    ]
    assert [f.status for f in urls] == [Status.FAIL]


def test_wrong_shape_makes_the_scan_incomplete(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _write(tmp_path, "sam-events-string")
    code = main(["scan", str(path), "--format", "json", "--as-of", "2026-03-01", "--no-packages"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1  # the public URL is a finding; the gap is listed with it
    [source] = report["sources"]
    assert source["not_followed"] == [
        "Fn.Events: resource Fn property Events is a string, not a mapping; it is not read"
    ]
    assert len(report["coverage_gaps"]) == 1
