"""Each template is its own stack: two templates with the same logical ids are two sets of
resources (functions, roles, log groups, security groups never merged by logical id), the way
CloudFormation names unnamed resources after their stack. End to end through ``fortress scan``
of the folder, so the scan's own merge of the two inputs is what is tested."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fortress.cli import main

STACK = """\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: sts:AssumeRole}}]
      Policies:
        - PolicyName: p
          PolicyDocument: {{Statement: [{{Effect: Allow, Action: "{action}", Resource: "*"}}]}}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt Role.Arn
      Code: {{ZipFile: x}}
      VpcConfig: {{SubnetIds: [!Ref Subnet], SecurityGroupIds: [!Ref Sg]}}
  Url:
    Type: AWS::Lambda::Url
    Properties: {{TargetFunctionArn: !GetAtt Fn.Arn, AuthType: {auth}}}
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: d
      SecurityGroupEgress: [{{IpProtocol: "{protocol}", FromPort: 443, ToPort: 443, CidrIp: {egress}}}]
  Subnet:
    Type: AWS::EC2::Subnet
    Properties: {{VpcId: vpc-1, CidrBlock: 10.0.0.0/24, AvailabilityZone: eu-west-1a}}
{log_group}"""
LOG_GROUP = """\
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub "/aws/lambda/${Fn}", RetentionInDays: 30}
"""


@pytest.fixture()
def two_stacks(tmp_path: Path) -> Path:
    (tmp_path / "public.yaml").write_text(
        STACK.format(action="*", auth="NONE", protocol="-1", egress="0.0.0.0/0", log_group="")
    )
    (tmp_path / "private.yaml").write_text(
        STACK.format(
            action="logs:CreateLogGroup",
            auth="AWS_IAM",
            protocol="tcp",
            egress="10.0.0.0/8",
            log_group=LOG_GROUP,
        )
    )
    return tmp_path


def _failing(report: dict[str, Any], rule: str) -> list[tuple[str, str | None]]:
    return [
        (Path(f["resource"]["file"]).name, f["resource"]["logical_id"])
        for f in report["findings"]
        if f["rule_id"] == rule and f["status"] == "fail"
    ]


def test_two_stacks_with_the_same_names_stay_apart(
    capsys: pytest.CaptureFixture[str], two_stacks: Path
) -> None:
    main(["scan", str(two_stacks), "--format", "json", "--as-of", "2026-03-01"])
    report = json.loads(capsys.readouterr().out)
    # Exactly one public URL, in the right file.
    assert _failing(report, "FTR-API-001") == [("public.yaml", "Fn")]
    # Each role judged on its own document, each used by its own function only.
    assert _failing(report, "FTR-IAM-001") == [("public.yaml", "Role")]
    assert _failing(report, "FTR-IAM-005") == []
    # The private stack's log group does not count for the public stack's function.
    assert _failing(report, "FTR-LOG-001") == [("public.yaml", "Fn")]
    # Each function is judged with its own security group.
    assert [file for file, _ in _failing(report, "FTR-NET-003")] == ["public.yaml"]
    ids = {f["resource"]["id"] for f in report["findings"] if f["resource"]["logical_id"] == "Fn"}
    assert len(ids) == 2  # two functions, two identities
    names = {
        f["resource"]["name"] for f in report["findings"] if f["resource"]["logical_id"] == "Fn"
    }
    assert names == {"Fn"}  # still shown under the name the template gives
