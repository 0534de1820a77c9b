"""API-security rules: function URLs, API Gateway authorization, throttling, validation, WAF.

Rules read only the Inventory (through the object handed in and the engine Context).
"""

from __future__ import annotations

import re
from typing import Any

from fortress.findings import Practice, Severity
from fortress.inventory import (
    PART_CONCURRENCY,
    PART_URL,
    Api,
    ApiRoute,
    Function,
    Unknown,
)
from fortress.rules.engine import Context, StageTarget, Verdict, rule


def _why(value: object) -> str:
    """The reason of an Unknown value ("" for anything else)."""
    return value.reason if isinstance(value, Unknown) else ""


BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "ANY"})


def _url_name(fn: Function, url_text: str | None, qualifier: str | None) -> str:
    if url_text:
        return url_text
    return f"the function URL of {fn.name}" + (f" ({qualifier})" if qualifier else "")


def _is_preflight(route: ApiRoute) -> bool:
    return route.method.upper() == "OPTIONS"


def _route_list(routes: list[ApiRoute], ctx: Context, limit: int = 10) -> str:
    """``POST /open -> orders-api, GET /health``: each route with the function(s) it runs."""
    keys = [_route_key(r, ctx) for r in routes]
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def _route_key(route: ApiRoute, ctx: Context) -> str:
    arns = tuple(_function_arns([route]))
    names = [ref.name for ref in ctx.related("function", None, arns)] if arns else []
    return f"{route.key} -> {', '.join(dict.fromkeys(names))}" if names else route.key


def _function_arns(routes: list[ApiRoute]) -> list[str]:
    return [a for r in routes for a in r.function_arns if isinstance(a, str)]


def _routes_evidence(routes: list[ApiRoute]) -> list[dict[str, Any]]:
    return [{"route": r.key, "functions": _function_arns([r])} for r in routes]


# --------------------------------------------------------------------------- FTR-API-001


@rule(
    id="FTR-API-001",
    title="Function URL allows unauthenticated invocation",
    target="function",
    practice=Practice.API_SECURITY,
    severity=Severity.HIGH,
    rationale="""
        A function URL with auth type NONE is a public HTTPS endpoint: anyone who learns or
        guesses the URL can invoke the function, with no IAM signature, throttling per caller,
        WAF or request validation in front of it. Every request costs money and runs code with
        the function's execution role.
    """,
    remediation="""
        Set the URL's auth type to AWS_IAM and sign requests (SigV4), or delete the URL and put
        the function behind API Gateway with an authorizer, or behind CloudFront with origin
        access control. If the endpoint must be public (webhooks), verify a signature in the
        handler and suppress this finding with the reason.
    """,
    snippets={
        "cli": "aws lambda update-function-url-config --function-name NAME --auth-type AWS_IAM",
        "cloudformation": (
            "FunctionUrl:\n  Type: AWS::Lambda::Url\n  Properties:\n"
            "    TargetFunctionArn: !GetAtt Function.Arn\n    AuthType: AWS_IAM"
        ),
        "terraform": (
            'resource "aws_lambda_function_url" "this" {\n'
            "  function_name      = aws_lambda_function.this.function_name\n"
            '  authorization_type = "AWS_IAM"\n}'
        ),
    },
    references={
        "checkov": ["CKV_AWS_258"],
        "prowler": ["awslambda_function_url_public"],
    },
    controls={
        "nist-800-53-r5": ["AC-3", "AC-17", "IA-2"],
        "pci-dss-4.0": ["7.2.1", "8.2.1"],
    },
)
def url_without_auth(fn: Function, ctx: Context) -> Verdict:
    if PART_URL in fn.uncollected:
        return Verdict.unknown(f"the function URL configuration of {fn.name} could not be read")
    if not fn.urls:
        return Verdict.not_applicable()
    public = [u for u in fn.urls if u.auth_type == "NONE"]
    if public:
        names = ", ".join(_url_name(fn, u.url, u.qualifier) for u in public)
        return Verdict.fail(
            f"{names} accepts anonymous requests (AuthType NONE)",
            urls=[u.url for u in public],
        )
    for u in fn.urls:
        if isinstance(u.auth_type, Unknown):
            return Verdict.unknown(f"auth type of the function URL is unknown: {_why(u.auth_type)}")
    return Verdict.passed(f"every function URL of {fn.name} requires AWS_IAM auth")


# --------------------------------------------------------------------------- FTR-API-002


