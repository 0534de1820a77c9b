"""Serverless Framework ``alb`` events → the target groups and listener rules the framework
deploys, and ``provider.httpApi.cors`` → the HTTP API's CORS configuration.

Each ``alb`` event becomes a ``<Function>AlbTargetGroup<N>`` (``TargetType: lambda``, the
function as its target) and a ``<Function>AlbListenerRule<Priority>`` on the event's
``listenerArn``, whose actions are the ``authorizer`` (``provider.alb.authorizers``: ``cognito``
→ ``authenticate-cognito``, ``oidc`` → ``authenticate-oidc``) followed by the forward. The load
balancer itself usually lives outside the service: then its scheme is unknown unless the
listener is declared under ``resources`` (``listenerArn: !Ref Listener``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fortress.inventory import Origin, Unknown

Add = Callable[[str, str, Mapping[str, Any], Origin], None]
MakeOrigin = Callable[[str, int | None, str], Origin]
_AUTH_TYPES = {"cognito": "authenticate-cognito", "oidc": "authenticate-oidc"}


def is_alb(event: Any) -> bool:
    return isinstance(event, Mapping) and len(event) == 1 and "alb" in event


def http_api_cors(cors: Any) -> Any:
    """``provider.httpApi.cors`` as SAM's ``CorsConfiguration``: ``true`` allows any origin
    without credentials; the object form's ``allowedOrigins`` default to ``*``."""
    if cors is None or cors is False or isinstance(cors, Unknown):
        return None if cors is False else cors
    if cors is True:
        return True
    if not isinstance(cors, Mapping):
        return Unknown("provider.httpApi.cors is neither true nor a mapping")
    return {
        "AllowOrigins": cors.get("allowedOrigins", ["*"]),
        "AllowCredentials": cors.get("allowCredentials", False),
    }


class AlbEvents:
    """The alb events of a service, compiled once every function has been seen."""

    def __init__(self) -> None:
        # (function logical id, event spec, event line, file)
        self.events: list[tuple[str, Any, int | None, str]] = []

    def add_event(self, fn_lid: str, spec: Any, line: int | None, file: str) -> None:
        self.events.append((fn_lid, spec, line, file))

    def compile(self, provider: Mapping[str, Any], add: Add, origin: MakeOrigin) -> None:
        alb = provider.get("alb")
        authorizers = alb.get("authorizers") if isinstance(alb, Mapping) else None
        authorizers = authorizers if isinstance(authorizers, Mapping) else {}
        for index, (fn_lid, spec, line, file) in enumerate(self.events, start=1):
            if not isinstance(spec, Mapping):
                continue
            base = fn_lid.removesuffix("LambdaFunction")
            group = f"{base}AlbTargetGroup{index}"
            add(
                group,
                "AWS::ElasticLoadBalancingV2::TargetGroup",
                {"TargetType": "lambda", "Targets": [{"Id": {"Fn::GetAtt": [fn_lid, "Arn"]}}]},
                origin(group, line, file),
            )
            actions: list[Any] = []
            names = spec.get("authorizer")
            for name in names if isinstance(names, list) else [names] if names else []:
                definition = authorizers.get(name) if isinstance(name, str) else None
                kind = definition.get("type") if isinstance(definition, Mapping) else None
                found = _AUTH_TYPES.get(kind.lower()) if isinstance(kind, str) else None
                actions.append(
                    {
                        "Type": found
                        or Unknown(f"alb authorizer {name} is not a cognito or oidc authorizer"),
                        "Order": len(actions) + 1,
                    }
                )
            actions.append(
                {"Type": "forward", "Order": len(actions) + 1, "TargetGroupArn": {"Ref": group}}
            )
            priority = spec.get("priority")
            rule = f"{base}AlbListenerRule{priority if isinstance(priority, int) else index}"
            add(
                rule,
                "AWS::ElasticLoadBalancingV2::ListenerRule",
                {
                    "ListenerArn": spec.get(
                        "listenerArn", Unknown("alb event without listenerArn")
                    ),
                    "Priority": priority,
                    "Actions": actions,
                },
                origin(rule, line, file),
            )
