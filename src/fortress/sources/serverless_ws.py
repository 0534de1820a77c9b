"""Serverless Framework ``websocket`` events → the WebSocket API the framework deploys.

One ``WebsocketsApi`` (``AWS::ApiGatewayV2::Api``, protocol WEBSOCKET, named
``provider.websocketsApiName`` or ``<service>-<stage>-websockets``), one
``<Function>WebsocketsIntegration`` per function, one ``<Route>WebsocketsRoute`` per route, and
a ``<Name>WebsocketsAuthorizer`` for an ``authorizer`` (which only ``$connect`` may have).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from fortress.inventory import Origin, Unknown

API = "WebsocketsApi"

Add = Callable[[str, str, Mapping[str, Any], Origin], None]
MakeOrigin = Callable[[str, int | None, str], Origin]


def is_websocket(event: Any) -> bool:
    return isinstance(event, Mapping) and len(event) == 1 and "websocket" in event


def _route_id(route: str) -> str:
    text = re.sub(r"[^A-Za-z0-9]", "", route.replace("$", "S"))
    return (text[:1].upper() + text[1:]) or "Route"


class WebSockets:
    """The websocket events of a service, compiled once every function has been seen."""

    def __init__(self) -> None:
        # (function logical id, function line, event spec, event line, file)
        self.events: list[tuple[str, int | None, Any, int | None, str]] = []

    def add_event(
        self, fn_lid: str, fn_line: int | None, spec: Any, line: int | None, file: str
    ) -> None:
        self.events.append((fn_lid, fn_line, spec, line, file))

    def compile(
        self, provider: Mapping[str, Any], prefix: str, add: Add, origin: MakeOrigin
    ) -> None:
        if not self.events:
            return
        name = provider.get("websocketsApiName") or f"{prefix}-websockets"
        selection = provider.get("websocketsApiRouteSelectionExpression") or "$request.body.action"
        add(
            API,
            "AWS::ApiGatewayV2::Api",
            {"Name": name, "ProtocolType": "WEBSOCKET", "RouteSelectionExpression": selection},
            origin(API, self.events[0][3], self.events[0][4]),
        )
        for fn_lid, fn_line, spec, line, file in self.events:
            integration = f"{fn_lid.removesuffix('LambdaFunction')}WebsocketsIntegration"
            add(
                integration,
                "AWS::ApiGatewayV2::Integration",
                {
                    "ApiId": {"Ref": API},
                    "IntegrationType": "AWS_PROXY",
                    "IntegrationUri": {"Fn::GetAtt": [fn_lid, "Arn"]},
                },
                origin(integration, fn_line, file),
            )
            spec = {"route": spec} if isinstance(spec, (str, Unknown)) else spec
            if not isinstance(spec, Mapping):
                continue
            route = spec.get("route")
            route_text = route if isinstance(route, str) else "$default"
            lid = f"{_route_id(route_text)}WebsocketsRoute"
            props: dict[str, Any] = {
                "ApiId": {"Ref": API},
                "RouteKey": route
                if route is not None
                else Unknown("websocket event without route"),
                "AuthorizationType": "NONE",
                "Target": {"Fn::Join": ["/", ["integrations", {"Ref": integration}]]},
            }
            authorizer = spec.get("authorizer")
            if isinstance(authorizer, Unknown):
                props["AuthorizationType"] = authorizer
            elif authorizer is not None:
                raw = authorizer
                if isinstance(authorizer, Mapping):
                    raw = authorizer.get("name") or authorizer.get("arn") or "authorizer"
                auth_lid = f"{_route_id(str(raw).rsplit(':', 1)[-1])}WebsocketsAuthorizer"
                add(
                    auth_lid,
                    "AWS::ApiGatewayV2::Authorizer",
                    {"ApiId": {"Ref": API}, "AuthorizerType": "REQUEST", "Name": str(raw)},
                    origin(auth_lid, line, file),
                )
                props["AuthorizationType"] = "CUSTOM"
                props["AuthorizerId"] = {"Ref": auth_lid}
            add(lid, "AWS::ApiGatewayV2::Route", props, origin(lid, line, file))
