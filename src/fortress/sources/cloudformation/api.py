"""API Gateway: REST and HTTP APIs, their routes (resources, OpenAPI bodies), stages and usage plans."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fortress.inventory import (
    Api,
    ApiDomain,
    ApiRoute,
    ApiStage,
    Origin,
    Unknown,
)
from fortress.sources import openapi
from fortress.sources.base import kind_of, weakest_policy
from fortress.sources.cloudformation.iam import policy_document
from fortress.sources.cloudformation.model import (
    as_list,
    str_or_unknown,
    to_bool,
)

if TYPE_CHECKING:
    from fortress.sources.cloudformation.builder import Builder


def build_apis(b: Builder) -> None:
    _rest_apis(b)
    _http_apis(b)
    _domains(b)


def cors_config(value: Any) -> tuple[list[str] | Unknown | None, bool | Unknown]:
    """An HTTP API's CORS origins and credentials: ``AWS::ApiGatewayV2::Api``
    ``CorsConfiguration`` (a mapping), or SAM's, which may also be ``true`` (any origin) or one
    origin as a string. (None, False): no CORS configuration."""
    if value is None or value is False:
        return None, False
    if isinstance(value, Unknown):
        return value, False
    if value is True:
        return ["*"], False
    if isinstance(value, str):
        return [value.strip().strip("'\"")], False
    if not isinstance(value, Mapping):
        return Unknown(f"CorsConfiguration is {kind_of(value)}"), False
    credentials = to_bool(value.get("AllowCredentials", False))
    creds: bool | Unknown = credentials if isinstance(credentials, (bool, Unknown)) else False
    allow = value.get("AllowOrigins", [])
    if isinstance(allow, Unknown):
        return allow, creds
    items = as_list(allow)
    known = [str(o) for o in items if isinstance(o, (str, int))]
    unresolved = [o for o in items if isinstance(o, Unknown)]
    if unresolved and "*" not in known:  # an unresolved origin may be anything
        return unresolved[0], creds
    return known, creds


def _domains(b: Builder) -> None:
    for res in b.of_type("AWS::ApiGateway::DomainName", "AWS::ApiGatewayV2::DomainName"):
        name = b.prop(res, "DomainName")
        domain = ApiDomain(
            name=name if isinstance(name, str) else res.logical_id,
            origin=res.origin,
            version="v2" if "V2" in res.type else "v1",
        )
        if domain.version == "v1":
            policy = b.prop(res, "SecurityPolicy")
            domain.security_policy = policy if policy is None else str_or_unknown(policy)
        else:
            configs = b.prop(res, "DomainNameConfigurations", [])
            domain.security_policy = weakest_policy(
                [
                    str_or_unknown(c.get("SecurityPolicy"))
                    if isinstance(c, Mapping) and c.get("SecurityPolicy") is not None
                    else None
                    for c in as_list(configs)
                ]
            )
        b.inv.domains.append(domain)


def openapi_routes(b: Builder, api: Api, res: Any) -> None:
    """Routes written in the API's OpenAPI ``Body`` (a ``BodyS3Location`` is not read)."""
    if "BodyS3Location" in res.props:
        api.opaque_reason = "routes are defined by an OpenAPI file in S3 (BodyS3Location)"
    elif "Body" in res.props:
        found = openapi.routes(b.prop(res, "Body"), res.origin)
        if isinstance(found, Unknown):
            api.opaque_reason = found.reason
        else:
            api.routes.extend(found)


