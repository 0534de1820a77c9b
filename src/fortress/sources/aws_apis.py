"""Live API Gateway reads: REST APIs (stages, methods, authorizers, WAF), HTTP and WebSocket
APIs (routes, authorizers, CORS), custom domains → the inventory's ``Api``/``ApiDomain``.

A mixin of the per-region collector (:class:`fortress.sources.aws._RegionCollector`), which
provides the client, the region and the two helpers declared here.
"""

from __future__ import annotations

import json
from typing import Any

from fortress.aws.client import AwsClient
from fortress.inventory import (
    COLLECTION_APIS,
    COLLECTION_DOMAINS,
    Api,
    ApiDomain,
    ApiRoute,
    ApiStage,
    Origin,
    Unknown,
    unqualified_arn,
)
from fortress.sources.base import weakest_policy
from fortress.sources.openapi import function_arn_in_uri


class ApiCollector:
    """API Gateway, for one account and region."""

    client: AwsClient
    region: str

    def listing(
        self, kind: str, service: str, operation: str, key: str, **kwargs: Any
    ) -> list[Any] | None:
        raise NotImplementedError

    def origin(self, arn: str | None = None) -> Origin:
        raise NotImplementedError

    def rest_apis(self) -> list[Api]:
        apis = self.listing(COLLECTION_APIS, "apigateway", "get_rest_apis", "items")
        if not apis:
            return []
        plans = self.client.paginate("apigateway", self.region, "get_usage_plans", "items") or []
        throttled_stages: set[tuple[str, str]] = set()
        for plan in plans:
            if plan.get("throttle"):
                for stage in plan.get("apiStages") or []:
                    throttled_stages.add((stage.get("apiId", ""), stage.get("stage", "")))
        result = []
        for item in apis:
            api_id = item["id"]
            arn = f"arn:aws:apigateway:{self.region}::/restapis/{api_id}"
            api = Api(
                id=api_id,
                name=item.get("name") or api_id,
                kind="rest",
                origin=self.origin(arn),
                endpoint_type=((item.get("endpointConfiguration") or {}).get("types") or [None])[0],
                resource_policy=_api_policy(item.get("policy")),
            )
            resources = (
                self.client.paginate(
                    "apigateway",
                    self.region,
                    "get_resources",
                    "items",
                    resource=arn,
                    restApiId=api_id,
                    embed=["methods"],
                )
                or []
            )
            for res in resources:
                for verb, method in (res.get("resourceMethods") or {}).items():
                    if "authorizationType" not in method:
                        method = (
                            self.client.call(
                                "apigateway",
                                self.region,
                                "get_method",
                                resource=arn,
                                restApiId=api_id,
                                resourceId=res["id"],
                                httpMethod=verb,
                            )
                            or {}
                        )
                    integration = method.get("methodIntegration") or {}
                    api.routes.append(
                        ApiRoute(
                            method=verb,
                            path=res.get("path", "/"),
                            authorization_type=method.get("authorizationType") or "NONE",
                            authorizer_id=method.get("authorizerId"),
                            api_key_required=bool(method.get("apiKeyRequired")),
                            request_validator=method.get("requestValidatorId"),
                            function_arns=_function_arns(integration.get("uri")),
                        )
                    )
            stages = (
                self.client.paginate(
                    "apigateway", self.region, "get_stages", "item", resource=arn, restApiId=api_id
                )
                or []
            )
            for stage in stages:
                settings = stage.get("methodSettings") or {}
                default = settings.get("*/*") or {}
                name = stage.get("stageName", "")
                stage_arn = f"arn:aws:apigateway:{self.region}::/restapis/{api_id}/stages/{name}"
                api.stages.append(
                    ApiStage(
                        name=name,
                        throttling_rate=default.get("throttlingRateLimit")
                        if "throttlingRateLimit" in default
                        else None,
                        throttling_burst=default.get("throttlingBurstLimit")
                        if "throttlingBurstLimit" in default
                        else None,
                        route_throttling=any(
                            "throttlingRateLimit" in s for k, s in settings.items() if k != "*/*"
                        ),
                        usage_plan_throttling=(api_id, name) in throttled_stages,
                        access_log_destination=(stage.get("accessLogSettings") or {}).get(
                            "destinationArn"
                        ),
                        execution_logging_level=default.get("loggingLevel") or "OFF",
                        tracing_enabled=bool(stage.get("tracingEnabled")),
                        web_acl_arn=stage.get("webAclArn") or self._web_acl(stage_arn),
                        variables=dict(stage.get("variables") or {}),
                        origin=self.origin(stage_arn),
                    )
                )
            result.append(api)
        return result

    def _web_acl(self, resource_arn: str) -> str | Unknown | None:
        outcome = self.client.attempt(
            "wafv2",
            self.region,
            "get_web_acl_for_resource",
            resource=resource_arn,
            ResourceArn=resource_arn,
        )
        if outcome.gap:
            self.client.record(outcome.gap)
            return Unknown(f"get_web_acl_for_resource failed ({outcome.gap.error_code})")
        return ((outcome.value or {}).get("WebACL") or {}).get("ARN")

    def http_apis(self) -> list[Api]:
        apis = self.listing(COLLECTION_APIS, "apigatewayv2", "get_apis", "Items")
        if not apis:
            return []
        result = []
        for item in apis:
            protocol = item.get("ProtocolType") or "HTTP"
            if protocol not in ("HTTP", "WEBSOCKET"):
                continue
            api_id = item["ApiId"]
            arn = f"arn:aws:apigateway:{self.region}::/apis/{api_id}"
            api = Api(
                id=api_id,
                name=item.get("Name") or api_id,
                kind="http" if protocol == "HTTP" else "websocket",
                origin=self.origin(arn),
            )
            cors = item.get("CorsConfiguration")
            if isinstance(cors, dict):
                api.cors_allow_origins = [str(o) for o in cors.get("AllowOrigins") or []]
                api.cors_allow_credentials = bool(cors.get("AllowCredentials"))
            integrations = {
                i.get("IntegrationId"): i
                for i in self.client.paginate(
                    "apigatewayv2",
                    self.region,
                    "get_integrations",
                    "Items",
                    resource=arn,
                    ApiId=api_id,
                )
                or []
            }
            for route in (
                self.client.paginate(
                    "apigatewayv2", self.region, "get_routes", "Items", resource=arn, ApiId=api_id
                )
                or []
            ):
                key = route.get("RouteKey", "$default")
                method, _, path = key.partition(" ")
                target = (route.get("Target") or "").removeprefix("integrations/")
                integration = integrations.get(target) or {}
                api.routes.append(
                    ApiRoute(
                        method=method,
                        path=path or "",
                        authorization_type=route.get("AuthorizationType") or "NONE",
                        authorizer_id=route.get("AuthorizerId"),
                        api_key_required=bool(route.get("ApiKeyRequired")),
                        function_arns=_function_arns(integration.get("IntegrationUri")),
                    )
                )
            for stage in (
                self.client.paginate(
                    "apigatewayv2", self.region, "get_stages", "Items", resource=arn, ApiId=api_id
                )
                or []
            ):
                default = stage.get("DefaultRouteSettings") or {}
                name = stage.get("StageName", "")
                api.stages.append(
                    ApiStage(
                        name=name,
                        throttling_rate=default.get("ThrottlingRateLimit"),
                        throttling_burst=default.get("ThrottlingBurstLimit"),
                        route_throttling=any(
                            "ThrottlingRateLimit" in s
                            for s in (stage.get("RouteSettings") or {}).values()
                        ),
                        access_log_destination=(stage.get("AccessLogSettings") or {}).get(
                            "DestinationArn"
                        ),
                        execution_logging_level=default.get("LoggingLevel"),
                        tracing_enabled=False,
                        variables=dict(stage.get("StageVariables") or {}),
                        origin=self.origin(f"{arn}/stages/{name}"),
                    )
                )
            result.append(api)
        return result

    def domains(self) -> list[ApiDomain]:
        """Custom domain names: REST (v1, one policy) and HTTP/WebSocket (v2, per config)."""
        found: list[ApiDomain] = []
        for item in (
            self.listing(COLLECTION_DOMAINS, "apigateway", "get_domain_names", "items") or []
        ):
            name = item.get("domainName", "")
            found.append(
                ApiDomain(
                    name=name,
                    origin=self.origin(f"arn:aws:apigateway:{self.region}::/domainnames/{name}"),
                    security_policy=item.get("securityPolicy"),
                )
            )
        v1 = {d.name for d in found}
        for item in (
            self.listing(COLLECTION_DOMAINS, "apigatewayv2", "get_domain_names", "Items") or []
        ):
            name = item.get("DomainName", "")
            if name in v1:  # the same domain, listed by both APIs
                continue
            policies = [c.get("SecurityPolicy") for c in item.get("DomainNameConfigurations") or []]
            found.append(
                ApiDomain(
                    name=name,
                    origin=self.origin(item.get("DomainNameArn")),
                    version="v2",
                    security_policy=weakest_policy(policies),
                )
            )
        return found

    # network ------------------------------------------------------------------------------


def _function_arns(uri: str | None) -> list[str | Unknown]:
    """The (unqualified) function ARN an integration URI calls."""
    arn = function_arn_in_uri(uri) if uri else None
    return [unqualified_arn(arn)] if arn else []


def _api_policy(text: Any) -> dict[str, Any] | Unknown | None:
    """A REST API's ``policy``: JSON text, which API Gateway returns with escaped quotes."""
    if not text:
        return None
    for candidate in (str(text), str(text).replace('\\"', '"')):
        try:
            doc = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(doc, dict):
            return doc
    return Unknown("the REST API's resource policy is not a JSON document")
