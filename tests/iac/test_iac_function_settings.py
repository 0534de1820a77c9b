"""Function settings of issue 14 on every IaC format, failing and passing at the function's
file and line: runtime updates pinned (FTR-PATCH-007), verbose application logs (FTR-LOG-009)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fortress.findings import Finding, Status
from fortress.rules import engine
from fortress.sources import cloudformation, serverless, terraform
from fortress.sources.base import IacOptions

PIN = "arn:aws:lambda:us-east-1::runtime:0123456789abcdef"

CFN = f"""Resources:
  PinnedFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::111122223333:role/r
      Code: {{ZipFile: "def handler(e, c): pass"}}
      RuntimeManagementConfig:
        UpdateRuntimeOn: Manual
        RuntimeVersionArn: {PIN}
  PatchedFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::111122223333:role/r
      Code: {{ZipFile: "def handler(e, c): pass"}}
      RuntimeManagementConfig: {{UpdateRuntimeOn: FunctionUpdate}}
  DefaultFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::111122223333:role/r
      Code: {{ZipFile: "def handler(e, c): pass"}}
  UnresolvedFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::111122223333:role/r
      Code: {{ZipFile: "def handler(e, c): pass"}}
      RuntimeManagementConfig: {{UpdateRuntimeOn: !Ref Mode}}
Parameters:
  Mode: {{Type: String}}
"""

SAM = f"""Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    InlineCode: "def handler(e, c): pass"
Resources:
  PinnedFn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      RuntimeManagementConfig:
        UpdateRuntimeOn: Manual
        RuntimeVersionArn: {PIN}
  PatchedFn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      RuntimeManagementConfig: {{UpdateRuntimeOn: Auto}}
"""

SERVERLESS = f"""service: shop
provider:
  name: aws
  runtime: python3.12
  runtimeManagement: onFunctionUpdate
functions:
  pinned:
    handler: handler.pinned
    runtimeManagement:
      mode: manual
      arn: {PIN}
  patched:
    handler: handler.patched
"""

TERRAFORM = f"""resource "aws_lambda_function" "pinned" {{
  function_name = "pinned"
  role          = "arn:aws:iam::111122223333:role/r"
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "fn.zip"
}}

resource "aws_lambda_runtime_management_config" "pinned" {{
  function_name       = aws_lambda_function.pinned.function_name
  update_runtime_on   = "Manual"
  runtime_version_arn = "{PIN}"
}}

resource "aws_lambda_function" "patched" {{
  function_name = "patched"
  role          = "arn:aws:iam::111122223333:role/r"
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "fn.zip"
}}

