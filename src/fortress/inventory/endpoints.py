"""API Gateway and load balancers in front of functions."""

from __future__ import annotations

from dataclasses import dataclass, field

from fortress.inventory.values import Maybe, Origin, PolicyDocument, Unknown

# --------------------------------------------------------------------------- API Gateway


@dataclass
class ApiRoute:
    """A REST API method or an HTTP API route."""

    method: str  # GET, POST, ANY, $default ...
    path: str
    authorization_type: Maybe[str] = "NONE"  # NONE, AWS_IAM, CUSTOM, COGNITO_USER_POOLS, JWT
    authorizer_id: str | None = None
    api_key_required: Maybe[bool] = False
    request_validator: Maybe[str] | None = None
    function_arns: list[Maybe[str]] = field(default_factory=list)
    origin: Origin | None = None

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class ApiStage:
    name: str
    throttling_rate: Maybe[float] | None = None  # stage-wide default route / method settings
    throttling_burst: Maybe[int] | None = None
    route_throttling: bool = False  # some per-route/method limit is set
    usage_plan_throttling: bool = False
    access_log_destination: Maybe[str] | None = None
    execution_logging_level: Maybe[str] | None = None  # OFF, ERROR, INFO
    tracing_enabled: Maybe[bool] = False
    web_acl_arn: Maybe[str] | None = None
    variables: dict[str, Maybe[str]] = field(default_factory=dict)
    origin: Origin | None = None

    @property
    def throttled(self) -> bool:
        return bool(
            isinstance(self.throttling_rate, (int, float))
            or self.route_throttling
            or self.usage_plan_throttling
        )


@dataclass
class Api:
    id: str
    name: str
    kind: str  # "rest" | "http" | "websocket"
    origin: Origin
    routes: list[ApiRoute] = field(default_factory=list)
    stages: list[ApiStage] = field(default_factory=list)
    endpoint_type: str | None = None  # EDGE, REGIONAL, PRIVATE
    # Set when the API is defined by an OpenAPI body we do not interpret.
    opaque_reason: str | None = None
    # REST APIs: the resource policy (None: the API has none).
    resource_policy: PolicyDocument | Unknown | None = None
    # HTTP APIs: the CORS configuration's allowed origins (None: no CORS configuration) and
    # whether it allows credentials.
    cors_allow_origins: list[str] | Unknown | None = None
    cors_allow_credentials: Maybe[bool] = False

    @property
    def arn(self) -> str:
        if self.origin.arn:
            return self.origin.arn
        return f"arn:aws:apigateway:{self.origin.region or '*'}::/{'restapis' if self.kind == 'rest' else 'apis'}/{self.id}"


@dataclass
class ApiDomain:
    """An API Gateway custom domain name (REST: v1; HTTP/WebSocket: v2)."""

    name: str
    origin: Origin
    version: str = "v1"  # "v1" (AWS::ApiGateway::DomainName) | "v2" (AWS::ApiGatewayV2::DomainName)
    # The TLS security policy (the weakest of a v2 domain's configurations); None: not set.
    security_policy: Maybe[str] | None = None

    @property
    def arn(self) -> str:
        return self.origin.arn or (
            f"arn:aws:apigateway:{self.origin.region or '*'}::/domainnames/{self.name}"
        )


# --------------------------------------------------------------------------- load balancers


@dataclass
class LbAction:
    """One action of a listener or listener rule (``forward``, ``authenticate-cognito``,
    ``authenticate-oidc``, ``redirect``, ``fixed-response``)."""

    type: Maybe[str]
    target_groups: list[Maybe[str]] = field(default_factory=list)  # forward: target group ARNs
    order: Maybe[int] | None = None


@dataclass
class LbRule:
    """A listener's default actions (priority ``default``) or one of its rules."""

    priority: str
    actions: list[LbAction] | Unknown = field(default_factory=list)
    arn: str | None = None
    origin: Origin | None = None


@dataclass
class LbListener:
    arn: str
    origin: Origin
    port: Maybe[int] | None = None
    protocol: Maybe[str] | None = None
    rules: list[LbRule] = field(default_factory=list)


@dataclass
class LoadBalancer:
    """An Elastic Load Balancing v2 load balancer with its listeners and their rules."""

    arn: str
    name: str
    origin: Origin
    type: str = "application"
    scheme: Maybe[str] = "internet-facing"  # "internet-facing" | "internal"
    listeners: list[LbListener] = field(default_factory=list)


@dataclass
class TargetGroup:
    arn: str
    name: str
    origin: Origin
    target_type: Maybe[str] = "instance"  # "lambda" for function targets
    function_arns: list[Maybe[str]] = field(default_factory=list)
    # IaC: listeners that rules forwarding here name but the scanned files do not declare (a
    # Serverless ``alb`` event's ``listenerArn``): the scheme behind them is unknown.
    outside_listeners: list[str] = field(default_factory=list)
