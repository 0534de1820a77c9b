"""API-security rules (FTR-API-*) run through the engine on hand-built inventories."""

from __future__ import annotations

from typing import Any

import fortress.rules.api_exposure  # noqa: F401  (registers the rules)
from fortress.findings import Finding, Status
from fortress.inventory import (
    PART_CONCURRENCY,
    PART_URL,
    Api,
    ApiRoute,
    ApiStage,
    Function,
    FunctionUrl,
    Inventory,
    Origin,
    Unknown,
)
from fortress.rules import engine

ACCOUNT = "123456789012"
REGION = "us-east-1"
ORIGIN = Origin(source="aws", account=ACCOUNT, region=REGION)


def run(inventory: Inventory, rule_id: str) -> list[Finding]:
    try:
        rules = engine.select_rules([rule_id])
    except ModuleNotFoundError:  # other practice modules not in the tree yet
        rules = [r for r in engine._REGISTRY.values() if r.meta.id == rule_id]
    assert [r.meta.id for r in rules] == [rule_id]
    return engine.evaluate(inventory, rules)


def fn(name: str = "api", **kw: Any) -> Function:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return Function(name=name, arn=arn, origin=ORIGIN, **kw)


def api(kind: str, routes: list[ApiRoute], stages: Any = (), **kw: Any) -> Api:
    return Api(
        id="a1b2c3",
        name="orders",
        kind=kind,
        origin=ORIGIN,
        routes=routes,
        stages=list(stages),
        **kw,
    )


