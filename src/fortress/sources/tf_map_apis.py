"""Terraform API Gateway resources (REST and HTTP APIs, stages, routes, authorizers, OpenAPI
bodies) → inventory APIs, as part of the mapper."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from fortress.inventory import (
    Api,
    ApiDomain,
    ApiRoute,
    ApiStage,
    Unknown,
)
from fortress.sources import openapi
from fortress.sources.tf_attrs import (
    Res,
    blocks_of,
    bool_of,
    first_block,
    fn_from_uri,
    policy_of,
    str_list,
    str_of,
)
from fortress.sources.tf_map_base import MapperBase, hkey
from fortress.sources.tf_values import JsonDoc, plain_value


class ApiMapper(MapperBase):
    def _rest_apis(self) -> None:
        api: Api | None
        stage: ApiStage | None
        apis: dict[Any, Api] = {}
        roots: dict[Any, str] = {}
        for r in self.each("aws_api_gateway_rest_api"):
            name = str_of(r.get("name"))
            api = Api(
                id=r.attr("id"),
                name=name if isinstance(name, str) else r.address,
                kind="rest",
                origin=r.origin,
            )
            endpoint = first_block(r, "endpoint_configuration")
            if endpoint is not None:
                types = endpoint.get("types")
                if isinstance(types, list) and types and isinstance(types[0], str):
                    api.endpoint_type = types[0]
            if r.get("body") is not None:
                _openapi_routes(api, r.get("body"), r)
            api.resource_policy = policy_of(r, "policy", f"{r.address}.policy")
            apis[api.id] = api
            roots[hkey(r.attr("root_resource_id"))] = api.id
            self.inv.apis.append(api)
        for r in self.each("aws_api_gateway_rest_api_policy"):
            target = r.get("rest_api_id")
            api = apis.get(target) if isinstance(target, str) else None
            if api is not None:
                api.resource_policy = policy_of(r, "policy", f"{r.address}.policy")
        parents: dict[Any, tuple[Any, Any]] = {}
        for r in self.each("aws_api_gateway_resource"):
            parents[hkey(r.attr("id"))] = (r.get("parent_id"), r.get("path_part"))

        def path_of(resource_id: Any, depth: int = 0) -> str:
            if isinstance(resource_id, str) and resource_id in roots:
                return "/"
            if depth > 30 or not isinstance(resource_id, str) or resource_id not in parents:
                return "/{unknown}"
            parent, part = parents[resource_id]
            base = path_of(parent, depth + 1).rstrip("/")
            return f"{base}/{part if isinstance(part, str) else '{unknown}'}"

        integrations: dict[tuple[Any, Any, Any], list[Any]] = defaultdict(list)
        for i in self.each("aws_api_gateway_integration"):
            key = hkey(i.get("rest_api_id"), i.get("resource_id"), i.get("http_method"))
            target = fn_from_uri(i.get("uri"))
            if target is not None:
                integrations[key].append(target)
        for m in self.each("aws_api_gateway_method"):
            api = apis.get(m.get("rest_api_id")) if isinstance(m.get("rest_api_id"), str) else None
            if api is None:
                continue
            method = str_of(m.get("http_method"))
            authorizer = str_of(m.get("authorizer_id"))
            api.routes.append(
                ApiRoute(
                    method=method if isinstance(method, str) else "*",
                    path=path_of(m.get("resource_id")),
                    authorization_type=str_of(m.get("authorization")) or "NONE",
                    authorizer_id=authorizer if isinstance(authorizer, str) else None,
                    api_key_required=bool_of(m.get("api_key_required"), False),
                    request_validator=str_of(m.get("request_validator_id")),
                    function_arns=list(
                        integrations.get(
                            hkey(m.get("rest_api_id"), m.get("resource_id"), m.get("http_method")),
                            [],
                        )
                    ),
                    origin=m.origin,
                )
            )
        stages: dict[tuple[Any, Any], ApiStage] = {}
        stage_arns: dict[Any, ApiStage] = {}
        for s in self.each("aws_api_gateway_stage"):
            api = apis.get(s.get("rest_api_id")) if isinstance(s.get("rest_api_id"), str) else None
            if api is None:
                continue
            stage = self._stage(s, str_of(s.get("stage_name")))
            stage.tracing_enabled = bool_of(s.get("xray_tracing_enabled"), False)
            api.stages.append(stage)
            stages[hkey(api.id, s.get("stage_name"))] = stage
            stage_arns[hkey(s.attr("arn"))] = stage
        for ms in self.each("aws_api_gateway_method_settings"):
            stage = stages.get(hkey(ms.get("rest_api_id"), ms.get("stage_name")))
            settings = first_block(ms, "settings")
            if stage is None or settings is None:
                continue
            rate = settings.get("throttling_rate_limit")
            burst = settings.get("throttling_burst_limit")
            has_limit = any(isinstance(v, (int, float)) and v >= 0 for v in (rate, burst))
            if ms.get("method_path") == "*/*":
                level = str_of(settings.get("logging_level"))
                if level is not None:
                    stage.execution_logging_level = level
                if isinstance(rate, (int, float)) and rate >= 0:
                    stage.throttling_rate = float(rate)
                if isinstance(burst, (int, float)) and burst >= 0:
                    stage.throttling_burst = int(burst)
            elif has_limit:
                stage.route_throttling = True
        for plan in self.each("aws_api_gateway_usage_plan"):
            throttled = first_block(plan, "throttle_settings") is not None
            for ref in blocks_of(plan, "api_stages"):
                stage = stages.get(hkey(ref.get("api_id"), ref.get("stage")))
                if stage is not None and throttled:
                    stage.usage_plan_throttling = True
        for assoc in self.each("aws_wafv2_web_acl_association"):
            stage = stage_arns.get(hkey(assoc.get("resource_arn")))
            if stage is not None:
                stage.web_acl_arn = str_of(assoc.get("web_acl_arn"))

    def _stage(self, s: Res, name: Any) -> ApiStage:
        stage = ApiStage(name=name if isinstance(name, str) else s.address, origin=s.origin)
        logs = first_block(s, "access_log_settings")
        if logs is not None:
            stage.access_log_destination = str_of(logs.get("destination_arn"))
        variables = (
            s.get("variables") if s.type == "aws_api_gateway_stage" else s.get("stage_variables")
        )
        if isinstance(variables, dict):
            stage.variables = {str(k): str_of(v) for k, v in variables.items()}
        return stage

    def _domains(self) -> None:
        for r in self.each("aws_api_gateway_domain_name", "aws_apigatewayv2_domain_name"):
            name = str_of(r.get("domain_name"))
            v2 = r.type == "aws_apigatewayv2_domain_name"
            if v2:
                policies = [
                    str_of(c.get("security_policy"))
                    for c in blocks_of(r, "domain_name_configuration")
                ]
                policy = next((p for p in policies if isinstance(p, Unknown)), None) or next(
                    (p for p in policies if isinstance(p, str) and p.upper() == "TLS_1_0"),
                    next((p for p in policies if p is not None), None),
                )
            else:
                policy = str_of(r.get("security_policy"))
            self.inv.domains.append(
                ApiDomain(
                    name=name if isinstance(name, str) else r.address,
                    origin=r.origin,
                    version="v2" if v2 else "v1",
                    security_policy=policy,
                )
            )

    def _http_apis(self) -> None:
        api: Api | None
        apis: dict[Any, Api] = {}
        for r in self.each("aws_apigatewayv2_api"):
            name = str_of(r.get("name"))
            api = Api(
                id=r.attr("id"),
                name=name if isinstance(name, str) else r.address,
                kind="websocket" if str_of(r.get("protocol_type")) == "WEBSOCKET" else "http",
                origin=r.origin,
            )
            if r.get("body") is not None:
                _openapi_routes(api, r.get("body"), r)
            cors = first_block(r, "cors_configuration")
            if cors is not None and api.kind == "http":
                origins = str_list(cors.get("allow_origins"))
                if isinstance(origins, list):
                    unresolved = [o for o in origins if isinstance(o, Unknown)]
                    known = [o for o in origins if isinstance(o, str)]
                    # An unresolved origin may be anything, unless "*" is listed anyway.
                    api.cors_allow_origins = (
                        unresolved[0] if unresolved and "*" not in known else known
                    )
                else:
                    api.cors_allow_origins = origins
                creds = bool_of(cors.get("allow_credentials"), False)
                api.cors_allow_credentials = creds if isinstance(creds, (bool, Unknown)) else False
            target = r.get("target")
            if target is not None:
                fn = fn_from_uri(target)
                api.routes.append(
                    ApiRoute(
                        method="$default",
                        path="$default",
                        function_arns=[fn] if fn else [],
                        origin=r.origin,
                    )
                )
                api.stages.append(ApiStage(name="$default", origin=r.origin))
            apis[api.id] = api
            self.inv.apis.append(api)
        integrations: dict[Any, Any] = {}
        for i in self.each("aws_apigatewayv2_integration"):
            integrations[i.attr("id")] = fn_from_uri(i.get("integration_uri"))
        for rt in self.each("aws_apigatewayv2_route"):
            api = apis.get(rt.get("api_id")) if isinstance(rt.get("api_id"), str) else None
            if api is None:
                continue
            key = str_of(rt.get("route_key"))
            method, _, path = key.partition(" ") if isinstance(key, str) else ("*", "", "{unknown}")
            target = str_of(rt.get("target"))
            fns: list[Any] = []
            if isinstance(target, str) and target.startswith("integrations/"):
                fn = integrations.get(target.split("/", 1)[1])
                if fn is not None:
                    fns.append(fn)
            authorizer = str_of(rt.get("authorizer_id"))
            api.routes.append(
                ApiRoute(
                    method=method,
                    path=path or method,
                    authorization_type=str_of(rt.get("authorization_type")) or "NONE",
                    authorizer_id=authorizer if isinstance(authorizer, str) else None,
                    api_key_required=bool_of(rt.get("api_key_required"), False),
                    function_arns=fns,
                    origin=rt.origin,
                )
            )
        for s in self.each("aws_apigatewayv2_stage"):
            api = apis.get(s.get("api_id")) if isinstance(s.get("api_id"), str) else None
            if api is None:
                continue
            stage = self._stage(s, str_of(s.get("name")))
            defaults = first_block(s, "default_route_settings")
            if defaults is not None:
                rate, burst = (
                    defaults.get("throttling_rate_limit"),
                    defaults.get("throttling_burst_limit"),
                )
                if isinstance(rate, (int, float)):
                    stage.throttling_rate = float(rate)
                if isinstance(burst, (int, float)):
                    stage.throttling_burst = int(burst)
                level = str_of(defaults.get("logging_level"))
                if level is not None:
                    stage.execution_logging_level = level
            for rs in blocks_of(s, "route_settings"):
                if (
                    rs.get("throttling_rate_limit") is not None
                    or rs.get("throttling_burst_limit") is not None
                ):
                    stage.route_throttling = True
            api.stages = [st for st in api.stages if st.name != stage.name]
            api.stages.append(stage)

    # logs, network, trails, secrets, keys -------------------------------------------------


def _openapi_routes(api: Api, body: Any, r: Any) -> None:
    """Routes of an API whose ``body`` is an OpenAPI document (jsonencode(...) or JSON text)."""
    value = plain_value(body)
    if isinstance(value, JsonDoc):
        value = plain_value(value.value)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = Unknown(f"{r.address}: the OpenAPI body is not JSON (YAML bodies are not read)")
    found = openapi.routes(value, r.origin)
    if isinstance(found, Unknown):
        api.opaque_reason = f"{r.address}: {found.reason}"
    else:
        api.routes.extend(found)