@rule(
    id="FTR-API-002",
    title="Function URL CORS allows any origin",
    target="function",
    practice=Practice.API_SECURITY,
    severity=Severity.MEDIUM,
    rationale="""
        A CORS AllowOrigins of "*" lets JavaScript on any website call the function URL from a
        visitor's browser and read the response. Combined with AllowCredentials, the browser
        also sends the visitor's cookies and Authorization headers, so a malicious site can act
        as the logged-in user (cross-site request forgery with readable responses).
    """,
    remediation="""
        List the exact origins that need browser access (https://app.example.com) in the URL's
        CORS AllowOrigins, and enable AllowCredentials only for those origins.
    """,
    snippets={
        "cli": (
            "aws lambda update-function-url-config --function-name NAME "
            "--cors AllowOrigins=https://app.example.com,AllowCredentials=false"
        ),
        "cloudformation": "Cors:\n  AllowOrigins:\n    - https://app.example.com",
        "terraform": 'cors {\n  allow_origins = ["https://app.example.com"]\n}',
    },
    references={
        "checkov": ["CKV2_AWS_75"],
        "prowler": ["awslambda_function_url_cors_policy"],
    },
    controls={
        "nist-800-53-r5": ["AC-4", "SC-7"],
        "pci-dss-4.0": ["6.2.4"],
    },
)
def url_cors_any_origin(fn: Function, ctx: Context) -> Verdict:
    if PART_URL in fn.uncollected:
        return Verdict.unknown(f"the function URL configuration of {fn.name} could not be read")
    if not fn.urls:
        return Verdict.not_applicable()
    unknown: str | None = None
    for u in fn.urls:
        origins = u.cors_allow_origins
        if isinstance(origins, Unknown):
            unknown = _why(origins)
            continue
        found = cors_any_origin(
            _url_name(fn, u.url, u.qualifier), origins, u.cors_allow_credentials
        )
        if found is not None:
            return found
    if unknown is not None:
        return Verdict.unknown(f"CORS origins of the function URL are unknown: {unknown}")
    return Verdict.passed(f"function URL CORS of {fn.name} names its origins")


# Entries of a CORS AllowOrigins list that let in every website: "*", a scheme wildcard
# (HTTP APIs accept "https://*" and "http://*", answering with the caller's own origin), and
# "null", which any page can send from a sandboxed iframe.
_SCHEME_WILDCARD = re.compile(r"[a-z][a-z0-9+.-]*://\*/?", re.IGNORECASE)


def open_origins(origins: list[str]) -> list[str]:
    """The entries of a CORS origin list that match any website."""
    return [
        o
        for o in origins
        if o.strip() in ("*", "null") or _SCHEME_WILDCARD.fullmatch(o.strip()) is not None
    ]


def cors_any_origin(
    name: str,
    origins: list[str],
    credentials: object,
    related: list[str] | None = None,
    **evidence: Any,
) -> Verdict | None:
    """The verdict on a CORS configuration that lets in any origin (FTR-API-002, FTR-API-012);
    None when every origin it lists is a named one."""
    found = open_origins(origins)
    if not found:
        return None
    shown = ", ".join(f"'{o}'" for o in found)
    if credentials is True:
        message = (
            f"{name} CORS allows any origin ({shown}) with AllowCredentials true: any "
            "website can make credentialed requests and read the responses"
        )
    elif isinstance(credentials, Unknown):
        message = (
            f"{name} CORS allows any origin ({shown}); whether it allows credentials is "
            f"unknown ({_why(credentials)})"
        )
    else:
        message = (
            f"{name} CORS allows any origin ({shown}); it would be worse with AllowCredentials"
        )
    return Verdict.fail(
        message,
        related=related,
        allow_credentials=credentials if isinstance(credentials, bool) else None,
        origins=found,
        **evidence,
    )


# --------------------------------------------------------------------------- FTR-API-012


