"""FTR-SEC-006 on every IaC format: an environment variable wired from a Parameter Store
parameter that the same files declare as a plain String, with a secret-like name, fails at the
function's file and line; a SecureString or a non-secret String parameter passes; a parameter
declared elsewhere is unknown."""

from __future__ import annotations

from pathlib import Path

from fortress.findings import Finding, Status
from fortress.rules import engine
from fortress.sources import cloudformation, serverless, terraform
from fortress.sources.base import IacOptions

RULE = "FTR-SEC-006"

CFN = """Resources:
  DbPassword:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /shop/db-password
      Type: String
      Value: change-me
  TableName:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /shop/table
      Type: String
      Value: orders
  LeakyFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::111122223333:role/r
      Code: {ZipFile: "def handler(e, c): pass"}
      Environment:
        Variables:
          DB_PASSWORD_PARAMETER: !Ref DbPassword
  ResolvedFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::111122223333:role/r
      Code: {ZipFile: "def handler(e, c): pass"}
      Environment:
        Variables:
          DB: "{{resolve:ssm:/shop/db-password}}"
  ConfigFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::111122223333:role/r
      Code: {ZipFile: "def handler(e, c): pass"}
      Environment:
        Variables:
          TABLE: !GetAtt TableName.Value
  ElsewhereFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::111122223333:role/r
      Code: {ZipFile: "def handler(e, c): pass"}
      Environment:
        Variables:
          TOKEN: "{{resolve:ssm:/other-stack/api-token}}"
"""

SERVERLESS = """service: shop
provider:
  name: aws
  runtime: python3.12
functions:
  leaky:
    handler: handler.leaky
    environment:
      API_TOKEN_PARAMETER: !Ref ApiToken
resources:
  Resources:
    ApiToken:
      Type: AWS::SSM::Parameter
      Properties:
        Name: /shop/api-token
        Type: String
        Value: change-me
"""

TERRAFORM = """resource "aws_ssm_parameter" "password" {
  name  = "/shop/db-password"
  type  = "String"
  value = "change-me"
}

resource "aws_ssm_parameter" "signing" {
  name  = "/shop/signing-key"
  type  = "SecureString"
  value = "change-me"
}

resource "aws_lambda_function" "leaky" {
  function_name = "leaky"
  role          = "arn:aws:iam::111122223333:role/r"
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "fn.zip"
  environment {
    variables = {
      DB_PASSWORD_PARAMETER = aws_ssm_parameter.password.name
    }
  }
}

resource "aws_lambda_function" "sealed" {
  function_name = "sealed"
  role          = "arn:aws:iam::111122223333:role/r"
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "fn.zip"
  environment {
    variables = {
      SIGNING_KEY_PARAMETER = aws_ssm_parameter.signing.arn
    }
  }
}
"""


def line(text: str, marker: str) -> int:
    return text.splitlines().index(marker) + 1


def by_place(findings: list[Finding]) -> dict[str | None, Finding]:
    return {f.resource.logical_id: f for f in findings if f.rule_id == RULE}


def _is(found: Finding, status: Status, path: Path, text: str, marker: str) -> None:
    assert found.status is status, found.message
    assert (found.resource.file, found.resource.line) == (str(path), line(text, marker))


def test_cloudformation(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(CFN)
    found = by_place(
        engine.evaluate(cloudformation.load(path, IacOptions()), engine.select_rules([RULE]))
    )
    _is(found["LeakyFn"], Status.FAIL, path, CFN, "  LeakyFn:")
    assert "/shop/db-password (String)" in found["LeakyFn"].message
    assert "change-me" not in found["LeakyFn"].message
    _is(found["ResolvedFn"], Status.FAIL, path, CFN, "  ResolvedFn:")
    _is(found["ConfigFn"], Status.PASS, path, CFN, "  ConfigFn:")
    _is(found["ElsewhereFn"], Status.UNKNOWN, path, CFN, "  ElsewhereFn:")


def test_sam(tmp_path: Path) -> None:
    text = "Transform: AWS::Serverless-2016-10-31\n" + CFN.replace(
        "AWS::Lambda::Function", "AWS::Serverless::Function"
    ).replace('      Code: {ZipFile: "def handler(e, c): pass"}\n', "      InlineCode: x\n")
    path = tmp_path / "template.yaml"
    path.write_text(text)
    found = by_place(
        engine.evaluate(cloudformation.load(path, IacOptions()), engine.select_rules([RULE]))
    )
    _is(found["LeakyFn"], Status.FAIL, path, text, "  LeakyFn:")
    _is(found["ConfigFn"], Status.PASS, path, text, "  ConfigFn:")


def test_serverless(tmp_path: Path) -> None:
    path = tmp_path / "serverless.yml"
    path.write_text(SERVERLESS)
    (tmp_path / "handler.py").write_text("def leaky(e, c):\n    return 1\n")
    found = by_place(
        engine.evaluate(serverless.load(path, IacOptions()), engine.select_rules([RULE]))
    )
    _is(found["LeakyLambdaFunction"], Status.FAIL, path, SERVERLESS, "  leaky:")


def test_terraform(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_text(TERRAFORM)
    found = by_place(engine.evaluate(terraform.load(tmp_path), engine.select_rules([RULE])))
    leaky, sealed = found["aws_lambda_function.leaky"], found["aws_lambda_function.sealed"]
    _is(leaky, Status.FAIL, path, TERRAFORM, 'resource "aws_lambda_function" "leaky" {')
    _is(sealed, Status.PASS, path, TERRAFORM, 'resource "aws_lambda_function" "sealed" {')
    assert "SecureString" in sealed.message
