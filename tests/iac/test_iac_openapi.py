"""APIs defined by an OpenAPI body (SAM DefinitionBody, CloudFormation Body) have routes."""

from __future__ import annotations

from pathlib import Path

from fortress.config import ScanConfig
from fortress.findings import Finding, Status
from fortress.rules.engine import evaluate, select_rules
from fortress.sources import cloudformation
from fortress.sources.base import IacOptions

FIXTURES = Path(__file__).parent / "fixtures" / "openapi"


def scan(name: str, rules: list[str]) -> dict[str, Finding]:
    inventory = cloudformation.load(FIXTURES / name, IacOptions())
    return {
        f"{f.rule_id} {f.resource.logical_id}": f
        for f in evaluate(inventory, select_rules(rules), ScanConfig())
    }


def test_sam_definition_body_routes_are_judged() -> None:
    inventory = cloudformation.load(FIXTURES / "sam-definition-body.yaml", IacOptions())
    api = next(a for a in inventory.apis if a.id == "ShopApi")
    routes = {r.key: r for r in api.routes}
    # OPTIONS preflight stays a route but is not judged; the event's /cart POST merges into the body's.
    assert set(routes) == {"OPTIONS /cart", "POST /cart", "POST /orders", "GET /partner/feed"}
    assert routes["POST /orders"].authorization_type == "COGNITO_USER_POOLS"
    assert routes["GET /partner/feed"].api_key_required is True
    assert routes["POST /orders"].request_validator == "body"
    assert all(r.function_arns for k, r in routes.items() if k != "OPTIONS /cart")

    found = scan("sam-definition-body.yaml", ["FTR-API-003", "FTR-API-006"])
    unauthenticated = found["FTR-API-003 ShopApi"]
    assert unauthenticated.status is Status.FAIL
    assert "POST /cart" in unauthenticated.message and "/orders" not in unauthenticated.message
    assert "/partner/feed" not in unauthenticated.message  # an API key is required there
    no_validator = found["FTR-API-006 ShopApi"]
    # the "params" validator does not check bodies; the "body" one does
    assert no_validator.status is Status.FAIL and "POST /cart" in no_validator.message
    assert "/orders" not in no_validator.message


def test_http_api_body_with_jwt_and_an_open_route() -> None:
    found = scan("cfn-http-body.yaml", ["FTR-API-004"])
    finding = found["FTR-API-004 MobileApi"]
    assert finding.status is Status.FAIL
    assert "GET /health" in finding.message and "/me" not in finding.message


def test_unresolvable_body_is_unknown_not_safe() -> None:
    found = scan("cfn-http-body.yaml", ["FTR-API-003"])
    assert found["FTR-API-003 OpaqueApi"].status is Status.UNKNOWN


def test_terraform_rest_api_body(tmp_path: Path) -> None:
    from fortress.sources import terraform

    (tmp_path / "main.tf").write_text(
        """
resource "aws_lambda_function" "cart" {
  function_name = "cart"
  role          = "arn:aws:iam::123456789012:role/cart"
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "cart.zip"
}

resource "aws_api_gateway_rest_api" "shop" {
  name = "shop"
  body = jsonencode({
    openapi = "3.0.1"
    info    = { title = "shop" }
    paths = {
      "/cart" = {
        post = {
          "x-amazon-apigateway-integration" = {
            type = "aws_proxy"
            uri  = aws_lambda_function.cart.invoke_arn
          }
        }
      }
      "/admin" = {
        post = {
          security = [{ sigv4 = [] }]
          "x-amazon-apigateway-integration" = { type = "aws_proxy", uri = aws_lambda_function.cart.invoke_arn }
        }
      }
    }
    components = {
      securitySchemes = {
        sigv4 = { type = "apiKey", name = "Authorization", in = "header", "x-amazon-apigateway-authtype" = "awsSigv4" }
      }
    }
  })
}
"""
    )
    inventory = terraform.load(tmp_path, IacOptions())
    api = next(a for a in inventory.apis if a.name == "shop")
    routes = {r.key: r for r in api.routes}
    assert routes["POST /admin"].authorization_type == "AWS_IAM"
    assert routes["POST /cart"].authorization_type == "NONE"
    findings = evaluate(inventory, select_rules(["FTR-API-003"]), ScanConfig())
    assert [f.status for f in findings] == [Status.FAIL]
    assert "POST /cart" in findings[0].message and "/admin" not in findings[0].message
