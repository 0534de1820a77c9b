"""The normalized model of what is deployed (live account, snapshot) or declared (IaC).

Plain typed data and no I/O. Every object carries an :class:`Origin` saying where it came
from: an ARN in an account/region, or a file and line in a template.

A value a source could not resolve (a template parameter without default, a Terraform module
output, a data source) is an :class:`Unknown` carrying the reason. Rules must treat Unknown as
"cannot decide", never as safe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Unknown:
    """A value the source could not resolve. ``reason`` says why, for the finding."""

    reason: str

    def __bool__(self) -> bool:  # an Unknown is never mistaken for a truthy, safe value
        return False


@dataclass(frozen=True)
class Unresolved(Unknown):
    """An Unknown that keeps the expression yielding it, as written (IaC): two values with the
    same ``expression`` are the same value at deployment (one import, parameter or variable).

    ``expression`` includes what scopes it (the template file, the Terraform module), so equal
    text in two stacks or module instances stays apart.
    """

    expression: str = ""


# ``Maybe[str]`` reads "a str, or Unknown".
Maybe: TypeAlias = T | Unknown

PolicyDocument = dict[str, Any]


# The account a template deploys into, when it is not known: Origin.account of every template
# object and the account part of ARNs built from AWS::AccountId / data.aws_caller_identity.
# Rules compare accounts by equality, so "self" stays self and a literal foreign id stays foreign.
TEMPLATE_ACCOUNT = "${AWS::AccountId}"

# A colon outside ``${...}``: template placeholders such as ``${AWS::Region}`` hold colons.
_ARN_SEPARATOR = re.compile(r":(?![^{}]*\})")


def arn_parts(arn: str) -> list[str]:
    """An ARN's colon-separated parts, a placeholder (``${AWS::Region}``) staying one part.

    ``arn:aws:lambda:${AWS::Region}:017000801446:layer:L:7`` → account ``017000801446``: a
    template that leaves the region to deployment still names the publisher.
    """
    return _ARN_SEPARATOR.split(arn)


def unqualified_arn(arn: str) -> str:
    """A function ARN without its alias or version (placeholders such as ${AWS::Region} kept)."""
    return ":".join(arn_parts(arn)[:7]) if arn.startswith("arn:") else arn


# The reason of the Unknown that replaces a secret value withheld from a snapshot.
WITHHELD = "secret value withheld from the snapshot"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an object came from."""

    source: str  # "aws", "snapshot", "cloudformation", "serverless", "terraform", "terraform-plan"
    account: str | None = None
    region: str | None = None
    arn: str | None = None
    file: str | None = None
    line: int | None = None
    logical_id: str | None = None  # CloudFormation logical id or Terraform address
    # In-code suppressions declared on this resource: (rule id, reason or "").
    suppressions: tuple[tuple[str, str], ...] = ()

    @property
    def is_template(self) -> bool:
        return self.file is not None


# --------------------------------------------------------------------------- functions


@dataclass
class EnvVar:
    name: str
    value: Maybe[str]
    # Set when IaC wires the value from another resource, e.g.
    # "AWS::IAM::AccessKey.SecretAccessKey" or "aws_iam_access_key.secret".
    reference: str | None = None
    # Set when the value was withheld at collection time because it is a secret (snapshots
    # never store secrets unless asked): the kind of secret and its fingerprint.
    redacted: str | None = None
    fingerprint: str | None = None
    # Set when IaC wires the value from a Parameter Store parameter (``!Ref Param``,
    # ``{{resolve:ssm:name}}``, ``aws_ssm_parameter.p.value``): the parameter's name.
    parameter: str | None = None


@dataclass
class VpcConfig:
    subnet_ids: list[Maybe[str]] = field(default_factory=list)
    security_group_ids: list[Maybe[str]] = field(default_factory=list)
    vpc_id: str | None = None


@dataclass
class LayerRef:
    arn: Maybe[str]

    @property
    def account(self) -> str | None:
        if isinstance(self.arn, str) and self.arn.startswith("arn:"):
            parts = arn_parts(self.arn)
            return parts[4] if len(parts) > 4 else None
        return None


@dataclass
class FunctionUrl:
    auth_type: Maybe[str]  # "NONE" | "AWS_IAM"
    url: str | None = None
    qualifier: str | None = None
    cors_allow_origins: list[str] | Unknown = field(default_factory=list)
    cors_allow_credentials: bool = False


