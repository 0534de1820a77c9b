"""The demo's Application Load Balancers (FTR-API-013).

``shopfast-public`` (internet-facing) forwards ``/export/*`` and everything else to
legacy-export with no authentication, and ``/admin/*`` to admin-tools only after an OIDC
sign-in; ``shopfast-internal`` (internal) serves reports-generator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_OIDC = {
    "Issuer": "https://login.shopfast.example",
    "AuthorizationEndpoint": "https://login.shopfast.example/authorize",
    "TokenEndpoint": "https://login.shopfast.example/token",
    "UserInfoEndpoint": "https://login.shopfast.example/userinfo",
    "ClientId": "shopfast-admin",
    "ClientSecret": "demo-not-a-secret",
}


def load_balancers(elb: Any, subnets: list[str], function_arn: Callable[[str], str]) -> None:
    def group(function: str) -> str:
        arn: str = elb.create_target_group(Name=f"{function}-tg", TargetType="lambda")[
            "TargetGroups"
        ][0]["TargetGroupArn"]
        elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": function_arn(function)}])
        return arn

    def balancer(name: str, scheme: str) -> str:
        arn: str = elb.create_load_balancer(
            Name=name, Subnets=subnets, Scheme=scheme, Type="application"
        )["LoadBalancers"][0]["LoadBalancerArn"]
        return arn

    public = balancer("shopfast-public", "internet-facing")
    export, admin = group("legacy-export"), group("admin-tools")
    listener = elb.create_listener(
        LoadBalancerArn=public,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": export}],
    )["Listeners"][0]["ListenerArn"]
    elb.create_rule(
        ListenerArn=listener,
        Priority=10,
        Conditions=[{"Field": "path-pattern", "Values": ["/admin/*"]}],
        Actions=[
            {"Type": "authenticate-oidc", "Order": 1, "AuthenticateOidcConfig": _OIDC},
            {"Type": "forward", "Order": 2, "TargetGroupArn": admin},
        ],
    )
    internal = balancer("shopfast-internal", "internal")
    elb.create_listener(
        LoadBalancerArn=internal,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group("reports-generator")}],
    )
