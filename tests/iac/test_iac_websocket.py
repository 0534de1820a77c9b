"""WebSocket APIs (FTR-API-009) from Serverless ``websocket`` events, and WebSocket routes kept
apart from HTTP API routes (FTR-API-004) in every format."""

from __future__ import annotations

from pathlib import Path

from fortress.findings import Finding, Status
from fortress.rules import engine
from fortress.sources import serverless, terraform
from fortress.sources.base import IacOptions

SERVICE = """\
service: chat
provider:
  name: aws
  runtime: python3.12
functions:
  auth:
    handler: auth.handler
  connect:
    handler: connect.handler
    events:
      - websocket: {route: $connect, authorizer: auth}
  send:
    handler: send.handler
    events:
      - websocket: $default
"""


def _sls(tmp_path: Path, text: str) -> list[Finding]:
    path = tmp_path / "serverless.yml"
    path.write_text(text)
    inv = serverless.load(path, IacOptions())
    return engine.evaluate(inv, engine.select_rules(["FTR-API-004", "FTR-API-009"]))


def test_serverless_connect_with_authorizer_passes(tmp_path: Path) -> None:
    (f,) = _sls(tmp_path, SERVICE)
    assert (f.rule_id, f.status) == ("FTR-API-009", Status.PASS)
    assert f.resource.logical_id == "WebsocketsApi" and f.resource.name == "chat-dev-websockets"
    assert (f.resource.file, f.resource.line) == (str(tmp_path / "serverless.yml"), 11)


def test_serverless_connect_without_authorizer_fails_and_names_the_functions(
    tmp_path: Path,
) -> None:
    text = SERVICE.replace("{route: $connect, authorizer: auth}", "$connect")
    (f,) = _sls(tmp_path, text)
    assert (f.rule_id, f.status) == ("FTR-API-009", Status.FAIL)
    assert "$connect -> chat-dev-connect has no authorizer" in f.message
    assert "$default -> chat-dev-send" in f.message
    assert {r.name for r in f.related} == {"chat-dev-connect", "chat-dev-send"}
    assert f.resource.line == 11


def test_serverless_websockets_without_connect_route_fails(tmp_path: Path) -> None:
    text = SERVICE.replace("{route: $connect, authorizer: auth}", "sendMessage")
    (f,) = _sls(tmp_path, text)
    assert f.status is Status.FAIL and "has no $connect route" in f.message


def test_terraform_websocket_routes_are_not_http_routes(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_apigatewayv2_api" "ws" {\n  name = "ws"\n'
        '  protocol_type = "WEBSOCKET"\n}\n'
        'resource "aws_apigatewayv2_route" "c" {\n  api_id = aws_apigatewayv2_api.ws.id\n'
        '  route_key = "$connect"\n  authorization_type = "AWS_IAM"\n}\n'
        'resource "aws_apigatewayv2_route" "d" {\n  api_id = aws_apigatewayv2_api.ws.id\n'
        '  route_key = "$default"\n}\n'
    )
    inv = terraform.load(tmp_path)
    found = engine.evaluate(inv, engine.select_rules(["FTR-API-004", "FTR-API-009"]))
    assert [(f.rule_id, f.status) for f in found] == [("FTR-API-009", Status.PASS)]