@dataclass
class CodeSigning:
    arn: Maybe[str]
    untrusted_artifact_on_deployment: Maybe[str] = "Warn"  # "Warn" | "Enforce"
    allowed_publishers: list[str] = field(default_factory=list)


@dataclass
class EventSourceMapping:
    uuid: str
    event_source_arn: Maybe[str]
    state: str | None = None
    on_failure_destination: str | None = None


@dataclass
class InvokeConfig:
    """Asynchronous invocation config (destinations, retries)."""

    on_failure: Maybe[str] | None = None
    on_success: Maybe[str] | None = None
    maximum_retry_attempts: int | None = None
    qualifier: str | None = None


@dataclass
class FunctionVersion:
    version: str
    code_sha256: str | None = None
    last_modified: datetime | None = None
    description: str = ""


@dataclass
class Alias:
    name: str
    function_version: str
    routing: dict[str, float] = field(default_factory=dict)


# Parts of a function a live source reads with separate calls; any may fail (AccessDenied, ...).
PART_POLICY = "policy"
PART_URL = "url"
PART_CODE_SIGNING = "code_signing"
PART_CONCURRENCY = "concurrency"
PART_INVOKE_CONFIG = "invoke_config"
PART_TAGS = "tags"
PART_ALIASES = "aliases"
PART_VERSIONS = "versions"
PART_EVENT_SOURCES = "event_source_mappings"
PART_RUNTIME_MANAGEMENT = "runtime_management"
PART_RECURSION = "recursion"


@dataclass
class Function:
    """A Lambda function ($LATEST), with its versions and aliases.

    Absent things are ``None``/empty (no URL, no policy); things that could not be read are
    ``Unknown`` or named in ``uncollected``.
    """

    name: str
    arn: str
    origin: Origin
    runtime: Maybe[str] | None = None  # None for container images
    handler: Maybe[str] | None = None
    package_type: str = "Zip"
    role_arn: Maybe[str] | None = None
    memory_size: Maybe[int] = 128
    timeout: Maybe[int] = 3
    environment: list[EnvVar] = field(default_factory=list)
    kms_key_arn: Maybe[str] | None = None
    # Code.SourceKMSKeyArn: the customer-managed key that encrypts the .zip package at rest;
    # None = Lambda's AWS owned key.
    source_kms_key_arn: Maybe[str] | None = None
    vpc: VpcConfig | None = None
    tracing_mode: Maybe[str] = "PassThrough"
    dead_letter_target: Maybe[str] | None = None
    log_group_name: Maybe[str] | None = None  # from LoggingConfig; default /aws/lambda/<name>
    log_format: str | None = None
    # LoggingConfig.ApplicationLogLevel (TRACE, DEBUG, INFO, WARN, ERROR, FATAL); None = not set.
    application_log_level: Maybe[str] | None = None
    # RuntimeManagementConfig.UpdateRuntimeOn: "Auto" (the default), "FunctionUpdate", "Manual".
    runtime_update_mode: Maybe[str] = "Auto"
    runtime_version_arn: str | None = None  # the pinned runtime version (Manual mode)
    # Recursive loop detection: "Terminate" (the default) or "Allow".
    recursive_loop: Maybe[str] = "Terminate"
    ephemeral_storage_mb: Maybe[int] = 512
    file_systems: list[Maybe[str]] = field(default_factory=list)
    layers: list[LayerRef] = field(default_factory=list)
    code_signing: CodeSigning | Unknown | None = None
    urls: list[FunctionUrl] = field(default_factory=list)
    resource_policy: PolicyDocument | Unknown | None = None
    event_source_mappings: list[EventSourceMapping] = field(default_factory=list)
    invoke_configs: list[InvokeConfig] = field(default_factory=list)
    reserved_concurrency: Maybe[int] | None = None
    tags: dict[str, str] | Unknown = field(default_factory=dict)
    last_modified: datetime | None = None
    code_sha256: str | None = None
    code_size: int | None = None
    architectures: list[str] = field(default_factory=lambda: ["x86_64"])
    versions: list[FunctionVersion] = field(default_factory=list)
    aliases: list[Alias] = field(default_factory=list)
    # The code package's contents (secrets, dependencies, risky code); None: no package read.
    package: PackageAnalysis | None = None
    # Where an IaC source says the code is (a folder, a zip, inline text, S3, an image).
    code: CodeSource | None = None
    # IaC only: the S3 bucket the template stores the package in (Code.S3Bucket, SAM
    # ``CodeUri: s3://``, Serverless ``provider.deploymentBucket``, Terraform ``s3_bucket``).
    package_bucket: Maybe[str] | None = None
    # Which parts of this function could not be read (one of the PART_* names below), so
    # that rules depending on them answer "unknown" rather than "pass".
    uncollected: set[str] = field(default_factory=set)

    @property
    def account(self) -> str | None:
        return self.origin.account

    @property
    def region(self) -> str | None:
        return self.origin.region

    @property
    def effective_log_group(self) -> Maybe[str]:
        if self.log_group_name is None:
            return f"/aws/lambda/{self.name}"
        return self.log_group_name


