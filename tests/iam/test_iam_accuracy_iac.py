"""Issue 13 part 4 from templates: a read-only wildcard is no FTR-IAM-002 failure and ``iam:*``
on ``*`` is FTR-IAM-001, on CloudFormation and Terraform, with the statement named (and, on
CloudFormation, its own file and line) and the role's file and line on the finding."""

from __future__ import annotations

from pathlib import Path

from fortress.findings import Finding, Status
from fortress.rules import engine
from fortress.sources import cloudformation, terraform
from fortress.sources.base import IacOptions

CFN = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  ReaderRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: reads
          PolicyDocument:
            Statement:
              - Sid: Describe
                Effect: Allow
                Action: ec2:Describe*
                Resource: "*"
  IamRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: iam-all
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: iam:*
                Resource: "*"
  Reader:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt ReaderRole.Arn
      Code: {ZipFile: "def handler(e, c): pass"}
  Admin:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt IamRole.Arn
      Code: {ZipFile: "def handler(e, c): pass"}
"""

TF = """\
data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "reader" {
  name               = "reader"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy" "reads" {
  name = "reads"
  role = aws_iam_role.reader.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "Describe", Effect = "Allow", Action = "ec2:Describe*", Resource = "*" }]
  })
}

resource "aws_iam_role" "iam" {
  name               = "iam"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy" "iam_all" {
  name = "iam-all"
  role = aws_iam_role.iam.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["iam:Put*Policy", "iam:Attach*Policy"], Resource = "*" }]
  })
}

resource "aws_lambda_function" "reader" {
  function_name = "reader"
  role          = aws_iam_role.reader.arn
  runtime       = "python3.12"
  handler       = "app.handler"
  s3_bucket     = "code"
  s3_key        = "reader.zip"
}

resource "aws_lambda_function" "admin" {
  function_name = "admin"
  role          = aws_iam_role.iam.arn
  runtime       = "python3.12"
  handler       = "app.handler"
  s3_bucket     = "code"
  s3_key        = "admin.zip"
}
"""


def _one(findings: list[Finding], rule_id: str, logical_id: str) -> Finding:
    (found,) = [f for f in findings if f.rule_id == rule_id and f.resource.logical_id == logical_id]
    return found


def _rules() -> list[engine.Rule]:
    return [engine.get_rule("FTR-IAM-001"), engine.get_rule("FTR-IAM-002")]


def test_cloudformation(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(CFN)
    findings = engine.evaluate(cloudformation.load(path, IacOptions()), _rules())
    reads = _one(findings, "FTR-IAM-002", "ReaderRole")
    assert reads.status is Status.PASS
    assert "read-only" in reads.message
    assert f"reads Sid 'Describe' ({path}:15)" in reads.message  # the statement's own line
    assert reads.resource.file is not None and reads.resource.file.endswith("template.yaml")
    assert reads.resource.line == 3
    assert _one(findings, "FTR-IAM-001", "ReaderRole").status is Status.PASS
    admin = _one(findings, "FTR-IAM-001", "IamRole")
    assert admin.status is Status.FAIL
    assert "administrator-equivalent" in admin.message
    assert f"iam-all statement #1 ({path}:31)" in admin.message
    assert admin.resource.line == 19


def test_terraform(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(TF)
    findings = engine.evaluate(terraform.load(tmp_path), _rules())
    reads = _one(findings, "FTR-IAM-002", "aws_iam_role.reader")
    assert reads.status is Status.PASS and "Sid 'Describe'" in reads.message
    assert reads.resource.file is not None and reads.resource.file.endswith("main.tf")
    assert reads.resource.line == 11
    admin = _one(findings, "FTR-IAM-001", "aws_iam_role.iam")
    assert admin.status is Status.FAIL
    assert "administrator-equivalent" in admin.message and "iam-all statement #1" in admin.message
    assert admin.resource.line == 25