def one(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


URL = "https://abc.lambda-url.us-east-1.on.aws/"


# --------------------------------------------------------------------------- API-001


def test_api001_url_auth_none_fails_naming_url() -> None:
    f = one(run(Inventory(functions=[fn(urls=[FunctionUrl("NONE", url=URL)])]), "FTR-API-001"))
    assert f.status is Status.FAIL
    assert URL in f.message and "AuthType NONE" in f.message


def test_api001_iam_url_passes_and_no_url_is_not_applicable() -> None:
    inv = Inventory(functions=[fn("a", urls=[FunctionUrl("AWS_IAM", url=URL)]), fn("b")])
    f = one(run(inv, "FTR-API-001"))
    assert f.status is Status.PASS and f.resource.name == "a"


def test_api001_unknown_auth_and_uncollected_url_are_unknown() -> None:
    inv = Inventory(
        functions=[
            fn("a", urls=[FunctionUrl(Unknown("parameter AuthType"))]),
            fn("b", uncollected={PART_URL}),
        ]
    )
    findings = run(inv, "FTR-API-001")
    assert [f.status for f in findings] == [Status.UNKNOWN, Status.UNKNOWN]
    assert "parameter AuthType" in findings[0].message


# --------------------------------------------------------------------------- API-002


def test_api002_wildcard_origin_fails_and_says_credentials_are_worse() -> None:
    inv = Inventory(
        functions=[
            fn("plain", urls=[FunctionUrl("AWS_IAM", url=URL, cors_allow_origins=["*"])]),
            fn(
                "creds",
                urls=[
                    FunctionUrl(
                        "AWS_IAM", url=URL, cors_allow_origins=["*"], cors_allow_credentials=True
                    )
                ],
            ),
        ]
    )
    plain, creds = run(inv, "FTR-API-002")
    assert plain.status is Status.FAIL and creds.status is Status.FAIL
    assert "'*'" in plain.message and "worse with AllowCredentials" in plain.message
    assert "AllowCredentials true" in creds.message
    assert creds.evidence["allow_credentials"] is True


def test_api002_named_origins_pass_unknown_is_unknown() -> None:
    inv = Inventory(
        functions=[
            fn("a", urls=[FunctionUrl("NONE", cors_allow_origins=["https://app.example.com"])]),
            fn("b", urls=[FunctionUrl("NONE", cors_allow_origins=Unknown("!Ref Origins"))]),
        ]
    )
    a, b = run(inv, "FTR-API-002")
    assert a.status is Status.PASS
    assert b.status is Status.UNKNOWN and "!Ref Origins" in b.message


# --------------------------------------------------------------------------- API-003


def test_api003_open_rest_methods_fail_in_one_finding_listing_routes() -> None:
    routes = [
        ApiRoute("GET", "/orders"),
        ApiRoute("POST", "/orders"),
        ApiRoute("OPTIONS", "/orders"),  # CORS preflight: never a finding
        ApiRoute("GET", "/keyed", api_key_required=True),
        ApiRoute("DELETE", "/orders/{id}", authorization_type="AWS_IAM"),
    ]
    f = one(run(Inventory(apis=[api("rest", routes)]), "FTR-API-003"))
    assert f.status is Status.FAIL
    assert f.evidence["routes"] == ["GET /orders", "POST /orders"]
    assert "GET /orders, POST /orders" in f.message and "OPTIONS" not in f.message
    assert f.resource.type == "AWS::ApiGateway::RestApi"


def test_api003_authorized_rest_api_passes_http_api_not_applicable() -> None:
    rest = api("rest", [ApiRoute("GET", "/", authorization_type="COGNITO_USER_POOLS")])
    http = api("http", [ApiRoute("GET", "/")])
    f = one(run(Inventory(apis=[rest, http]), "FTR-API-003"))
    assert f.status is Status.PASS and f.resource.type == "AWS::ApiGateway::RestApi"


def test_api003_unknown_authorization_and_opaque_api_are_unknown() -> None:
    unresolved = api("rest", [ApiRoute("GET", "/", authorization_type=Unknown("Fn::If"))])
    opaque = api("rest", [], opaque_reason="OpenAPI body in S3")
    findings = run(Inventory(apis=[unresolved, opaque]), "FTR-API-003")
    assert [f.status for f in findings] == [Status.UNKNOWN, Status.UNKNOWN]
    assert "GET /" in findings[0].message and "OpenAPI body" in findings[1].message


# --------------------------------------------------------------------------- API-004


def test_api004_http_route_without_authorizer_fails() -> None:
    routes = [
        ApiRoute("GET", "/items"),
        ApiRoute("OPTIONS", "/items"),
        ApiRoute("POST", "/items", authorization_type="JWT", authorizer_id="au1"),
    ]
    f = one(run(Inventory(apis=[api("http", routes)]), "FTR-API-004"))
    assert f.status is Status.FAIL
    assert f.evidence["routes"] == ["GET /items"]
    assert f.resource.type == "AWS::ApiGatewayV2::Api"


def test_api004_all_routes_authorized_pass() -> None:
    routes = [ApiRoute("$default", "", authorization_type="AWS_IAM")]
    f = one(run(Inventory(apis=[api("http", routes), api("rest", [])]), "FTR-API-004"))
    assert f.status is Status.PASS


# --------------------------------------------------------------------------- API-005


def test_api005_unthrottled_stage_fails_naming_stage() -> None:
    inv = Inventory(apis=[api("rest", [], stages=[ApiStage("prod")])])
    f = one(run(inv, "FTR-API-005"))
    assert f.status is Status.FAIL
    assert "stage prod of orders" in f.message
    assert f.resource.id.endswith("/stages/prod")


def test_api005_each_kind_of_limit_passes() -> None:
    stages = [
        ApiStage("default", throttling_rate=100.0, throttling_burst=200),
        ApiStage("routes", route_throttling=True),
        ApiStage("plan", usage_plan_throttling=True),
        ApiStage("unresolved", throttling_rate=Unknown("parameter Rate")),
    ]
    findings = run(Inventory(apis=[api("http", [], stages=stages)]), "FTR-API-005")
    assert [f.status for f in findings] == [
        Status.PASS,
        Status.PASS,
        Status.PASS,
        Status.UNKNOWN,
    ]
    assert "parameter Rate" in findings[3].message


# --------------------------------------------------------------------------- API-006


def test_api006_body_methods_without_validator_fail() -> None:
    routes = [
        ApiRoute("POST", "/orders"),
        ApiRoute("PUT", "/orders/{id}", request_validator="body-validator"),
        ApiRoute("ANY", "/{proxy+}"),
        ApiRoute("GET", "/orders"),
    ]
    f = one(run(Inventory(apis=[api("rest", routes)]), "FTR-API-006"))
    assert f.status is Status.FAIL
    assert f.evidence["routes"] == ["POST /orders", "ANY /{proxy+}"]


def test_api006_validated_passes_no_body_methods_not_applicable() -> None:
    good = api("rest", [ApiRoute("PATCH", "/x", request_validator="v")])
    reads = Api(id="r", name="reads", kind="rest", origin=ORIGIN, routes=[ApiRoute("GET", "/")])
    f = one(run(Inventory(apis=[good, reads]), "FTR-API-006"))
    assert f.status is Status.PASS and f.resource.name == "orders"


# --------------------------------------------------------------------------- API-007


def test_api007_rest_stage_without_waf_fails_http_stage_not_applicable() -> None:
    rest = api("rest", [], stages=[ApiStage("prod"), ApiStage("dev", web_acl_arn="arn:waf:acl")])
    http = Api(id="h", name="http", kind="http", origin=ORIGIN, stages=[ApiStage("prod")])
    findings = run(Inventory(apis=[rest, http]), "FTR-API-007")
    assert [(f.resource.name, f.status) for f in findings] == [
        ("orders/prod", Status.FAIL),
        ("orders/dev", Status.PASS),
    ]
    assert "stage prod of REST API orders" in findings[0].message


def test_api007_unknown_acl_is_unknown() -> None:
    stage = ApiStage("prod", web_acl_arn=Unknown("association in another stack"))
    f = one(run(Inventory(apis=[api("rest", [], stages=[stage])]), "FTR-API-007"))
    assert f.status is Status.UNKNOWN and "another stack" in f.message


# --------------------------------------------------------------------------- API-008


def test_api008_reserved_concurrency() -> None:
    inv = Inventory(
        functions=[
            fn("none"),
            fn("capped", reserved_concurrency=25),
            fn("off", reserved_concurrency=0),
            fn("denied", uncollected={PART_CONCURRENCY}),
            fn("param", reserved_concurrency=Unknown("parameter Concurrency")),
        ]
    )
    got = {f.resource.name: f for f in run(inv, "FTR-API-008")}
    assert got["none"].status is Status.FAIL and "none" in got["none"].message
    assert got["capped"].status is Status.PASS and got["capped"].evidence["reserved"] == 25
    assert got["off"].status is Status.PASS
    assert got["denied"].status is Status.UNKNOWN
    assert got["param"].status is Status.UNKNOWN and "parameter Concurrency" in got["param"].message


def test_api_rule_metadata() -> None:
    ids = [f"FTR-API-00{i}" for i in range(1, 9)]
    metas = {r.meta.id: r.meta for r in engine._REGISTRY.values() if r.meta.id in ids}
    assert sorted(metas) == ids
    assert metas["FTR-API-001"].references["checkov"] == ["CKV_AWS_258"]
    assert metas["FTR-API-007"].target == "stage"
    assert "HTTP APIs cannot" in metas["FTR-API-007"].rationale
