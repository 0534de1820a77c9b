"""FTR-API-012 (HTTP API CORS allowing any origin) and FTR-API-013 (function behind an
internet-facing Application Load Balancer without authentication), on hand-built inventories."""

from __future__ import annotations

from typing import Any

from test_rules_api_exposure import ORIGIN, api, fn, one, run

from fortress.findings import Status
from fortress.inventory import (
    COLLECTION_LOAD_BALANCERS,
    ApiRoute,
    FunctionUrl,
    Inventory,
    LbAction,
    LbListener,
    LbRule,
    LoadBalancer,
    TargetGroup,
    Unknown,
)

FN_ARN = "arn:aws:lambda:us-east-1:123456789012:function:web"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/1"

# --------------------------------------------------------------------------- FTR-API-012


def _http(origins: Any, credentials: Any = False, kind: str = "http") -> Inventory:
    made = api(kind, [ApiRoute("GET", "/me", function_arns=[FN_ARN])])
    made.cors_allow_origins, made.cors_allow_credentials = origins, credentials
    return Inventory(functions=[fn("web")], apis=[made])


def test_any_origin_with_credentials_fails_and_names_the_functions() -> None:
    for origin in ("*", "https://*", "http://*", "null"):
        f = one(run(_http(["https://app.example.com", origin], True), "FTR-API-012"))
        assert f.status is Status.FAIL, origin
        assert f"any origin ('{origin}') with AllowCredentials true" in f.message
        assert f.evidence["allow_credentials"] is True and f.evidence["origins"] == [origin]
        assert [r.name for r in f.related] == ["web"]


def test_any_origin_without_credentials_fails_less_loudly() -> None:
    f = one(run(_http(["*"]), "FTR-API-012"))
    assert f.status is Status.FAIL and "worse with AllowCredentials" in f.message
    f = one(run(_http(["*"], Unknown("!Ref Creds")), "FTR-API-012"))
    assert f.status is Status.FAIL and "!Ref Creds" in f.message


def test_named_origins_and_no_cors_pass() -> None:
    for origins in (["https://app.example.com", "https://*.example.com"], None, []):
        f = one(run(_http(origins, True), "FTR-API-012"))
        assert f.status is Status.PASS, origins


def test_unresolved_origins_are_unknown_and_other_apis_not_judged() -> None:
    f = one(run(_http(Unknown("parameter Origins has no default")), "FTR-API-012"))
    assert f.status is Status.UNKNOWN and "Origins has no default" in f.message
    assert run(_http(["*"], kind="websocket"), "FTR-API-012") == []
    assert run(_http(["*"], kind="rest"), "FTR-API-012") == []


def test_function_url_rule_shares_the_judgment() -> None:
    url = FunctionUrl("AWS_IAM", cors_allow_origins=["https://*"], cors_allow_credentials=True)
    f = one(run(Inventory(functions=[fn("web", urls=[url])]), "FTR-API-002"))
    assert f.status is Status.FAIL and "('https://*') with AllowCredentials true" in f.message


# --------------------------------------------------------------------------- FTR-API-013


def _forward(order: int | None = None, group: str = TG) -> LbAction:
    return LbAction("forward", [group], order)


def _alb(
    actions: list[LbAction] | Unknown,
    scheme: Any = "internet-facing",
    group: TargetGroup | None = None,
    priority: str = "default",
) -> Inventory:
    listener = LbListener(
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/pub/1/2",
        ORIGIN,
        port=443,
        protocol="HTTPS",
        rules=[LbRule(priority, actions)],
    )
    lb = LoadBalancer("arn:lb/pub", "pub", ORIGIN, scheme=scheme, listeners=[listener])
    target = group or TargetGroup(TG, "web-tg", ORIGIN, "lambda", [FN_ARN + ":live"])
    return Inventory(functions=[fn("web")], load_balancers=[lb], target_groups=[target])


def test_public_alb_forwarding_without_authentication_fails_naming_lb_and_listener() -> None:
    f = one(run(_alb([_forward()]), "FTR-API-013"))
    assert f.status is Status.FAIL
    assert "pub listener HTTPS:443 (default action)" in f.message
    assert f.evidence["load_balancers"] == ["pub"]
    (path,) = f.evidence["paths"]
    assert path["target_group"] == TG and path["rule"] == "default"


def test_authentication_before_the_forward_passes_after_it_does_not() -> None:
    for kind in ("authenticate-oidc", "authenticate-cognito"):
        gated = [LbAction(kind, order=1), _forward(2)]
        f = one(run(_alb(gated, priority="10"), "FTR-API-013"))
        assert f.status is Status.PASS and "only after authentication" in f.message
    # Order decides, not the position in the list: here the forward runs first.
    late = [LbAction("authenticate-oidc", order=2), _forward(1)]
    assert one(run(_alb(late), "FTR-API-013")).status is Status.FAIL


def test_internal_alb_passes_and_unknown_scheme_or_actions_are_unknown() -> None:
    f = one(run(_alb([_forward()], scheme="internal"), "FTR-API-013"))
    assert f.status is Status.PASS and "internal" in f.message
    f = one(run(_alb([_forward()], scheme=Unknown("a parameter")), "FTR-API-013"))
    assert f.status is Status.UNKNOWN and "a parameter" in f.message
    f = one(run(_alb(Unknown("the listener's rules could not be read")), "FTR-API-013"))
    assert f.status is Status.UNKNOWN and "could not be read" in f.message
    unresolved = [LbAction("forward", [Unknown("!Ref Elsewhere")])]
    assert one(run(_alb(unresolved), "FTR-API-013")).status is Status.UNKNOWN


def test_a_rule_forwarding_elsewhere_does_not_expose_the_function() -> None:
    other = [_forward(group="arn:other-tg")]
    f = one(run(_alb(other), "FTR-API-013"))
    assert f.status is Status.PASS and "no listener forwards to" in f.message


def test_no_lambda_target_group_is_not_applicable_unless_not_collected() -> None:
    instance = TargetGroup(TG, "web-tg", ORIGIN, "instance", [FN_ARN])
    assert run(_alb([_forward()], group=instance), "FTR-API-013") == []
    assert run(Inventory(functions=[fn("web")]), "FTR-API-013") == []
    inv = Inventory(functions=[fn("web")], uncollected={f"{COLLECTION_LOAD_BALANCERS}@us-east-1"})
    assert one(run(inv, "FTR-API-013")).status is Status.UNKNOWN