@rule(
    id="FTR-API-012",
    title="HTTP API CORS allows any origin",
    target="api",
    practice=Practice.API_SECURITY,
    severity=Severity.MEDIUM,
    rationale="""
        An HTTP API's CORS configuration is answered by API Gateway itself, for every route
        and before any integration runs. An AllowOrigins of "*" lets JavaScript on any website
        call the API from a visitor's browser and read the responses. The scheme wildcards
        "https://*" and "http://*" (and "null") match every website too, and API Gateway
        answers them with the caller's own origin, so with AllowCredentials true the browser
        also sends the visitor's cookies and HTTP authentication: a malicious site acts as the
        logged-in user and reads what the functions behind the API return. (API Gateway
        refuses an exact "*" together with AllowCredentials; Fortress reports what a template
        declares either way.)
    """,
    remediation="""
        List the exact origins that need browser access (https://app.example.com) in the
        API's CorsConfiguration AllowOrigins, and enable AllowCredentials only with such a
        list.
    """,
    snippets={
        "cli": (
            "aws apigatewayv2 update-api --api-id API --cors-configuration "
            "AllowOrigins=https://app.example.com,AllowCredentials=true"
        ),
        "cloudformation": (
            "CorsConfiguration:\n  AllowOrigins:\n    - https://app.example.com\n"
            "  AllowCredentials: true"
        ),
        "terraform": (
            'cors_configuration {\n  allow_origins     = ["https://app.example.com"]\n'
            "  allow_credentials = true\n}"
        ),
    },
    references={"kics": ["8af4c38a-e1d2-405b-ac41-995db44b5536"]},
    controls={
        "nist-800-53-r5": ["AC-4", "SC-7"],
        "pci-dss-4.0": ["6.2.4"],
    },
)
def http_api_cors_any_origin(api: Api, ctx: Context) -> Verdict:
    if api.kind != "http":
        return Verdict.not_applicable()
    origins = api.cors_allow_origins
    if origins is None:
        return Verdict.passed(f"{api.name} has no CORS configuration")
    if isinstance(origins, Unknown):
        return Verdict.unknown(f"CORS origins of {api.name} are unknown: {_why(origins)}")
    found = cors_any_origin(
        api.name,
        origins,
        api.cors_allow_credentials,
        related=_function_arns(api.routes),
        exposed=_routes_evidence(api.routes),
    )
    if found is not None:
        return found
    return Verdict.passed(f"CORS of {api.name} names its origins")


# --------------------------------------------------------------------------- FTR-API-003


def _opaque(api: Api) -> Verdict | None:
    if api.opaque_reason:
        return Verdict.unknown(f"routes of {api.name} are not interpreted: {api.opaque_reason}")
    return None


@rule(
    id="FTR-API-003",
    title="REST API method has no authorization and no API key",
    target="api",
    practice=Practice.API_SECURITY,
    severity=Severity.HIGH,
    rationale="""
        A REST API method with authorization type NONE and no API key requirement lets anyone
        on the internet (or, for a private API, anyone allowed by its resource policy) call the
        integration behind it, typically a Lambda function, with no identity attached to the
        request. CORS preflight OPTIONS methods are excluded: they must stay unauthenticated.
    """,
    remediation="""
        Attach an authorizer to each method (AWS_IAM, a Cognito user pool, or a Lambda
        authorizer). API keys identify clients for usage plans but are not authentication; use
        them only in addition to an authorizer, or for metering of trusted partners.
    """,
    snippets={
        "cli": (
            "aws apigateway update-method --rest-api-id API --resource-id RES --http-method GET "
            "--patch-operations op=replace,path=/authorizationType,value=AWS_IAM"
        ),
        "cloudformation": (
            "Method:\n  Type: AWS::ApiGateway::Method\n  Properties:\n"
            "    AuthorizationType: COGNITO_USER_POOLS\n    AuthorizerId: !Ref Authorizer"
        ),
        "terraform": (
            'resource "aws_api_gateway_method" "get" {\n  authorization = "COGNITO_USER_POOLS"\n'
            "  authorizer_id = aws_api_gateway_authorizer.this.id\n}"
        ),
    },
    references={
        "checkov": ["CKV_AWS_59", "CKV2_AWS_70"],
        "prowler": ["apigateway_restapi_authorizers_enabled"],
        "kics": [
            "0a96ce49-4163-4ee6-8169-eb3b0797d694",
            "15ccec05-5476-4890-ad19-53991eba1db8",
            "7fd0d461-5b8c-4815-898c-f2b4b117eb28",
        ],
        "trivy": ["AVD-AWS-0004"],
    },
    controls={
        "nist-800-53-r5": ["AC-3", "IA-2"],
        "pci-dss-4.0": ["7.2.1", "8.2.1"],
    },
)
def rest_method_without_auth(api: Api, ctx: Context) -> Verdict:
    if api.kind != "rest":
        return Verdict.not_applicable()
    opaque = _opaque(api)
    if opaque:
        return opaque
    open_routes: list[ApiRoute] = []
    unknown: list[ApiRoute] = []
    for route in api.routes:
        if _is_preflight(route):
            continue
        auth, key = route.authorization_type, route.api_key_required
        if auth == "NONE" and key is False:
            open_routes.append(route)
        elif isinstance(auth, Unknown) or (auth == "NONE" and isinstance(key, Unknown)):
            unknown.append(route)
    if open_routes:
        return Verdict.fail(
            f"{api.name}: {len(open_routes)} method(s) need no authorization and no API key: "
            f"{_route_list(open_routes, ctx)}",
            routes=[r.key for r in open_routes],
            unknown_routes=[r.key for r in unknown],
            exposed=_routes_evidence(open_routes),
            related=_function_arns(open_routes),
        )
    if unknown:
        return Verdict.unknown(
            f"{api.name}: authorization of {_route_list(unknown, ctx)} is not resolvable",
            routes=[r.key for r in unknown],
            related=_function_arns(unknown),
        )
    return Verdict.passed(f"every method of {api.name} requires authorization or an API key")


