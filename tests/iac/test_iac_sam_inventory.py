"""SAM expansion: implicit role and policies, events, URL, APIs with auth, suppressions."""

from __future__ import annotations

import re
from pathlib import Path

from fortress.inventory import Unknown
from fortress.sources import cloudformation
from fortress.sources.base import IacOptions
from fortress.sources.cloudformation import sam

FIXTURES = Path(__file__).parent / "fixtures" / "sam"


def test_implicit_role_gets_basic_execution_and_real_managed_documents() -> None:
    inv = cloudformation.load(FIXTURES / "vulnerable.yaml", IacOptions())
    fn = next(f for f in inv.functions if f.name == "OrderFunction")
    assert (fn.runtime, fn.timeout) == ("nodejs12.x", 900)  # from Globals
    role = next(r for r in inv.roles if r.arn == fn.role_arn)
    assert role.name == "OrderFunctionRole" and role.origin.line == 12
    attached = {p.name: p for p in role.attached_policies}
    assert set(attached) == {"AWSLambdaBasicExecutionRole", "AmazonS3FullAccess"}
    s3_actions = attached["AmazonS3FullAccess"].document["Statement"][0]["Action"]  # type: ignore[index]
    assert "s3:*" in s3_actions  # judged by the real document, not the name
    inline = [p.document for p in role.inline_policies if not isinstance(p.document, Unknown)]
    statements = [st for doc in inline for st in doc["Statement"]]
    assert {"Effect": "Allow", "Action": "iam:*", "Resource": "*"} in statements


def test_policy_template_expanded_from_sam_translator_data() -> None:
    inv = cloudformation.load(FIXTURES / "vulnerable.yaml", IacOptions())
    role = next(r for r in inv.roles if r.name == "OrderFunctionRole")
    crud = next(p for p in role.inline_policies if p.name.endswith("DynamoDBCrudPolicy"))
    if sam.policy_templates() is None:
        # Without the translator's data the template is Unknown with the reason, never safe.
        assert isinstance(crud.document, Unknown) and "aws-sam-translator" in crud.document.reason
    else:
        statement = crud.document["Statement"][0]  # type: ignore[index]
        assert "dynamodb:PutItem" in statement["Action"]
        assert re.search(r":table/Orders-[0-9a-f]{6}$", statement["Resource"][0])  # stack-named


def test_expand_policy_template_substitutes_parameters() -> None:
    result = sam.expand_policy_template("S3ReadPolicy", {"BucketName": {"Ref": "B"}})
    if sam.policy_templates() is None:
        assert isinstance(result, Unknown)
    else:
        resources = result["Statement"][0]["Resource"]
        assert resources[0]["Fn::Sub"][1] == {"bucketName": {"Ref": "B"}}
    assert isinstance(sam.expand_policy_template("S3ReadPolicy", {}), Unknown)


def test_events_url_and_public_permission() -> None:
    inv = cloudformation.load(FIXTURES / "vulnerable.yaml", IacOptions())
    fn = next(f for f in inv.functions if f.name == "OrderFunction")
    assert fn.urls[0].auth_type == "NONE" and fn.urls[0].cors_allow_origins == ["*"]
    statements = {s["Sid"]: s for s in fn.resource_policy["Statement"]}  # type: ignore[index]
    assert statements["OrderFunctionUrlPublicPermissions"]["Principal"] == "*"
    assert statements["OrderFunctionReceiptPermission"]["Principal"] == {
        "Service": "s3.amazonaws.com"
    }
    api_perm = statements["OrderFunctionOrderPermission"]["Condition"]["ArnLike"]["AWS:SourceArn"]
    assert api_perm.endswith(":ServerlessRestApi/*/POST/order")
    env = {e.name: e for e in fn.environment}
    assert env["API_KEY"].reference == "AWS::ApiGateway::ApiKey"
    assert fn.origin.suppressions == (
        ("FTR-API-008", "concurrency is managed by the account quota"),
        ("FTR-LOG-003", ""),
    )
    api = next(a for a in inv.apis if a.id == "ServerlessRestApi")
    assert (api.id, api.origin.logical_id, api.stages[0].name) == ("ServerlessRestApi",) * 2 + (
        "Prod",
    )
    assert [(r.key, r.authorization_type) for r in api.routes] == [("POST /order", "NONE")]
    assert inv.log_groups == []  # the implicit /aws/lambda/<name> group is not declared


def test_api_auth_default_and_per_route_override() -> None:
    inv = cloudformation.load(FIXTURES / "hardened.yaml", IacOptions())
    api = next(a for a in inv.apis if a.id == "OrderApi")
    routes = {r.key: r for r in api.routes}
    assert routes["POST /order"].authorization_type == "COGNITO_USER_POOLS"
    assert routes["POST /order"].request_validator is not None
    assert routes["GET /health"].authorization_type == "NONE"
    assert routes["GET /health"].api_key_required is True
    stage = api.stages[0]
    assert stage.name == "prod" and stage.throttled and stage.tracing_enabled is True
    fn = inv.functions[0]
    assert (
        fn.tracing_mode == "Active"
        and fn.dead_letter_target == "arn:aws:sqs:us-east-1:111122223333:dlq"
    )
    role = inv.roles[0]
    assert "AWSXrayWriteOnlyAccess" in {p.name for p in role.attached_policies}


def test_http_api_events_alias_and_layer(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        """Transform: AWS::Serverless-2016-10-31
Resources:
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt: {JwtConfiguration: {issuer: https://issuer}, IdentitySource: $request.header.Authorization}
  Layer:
    Type: AWS::Serverless::LayerVersion
    Properties: {LayerName: deps, ContentUri: layer/}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      Role: arn:aws:iam::111122223333:role/given
      AutoPublishAlias: live
      Layers: [!Ref Layer]
      Events:
        Get: {Type: HttpApi, Properties: {ApiId: !Ref Http, Path: /a, Method: get}}
        Open: {Type: HttpApi, Properties: {ApiId: !Ref Http, Path: /open, Method: get, Auth: {Authorizer: NONE}}}
        Jobs: {Type: SQS, Properties: {Queue: arn:aws:sqs:us-east-1:111122223333:jobs}}
"""
    )
    inv = cloudformation.load(path, IacOptions())
    fn = inv.functions[0]
    assert fn.role_arn == "arn:aws:iam::111122223333:role/given" and inv.roles == []
    assert [a.name for a in fn.aliases] == ["live"]
    assert fn.layers[0].arn == inv.layers[0].arn
    assert fn.event_source_mappings[0].event_source_arn.endswith(":jobs")  # type: ignore[union-attr]
    routes = {r.key: r.authorization_type for r in inv.apis[0].routes}
    assert routes == {"GET /a": "JWT", "GET /open": "NONE"}
    assert inv.apis[0].kind == "http" and inv.apis[0].stages[0].name == "$default"
