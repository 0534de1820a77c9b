"""API-security rules on API Gateway boundaries: WebSocket connection authorization, REST API
resource policies, custom-domain TLS.

Rules read only the Inventory (through the object handed in and the engine Context).
"""

from __future__ import annotations

import re
from typing import Any

from fortress.findings import Practice, Severity
from fortress.iam import exposure
from fortress.inventory import Api, ApiDomain, ApiRoute, Unknown
from fortress.rules.api_exposure import _function_arns, _why
from fortress.rules.engine import Context, Verdict, rule

# --------------------------------------------------------------------------- FTR-API-009


def _ws_key(route: ApiRoute, ctx: Context) -> str:
    """``$connect -> chat-connect``: a WebSocket route key is one word (no path)."""
    arns = tuple(_function_arns([route]))
    names = [ref.name for ref in ctx.related("function", None, arns)] if arns else []
    return f"{route.method} -> {', '.join(dict.fromkeys(names))}" if names else route.method


def _ws_evidence(routes: list[ApiRoute]) -> list[dict[str, Any]]:
    return [{"route": r.method, "functions": _function_arns([r])} for r in routes]


@rule(
    id="FTR-API-009",
    title="WebSocket API $connect route has no authorizer",
    target="api",
    practice=Practice.API_SECURITY,
    severity=Severity.HIGH,
    rationale="""
        A WebSocket API authorizes clients once, on the $connect route: authorizers cannot be
        attached to any other route. When $connect has authorization type NONE (or the API has
        no $connect route), anyone who knows the wss:// endpoint can open a connection, and
        every message route ($default and the custom ones) then invokes its function for that
        anonymous client, for as long as the connection lasts.
    """,
    remediation="""
        Attach a Lambda REQUEST authorizer (CUSTOM) or AWS_IAM authorization to the $connect
        route, validating a token passed as a query string or header; authorize per message in
        the handlers where clients have different rights.
    """,
    snippets={
        "cli": (
            "aws apigatewayv2 update-route --api-id API --route-id CONNECT_ROUTE "
            "--authorization-type CUSTOM --authorizer-id AUTH"
        ),
        "cloudformation": (
            "ConnectRoute:\n  Type: AWS::ApiGatewayV2::Route\n  Properties:\n"
            "    ApiId: !Ref WebSocketApi\n    RouteKey: $connect\n"
            "    AuthorizationType: CUSTOM\n    AuthorizerId: !Ref ConnectAuthorizer"
        ),
        "terraform": (
            'resource "aws_apigatewayv2_route" "connect" {\n'
            "  api_id             = aws_apigatewayv2_api.ws.id\n"
            '  route_key          = "$connect"\n  authorization_type = "CUSTOM"\n'
            "  authorizer_id      = aws_apigatewayv2_authorizer.connect.id\n}"
        ),
    },
    references={
        "checkov": ["CKV_AWS_309"],
        "prowler": ["apigatewayv2_api_authorizers_enabled"],
        "securityhub": ["APIGateway.8"],
    },
    controls={
        "aws-fsbp": ["APIGateway.8"],
        "nist-800-53-r5": ["AC-3", "IA-2"],
        "pci-dss-4.0": ["7.2.1", "8.2.1"],
    },
)
def websocket_connect_without_auth(api: Api, ctx: Context) -> Verdict:
    if api.kind != "websocket":
        return Verdict.not_applicable()
    connect = [r for r in api.routes if r.method == "$connect"]
    others = [r for r in api.routes if r.method != "$connect"]
    reached = ", ".join(_ws_key(r, ctx) for r in others[:10])
    if not connect:
        if not api.routes and api.origin.is_template:
            return Verdict.unknown(
                f"{api.name}: no route of this WebSocket API is declared in the scanned files"
            )
        return Verdict.fail(
            f"{api.name} has no $connect route, so connections are accepted without any "
            "authorization" + (f"; any client then reaches: {reached}" if reached else ""),
            routes=[],
            exposed=_ws_evidence(others),
            related=_function_arns(others),
        )
    auth = connect[0].authorization_type
    if isinstance(auth, Unknown):
        return Verdict.unknown(
            f"{api.name}: authorization of $connect is not resolvable: {_why(auth)}",
            related=_function_arns(api.routes),
        )
    if auth == "NONE":
        return Verdict.fail(
            f"{api.name}: {_ws_key(connect[0], ctx)} has no authorizer: anyone can connect"
            + (f", and every connection then reaches: {reached}" if reached else ""),
            routes=["$connect"],
            exposed=_ws_evidence(api.routes),
            related=_function_arns(api.routes),
        )
    return Verdict.passed(
        f"the $connect route of {api.name} requires authorization ({auth})", authorization=auth
    )