@dataclass
class ExternalPermission:
    """A permission a template grants on a function it does not define (IaC only).

    ``function`` is the FunctionName as written: a name, an ARN, or the unresolved expression
    (an import, a parameter, a variable, a data source). ``resource_policy`` holds the one
    statement the permission adds (Unknown when its principal or action cannot be resolved).
    The resource-policy rules (FTR-IAM-007..010) judge it on the permission resource itself;
    no other function rule sees it, so it is never reported as a function with unknown parts.
    """

    function: str
    origin: Origin
    resource_policy: PolicyDocument | Unknown | None = None
    uncollected: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return self.function

    @property
    def account(self) -> str | None:
        return self.origin.account


# --------------------------------------------------------------------------- packages

CODE_DIR = "dir"
CODE_ZIP = "zip"
CODE_INLINE = "inline"
CODE_S3 = "s3"
CODE_IMAGE = "image"
CODE_UNKNOWN = "unknown"


@dataclass
class CodeSource:
    """Where an IaC template says a function's or layer's code is, before it is read.

    ``path`` is an absolute path on disk (``dir``/``zip``), ``inline`` the text of a
    CloudFormation ``Code.ZipFile``, ``uri`` an ``s3://`` location or an image URI; ``reason``
    says why the code cannot be found locally (``unknown``, ``s3``).
    """

    kind: str  # CODE_DIR | CODE_ZIP | CODE_INLINE | CODE_S3 | CODE_IMAGE | CODE_UNKNOWN
    path: str | None = None
    inline: str | None = None
    uri: str | None = None
    reason: str = ""
    # Serverless package.patterns (include globs; "!glob" excludes), applied to a folder.
    patterns: list[str] = field(default_factory=list)


# PackageAnalysis.status
PACKAGE_ANALYSED = "analysed"  # the files were read (within the caps); lists below are the facts
PACKAGE_NOT_RUN = "not-run"  # package analysis was not asked for (live scan without --packages)
PACKAGE_UNKNOWN = "unknown"  # asked for but the bytes could not be read: ``reason`` says why


@dataclass
class PackageSecret:
    """A secret found in a file of a package: where and what kind, never the value."""

    file: str  # path inside the package (POSIX), or inside the layer for layer findings
    line: int
    kind: str  # the scanner's type name ("AWS Access Key", "Private Key", ...)
    fingerprint: str  # short hash of the value, stable across runs (as EnvVar.fingerprint)


@dataclass
class Dependency:
    """One third-party package found in a function's or layer's files."""

    ecosystem: str  # OSV ecosystem name: "PyPI", "npm", "Maven", "Go", "NuGet", "RubyGems"
    name: str
    version: str  # the exact version, or the declared range when ``pinned`` is False
    pinned: bool = True  # False: a range from a manifest (matched as "may be affected")
    path: str = ""  # the file it was read from, inside the package or layer
    layer: str | None = None  # the layer ARN (or IaC layer id) when it comes from a layer
    purl: str | None = None


@dataclass
class Vulnerability:
    """An OSV advisory that matches a Dependency."""

    ids: list[str]  # the OSV id first, then aliases (GHSA-…, CVE-…, PYSEC-…)
    ecosystem: str
    package: str
    version: str
    path: str = ""
    layer: str | None = None
    severity: str = "unknown"  # "critical" | "high" | "medium" | "low" | "unknown" (from CVSS)
    score: float | None = None  # CVSS base score when the record has a vector
    fixed: str | None = None  # the first fixed version, when the record names one
    summary: str = ""
    may_be_affected: bool = False  # the version is a range that overlaps the affected range