def _rest_apis(b: Builder) -> None:
    for res in b.of_type("AWS::ApiGateway::RestApi"):
        endpoint = b.prop(res, "EndpointConfiguration", {})
        types = endpoint.get("Types") if isinstance(endpoint, Mapping) else None
        made = Api(
            id=res.logical_id,
            name=b.name_of(res, "Name"),
            kind="rest",
            origin=res.origin,
            endpoint_type=str(types[0]) if isinstance(types, list) and types else None,
        )
        policy = b.prop(res, "Policy")
        if policy is not None:
            made.resource_policy = policy_document(policy, f"{res.logical_id} Policy")
        openapi_routes(b, made, res)
        b.apis[res.logical_id] = made
    paths: dict[str, str] = {}

    def path_of(resource_id: Any) -> str:
        if not isinstance(resource_id, str):
            return "/{unresolved}"
        if resource_id.endswith("::root"):
            return "/"
        if resource_id in paths:
            return paths[resource_id]
        res = b.resources.get(resource_id)
        if res is None or res.type != "AWS::ApiGateway::Resource":
            return "/{unresolved}"
        paths[resource_id] = "/{cycle}"
        parent = path_of(b.prop(res, "ParentId"))
        part = b.prop(res, "PathPart", "{unresolved}")
        paths[resource_id] = (
            parent.rstrip("/") + "/" + (part if isinstance(part, str) else "{unresolved}")
        )
        return paths[resource_id]

    for res in b.of_type("AWS::ApiGateway::Method"):
        api = b.api_for(b.prop(res, "RestApiId"))
        if api is None:
            continue
        integration = b.prop(res, "Integration", {})
        uri = integration.get("Uri") if isinstance(integration, Mapping) else None
        validator = b.prop(res, "RequestValidatorId")
        authorizer = b.prop(res, "AuthorizerId")
        api.routes.append(
            ApiRoute(
                method=str(b.prop(res, "HttpMethod", "ANY")),
                path=path_of(b.prop(res, "ResourceId")),
                authorization_type=b.prop(res, "AuthorizationType", "NONE"),
                authorizer_id=authorizer if isinstance(authorizer, str) else None,
                api_key_required=to_bool(b.prop(res, "ApiKeyRequired", False)),
                request_validator=validator,
                function_arns=openapi.function_arns(uri),
                origin=res.origin,
            )
        )
    stages: dict[tuple[str, str], ApiStage] = {}
    for res in b.of_type("AWS::ApiGateway::Stage"):
        api = b.api_for(b.prop(res, "RestApiId"))
        if api is not None:
            stage = _rest_stage(b, b.name_of(res, "StageName"), res.props, res.origin)
            api.stages.append(stage)
            stages[(api.id, stage.name)] = stage
    for res in b.of_type("AWS::ApiGateway::Deployment"):
        api = b.api_for(b.prop(res, "RestApiId"))
        name = b.prop(res, "StageName")
        if api is None or not isinstance(name, str) or (api.id, name) in stages:
            continue
        desc = res.props.get("StageDescription")
        stage = _rest_stage(b, name, desc if isinstance(desc, Mapping) else {}, res.origin)
        api.stages.append(stage)
        stages[(api.id, name)] = stage
    usage_plans(b, stages)
    for res in b.of_type("AWS::WAFv2::WebACLAssociation"):
        target = b.prop(res, "ResourceArn")
        if not isinstance(target, str):
            continue
        match = re.search(r"/restapis/([^/]+)/stages/([^/]+)", target)
        if match and (match.group(1), match.group(2)) in stages:
            stages[(match.group(1), match.group(2))].web_acl_arn = b.prop(res, "WebACLArn")


def usage_plans(b: Builder, stages: Mapping[tuple[str, str], ApiStage]) -> None:
    for res in b.of_type("AWS::ApiGateway::UsagePlan"):
        throttle = b.prop(res, "Throttle")
        if not isinstance(throttle, Mapping) or not (
            throttle.get("RateLimit") is not None or throttle.get("BurstLimit") is not None
        ):
            continue
        for entry in as_list(b.prop(res, "ApiStages", [])):
            if isinstance(entry, Mapping):
                stage = stages.get((str(entry.get("ApiId")), str(entry.get("Stage"))))
                if stage is not None:
                    stage.usage_plan_throttling = True


def _rest_stage(b: Builder, name: str, raw: Mapping[str, Any], origin: Origin) -> ApiStage:
    props = b.r(raw)
    stage = ApiStage(name=name, origin=origin)
    apply_rest_stage_settings(stage, props if isinstance(props, Mapping) else {})
    return stage


