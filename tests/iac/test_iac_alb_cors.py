"""FTR-API-012 (HTTP API CORS) and FTR-API-013 (ALB in front of a function) on the IaC forms the
fixture suites do not hold: SAM ``Globals.HttpApi`` and the string/``true`` forms, Serverless
``provider.httpApi.cors`` and ``alb`` events, load balancers and listeners of other stacks, and
Terraform's ``aws_alb_*`` spellings and weighted forwards. Findings carry file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from fortress.findings import Finding, Status
from fortress.inventory import Inventory
from fortress.rules import engine
from fortress.sources import cloudformation, serverless, terraform
from fortress.sources.base import IacOptions

RULES = ["FTR-API-012", "FTR-API-013"]


def _judged(inv: Inventory) -> dict[tuple[str, str], Finding]:
    found = engine.evaluate(inv, engine.select_rules(RULES))
    return {(f.rule_id, f.resource.logical_id or ""): f for f in found}


def _cfn(tmp_path: Path, text: str) -> dict[tuple[str, str], Finding]:
    (tmp_path / "template.yaml").write_text(text)
    return _judged(cloudformation.load(tmp_path / "template.yaml", IacOptions()))


def _sls(tmp_path: Path, text: str) -> dict[tuple[str, str], Finding]:
    (tmp_path / "serverless.yml").write_text(text)
    return _judged(serverless.load(tmp_path / "serverless.yml", IacOptions()))


def _tf(tmp_path: Path, text: str) -> dict[tuple[str, str], Finding]:
    (tmp_path / "main.tf").write_text(text)
    return _judged(terraform.load(tmp_path))


# --------------------------------------------------------------------------- SAM

SAM = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  HttpApi:
    CorsConfiguration: true
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(e, c): return 1"
      Events:
        Get: {Type: HttpApi, Properties: {Path: /me, Method: get}}
"""


def test_sam_globals_cors_true_is_any_origin_on_the_implicit_api(tmp_path: Path) -> None:
    f = _cfn(tmp_path, SAM)[("FTR-API-012", "ServerlessHttpApi")]
    assert f.status is Status.FAIL and "('*')" in f.message
    assert f.resource.line == 6  # the implicit API is reported at the function that makes it
    assert [r.name.split("-")[0] for r in f.related] == ["Fn"]  # the function behind it


def test_sam_string_and_named_object_forms_pass(tmp_path: Path) -> None:
    for value in (
        "\"'https://app.example.com'\"",
        "{AllowOrigins: [https://app.example.com], AllowCredentials: true}",
    ):
        text = SAM.replace("CorsConfiguration: true", f"CorsConfiguration: {value}")
        assert _cfn(tmp_path, text)[("FTR-API-012", "ServerlessHttpApi")].status is Status.PASS


def test_sam_cors_origins_from_a_parameter_are_unknown(
    tmp_path: Path,
) -> None:
    text = "Parameters:\n  Origins: {Type: CommaDelimitedList}\n" + SAM.replace(
        "CorsConfiguration: true", "CorsConfiguration: {AllowOrigins: !Ref Origins}"
    )
    f = _cfn(tmp_path, text)[("FTR-API-012", "ServerlessHttpApi")]
    assert f.status is Status.UNKNOWN and "Origins" in f.message


# --------------------------------------------------------------------------- CloudFormation

ALB = """\
Parameters:
  SharedAlb: {Type: String}
  SharedListener: {Type: String}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: arn:aws:iam::111122223333:role/r, Code: {ZipFile: x}}
  Tg:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {TargetType: lambda, Targets: [{Id: !GetAtt Fn.Arn}]}
"""


@pytest.mark.parametrize(
    ("resource", "why"),
    [
        (  # a listener of another stack's load balancer
            "Listener:\n    Type: AWS::ElasticLoadBalancingV2::Listener\n    Properties: "
            "{LoadBalancerArn: !Ref SharedAlb, DefaultActions: [{Type: forward, TargetGroupArn: "
            "!Ref Tg}]}",
            "not declared in the scanned files",
        ),
        (  # a rule on another stack's listener
            "Rule:\n    Type: AWS::ElasticLoadBalancingV2::ListenerRule\n    Properties: "
            "{ListenerArn: !Ref SharedListener, Priority: 5, Actions: [{Type: forward, "
            "TargetGroupArn: !Ref Tg}]}",
            "listener",
        ),
    ],
)
def test_cfn_load_balancer_or_listener_of_another_stack_is_unknown(
    tmp_path: Path, resource: str, why: str
) -> None:
    f = _cfn(tmp_path, ALB + f"  {resource}\n")[("FTR-API-013", "Fn")]
    assert f.status is Status.UNKNOWN and why in f.message
    assert f.resource.line == 5


def test_cfn_target_group_no_listener_forwards_to_is_unknown(tmp_path: Path) -> None:
    f = _cfn(tmp_path, ALB)[("FTR-API-013", "Fn")]
    assert f.status is Status.UNKNOWN and "may be declared elsewhere" in f.message


def test_cfn_internal_scheme_and_weighted_forward(tmp_path: Path) -> None:
    listener = (
        "  Alb:\n    Type: AWS::ElasticLoadBalancingV2::LoadBalancer\n"
        "    Properties: {Scheme: SCHEME}\n"
        "  Listener:\n    Type: AWS::ElasticLoadBalancingV2::Listener\n"
        "    Properties: {LoadBalancerArn: !Ref Alb, DefaultActions: [{Type: forward, "
        "ForwardConfig: {TargetGroups: [{TargetGroupArn: !Ref Tg, Weight: 1}]}}]}\n"
    )
    assert (
        _cfn(tmp_path, ALB + listener.replace("SCHEME", "internal"))[("FTR-API-013", "Fn")].status
        is Status.PASS
    )
    f = _cfn(tmp_path, ALB + listener.replace("SCHEME", "internet-facing"))[("FTR-API-013", "Fn")]
    assert f.status is Status.FAIL and "Alb listener" in f.message