# CodeRisk.kind
RISK_COMMAND = "command-execution"
RISK_EVAL = "code-evaluation"
RISK_DESERIALIZATION = "unsafe-deserialization"
RISK_TMP_SECRET = "secret-in-tmp"
RISK_CACHED_CREDENTIALS = "cached-credentials"


@dataclass
class CodeRisk:
    """A risky call in handler code: a sink, and whether the handler's event reaches it."""

    kind: str  # one of the RISK_* names
    file: str
    line: int
    sink: str  # the call as written: "subprocess.run", "child_process.exec", "yaml.load"
    from_event: bool  # True: data derived from the handler's event parameter reaches the sink
    detail: str = ""  # one line: what reaches the sink, from where
    layer: str | None = None


@dataclass
class PackageAnalysis:
    """What Fortress read inside a function's or layer's package.

    Filled by ``fortress.packages`` (live download or the local code an IaC template deploys);
    rules read it and never download. ``None`` on a Function or layer means the source has no
    package to offer; ``status`` tells "not asked" and "could not read" apart from "read".
    """

    status: str  # PACKAGE_ANALYSED | PACKAGE_NOT_RUN | PACKAGE_UNKNOWN
    reason: str = ""
    location: str = ""  # where the bytes came from: a local path, "s3://…", "lambda:GetFunction"
    sha256: str | None = None  # of the zip when there is one
    files: int = 0
    unzipped_bytes: int = 0
    image_uri: str | None = None  # container-image functions: the image, no package rules run
    secrets: list[PackageSecret] = field(default_factory=list)
    dependencies: list[Dependency] = field(default_factory=list)
    vulnerabilities: list[Vulnerability] = field(default_factory=list)
    code_risks: list[CodeRisk] = field(default_factory=list)
    vulndb: str | None = None  # the OSV data used ("osv 2026-11-30"), None when none was
    # Which analyses could not run, with the reason ("vulnerabilities": "no OSV database").
    skipped: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- IAM


@dataclass
class Policy:
    name: str
    document: PolicyDocument | Unknown
    arn: str | None = None
    aws_managed: bool = False
    inline: bool = False
    # Templates: the file and the line of each statement (by index), for messages.
    file: str | None = None
    lines: list[int] = field(default_factory=list)


@dataclass
class Role:
    name: str
    arn: str
    origin: Origin
    trust_policy: PolicyDocument | Unknown = field(default_factory=dict)
    inline_policies: list[Policy] = field(default_factory=list)
    attached_policies: list[Policy] = field(default_factory=list)
    permissions_boundary_arn: str | None = None

    @property
    def policies(self) -> list[Policy]:
        return [*self.inline_policies, *self.attached_policies]


@dataclass
class IdentityPolicy:
    """An identity policy a template declares that no role of the template carries (IaC only):
    a managed policy (``AWS::IAM::ManagedPolicy``, ``aws_iam_policy``) or a policy resource
    (``AWS::IAM::Policy``, ``aws_iam_role_policy``) attached to nothing, or only to roles,
    users or groups defined elsewhere (``attached`` names them as written). FTR-IAM-012 judges
    what it grants; the roles of the template carry their own policies.
    """

    name: str
    origin: Origin
    policy: Policy
    arn: str | None = None
    kind: str = "AWS::IAM::ManagedPolicy"  # the resource type, for the finding
    attached: list[str] = field(default_factory=list)

    @property
    def policies(self) -> list[Policy]:
        return [self.policy]


@dataclass
class IamUser:
    """An IAM user of the account (a principal ``who-can`` judges), with its group names."""

    name: str
    arn: str
    origin: Origin
    inline_policies: list[Policy] = field(default_factory=list)
    attached_policies: list[Policy] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    permissions_boundary_arn: str | None = None

    @property
    def policies(self) -> list[Policy]:
        return [*self.inline_policies, *self.attached_policies]


@dataclass
class IamGroup:
    name: str
    arn: str
    inline_policies: list[Policy] = field(default_factory=list)
    attached_policies: list[Policy] = field(default_factory=list)

    @property
    def policies(self) -> list[Policy]:
        return [*self.inline_policies, *self.attached_policies]


@dataclass
class ScpLevel:
    """The service control policies attached at one level (root, an OU, the account) of the
    account's place in its organization. An action must be allowed at every level."""

    target: str  # "r-..." root, "ou-..." organizational unit, or the account id
    policies: list[Policy] = field(default_factory=list)