def _http_apis(b: Builder) -> None:
    integrations: dict[str, list[Any]] = {}
    for res in b.of_type("AWS::ApiGatewayV2::Integration"):
        integrations[res.logical_id] = openapi.function_arns(b.prop(res, "IntegrationUri"))
    for res in b.of_type("AWS::ApiGatewayV2::Api"):
        protocol = b.prop(res, "ProtocolType", "HTTP")
        made = Api(id=res.logical_id, name=b.name_of(res, "Name"), kind="http", origin=res.origin)
        if protocol == "WEBSOCKET":
            made.kind = "websocket"
        else:
            made.cors_allow_origins, made.cors_allow_credentials = cors_config(
                b.prop(res, "CorsConfiguration")
            )
        openapi_routes(b, made, res)
        target = b.prop(res, "Target")
        if target is not None:  # quick create: a $default route and stage
            made.routes.append(
                ApiRoute(method="$default", path="", function_arns=[target], origin=res.origin)
            )
            made.stages.append(ApiStage(name="$default", origin=res.origin))
        b.apis[res.logical_id] = made
    for res in b.of_type("AWS::ApiGatewayV2::Route"):
        api = b.api_for(b.prop(res, "ApiId"))
        if api is None:
            continue
        key = b.prop(res, "RouteKey", "$default")
        method, _, path = (key if isinstance(key, str) else "? {unresolved}").partition(" ")
        target = b.prop(res, "Target")
        arns: list[Any] = []
        if isinstance(target, str) and target.startswith("integrations/"):
            arns = integrations.get(target.split("/", 1)[1], [])
        authorizer = b.prop(res, "AuthorizerId")
        api.routes.append(
            ApiRoute(
                method=method,
                path=path,
                authorization_type=b.prop(res, "AuthorizationType", "NONE"),
                authorizer_id=authorizer if isinstance(authorizer, str) else None,
                api_key_required=to_bool(b.prop(res, "ApiKeyRequired", False)),
                function_arns=arns,
                origin=res.origin,
            )
        )
    for res in b.of_type("AWS::ApiGatewayV2::Stage"):
        api = b.api_for(b.prop(res, "ApiId"))
        if api is not None:
            props = b.r(res.props)
            stage = ApiStage(name=b.name_of(res, "StageName"), origin=res.origin)
            apply_http_stage_settings(stage, props if isinstance(props, Mapping) else {})
            api.stages.append(stage)


def apply_rest_stage_settings(stage: ApiStage, props: Mapping[str, Any]) -> None:
    """REST stage (or Deployment StageDescription / SAM Api) settings onto an ApiStage."""
    for key, attr in (
        ("ThrottlingRateLimit", "throttling_rate"),
        ("ThrottlingBurstLimit", "throttling_burst"),
    ):
        if props.get(key) is not None:
            setattr(stage, attr, props[key])
    if props.get("LoggingLevel") is not None:
        stage.execution_logging_level = props["LoggingLevel"]
    for setting in as_list(props.get("MethodSettings", [])):
        if not isinstance(setting, Mapping):
            continue
        stage_wide = (
            setting.get("ResourcePath", "/*") == "/*" and setting.get("HttpMethod", "*") == "*"
        )
        throttled = (
            setting.get("ThrottlingRateLimit") is not None
            or setting.get("ThrottlingBurstLimit") is not None
        )
        if stage_wide:
            if setting.get("ThrottlingRateLimit") is not None:
                stage.throttling_rate = setting["ThrottlingRateLimit"]
            if setting.get("ThrottlingBurstLimit") is not None:
                stage.throttling_burst = setting["ThrottlingBurstLimit"]
            if setting.get("LoggingLevel") is not None:
                stage.execution_logging_level = setting["LoggingLevel"]
        elif throttled:
            stage.route_throttling = True
    access = props.get("AccessLogSetting")
    if isinstance(access, Mapping):
        stage.access_log_destination = access.get("DestinationArn")
    elif isinstance(access, Unknown):
        stage.access_log_destination = access
    if "TracingEnabled" in props:
        stage.tracing_enabled = to_bool(props["TracingEnabled"])
    variables = props.get("Variables")
    if isinstance(variables, Mapping):
        stage.variables = {str(k): str_or_unknown(v) for k, v in variables.items()}


def apply_http_stage_settings(stage: ApiStage, props: Mapping[str, Any]) -> None:
    defaults = props.get("DefaultRouteSettings")
    if isinstance(defaults, Mapping):
        if defaults.get("ThrottlingRateLimit") is not None:
            stage.throttling_rate = defaults["ThrottlingRateLimit"]
        if defaults.get("ThrottlingBurstLimit") is not None:
            stage.throttling_burst = defaults["ThrottlingBurstLimit"]
    routes = props.get("RouteSettings")
    if isinstance(routes, Mapping):
        for setting in routes.values():
            if isinstance(setting, Mapping) and (
                setting.get("ThrottlingRateLimit") is not None
                or setting.get("ThrottlingBurstLimit") is not None
            ):
                stage.route_throttling = True
    access = props.get("AccessLogSettings") or props.get("AccessLogSetting")
    if isinstance(access, Mapping):
        stage.access_log_destination = access.get("DestinationArn")
    variables = props.get("StageVariables")
    if isinstance(variables, Mapping):
        stage.variables = {str(k): str_or_unknown(v) for k, v in variables.items()}