# --------------------------------------------------------------------------- FTR-API-010

INVOKE = "execute-api:Invoke"


@rule(
    id="FTR-API-010",
    title="REST API resource policy allows any principal without a condition",
    target="api",
    practice=Practice.API_SECURITY,
    severity=Severity.MEDIUM,
    rationale="""
        A REST API resource policy is the network and account boundary of the API: it is how a
        private API is limited to given VPC endpoints and how a public one is limited to source
        IP ranges or accounts. A statement that allows execute-api:Invoke to Principal "*" with
        no condition (and no Deny that keeps out callers outside a VPC endpoint, VPC, IP range
        or organization) sets no boundary: a private API is then callable through any VPC
        endpoint, in any account, and a regional or edge API by anyone on the internet, with
        only method authorization left in the way.
    """,
    remediation="""
        Add a condition that pins the callers to the Allow statement (aws:SourceVpce or
        aws:SourceVpc for a private API, aws:SourceIp, aws:PrincipalOrgID or an account
        principal), or add a Deny for Principal "*" on execute-api:Invoke with a
        StringNotEquals / NotIpAddress condition on those keys.
    """,
    snippets={
        "cloudformation": (
            "Policy:\n  Version: '2012-10-17'\n  Statement:\n"
            "    - Effect: Allow\n      Principal: '*'\n      Action: execute-api:Invoke\n"
            "      Resource: execute-api:/*\n"
            "      Condition: {StringEquals: {aws:SourceVpce: vpce-0123456789abcdef0}}"
        ),
        "terraform": (
            'resource "aws_api_gateway_rest_api_policy" "this" {\n'
            "  rest_api_id = aws_api_gateway_rest_api.this.id\n"
            "  policy      = data.aws_iam_policy_document.vpce_only.json\n}"
        ),
    },
    references={"kics": ["b161c11b-a59b-4431-9a29-4e19f63e6b27"]},
    controls={
        "nist-800-53-r5": ["AC-3", "AC-4", "SC-7"],
        "pci-dss-4.0": ["1.4.1", "7.2.1"],
    },
)
def rest_policy_allows_anyone(api: Api, ctx: Context) -> Verdict:
    if api.kind != "rest":
        return Verdict.not_applicable()
    policy = api.resource_policy
    if policy is None:
        return Verdict.not_applicable()
    if isinstance(policy, Unknown):
        return Verdict.unknown(
            f"the resource policy of {api.name} is not resolvable: {_why(policy)}"
        )
    found = ctx.memo("iam.exposure", policy, lambda: exposure.analyse(policy, api.origin.account))
    public = [g for g in found.public if exposure.grants_action(g, INVOKE)]
    undecided = [
        g
        for g in found.grants
        if g.kind == exposure.PUBLIC and g.restriction_unknown and exposure.grants_action(g, INVOKE)
    ]
    if public or undecided:
        guards = exposure.guarding_denies(policy, INVOKE)
        if guards:
            deny, keys = guards[0]
            return Verdict.passed(
                f"the resource policy of {api.name} allows '*', but {deny.label} denies every "
                f"caller outside {', '.join(keys)}",
                guarded_by=keys,
            )
    private = " (a private API: callable through any VPC endpoint, in any account)"
    if public:
        statements = ", ".join(dict.fromkeys(g.statement.label for g in public))
        return Verdict.fail(
            f"the resource policy of {api.name} allows execute-api:Invoke to any principal with "
            f"no condition ({statements})" + (private if api.endpoint_type == "PRIVATE" else ""),
            grants=[g.to_evidence() for g in public],
            related=_function_arns(api.routes),
        )
    if undecided or found.unknown:
        why = undecided[0].restriction_unknown[0] if undecided else found.unknown[0]
        return Verdict.unknown(f"the resource policy of {api.name} cannot be judged: {why}")
    return Verdict.passed(f"the resource policy of {api.name} names or restricts its callers")