resource "aws_lambda_runtime_management_config" "patched_v1" {{
  function_name     = aws_lambda_function.patched.function_name
  qualifier         = "1"
  update_runtime_on = "Manual"
}}
"""


def line(text: str, marker: str) -> int:
    return text.splitlines().index(marker) + 1


def by_place(findings: list[Finding], rule_id: str) -> dict[str | None, Finding]:
    return {f.resource.logical_id: f for f in findings if f.rule_id == rule_id}


def _cfn(tmp_path: Path, text: str) -> tuple[Path, list[Finding]]:
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return path, engine.evaluate(cloudformation.load(path, IacOptions()), engine.all_rules())


def _sls(tmp_path: Path, text: str) -> tuple[Path, list[Finding]]:
    path = tmp_path / "serverless.yml"
    path.write_text(text)
    (tmp_path / "handler.py").write_text("def pinned(e, c):\n    return 1\n")
    return path, engine.evaluate(serverless.load(path, IacOptions()), engine.all_rules())


def _tf(tmp_path: Path, text: str) -> tuple[Path, list[Finding]]:
    path = tmp_path / "main.tf"
    path.write_text(text)
    return path, engine.evaluate(terraform.load(tmp_path), engine.all_rules())


def _is(found: Finding, status: Status, path: Path, text: str, marker: str) -> None:
    assert found.status is status, found.message
    assert (found.resource.file, found.resource.line) == (str(path), line(text, marker))


# ------------------------------------------------------------------ FTR-PATCH-007


def test_patch007_cloudformation(tmp_path: Path) -> None:
    path, findings = _cfn(tmp_path, CFN)
    found = by_place(findings, "FTR-PATCH-007")
    _is(found["PinnedFn"], Status.FAIL, path, CFN, "  PinnedFn:")
    assert PIN in found["PinnedFn"].message
    _is(found["PatchedFn"], Status.PASS, path, CFN, "  PatchedFn:")
    _is(found["DefaultFn"], Status.PASS, path, CFN, "  DefaultFn:")
    _is(found["UnresolvedFn"], Status.UNKNOWN, path, CFN, "  UnresolvedFn:")


def test_patch007_sam(tmp_path: Path) -> None:
    path, findings = _cfn(tmp_path, SAM)
    found = by_place(findings, "FTR-PATCH-007")
    _is(found["PinnedFn"], Status.FAIL, path, SAM, "  PinnedFn:")
    _is(found["PatchedFn"], Status.PASS, path, SAM, "  PatchedFn:")


def test_patch007_serverless(tmp_path: Path) -> None:
    path, findings = _sls(tmp_path, SERVERLESS)
    found = by_place(findings, "FTR-PATCH-007")
    _is(found["PinnedLambdaFunction"], Status.FAIL, path, SERVERLESS, "  pinned:")
    # provider.runtimeManagement: onFunctionUpdate applies to the others
    _is(found["PatchedLambdaFunction"], Status.PASS, path, SERVERLESS, "  patched:")
    assert "FunctionUpdate" in found["PatchedLambdaFunction"].message


def test_patch007_terraform(tmp_path: Path) -> None:
    path, findings = _tf(tmp_path, TERRAFORM)
    found = by_place(findings, "FTR-PATCH-007")
    pinned, patched = found["aws_lambda_function.pinned"], found["aws_lambda_function.patched"]
    _is(pinned, Status.FAIL, path, TERRAFORM, 'resource "aws_lambda_function" "pinned" {')
    # a Manual setting on published version 1 leaves $LATEST on Auto
    _is(patched, Status.PASS, path, TERRAFORM, 'resource "aws_lambda_function" "patched" {')


@pytest.mark.parametrize("loader", [_cfn, _tf])
def test_patch008_is_not_judged_on_templates(tmp_path: Path, loader: object) -> None:
    text = CFN if loader is _cfn else TERRAFORM
    _, findings = loader(tmp_path, text)  # type: ignore[operator]
    assert not [f for f in findings if f.rule_id == "FTR-PATCH-008"]


# ------------------------------------------------------------------ FTR-LOG-009

LOG_CFN = """Resources:
  DebugFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::111122223333:role/r
      Code: {ZipFile: "def handler(e, c): pass"}
      LoggingConfig: {LogFormat: JSON, ApplicationLogLevel: DEBUG}
  InfoFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::111122223333:role/r
      Code: {ZipFile: "def handler(e, c): pass"}
      LoggingConfig: {LogFormat: JSON, ApplicationLogLevel: INFO}
  ParamFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::111122223333:role/r
      Code: {ZipFile: "def handler(e, c): pass"}
      LoggingConfig: {LogFormat: JSON, ApplicationLogLevel: !Ref Level}
Parameters:
  Level: {Type: String}
"""

LOG_SAM = """Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    InlineCode: "def handler(e, c): pass"
    LoggingConfig: {LogFormat: JSON, ApplicationLogLevel: TRACE}
Resources:
  TraceFn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
  WarnFn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      LoggingConfig: {ApplicationLogLevel: WARN}
"""

LOG_SERVERLESS = """service: shop
provider:
  name: aws
  runtime: python3.12
  logs:
    lambda:
      logFormat: JSON
      applicationLogLevel: DEBUG
functions:
  pinned:
    handler: handler.pinned
  quiet:
    handler: handler.quiet
    logs:
      applicationLogLevel: ERROR
"""

LOG_TERRAFORM = """resource "aws_lambda_function" "debug" {
  function_name = "debug"
  role          = "arn:aws:iam::111122223333:role/r"
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "fn.zip"
  logging_config {
    log_format            = "JSON"
    application_log_level = "TRACE"
  }
}