# --------------------------------------------------------------------------- FTR-API-004


@rule(
    id="FTR-API-004",
    title="HTTP API route has no authorizer",
    target="api",
    practice=Practice.API_SECURITY,
    severity=Severity.HIGH,
    rationale="""
        An HTTP API route with authorization type NONE is callable by anyone who can reach the
        endpoint; the request reaches its integration (usually a Lambda function) with no
        verified identity. HTTP APIs cannot require API keys, so an authorizer (JWT, Lambda or
        IAM) is the only gate. OPTIONS routes used for CORS preflight are excluded.
    """,
    remediation="""
        Attach a JWT authorizer (Cognito or any OIDC issuer), a Lambda authorizer, or AWS_IAM
        authorization to every route, for instance as the API's default authorizer.
    """,
    snippets={
        "cli": (
            "aws apigatewayv2 update-route --api-id API --route-id ROUTE "
            "--authorization-type JWT --authorizer-id AUTH"
        ),
        "cloudformation": (
            "Route:\n  Type: AWS::ApiGatewayV2::Route\n  Properties:\n"
            "    AuthorizationType: JWT\n    AuthorizerId: !Ref JwtAuthorizer"
        ),
        "terraform": (
            'resource "aws_apigatewayv2_route" "this" {\n  authorization_type = "JWT"\n'
            "  authorizer_id      = aws_apigatewayv2_authorizer.jwt.id\n}"
        ),
    },
    references={
        "checkov": ["CKV_AWS_309"],
        "prowler": ["apigatewayv2_api_authorizers_enabled"],
        "securityhub": ["APIGateway.8"],
    },
    controls={
        "aws-fsbp": ["APIGateway.8"],
        "nist-800-53-r5": ["AC-3", "CM-2"],
        "pci-dss-4.0": ["7.2.1", "8.2.1"],
    },
)
def http_route_without_auth(api: Api, ctx: Context) -> Verdict:
    if api.kind != "http":
        return Verdict.not_applicable()
    opaque = _opaque(api)
    if opaque:
        return opaque
    open_routes = [r for r in api.routes if not _is_preflight(r) and r.authorization_type == "NONE"]
    unknown = [r for r in api.routes if isinstance(r.authorization_type, Unknown)]
    if open_routes:
        return Verdict.fail(
            f"{api.name}: {len(open_routes)} route(s) have no authorizer: "
            f"{_route_list(open_routes, ctx)}",
            routes=[r.key for r in open_routes],
            unknown_routes=[r.key for r in unknown],
            exposed=_routes_evidence(open_routes),
            related=_function_arns(open_routes),
        )
    if unknown:
        return Verdict.unknown(
            f"{api.name}: authorization of {_route_list(unknown, ctx)} is not resolvable",
            routes=[r.key for r in unknown],
            related=_function_arns(unknown),
        )
    return Verdict.passed(f"every route of {api.name} has an authorizer")


# --------------------------------------------------------------------------- FTR-API-005


