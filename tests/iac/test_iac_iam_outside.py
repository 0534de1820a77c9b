"""IAM judged wherever a template declares it (issue 13 part 3), with file and line:

- a permission for a function the files do not define is judged on the permission resource by
  the resource-policy rules (FTR-IAM-007..010), and by no other function rule;
- a role or identity policy granting Lambda takeover actions on ``*`` or on function ARNs is
  reported (FTR-IAM-012) even when no function of the files uses it;
- functions naming the same role ARN, import or variable, and the Serverless Framework's
  default role serving several functions, share an execution role (FTR-IAM-005).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fortress.config import ScanConfig
from fortress.findings import Finding, Status
from fortress.iam import match
from fortress.iam.policy import parse_policy
from fortress.rules import engine
from fortress.sources import cloudformation, serverless, terraform
from fortress.sources.base import IacOptions

POLICY_RULES = ("FTR-IAM-007", "FTR-IAM-008", "FTR-IAM-009", "FTR-IAM-010")


def _scan(tmp_path: Path, name: str, text: str, config: ScanConfig | None = None) -> list[Finding]:
    path = tmp_path / name
    path.write_text(text)
    if name.endswith(".tf"):
        inventory = terraform.load(tmp_path)
    elif name == "serverless.yml":
        inventory = serverless.load(path, IacOptions())
    else:
        inventory = cloudformation.load(path, IacOptions())
    return engine.evaluate(inventory, engine.all_rules(), config)


def _at(findings: list[Finding], rule_id: str, logical_id: str) -> Finding:
    found = [f for f in findings if f.rule_id == rule_id and f.resource.logical_id == logical_id]
    assert len(found) == 1, [(f.rule_id, f.resource.logical_id) for f in findings]
    return found[0]


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# --------------------------------------------------------------------------- permissions

TF_PERMISSIONS = """variable "fn" {}
data "aws_lambda_function" "ext" { function_name = "ext-fn" }

resource "aws_lambda_permission" "public" {
  function_name = "legacy-fn"
  action        = "lambda:InvokeFunction"
  principal     = "*"
}

resource "aws_lambda_permission" "by_var" {
  function_name = var.fn
  action        = "lambda:InvokeFunction"
  principal     = "111122223333"
}

resource "aws_lambda_permission" "pinned" {
  function_name  = data.aws_lambda_function.ext.function_name
  action         = "lambda:InvokeFunction"
  principal      = "s3.amazonaws.com"
  source_arn     = "arn:aws:s3:::uploads"
  source_account = "123456789012"
}
"""


def test_lone_terraform_permission_open_to_anyone_fails_at_the_permission(
    tmp_path: Path,
) -> None:
    findings = _scan(tmp_path, "main.tf", TF_PERMISSIONS)
    public = _at(findings, "FTR-IAM-007", "aws_lambda_permission.public")
    assert public.status is Status.FAIL
    assert (public.resource.file, public.resource.line) == (
        str(tmp_path / "main.tf"),
        _line(TF_PERMISSIONS, '"aws_lambda_permission" "public"'),
    )
    assert public.resource.type == "AWS::Lambda::Permission"
    assert "legacy-fn" in public.message and "outside the scanned files" in public.message
    # a variable without a value names the function by the expression; another account fails
    by_var = _at(findings, "FTR-IAM-008", "aws_lambda_permission.by_var")
    assert by_var.status is Status.FAIL and "var.fn" in by_var.message
    assert by_var.resource.line == _line(TF_PERMISSIONS, '"by_var"')


def test_terraform_permission_pinned_to_a_service_for_invoke_passes(tmp_path: Path) -> None:
    findings = _scan(tmp_path, "main.tf", TF_PERMISSIONS)
    for rule_id in POLICY_RULES:
        finding = _at(findings, rule_id, "aws_lambda_permission.pinned")
        assert finding.status is Status.PASS, (rule_id, finding.message)
        assert finding.resource.line == _line(TF_PERMISSIONS, '"pinned"')
    # judged as a permission only: no function rule reports (or calls unknown) what it is not
    others = {
        f.rule_id
        for f in findings
        if f.resource.logical_id == "aws_lambda_permission.pinned" and f.rule_id not in POLICY_RULES
    }
    assert others == set()


CFN_PERMISSIONS = """Parameters:
  TargetFunction: {Type: String}