@dataclass
class IamAccount:
    """Every principal of one account, for "who can take over this function" (live only).

    ``roles`` holds all roles (not only execution roles); ``managed_policies`` the documents of
    customer managed policies and of the policies used as permissions boundaries, by ARN.
    ``scps`` is None when the organization's policies could not be read (``scp_note`` says
    why); an empty list means none apply (no organization, or the management account).
    """

    account: str
    users: list[IamUser] = field(default_factory=list)
    groups: list[IamGroup] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    managed_policies: list[Policy] = field(default_factory=list)
    scps: list[ScpLevel] | None = None
    scp_note: str | None = None


# --------------------------------------------------------------------------- layers


@dataclass
class LayerVersion:
    """A layer version owned by the scanned account (for sharing checks)."""

    arn: str
    name: str
    version: int
    origin: Origin
    policy: PolicyDocument | Unknown | None = None
    compatible_runtimes: list[str] = field(default_factory=list)
    package: PackageAnalysis | None = None
    code: CodeSource | None = None


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


# --------------------------------------------------------------------------- network


@dataclass
class SecurityGroupRule:
    protocol: str  # "-1" for all
    from_port: int | None = None
    to_port: int | None = None
    cidrs: list[Maybe[str]] = field(default_factory=list)  # IPv4 and IPv6
    source_groups: list[str] = field(default_factory=list)
    prefix_lists: list[str] = field(default_factory=list)


@dataclass
class SecurityGroup:
    id: str
    name: str
    origin: Origin
    vpc_id: str | None = None
    ingress: list[SecurityGroupRule] | Unknown = field(default_factory=list)
    egress: list[SecurityGroupRule] | Unknown = field(default_factory=list)


@dataclass
class NetworkAclEntry:
    """An inbound entry (numbered rule) of a network ACL."""

    rule_number: Maybe[int]
    action: Maybe[str]  # "allow" | "deny"
    protocol: str = "-1"  # "-1" for all, else the protocol number or name
    cidr: Maybe[str] | None = None  # IPv4 or IPv6 block
    from_port: int | None = None
    to_port: int | None = None


@dataclass
class Subnet:
    id: str
    origin: Origin
    vpc_id: str | None = None
    availability_zone: Maybe[str] | None = None
    # The route table in effect (an explicit association, else the VPC's main table) and the
    # routes it sends to an internet gateway ("0.0.0.0/0 -> igw-1"); None: not collected.
    route_table_id: Maybe[str] | None = None
    route_table_main: bool = False
    internet_routes: list[str] | Unknown | None = None
    # The network ACL in effect (an explicit association, else the VPC's default ACL) and its
    # inbound entries; None: not collected.
    network_acl_id: Maybe[str] | None = None
    network_acl_default: bool = False
    acl_ingress: list[NetworkAclEntry] | Unknown | None = None


# --------------------------------------------------------------------------- logging


@dataclass
class LogGroup:
    name: str
    origin: Origin
    retention_days: Maybe[int] | None = None
    kms_key_id: Maybe[str] | None = None


@dataclass
class Trail:
    name: str
    arn: str
    origin: Origin
    is_multi_region: Maybe[bool] = False
    is_logging: Maybe[bool] = True
    include_management_events: Maybe[bool] = True
    # Basic event selectors and advanced event selectors, as the API returns them.
    event_selectors: list[dict[str, Any]] = field(default_factory=list)
    advanced_event_selectors: list[dict[str, Any]] = field(default_factory=list)
    home_region: str | None = None


@dataclass
class Alarm:
    name: str
    origin: Origin
    namespace: str | None = None
    metric_name: str | None = None
    dimensions: dict[str, str] = field(default_factory=dict)
    # Metric math alarms: every (namespace, metric, dimensions) the alarm reads.
    metrics: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


# --------------------------------------------------------------------------- secrets & keys


@dataclass
class Secret:
    arn: str
    name: str
    origin: Origin
    rotation_enabled: Maybe[bool] = False
    kms_key_id: str | None = None


@dataclass
class KmsKey:
    arn: str
    key_id: str
    origin: Origin
    manager: str = "CUSTOMER"  # "AWS" | "CUSTOMER"
    aliases: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- storage