@rule(
    id="FTR-API-005",
    title="API stage has no throttling limits",
    target="stage",
    practice=Practice.API_SECURITY,
    severity=Severity.MEDIUM,
    rationale="""
        Without stage default limits, per-route or per-method limits or a usage plan, a stage
        is bounded only by the account-wide API Gateway quota shared by every API in the
        region. A single client can flood it, scale the functions behind it to their
        concurrency limit (starving other functions in the account) and run up the bill.
    """,
    remediation="""
        Set default route (HTTP API) or method (REST API) throttling on the stage, with
        tighter limits on expensive routes, and attach a usage plan with per-client quotas
        where clients use API keys.
    """,
    snippets={
        "cli": (
            "aws apigateway update-stage --rest-api-id API --stage-name prod --patch-operations "
            "op=replace,path=/*/*/throttling/rateLimit,value=100 "
            "op=replace,path=/*/*/throttling/burstLimit,value=200"
        ),
        "cloudformation": (
            "MethodSettings:\n  - ResourcePath: /*\n    HttpMethod: '*'\n"
            "    ThrottlingRateLimit: 100\n    ThrottlingBurstLimit: 200"
        ),
        "terraform": (
            'resource "aws_api_gateway_method_settings" "all" {\n  method_path = "*/*"\n'
            "  settings {\n    throttling_rate_limit  = 100\n    throttling_burst_limit = 200\n  }\n}"
        ),
    },
    controls={
        "nist-800-53-r5": ["SC-5"],
        "pci-dss-4.0": ["6.4.2"],
    },
)
def stage_without_throttling(target: StageTarget, ctx: Context) -> Verdict:
    stage, api = target.stage, target.api
    if stage.throttled:
        return Verdict.passed(f"stage {stage.name} of {api.name} is throttled")
    if isinstance(stage.throttling_rate, Unknown):
        return Verdict.unknown(
            f"throttling of stage {stage.name} of {api.name} is unknown: "
            f"{_why(stage.throttling_rate)}"
        )
    return Verdict.fail(
        f"stage {stage.name} of {api.name} has no throttling: no stage default limit, "
        "no route or method limit, no usage plan"
    )


# --------------------------------------------------------------------------- FTR-API-006


@rule(
    id="FTR-API-006",
    title="REST API method taking a body has no request validator",
    target="api",
    practice=Practice.API_SECURITY,
    severity=Severity.LOW,
    rationale="""
        A request validator makes API Gateway reject malformed requests (missing parameters,
        bodies that do not match the model) before they reach the function. Without one, every
        malformed or hostile payload reaches the code, costs an invocation, and relies on the
        handler alone for input validation.
    """,
    remediation="""
        Define a model for each body and attach a request validator that validates the body
        and parameters to POST, PUT, PATCH and ANY methods; keep validating in the handler too.
    """,
    snippets={
        "cloudformation": (
            "Validator:\n  Type: AWS::ApiGateway::RequestValidator\n  Properties:\n"
            "    RestApiId: !Ref Api\n    ValidateRequestBody: true\n"
            "    ValidateRequestParameters: true\n"
            "# and on the method: RequestValidatorId: !Ref Validator"
        ),
        "terraform": (
            'resource "aws_api_gateway_request_validator" "body" {\n  name = "body"\n'
            "  rest_api_id                 = aws_api_gateway_rest_api.this.id\n"
            "  validate_request_body       = true\n  validate_request_parameters = true\n}"
        ),
    },
    references={"checkov": ["CKV2_AWS_53"]},
    controls={
        "nist-800-53-r5": ["SI-10"],
        "pci-dss-4.0": ["6.2.4"],
    },
)
def body_without_validator(api: Api, ctx: Context) -> Verdict:
    if api.kind != "rest":
        return Verdict.not_applicable()
    opaque = _opaque(api)
    if opaque:
        return opaque
    body_routes = [r for r in api.routes if r.method.upper() in BODY_METHODS]
    if not body_routes:
        return Verdict.not_applicable()
    missing = [r for r in body_routes if r.request_validator is None]
    unknown = [r for r in body_routes if isinstance(r.request_validator, Unknown)]
    if missing:
        return Verdict.fail(
            f"{api.name}: {len(missing)} method(s) take a body without a request validator: "
            f"{_route_list(missing, ctx)}",
            routes=[r.key for r in missing],
            related=_function_arns(missing),
        )
    if unknown:
        return Verdict.unknown(
            f"{api.name}: request validator of {_route_list(unknown, ctx)} is not resolvable",
            routes=[r.key for r in unknown],
            related=_function_arns(unknown),
        )
    return Verdict.passed(f"every body-taking method of {api.name} has a request validator")


# --------------------------------------------------------------------------- FTR-API-007