resource "aws_lambda_function" "info" {
  function_name = "info"
  role          = "arn:aws:iam::111122223333:role/r"
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "fn.zip"
  logging_config {
    log_format            = "JSON"
    application_log_level = "INFO"
  }
}
"""


def test_log009_cloudformation(tmp_path: Path) -> None:
    path, findings = _cfn(tmp_path, LOG_CFN)
    found = by_place(findings, "FTR-LOG-009")
    _is(found["DebugFn"], Status.FAIL, path, LOG_CFN, "  DebugFn:")
    assert "DEBUG" in found["DebugFn"].message
    _is(found["InfoFn"], Status.PASS, path, LOG_CFN, "  InfoFn:")
    _is(found["ParamFn"], Status.UNKNOWN, path, LOG_CFN, "  ParamFn:")


def test_log009_sam_globals(tmp_path: Path) -> None:
    path, findings = _cfn(tmp_path, LOG_SAM)
    found = by_place(findings, "FTR-LOG-009")
    _is(found["TraceFn"], Status.FAIL, path, LOG_SAM, "  TraceFn:")
    _is(found["WarnFn"], Status.PASS, path, LOG_SAM, "  WarnFn:")  # overrides Globals


def test_log009_serverless(tmp_path: Path) -> None:
    path, findings = _sls(tmp_path, LOG_SERVERLESS)
    found = by_place(findings, "FTR-LOG-009")
    _is(found["PinnedLambdaFunction"], Status.FAIL, path, LOG_SERVERLESS, "  pinned:")
    _is(found["QuietLambdaFunction"], Status.PASS, path, LOG_SERVERLESS, "  quiet:")


def test_log009_terraform(tmp_path: Path) -> None:
    path, findings = _tf(tmp_path, LOG_TERRAFORM)
    found = by_place(findings, "FTR-LOG-009")
    debug, info = found["aws_lambda_function.debug"], found["aws_lambda_function.info"]
    _is(debug, Status.FAIL, path, LOG_TERRAFORM, 'resource "aws_lambda_function" "debug" {')
    _is(info, Status.PASS, path, LOG_TERRAFORM, 'resource "aws_lambda_function" "info" {')


# ------------------------------------------------------------------ FTR-PATCH-009

LOOP_CFN = """Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties: {QueueName: jobs}
  WorkerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: queue
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [sqs:ReceiveMessage, sqs:DeleteMessage, sqs:SendMessage]
                Resource: !GetAtt Jobs.Arn
  LoopFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt WorkerRole.Arn
      Code: {ZipFile: "def handler(e, c): pass"}
      RecursiveLoop: Allow
  LoopMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref LoopFn
      EventSourceArn: !GetAtt Jobs.Arn
  GuardedFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt WorkerRole.Arn
      Code: {ZipFile: "def handler(e, c): pass"}
  GuardedMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref GuardedFn
      EventSourceArn: !GetAtt Jobs.Arn
"""

LOOP_TERRAFORM = """resource "aws_sqs_queue" "jobs" {
  name = "jobs"
}

resource "aws_iam_role" "worker" {
  name               = "worker"
  assume_role_policy = jsonencode({Statement = [{Effect = "Allow", Action = "sts:AssumeRole", Principal = {Service = "lambda.amazonaws.com"}}]})
  inline_policy {
    name   = "queue"
    policy = jsonencode({Statement = [{Effect = "Allow", Action = ["sqs:SendMessage", "sqs:ReceiveMessage"], Resource = aws_sqs_queue.jobs.arn}]})
  }
}

resource "aws_lambda_function" "loop" {
  function_name = "loop"
  role          = aws_iam_role.worker.arn
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "fn.zip"
}

resource "aws_lambda_function_recursion_config" "loop" {
  function_name  = aws_lambda_function.loop.function_name
  recursive_loop = "Allow"
}

resource "aws_lambda_event_source_mapping" "loop" {
  function_name    = aws_lambda_function.loop.arn
  event_source_arn = aws_sqs_queue.jobs.arn
}

resource "aws_lambda_function" "guarded" {
  function_name = "guarded"
  role          = aws_iam_role.worker.arn
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "fn.zip"
}
"""


def test_patch009_cloudformation(tmp_path: Path) -> None:
    path, findings = _cfn(tmp_path, LOOP_CFN)
    found = by_place(findings, "FTR-PATCH-009")
    _is(found["LoopFn"], Status.FAIL, path, LOOP_CFN, "  LoopFn:")
    assert "sqs:SendMessage" in found["LoopFn"].message
    _is(found["GuardedFn"], Status.PASS, path, LOOP_CFN, "  GuardedFn:")


def test_patch009_sam(tmp_path: Path) -> None:
    fn = LOOP_CFN.index("  LoopFn:")
    mapping = LOOP_CFN.index("  LoopMapping:")
    sam_fn = (
        "  LoopFn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Runtime: python3.12\n      Handler: app.handler\n"
        "      Role: !GetAtt WorkerRole.Arn\n      InlineCode: x\n      RecursiveLoop: Allow\n"
    )
    text = "Transform: AWS::Serverless-2016-10-31\n" + LOOP_CFN[:fn] + sam_fn + LOOP_CFN[mapping:]
    path, findings = _cfn(tmp_path, text)
    found = by_place(findings, "FTR-PATCH-009")
    _is(found["LoopFn"], Status.FAIL, path, text, "  LoopFn:")


def test_patch009_terraform(tmp_path: Path) -> None:
    path, findings = _tf(tmp_path, LOOP_TERRAFORM)
    found = by_place(findings, "FTR-PATCH-009")
    loop, guarded = found["aws_lambda_function.loop"], found["aws_lambda_function.guarded"]
    _is(loop, Status.FAIL, path, LOOP_TERRAFORM, 'resource "aws_lambda_function" "loop" {')
    _is(guarded, Status.PASS, path, LOOP_TERRAFORM, 'resource "aws_lambda_function" "guarded" {')