@dataclass
class Bucket:
    """An S3 bucket declared in a template (read for the buckets that store code packages).

    ``None`` means the template declares nothing for that setting; ``Unknown`` that what it
    declares cannot be resolved.
    """

    name: str
    origin: Origin
    encryption: Maybe[str] | None = None  # the SSE algorithm of the default encryption rule
    versioning: Maybe[str] | None = None  # "Enabled" | "Suspended"
    # BlockPublicAcls, BlockPublicPolicy, IgnorePublicAcls, RestrictPublicBuckets -> value.
    public_access_block: dict[str, Maybe[bool]] | Unknown | None = None


@dataclass
class Parameter:
    """A Parameter Store parameter's metadata. Its value is never read."""

    name: str
    origin: Origin
    type: Maybe[str] = "String"  # "String" | "StringList" | "SecureString"
    arn: str | None = None


def parameter_name_in(value: object) -> list[str]:
    """The parameter names an environment value may designate: an SSM parameter ARN (both
    spellings of its name) or a ``/hierarchical/name``."""
    if not isinstance(value, str) or not value or len(value) > 2048:
        return []
    if value.startswith("arn:") and ":ssm:" in value and ":parameter/" in value:
        rest = value.split(":parameter/", 1)[1]
        return [f"/{rest}", rest]
    if value.startswith("/") and " " not in value and len(value) > 1:
        return [value]
    return []


PUBLIC_ACCESS_SETTINGS = (
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
)


# --------------------------------------------------------------------------- account/region


@dataclass
class RegionStatus:
    """Account-wide services, per region. ``None`` = not collected for this scope."""

    account: str
    region: str
    origin: Origin
    guardduty_lambda_protection: Maybe[bool] | None = None
    inspector_lambda_scanning: Maybe[bool] | None = None


# --------------------------------------------------------------------------- usage (CloudTrail)


@dataclass
class ActionUse:
    """One IAM action a role's sessions called, as CloudTrail shows it."""

    action: str  # canonical IAM action, e.g. "s3:GetObject"
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    # ARNs the events name (resources[], bucket/key, function, table), at most a few dozen.
    resources: list[str] = field(default_factory=list)
    resources_truncated: bool = False
    event_names: list[str] = field(default_factory=list)  # the CloudTrail names mapped here


@dataclass
class RoleUsage:
    """What one role's sessions called in the window (``UsageFacts.since``..``until``)."""

    role_arn: str
    events: int = 0
    actions: list[ActionUse] = field(default_factory=list)
    # Calls refused (AccessDenied...): attempted, not granted; never counted as used.
    denied: list[str] = field(default_factory=list)
    # "eventSource eventName" pairs that map to no IAM action (sign-in, service events).
    not_actions: list[str] = field(default_factory=list)


@dataclass
class UsageFacts:
    """Granted-versus-used facts computed from CloudTrail outside the rules.

    Filled by ``fortress.detection.usage`` (``scan --cloudtrail``); the rules compare them with
    the roles' policies. ``None`` on the Inventory: no usage data, the usage rules do not run.
    """

    inputs: list[str] = field(default_factory=list)  # files, s3:// prefixes, LookupEvents
    since: datetime | None = None
    until: datetime | None = None
    first_event: datetime | None = None
    last_event: datetime | None = None
    events: int = 0
    # Accounts whose events the input holds (a role of another account is not judged).
    accounts: list[str] = field(default_factory=list)
    # IAM service prefixes with at least one event in the input, from any principal: the
    # evidence that the trail records that service's (management) events at all.
    observed_services: list[str] = field(default_factory=list)
    # eventSource values that map to no IAM service prefix.
    unmapped_sources: list[str] = field(default_factory=list)
    roles: list[RoleUsage] = field(default_factory=list)
    # What could not be read (unreadable files, a failed S3 or LookupEvents call).
    gaps: list[str] = field(default_factory=list)

    def role(self, arn: str) -> RoleUsage | None:
        for usage in self.roles:
            if usage.role_arn == arn:
                return usage
        return None


# --------------------------------------------------------------------------- source notes


NOTE_GAP = "gap"  # something the source could not read or follow: the scan is incomplete (exit 3)
NOTE_WARNING = "warning"  # accepted as the deploy tool would, but worth telling (duplicate keys)
# A part of the input that is malformed (a field of the wrong type): an input error naming file
# and property; the source leaves that part out and the rest is scanned (exit 3, not clean).
NOTE_ERROR = "error"