@rule(
    id="FTR-API-007",
    title="REST API stage is not protected by a WAF web ACL",
    target="stage",
    practice=Practice.API_SECURITY,
    severity=Severity.MEDIUM,
    rationale="""
        AWS WAF in front of a REST API stage blocks common exploits (SQL injection, known bad
        inputs), rate-limits per client IP and filters by geography or IP reputation before a
        request costs a function invocation. Only REST API stages can be associated with a WAF
        web ACL; HTTP APIs cannot (front them with CloudFront and attach the ACL there), so the
        rule does not apply to HTTP API stages.
    """,
    remediation="""
        Create a regional WAFv2 web ACL (for example with the AWS managed Core rule set, Known
        bad inputs and a rate-based rule) and associate it with the stage.
    """,
    snippets={
        "cli": (
            "aws wafv2 associate-web-acl --web-acl-arn ACL_ARN "
            "--resource-arn arn:aws:apigateway:REGION::/restapis/API/stages/STAGE"
        ),
        "cloudformation": (
            "WebAclAssociation:\n  Type: AWS::WAFv2::WebACLAssociation\n  Properties:\n"
            "    ResourceArn: !Sub arn:aws:apigateway:${AWS::Region}::/restapis/${Api}/stages/prod\n"
            "    WebACLArn: !GetAtt WebAcl.Arn"
        ),
        "terraform": (
            'resource "aws_wafv2_web_acl_association" "api" {\n'
            "  resource_arn = aws_api_gateway_stage.prod.arn\n"
            "  web_acl_arn  = aws_wafv2_web_acl.api.arn\n}"
        ),
    },
    references={
        "checkov": ["CKV2_AWS_29"],
        "prowler": ["apigateway_restapi_waf_acl_attached"],
        "kics": ["a186e82c-1078-4a7b-85d8-579561fde884"],
        "securityhub": ["APIGateway.4"],
    },
    controls={
        "aws-fsbp": ["APIGateway.4"],
        "nist-800-53-r5": ["AC-4(21)", "SC-7"],
        "pci-dss-4.0": ["6.4.2"],
    },
)
def stage_without_waf(target: StageTarget, ctx: Context) -> Verdict:
    stage, api = target.stage, target.api
    if api.kind != "rest":
        return Verdict.not_applicable()
    if isinstance(stage.web_acl_arn, Unknown):
        return Verdict.unknown(
            f"WAF association of stage {stage.name} of {api.name} is unknown: "
            f"{_why(stage.web_acl_arn)}"
        )
    if not stage.web_acl_arn:
        return Verdict.fail(f"stage {stage.name} of REST API {api.name} has no WAF web ACL")
    return Verdict.passed(
        f"stage {stage.name} of {api.name} is protected by {stage.web_acl_arn}",
        web_acl=stage.web_acl_arn,
    )


# --------------------------------------------------------------------------- FTR-API-008


@rule(
    id="FTR-API-008",
    title="Function has no reserved concurrency",
    target="function",
    practice=Practice.API_SECURITY,
    severity=Severity.LOW,
    rationale="""
        Without reserved concurrency a function draws from the account's shared concurrency
        pool without limit: a flood of requests (or a recursive loop) scales it until every
        other function in the region is throttled, and drives cost. Reserved concurrency both
        caps the function and guarantees it capacity.
    """,
    remediation="""
        Set reserved concurrency to the peak the function legitimately needs, leaving the
        account's unreserved pool for the others.
    """,
    snippets={
        "cli": (
            "aws lambda put-function-concurrency --function-name NAME "
            "--reserved-concurrent-executions 50"
        ),
        "cloudformation": "ReservedConcurrentExecutions: 50",
        "terraform": "reserved_concurrent_executions = 50",
    },
    references={"checkov": ["CKV_AWS_115"]},
    controls={"nist-800-53-r5": ["SC-5", "SC-6"]},
)
def no_reserved_concurrency(fn: Function, ctx: Context) -> Verdict:
    if PART_CONCURRENCY in fn.uncollected:
        return Verdict.unknown(f"the concurrency setting of {fn.name} could not be read")
    value = fn.reserved_concurrency
    if isinstance(value, Unknown):
        return Verdict.unknown(f"reserved concurrency of {fn.name} is unknown: {_why(value)}")
    if value is None:
        return Verdict.fail(
            f"{fn.name} has no reserved concurrency: it can consume the account's whole pool"
        )
    if value == 0:
        return Verdict.passed(f"{fn.name} is throttled to zero (reserved concurrency 0)")
    return Verdict.passed(f"{fn.name} has reserved concurrency {value}", reserved=value)
