"""SAM APIs: ``AWS::Serverless::Api``/``HttpApi`` (and the implicit ``ServerlessRestApi`` /
``ServerlessHttpApi``) with routes from their ``DefinitionBody`` and from function events,
authorized the way the SAM translator authorizes them (``Auth.Authorizers``,
``DefaultAuthorizer``, ``AddDefaultAuthorizerToCorsPreflight``, per-route ``Authorizer: NONE``),
with API keys, request validators and stage settings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fortress.inventory import Api, ApiDomain, ApiRoute, ApiStage, Origin, Unknown
from fortress.sources import openapi
from fortress.sources.base import kind_of
from fortress.sources.cfn_intrinsics import NO_VALUE
from fortress.sources.cloudformation.api import (
    apply_http_stage_settings,
    apply_rest_stage_settings,
    cors_config,
    usage_plans,
)
from fortress.sources.cloudformation.iam import policy_document

if TYPE_CHECKING:
    from fortress.sources.cloudformation.builder import Builder

# --------------------------------------------------------------------------- APIs


def build_apis(
    b: Builder,
    specs: Mapping[str, tuple[str, Mapping[str, Any], Origin]],
    routes: list[tuple[str, str, Mapping[str, Any], str, Origin]],
) -> None:
    apis: dict[str, Api] = {}
    auths: dict[str, Mapping[str, Any]] = {}
    for lid, (kind, raw, origin) in specs.items():
        props = b.r(raw)
        props = props if isinstance(props, Mapping) else {}
        name = props.get("Name")
        api = Api(id=lid, name=name if isinstance(name, str) else lid, kind=kind, origin=origin)
        endpoint = props.get("EndpointConfiguration")
        if isinstance(endpoint, Mapping):
            endpoint = endpoint.get("Type")
        api.endpoint_type = endpoint if isinstance(endpoint, str) else None
        if "DefinitionUri" in props:
            api.opaque_reason = "routes are defined by an OpenAPI file (DefinitionUri)"
        auth = props.get("Auth")
        auths[lid] = auth if isinstance(auth, Mapping) else {}
        if kind == "rest":
            api.resource_policy = _sam_resource_policy(auths[lid].get("ResourcePolicy"), lid)
        else:
            api.cors_allow_origins, api.cors_allow_credentials = cors_config(
                props.get("CorsConfiguration")
            )
        domain = props.get("Domain")
        if isinstance(domain, Mapping):  # SAM creates the custom domain with the API
            name = domain.get("DomainName")
            policy = domain.get("SecurityPolicy")
            b.inv.domains.append(
                ApiDomain(
                    name=name if isinstance(name, str) else f"{lid} domain",
                    origin=origin,
                    version="v1" if kind == "rest" else "v2",
                    security_policy=policy if isinstance(policy, (str, Unknown)) else None,
                )
            )
        if "DefinitionUri" not in props and "DefinitionBody" in props:
            found = openapi.routes(props["DefinitionBody"], origin)
            if isinstance(found, Unknown):
                api.opaque_reason = found.reason
            else:
                api.routes.extend(found)
                _body_authorization(found, props["DefinitionBody"], auths[lid], kind)
        if kind == "rest":
            stage_name = props.get("StageName", "Prod")
            stage = ApiStage(
                name=str(stage_name) if not isinstance(stage_name, Unknown) else "(unresolved)",
                origin=origin,
            )
            apply_rest_stage_settings(stage, props)
            plan = auths[lid].get("UsagePlan")
            if isinstance(plan, Mapping) and plan.get("CreateUsagePlan", "NONE") != "NONE":
                throttle = plan.get("Throttle")
                if isinstance(throttle, Mapping) and throttle:
                    stage.usage_plan_throttling = True
        else:
            stage_name = props.get("StageName", "$default")
            stage = ApiStage(
                name=str(stage_name) if not isinstance(stage_name, Unknown) else "(unresolved)",
                origin=origin,
            )
            apply_http_stage_settings(stage, props)
        api.stages.append(stage)
        apis[lid] = api
    for api_id, etype, raw_event, fn_lid, origin in routes:
        target = apis.get(api_id)
        if target is None:
            continue
        resolved = b.r(raw_event)
        event: Mapping[str, Any] = resolved if isinstance(resolved, Mapping) else {}
        fn = b.functions.get(fn_lid)
        arns: list[Any] = [fn.arn] if fn is not None else []
        api_auth = auths.get(api_id, {})
        auth_value = event.get("Auth")
        event_auth: Mapping[str, Any] = auth_value if isinstance(auth_value, Mapping) else {}
        authorizer = event_auth.get("Authorizer", api_auth.get("DefaultAuthorizer"))
        auth_type, authorizer_id = _authorization(authorizer, api_auth, etype)
        if etype == "Api":
            key_required = event_auth.get("ApiKeyRequired", api_auth.get("ApiKeyRequired", False))
            model = event.get("RequestModel")
            validator = None
            if isinstance(model, Mapping) and (
                model.get("ValidateBody") is True or model.get("ValidateParameters") is True
            ):
                validator = "sam-request-validator"
            method = str(event.get("Method", "ANY")).upper()
            path = str(event.get("Path", "/"))
        else:
            key_required = False
            validator = None
            if "Path" in event or "Method" in event:
                method = str(event.get("Method", "ANY")).upper().replace("*", "ANY")
                path = str(event.get("Path", "/"))
            else:
                method, path = "$default", ""
        target.routes.append(
            ApiRoute(
                method=method,
                path=path,
                authorization_type=auth_type,
                authorizer_id=authorizer_id,
                api_key_required=key_required
                if isinstance(key_required, (bool, Unknown))
                else str(key_required).lower() == "true",
                request_validator=validator,
                function_arns=arns,
                origin=origin,
            )
        )
    # A route both written in a DefinitionBody and declared by a function event is one route:
    # SAM merges the event into the definition, so the event's settings win.
    for api in apis.values():
        unique: dict[tuple[str, str], ApiRoute] = {}
        for route in api.routes:
            unique[(route.method, route.path.rstrip("/") or "/")] = route
        api.routes = list(unique.values())
    # Usage plans and WAF associations declared as plain CloudFormation resources that point
    # at a SAM API's stage (how SAM apps attach them) apply to that stage as well.
    stages = {(api.id, stage.name): stage for api in apis.values() for stage in api.stages}
    usage_plans(b, stages)
    for res in b.of_type("AWS::WAFv2::WebACLAssociation"):
        target = b.prop(res, "ResourceArn")
        match = (
            re.search(r"/restapis/([^/]+)/stages/([^/]+)", target)
            if isinstance(target, str)
            else None
        )
        if match and (match.group(1), match.group(2)) in stages:
            stages[(match.group(1), match.group(2))].web_acl_arn = b.prop(res, "WebACLArn")
    b.apis.update(apis)


def _authorization(
    authorizer: Any, api_auth: Mapping[str, Any], etype: str
) -> tuple[Any, str | None]:
    if isinstance(authorizer, Unknown):
        return authorizer, None
    if authorizer is None or authorizer is NO_VALUE or authorizer == "NONE":
        return "NONE", None
    if authorizer == "AWS_IAM":
        return "AWS_IAM", None
    if not isinstance(authorizer, str):
        return Unknown(f"the authorizer is {kind_of(authorizer)}, not an authorizer name"), None
    definitions = api_auth.get("Authorizers")
    spec = definitions.get(authorizer) if isinstance(definitions, Mapping) else None
    if not isinstance(spec, Mapping):
        return Unknown(f"authorizer {authorizer} is not defined in Auth.Authorizers"), str(
            authorizer
        )
    if "JwtConfiguration" in spec:
        return "JWT", str(authorizer)
    if "UserPoolArn" in spec:
        return "COGNITO_USER_POOLS", str(authorizer)
    if "FunctionArn" in spec:
        return "CUSTOM", str(authorizer)
    return Unknown(f"authorizer {authorizer} has an unrecognised definition"), str(authorizer)


def _body_authorization(
    routes: list[ApiRoute], body: Mapping[str, Any], api_auth: Mapping[str, Any], kind: str
) -> None:
    """Authorization of ``DefinitionBody`` routes as the SAM translator writes it.

    REST (``SwaggerEditor.set_path_default_authorizer``): every method, OPTIONS too unless
    ``AddDefaultAuthorizerToCorsPreflight`` is false, gets the ``DefaultAuthorizer`` unless its
    ``security`` already names one of ``Auth.Authorizers`` (or ``AWS_IAM``) or holds the
    ``NONE`` marker (then the method stays without authorizer). HTTP
    (``OpenApiEditor.set_path_default_authorizer``): every method but OPTIONS that has an
    integration and no ``security`` of its own. A ``security`` entry naming an authorizer of
    ``Auth.Authorizers`` is that authorizer, whether or not a default is set.
    """
    default = api_auth.get("DefaultAuthorizer")
    definitions = api_auth.get("Authorizers")
    names = {"AWS_IAM", *(definitions if isinstance(definitions, Mapping) else {})}
    preflight = api_auth.get("AddDefaultAuthorizerToCorsPreflight", True)
    by_key = {(r.method, r.path): r for r in routes}
    paths = body.get("paths")
    for path, item in paths.items() if isinstance(paths, Mapping) else []:
        if not isinstance(item, Mapping):
            continue
        for key, op in item.items():
            method = openapi.OPERATIONS.get(str(key).lower())
            route = by_key.get((method or "", str(path)))
            if route is None or not isinstance(op, Mapping):
                continue
            security = op.get("security")
            entries = security if isinstance(security, list) else []
            named = [
                name
                for entry in entries
                if isinstance(entry, Mapping)
                for name in entry
                if name in names
            ]
            marker = any(isinstance(e, Mapping) and "NONE" in e for e in entries)
            if kind == "rest":
                if method == "OPTIONS" and preflight is False:
                    continue
                if marker and not named:
                    route.authorization_type, route.authorizer_id = "NONE", None
                    continue
                chosen = named[0] if named else default
            else:
                if method == "OPTIONS":
                    continue
                if named:
                    chosen = named[0]
                elif security or "x-amazon-apigateway-integration" not in op:
                    continue
                else:
                    chosen = default
            if chosen is None or chosen is NO_VALUE:
                continue
            route.authorization_type, route.authorizer_id = _authorization(
                chosen, api_auth, "Api" if kind == "rest" else "HttpApi"
            )


def _sam_resource_policy(value: Any, lid: str) -> Any:
    """``Auth.ResourcePolicy`` → the statements SAM writes into the API's policy.

    ``CustomStatements`` are taken as written. The allow/block lists (``IpRangeWhitelist``,
    ``SourceVpcWhitelist``, ``AwsAccountWhitelist``...) only ever allow callers they name or
    deny the rest, so they are not modelled: no list makes the API public.
    """
    if value is None:
        return None
    if isinstance(value, Unknown):
        return Unknown(f"{lid} Auth.ResourcePolicy: {value.reason}")
    if not isinstance(value, Mapping):
        return Unknown(f"{lid} Auth.ResourcePolicy is not a mapping")
    custom = value.get("CustomStatements")
    if custom is None:
        return None
    if isinstance(custom, Mapping):
        custom = [custom]
    return policy_document(
        {"Version": "2012-10-17", "Statement": custom}, f"{lid} Auth.ResourcePolicy"
    )
