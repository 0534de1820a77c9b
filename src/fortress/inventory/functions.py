"""Functions and what hangs off them (URL, aliases, versions, event sources, layers, permissions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fortress.inventory.code_packages import CodeSource, PackageAnalysis
from fortress.inventory.values import Maybe, Origin, PolicyDocument, Unknown, arn_parts

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