Resources:
  DeletePermission:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !ImportValue orders-function-arn
      Action: lambda:DeleteFunction
      Principal: events.amazonaws.com
      SourceArn: arn:aws:events:us-east-1:123456789012:rule/nightly
  LoosePermission:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref TargetFunction
      Action: lambda:InvokeFunction
      Principal: sns.amazonaws.com
  PinnedPermission:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: arn:aws:lambda:us-east-1:123456789012:function:reports
      Action: lambda:InvokeFunction
      Principal: s3.amazonaws.com
      SourceArn: arn:aws:s3:::reports-in
      SourceAccount: "123456789012"
  UnknownPermission:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: reports
      Action: lambda:InvokeFunction
      Principal: !ImportValue caller-principal
"""


def test_cloudformation_permission_beyond_invoke_for_an_imported_function_fails(
    tmp_path: Path,
) -> None:
    findings = _scan(tmp_path, "template.yaml", CFN_PERMISSIONS)
    beyond = _at(findings, "FTR-IAM-010", "DeletePermission")
    assert beyond.status is Status.FAIL and "lambda:DeleteFunction" in beyond.message
    assert beyond.resource.line == _line(CFN_PERMISSIONS, "DeletePermission:")
    assert "orders-function-arn" in beyond.message
    deputy = _at(findings, "FTR-IAM-009", "LoosePermission")
    assert deputy.status is Status.FAIL and "TargetFunction" in deputy.message
    assert deputy.resource.line == _line(CFN_PERMISSIONS, "LoosePermission:")


def test_cloudformation_pinned_permission_passes_and_unresolved_principal_is_unknown(
    tmp_path: Path,
) -> None:
    findings = _scan(tmp_path, "template.yaml", CFN_PERMISSIONS)
    for rule_id in POLICY_RULES:
        assert _at(findings, rule_id, "PinnedPermission").status is Status.PASS, rule_id
        unknown = _at(findings, rule_id, "UnknownPermission")
        assert unknown.status is Status.UNKNOWN and "caller-principal" in unknown.message


CFN_ALIAS = """Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: orders
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt Role.Arn
      Code: {ZipFile: "def handler(e, c): return 1"}
  Live:
    Type: AWS::Lambda::Alias
    Properties:
      FunctionName: !Ref Fn
      FunctionVersion: $LATEST
      Name: live
  PublicOnAlias:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref Live
      Action: lambda:InvokeFunction
      Principal: "*"
"""


def test_permission_on_an_alias_of_a_template_function_is_that_functions(
    tmp_path: Path,
) -> None:
    """``!Ref Alias`` names a function of the template: its policy, not an outside one."""
    findings = _scan(tmp_path, "template.yaml", CFN_ALIAS)
    public = _at(findings, "FTR-IAM-007", "Fn")
    assert public.status is Status.FAIL, public.message
    assert not [f for f in findings if f.resource.logical_id == "PublicOnAlias"]


SLS_PERMISSION = """service: shop
provider: {name: aws, runtime: python3.12}
functions:
  api: {handler: app.handler}
resources:
  Resources:
    PartnerPermission:
      Type: AWS::Lambda::Permission
      Properties:
        FunctionName: arn:aws:lambda:us-east-1:123456789012:function:partner-hook
        Action: lambda:*
        Principal: "*"