# --------------------------------------------------------------------------- FTR-API-011

# A security policy accepting TLS 1.0 or 1.1 ("TLS_1_0"); the policies of 2018 onwards name
# their minimum version (SecurityPolicy_TLS13_1_2_2021_06, SecurityPolicy_TLS12_2018_EDGE).
_WEAK_TLS = re.compile(r"(^|_)TLS_?1_?[01](_|$)", re.IGNORECASE)
_STRONG_TLS = re.compile(r"(^|_)TLS_?1_?[23](_|$)", re.IGNORECASE)


@rule(
    id="FTR-API-011",
    title="API custom domain accepts TLS versions below 1.2",
    target="domain",
    practice=Practice.API_SECURITY,
    severity=Severity.MEDIUM,
    rationale="""
        The security policy of an API Gateway custom domain sets the oldest TLS version and the
        ciphers clients may negotiate. TLS_1_0 accepts TLS 1.0 and 1.1, which have known
        weaknesses (BEAST, weak CBC ciphers, SHA-1 handshakes) and are not allowed by PCI DSS;
        a client or an attacker in the path can downgrade the connection that carries tokens
        and payloads to the functions behind the API.
    """,
    remediation="""
        Set the domain's security policy to TLS_1_2 (or a newer SecurityPolicy_TLS13_* policy)
        explicitly: when it is not set, API Gateway's default depends on the endpoint type and
        the API used to create the domain.
    """,
    snippets={
        "cli": (
            "aws apigateway update-domain-name --domain-name api.example.com --patch-operations "
            "op=replace,path=/securityPolicy,value=TLS_1_2"
        ),
        "cloudformation": (
            "ApiDomain:\n  Type: AWS::ApiGateway::DomainName\n  Properties:\n"
            "    DomainName: api.example.com\n    SecurityPolicy: TLS_1_2"
        ),
        "terraform": (
            'resource "aws_api_gateway_domain_name" "api" {\n'
            '  domain_name     = "api.example.com"\n  security_policy = "TLS_1_2"\n}'
        ),
    },
    references={
        "checkov": ["CKV_AWS_206"],
        "kics": ["4e1cc5d3-2811-4fb2-861c-ee9b3cb7f90b"],
        "trivy": ["AVD-AWS-0005"],
    },
    controls={
        "nist-800-53-r5": ["SC-8", "SC-13"],
        "pci-dss-4.0": ["4.2.1"],
    },
)
def domain_weak_tls(domain: ApiDomain, ctx: Context) -> Verdict:
    policy = domain.security_policy
    if policy is None:
        return Verdict.unknown(
            f"custom domain {domain.name} sets no security policy: API Gateway's default "
            "depends on the endpoint type (set TLS_1_2 explicitly)"
        )
    if isinstance(policy, Unknown):
        return Verdict.unknown(
            f"the security policy of custom domain {domain.name} is not resolvable: {_why(policy)}"
        )
    text = str(policy)
    if _WEAK_TLS.search(text):
        return Verdict.fail(
            f"custom domain {domain.name} uses security policy {text}, which accepts TLS 1.0 "
            "and 1.1",
            security_policy=text,
        )
    if _STRONG_TLS.search(text):
        return Verdict.passed(
            f"custom domain {domain.name} requires TLS 1.2 or later ({text})", security_policy=text
        )
    return Verdict.unknown(
        f"custom domain {domain.name} uses security policy {text}, which Fortress does not know"
    )
