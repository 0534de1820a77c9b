"""FTR-API-009: a WebSocket API's $connect route without an authorizer (hand-built inventories)."""

from __future__ import annotations

from test_rules_api_exposure import ORIGIN, api, fn, one, run

from fortress.findings import Status
from fortress.inventory import ApiRoute, Inventory, Origin, Unknown

CONNECT_ARN = fn("ws-connect").arn
SEND_ARN = fn("ws-send").arn


def _inv(*routes: ApiRoute, origin: Origin = ORIGIN) -> Inventory:
    made = api("websocket", list(routes))
    made.origin = origin
    return Inventory(functions=[fn("ws-connect"), fn("ws-send")], apis=[made])


def route(key: str, auth: object = "NONE", arn: str = CONNECT_ARN) -> ApiRoute:
    return ApiRoute(method=key, path="", authorization_type=auth, function_arns=[arn])  # type: ignore[arg-type]


def test_connect_without_authorizer_fails_naming_every_reachable_function() -> None:
    f = one(run(_inv(route("$connect"), route("sendMessage", arn=SEND_ARN)), "FTR-API-009"))
    assert f.status is Status.FAIL
    assert "$connect -> ws-connect has no authorizer" in f.message
    assert "sendMessage -> ws-send" in f.message
    assert [r.name for r in f.related] == ["ws-connect", "ws-send"]
    assert f.evidence["exposed"][1] == {"route": "sendMessage", "functions": [SEND_ARN]}


def test_connect_with_iam_or_lambda_authorizer_passes() -> None:
    for auth in ("AWS_IAM", "CUSTOM"):
        f = one(run(_inv(route("$connect", auth), route("$default")), "FTR-API-009"))
        assert f.status is Status.PASS and auth in f.message


def test_no_connect_route_fails_live_and_no_routes_in_a_template_is_unknown() -> None:
    f = one(run(_inv(route("$default", arn=SEND_ARN)), "FTR-API-009"))
    assert f.status is Status.FAIL and "has no $connect route" in f.message
    template = Origin(source="cloudformation", file="t.yaml", line=3)
    f = one(run(_inv(origin=template), "FTR-API-009"))
    assert f.status is Status.UNKNOWN and "no route" in f.message


def test_unresolvable_authorization_is_unknown() -> None:
    f = one(run(_inv(route("$connect", Unknown("a parameter"))), "FTR-API-009"))
    assert f.status is Status.UNKNOWN and "a parameter" in f.message


def test_rest_and_http_apis_are_not_judged() -> None:
    inv = Inventory(apis=[api("http", [route("$connect")]), api("rest", [route("GET")])])
    assert run(inv, "FTR-API-009") == []