"""


def test_serverless_resources_permission_for_an_outside_function(tmp_path: Path) -> None:
    findings = _scan(tmp_path, "serverless.yml", SLS_PERMISSION)
    for rule_id in ("FTR-IAM-007", "FTR-IAM-010"):
        finding = _at(findings, rule_id, "PartnerPermission")
        assert finding.status is Status.FAIL and "partner-hook" in finding.message
        assert finding.resource.line == _line(SLS_PERMISSION, "PartnerPermission:")


# --------------------------------------------------------------------------- takeover (012)

CFN_ROLES = """Resources:
  DeployRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {Service: codebuild.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: deploy
          PolicyDocument:
            Statement:
              - Sid: Ship
                Effect: Allow
                Action: lambda:UpdateFunctionCode
                Resource: "*"
  ReaderRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {Service: codebuild.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: read
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: [lambda:GetFunction, s3:GetObject], Resource: "*"}
  LaunchPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Users: [ci-user]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: [iam:PassRole, lambda:CreateFunction]
            Resource: "*"
  TaggedPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: lambda:AddPermission
            Resource: arn:aws:lambda:*:*:function:app-*
            Condition: {StringEquals: {aws:ResourceTag/team: web}}
"""


def test_cloudformation_role_used_by_nothing_with_update_code_fails(tmp_path: Path) -> None:
    findings = _scan(tmp_path, "template.yaml", CFN_ROLES)
    deploy = _at(findings, "FTR-IAM-012", "DeployRole")
    assert deploy.status is Status.FAIL
    assert deploy.resource.line == _line(CFN_ROLES, "DeployRole:")
    assert "lambda:UpdateFunctionCode on *" in deploy.message
    assert f"{tmp_path / 'template.yaml'}:{_line(CFN_ROLES, 'Sid: Ship')}" in deploy.message
    launch = _at(findings, "FTR-IAM-012", "LaunchPolicy")
    assert launch.status is Status.FAIL and "iam:PassRole+lambda:CreateFunction" in launch.message
    assert launch.resource.type == "AWS::IAM::ManagedPolicy"
    assert launch.evidence["attached"] == ["user ci-user"]
    # a condition on the resource's tags cannot be decided from the template
    tagged = _at(findings, "FTR-IAM-012", "TaggedPolicy")
    assert tagged.status is Status.UNKNOWN and "aws:ResourceTag/team" in tagged.message


def test_cloudformation_role_without_lambda_writes_and_a_deployer_pass(tmp_path: Path) -> None:
    findings = _scan(tmp_path, "template.yaml", CFN_ROLES)
    reader = _at(findings, "FTR-IAM-012", "ReaderRole")
    assert reader.status is Status.PASS and reader.resource.line == _line(CFN_ROLES, "ReaderRole:")
    config = ScanConfig(deployers=["arn:aws:iam::123456789012:role/DeployRole*"])
    deploy = _at(_scan(tmp_path, "template.yaml", CFN_ROLES, config), "FTR-IAM-012", "DeployRole")
    assert deploy.status is Status.PASS and "configured deployer" in deploy.message


TF_ROLES = """resource "aws_iam_role" "deploy" {
  name               = "deploy"
  assume_role_policy = jsonencode({Statement = [{Effect = "Allow", Action = "sts:AssumeRole", Principal = {Service = "codebuild.amazonaws.com"}}]})
}

data "aws_iam_policy_document" "ship" {
  statement {
    actions   = ["lambda:UpdateFunctionCode"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "ship" {
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.ship.json
}

resource "aws_iam_role" "quiet" {
  name               = "quiet"
  assume_role_policy = jsonencode({Statement = [{Effect = "Allow", Action = "sts:AssumeRole", Principal = {Service = "codebuild.amazonaws.com"}}]})
}

resource "aws_iam_role_policy" "quiet" {
  role   = aws_iam_role.quiet.id
  policy = jsonencode({Statement = [{Effect = "Allow", Action = ["lambda:UpdateFunctionCode"], Resource = "arn:aws:s3:::not-a-function/*"}]})
}

resource "aws_iam_policy" "layers" {
  name   = "layers"
  policy = jsonencode({Statement = [{Effect = "Allow", Action = "lambda:PublishLayerVersion", Resource = "arn:aws:lambda:us-east-1:123456789012:layer:shared"}]})
}

resource "aws_iam_role_policy" "elsewhere" {
  role   = "platform-admin"
  policy = jsonencode({Statement = [{Effect = "Allow", Action = "lambda:UpdateFunctionConfiguration", Resource = "arn:aws:lambda:us-east-1:123456789012:function:billing"}]})
}
"""


def test_terraform_role_used_by_nothing_with_update_code_fails(tmp_path: Path) -> None:
    findings = _scan(tmp_path, "main.tf", TF_ROLES)
    deploy = _at(findings, "FTR-IAM-012", "aws_iam_role.deploy")
    assert deploy.status is Status.FAIL and "lambda:UpdateFunctionCode on *" in deploy.message
    assert deploy.resource.line == _line(TF_ROLES, '"aws_iam_role" "deploy"')
    layers = _at(findings, "FTR-IAM-012", "aws_iam_policy.layers")
    assert layers.status is Status.FAIL and "lambda:PublishLayerVersion" in layers.message
    assert layers.resource.line == _line(TF_ROLES, '"aws_iam_policy" "layers"')
    elsewhere = _at(findings, "FTR-IAM-012", "aws_iam_role_policy.elsewhere")
    assert elsewhere.status is Status.FAIL and "function:billing" in elsewhere.message
    assert elsewhere.evidence["attached"] == ['role "platform-admin"']


def test_terraform_role_with_update_code_on_nothing_passes(tmp_path: Path) -> None:
    findings = _scan(tmp_path, "main.tf", TF_ROLES)
    quiet = _at(findings, "FTR-IAM-012", "aws_iam_role.quiet")
    assert quiet.status is Status.PASS and quiet.resource.line == _line(TF_ROLES, '"quiet" {')
    config = ScanConfig(deployers=["deploy"])  # a role name matches too
    deploy = _at(_scan(tmp_path, "main.tf", TF_ROLES, config), "FTR-IAM-012", "aws_iam_role.deploy")
    assert deploy.status is Status.PASS


def test_takeover_rule_is_iac_only() -> None:
    meta = engine.get_rule("FTR-IAM-012").meta
    assert meta.live is False and meta.to_dict()["applies_to"] == ["iac"]


def test_overlap_and_some_resource_decisions() -> None:
    functions = "arn:*:lambda:*:*:function:*"
    assert match.globs_overlap("app-*", "*-web") and not match.globs_overlap("app-?", "web")
    assert match.arns_overlap("arn:aws:lambda:us-east-1:1:function:app-*", functions)
    assert match.arns_overlap("arn:aws:*", functions) and match.arns_overlap("*", functions)
    # a star runs over colons in a glob, never across an ARN's service segment
    assert match.globs_overlap("arn:aws:s3:::b/*", functions)
    assert not match.arns_overlap("arn:aws:s3:::b/*", functions)
    assert not match.arns_overlap("arn:aws:lambda:*:*:layer:*", functions)
    policy = parse_policy(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "lambda:*", "Resource": "*"},
                {
                    "Effect": "Deny",
                    "Action": "lambda:UpdateFunctionCode",
                    "Resource": "arn:aws:lambda:*:*:function:one",
                },
                {"Effect": "Deny", "Action": "lambda:AddPermission", "Resource": "*"},
            ]
        }
    )
    scope = "arn:*:lambda:*:*:function:*"
    # a Deny on one function leaves the others; a Deny on everything wins
    assert match.evaluate_some(policy, "lambda:UpdateFunctionCode", scope).level == match.ALLOWED
    assert match.evaluate_some(policy, "lambda:AddPermission", scope).level == match.DENIED


# --------------------------------------------------------------------------- shared role (005)


def _cfn_function(name: str, role: str) -> str:
    return (
        f"  {name}:\n    Type: AWS::Lambda::Function\n    Properties:\n"
        "      Runtime: python3.12\n      Handler: app.handler\n"
        f'      Code: {{ZipFile: "def handler(e, c): pass"}}\n      Role: {role}\n'
    )


SHARED_ARN = "arn:aws:iam::123456789012:role/shared-exec"
ALONE_ARN = "arn:aws:iam::123456789012:role/alone-exec"
CFN_SHARED = "Parameters:\n  RoleArn: {Type: String}\nResources:\n" + "".join(
    _cfn_function(name, role)
    for name, role in (
        ("First", SHARED_ARN),
        ("Second", SHARED_ARN),
        ("Third", "!Ref RoleArn"),
        ("Fourth", "!Ref RoleArn"),
        ("Alone", ALONE_ARN),
    )
)


def test_cloudformation_functions_naming_the_same_role_arn_share_it(tmp_path: Path) -> None:
    findings = _scan(tmp_path, "template.yaml", CFN_SHARED)
    arn = _at(findings, "FTR-IAM-005", "First")  # reported at the first function naming it
    assert arn.status is Status.FAIL and arn.resource.line == _line(CFN_SHARED, "First:")
    assert arn.resource.id == SHARED_ARN
    assert "First, Second" in arn.message and "outside the scanned files" in arn.message
    assert {r.name for r in arn.related} == {"First", "Second"}
    param = _at(findings, "FTR-IAM-005", "Third")
    assert param.status is Status.FAIL and "RoleArn" in param.message
    assert param.resource.line == _line(CFN_SHARED, "Third:")
    alone = _at(findings, "FTR-IAM-005", "Alone")
    assert alone.status is Status.PASS and alone.resource.line == _line(CFN_SHARED, "Alone:")
    # a role defined elsewhere is judged by FTR-IAM-005 only: no unknown policy verdicts
    assert not [f for f in findings if f.rule_id in ("FTR-IAM-001", "FTR-IAM-006")]


def _tf_function(name: str, role: str) -> str:
    return (
        f'resource "aws_lambda_function" "{name}" {{\n  function_name = "{name}"\n'
        f'  role          = {role}\n  runtime       = "python3.12"\n'
        f'  handler       = "app.handler"\n  s3_bucket     = "code"\n'
        f'  s3_key        = "{name}.zip"\n}}\n\n'
    )


TF_SHARED = 'variable "role_arn" {}\n\n' + "".join(
    _tf_function(name, role)
    for name, role in (
        ("first", f'"{SHARED_ARN}"'),
        ("second", f'"{SHARED_ARN}"'),
        ("third", "var.role_arn"),
        ("fourth", "var.role_arn"),
        ("alone", f'"{ALONE_ARN}"'),
    )
)


def test_terraform_functions_naming_the_same_role_arn_share_it(tmp_path: Path) -> None:
    findings = _scan(tmp_path, "main.tf", TF_SHARED)
    arn = _at(findings, "FTR-IAM-005", "aws_lambda_function.first")
    assert arn.status is Status.FAIL and "first, second" in arn.message
    assert arn.resource.line == _line(TF_SHARED, '"first"')
    var = _at(findings, "FTR-IAM-005", "aws_lambda_function.third")
    assert var.status is Status.FAIL and "var.role_arn" in var.message
    assert var.resource.line == _line(TF_SHARED, '"third"')
    alone = _at(findings, "FTR-IAM-005", "aws_lambda_function.alone")
    assert alone.status is Status.PASS


SLS_DEFAULT = """service: shop
provider: {name: aws, runtime: python3.12}
functions:
  list: {handler: app.list}
  order: {handler: app.order}
"""
SLS_OWN_ROLES = """service: shop
provider: {name: aws, runtime: python3.12}
functions:
  list: {handler: app.list, role: ListRole}
  order: {handler: app.order, role: OrderRole}
resources:
  Resources:
    ListRole:
      Type: AWS::IAM::Role
      Properties:
        AssumeRolePolicyDocument:
          Statement:
            - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
    OrderRole:
      Type: AWS::IAM::Role
      Properties:
        AssumeRolePolicyDocument:
          Statement:
            - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
"""
SLS_SINGLE = """service: shop
provider: {name: aws, runtime: python3.12}
functions:
  list: {handler: app.list}
"""


def test_serverless_default_role_serving_two_functions_is_shared(tmp_path: Path) -> None:
    findings = _scan(tmp_path, "serverless.yml", SLS_DEFAULT)
    shared = _at(findings, "FTR-IAM-005", "IamRoleLambdaExecution")
    assert shared.status is Status.FAIL
    assert "shop-dev-list, shop-dev-order" in shared.message
    assert shared.resource.file == str(tmp_path / "serverless.yml")
    assert shared.resource.line == _line(SLS_DEFAULT, "provider:")


@pytest.mark.parametrize(("text", "roles"), [(SLS_OWN_ROLES, 2), (SLS_SINGLE, 1)])
def test_serverless_per_function_roles_or_one_function_pass(
    tmp_path: Path, text: str, roles: int
) -> None:
    findings = [f for f in _scan(tmp_path, "serverless.yml", text) if f.rule_id == "FTR-IAM-005"]
    assert len(findings) == roles and {f.status for f in findings} == {Status.PASS}
    assert all(f.resource.line for f in findings)