@dataclass(frozen=True)
class SourceNote:
    """What an IaC source could not read or follow, or accepted with a warning.

    ``subject`` names the thing (a module address and its source, a ``${file()}`` path, an
    include location); ``message`` says what happened and, for gaps, the fix.
    """

    kind: str  # NOTE_GAP | NOTE_WARNING | NOTE_ERROR
    file: str
    message: str
    line: int | None = None
    subject: str = ""

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


# --------------------------------------------------------------------------- the inventory


COLLECTION_TRAILS = "trails"
COLLECTION_LOG_GROUPS = "log_groups"
COLLECTION_ALARMS = "alarms"
COLLECTION_ROLES = "roles"
COLLECTION_SECURITY_GROUPS = "security_groups"
COLLECTION_SUBNETS = "subnets"
COLLECTION_ROUTE_TABLES = "route_tables"
COLLECTION_NETWORK_ACLS = "network_acls"
COLLECTION_SECRETS = "secrets"
COLLECTION_APIS = "apis"
COLLECTION_LAYERS = "layers"
COLLECTION_PARAMETERS = "parameters"
COLLECTION_DOMAINS = "domains"
COLLECTION_LOAD_BALANCERS = "load_balancers"


# The Inventory's lists of resources (everything but account/region status and bookkeeping).
RESOURCE_LISTS = (
    "functions",
    "roles",
    "external_permissions",
    "policies",
    "layers",
    "apis",
    "domains",
    "load_balancers",
    "target_groups",
    "security_groups",
    "subnets",
    "log_groups",
    "trails",
    "alarms",
    "secrets",
    "kms_keys",
    "buckets",
    "parameters",
)


@dataclass
class Inventory:
    functions: list[Function] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    # IaC only: permissions for functions the files do not define, and identity policies no
    # role of the files carries (judged on their own resources).
    external_permissions: list[ExternalPermission] = field(default_factory=list)
    policies: list[IdentityPolicy] = field(default_factory=list)
    layers: list[LayerVersion] = field(default_factory=list)
    apis: list[Api] = field(default_factory=list)
    domains: list[ApiDomain] = field(default_factory=list)
    load_balancers: list[LoadBalancer] = field(default_factory=list)
    target_groups: list[TargetGroup] = field(default_factory=list)
    security_groups: list[SecurityGroup] = field(default_factory=list)
    subnets: list[Subnet] = field(default_factory=list)
    log_groups: list[LogGroup] = field(default_factory=list)
    trails: list[Trail] = field(default_factory=list)
    alarms: list[Alarm] = field(default_factory=list)
    secrets: list[Secret] = field(default_factory=list)
    kms_keys: list[KmsKey] = field(default_factory=list)
    buckets: list[Bucket] = field(default_factory=list)
    parameters: list[Parameter] = field(default_factory=list)
    regions: list[RegionStatus] = field(default_factory=list)
    # "account": a live account or its snapshot, where account-wide rules apply.
    # "template": IaC, where account-wide facts (trails in other stacks, GuardDuty) are unknown.
    scope: str = "account"
    accounts: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    # Collections a live source could not read (AccessDenied, ...): "<kind>@<region>" or
    # "<kind>" for global ones, kind being one of the COLLECTION_* names. A rule that would
    # conclude "missing" from an empty collection answers "unknown" instead.
    uncollected: set[str] = field(default_factory=set)
    # IaC only: what the sources could not follow (gaps) or accepted with a warning.
    notes: list[SourceNote] = field(default_factory=list)
    # What the roles' sessions really called (``scan --cloudtrail``); None: not computed.
    usage: UsageFacts | None = None
    # Live only: every IAM principal of each account (absent: not collected, e.g. templates).
    iam: list[IamAccount] = field(default_factory=list)

    def extend(self, other: Inventory) -> None:
        """Merge another inventory into this one (several regions, files or accounts)."""
        for name in (*RESOURCE_LISTS, "regions"):
            getattr(self, name).extend(getattr(other, name))
        for account in other.accounts:
            if account not in self.accounts:
                self.accounts.append(account)
        for source in other.sources:
            if source not in self.sources:
                self.sources.append(source)
        self.uncollected |= other.uncollected
        self.notes.extend(other.notes)
        if self.usage is None:
            self.usage = other.usage
        self.iam.extend(other.iam)
        if other.scope == "template":
            self.scope = "template"