# --------------------------------------------------------------------------- Serverless

SERVICE = """\
service: shop
provider:
  name: aws
  runtime: python3.12
  httpApi:
    cors: CORS
  alb:
    authorizers:
      sso: {type: oidc, issuer: https://idp.example.com}
functions:
  web:
    handler: h.web
    events:
      - httpApi: GET /web
      - alb: {listenerArn: !Ref Listener, priority: 1, conditions: {path: /web}}
  admin:
    handler: h.admin
    events:
      - alb: {listenerArn: !Ref Listener, priority: 2, authorizer: sso, conditions: {path: /admin}}
  shared:
    handler: h.shared
    events:
      - alb:
          listenerArn: arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/shared/1/2
          priority: 3
          conditions: {path: /shared}
resources:
  Resources:
    Alb: {Type: AWS::ElasticLoadBalancingV2::LoadBalancer}
    Listener:
      Type: AWS::ElasticLoadBalancingV2::Listener
      Properties: {LoadBalancerArn: !Ref Alb, DefaultActions: [{Type: fixed-response}]}
"""


def test_serverless_alb_events(tmp_path: Path) -> None:
    found = _sls(tmp_path, SERVICE.replace("CORS", "true"))
    web = found[("FTR-API-013", "WebLambdaFunction")]
    assert web.status is Status.FAIL and "Alb listener" in web.message and "(rule 1)" in web.message
    assert (web.resource.file, web.resource.line) == (str(tmp_path / "serverless.yml"), 11)
    assert found[("FTR-API-013", "AdminLambdaFunction")].status is Status.PASS
    shared = found[("FTR-API-013", "SharedLambdaFunction")]
    assert shared.status is Status.UNKNOWN and "listener/app/shared/1/2" in shared.message


def test_serverless_alb_authorizer_not_defined_is_unknown(tmp_path: Path) -> None:
    text = SERVICE.replace("CORS", "true").replace("authorizer: sso", "authorizer: other")
    f = _sls(tmp_path, text)[("FTR-API-013", "AdminLambdaFunction")]
    assert f.status is Status.UNKNOWN and "other" in f.message


def test_serverless_http_api_cors(tmp_path: Path) -> None:
    f = _sls(tmp_path, SERVICE.replace("CORS", "true"))[("FTR-API-012", "HttpApi")]
    assert f.status is Status.FAIL and "('*')" in f.message and f.resource.line == 2
    named = "{allowedOrigins: ['https://app.example.com'], allowCredentials: true}"
    assert (
        _sls(tmp_path, SERVICE.replace("CORS", named))[("FTR-API-012", "HttpApi")].status
        is Status.PASS
    )
    wide = "{allowCredentials: true}"  # allowedOrigins defaults to *
    f = _sls(tmp_path, SERVICE.replace("CORS", wide))[("FTR-API-012", "HttpApi")]
    assert f.status is Status.FAIL and "AllowCredentials true" in f.message


# --------------------------------------------------------------------------- Terraform

TF = """\
resource "aws_lambda_function" "fn" {
  function_name = "fn"
  runtime       = "python3.12"
  handler       = "a.h"
  role          = "arn:aws:iam::111122223333:role/r"
  filename      = "fn.zip"
}

resource "aws_alb_target_group" "fn" {
  name        = "fn"
  target_type = "lambda"
}

resource "aws_alb_target_group_attachment" "fn" {
  target_group_arn = aws_alb_target_group.fn.arn
  target_id        = aws_lambda_function.fn.arn
}
"""


def test_terraform_alb_spellings_internal_and_weighted(tmp_path: Path) -> None:
    lb = """
resource "aws_alb" "lb" {
  internal = INTERNAL
}

resource "aws_alb_listener" "l" {
  load_balancer_arn = aws_alb.lb.arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type = "forward"
    forward {
      target_group {
        arn = aws_alb_target_group.fn.arn
      }
    }
  }
}
"""
    f = _tf(tmp_path, TF + lb.replace("INTERNAL", "false"))[
        ("FTR-API-013", "aws_lambda_function.fn")
    ]
    assert f.status is Status.FAIL and "lb listener HTTP:80" in f.message and f.resource.line == 1
    f = _tf(tmp_path, TF + lb.replace("INTERNAL", "true"))[
        ("FTR-API-013", "aws_lambda_function.fn")
    ]
    assert f.status is Status.PASS


def test_terraform_rule_on_a_listener_outside_the_files_is_unknown(tmp_path: Path) -> None:
    rule = """
variable "listener_arn" { type = string }

resource "aws_lb_listener_rule" "r" {
  listener_arn = var.listener_arn
  action {
    type             = "forward"
    target_group_arn = aws_alb_target_group.fn.arn
  }
}
"""
    f = _tf(tmp_path, TF + rule)[("FTR-API-013", "aws_lambda_function.fn")]
    assert f.status is Status.UNKNOWN


def test_terraform_cors_origins_from_a_variable_are_unknown(tmp_path: Path) -> None:
    api = """
variable "origins" { type = list(string) }

resource "aws_apigatewayv2_api" "h" {
  name          = "h"
  protocol_type = "HTTP"
  cors_configuration {
    allow_origins = var.origins
  }
}
"""
    f = _tf(tmp_path, TF + api)[("FTR-API-012", "aws_apigatewayv2_api.h")]
    assert f.status is Status.UNKNOWN
