"""The normalized model of what is deployed (live account, snapshot) or declared (IaC).

Plain typed data and no I/O. Every object carries an :class:`Origin` saying where it came
from: an ARN in an account/region, or a file and line in a template.

A value a source could not resolve (a template parameter without default, a Terraform module
output, a data source) is an :class:`Unknown` carrying the reason. Rules must treat Unknown as
"cannot decide", never as safe.

The model is split by family (``values``: Unknown, Origin and ARN helpers; ``functions``;
``code_packages``; ``iam``; ``endpoints``: API Gateway and load balancers; ``network``;
``resources``: logs, secrets, keys, storage, regions; ``usage``); everything is imported from
here, ``from fortress.inventory import Function``, and this module holds the Inventory itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fortress.inventory.code_packages import (
    CODE_DIR,
    CODE_IMAGE,
    CODE_INLINE,
    CODE_S3,
    CODE_UNKNOWN,
    CODE_ZIP,
    PACKAGE_ANALYSED,
    PACKAGE_NOT_RUN,
    PACKAGE_UNKNOWN,
    RISK_CACHED_CREDENTIALS,
    RISK_COMMAND,
    RISK_DESERIALIZATION,
    RISK_EVAL,
    RISK_TMP_SECRET,
    CodeRisk,
    CodeSource,
    Dependency,
    PackageAnalysis,
    PackageSecret,
    Vulnerability,
)
from fortress.inventory.endpoints import (
    Api,
    ApiDomain,
    ApiRoute,
    ApiStage,
    LbAction,
    LbListener,
    LbRule,
    LoadBalancer,
    TargetGroup,
)
from fortress.inventory.functions import (
    PART_ALIASES,
    PART_CODE_SIGNING,
    PART_CONCURRENCY,
    PART_EVENT_SOURCES,
    PART_INVOKE_CONFIG,
    PART_POLICY,
    PART_RECURSION,
    PART_RUNTIME_MANAGEMENT,
    PART_TAGS,
    PART_URL,
    PART_VERSIONS,
    Alias,
    CodeSigning,
    EnvVar,
    EventSourceMapping,
    ExternalPermission,
    Function,
    FunctionUrl,
    FunctionVersion,
    InvokeConfig,
    LayerRef,
    LayerVersion,
    VpcConfig,
)
from fortress.inventory.iam import (
    IamAccount,
    IamGroup,
    IamUser,
    IdentityPolicy,
    Policy,
    Role,
    ScpLevel,
)
from fortress.inventory.network import (
    NetworkAclEntry,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
)
from fortress.inventory.resources import (
    PUBLIC_ACCESS_SETTINGS,
    Alarm,
    Bucket,
    KmsKey,
    LogGroup,
    Parameter,
    RegionStatus,
    Secret,
    Trail,
    parameter_name_in,
)
from fortress.inventory.usage import (
    ActionUse,
    RoleUsage,
    UsageFacts,
)
from fortress.inventory.values import (
    TEMPLATE_ACCOUNT,
    WITHHELD,
    Maybe,
    Origin,
    PolicyDocument,
    Unknown,
    Unresolved,
    arn_parts,
    unqualified_arn,
)

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


__all__ = [
    "CODE_DIR",
    "CODE_IMAGE",
    "CODE_INLINE",
    "CODE_S3",
    "CODE_UNKNOWN",
    "CODE_ZIP",
    "COLLECTION_ALARMS",
    "COLLECTION_APIS",
    "COLLECTION_DOMAINS",
    "COLLECTION_LAYERS",
    "COLLECTION_LOAD_BALANCERS",
    "COLLECTION_LOG_GROUPS",
    "COLLECTION_NETWORK_ACLS",
    "COLLECTION_PARAMETERS",
    "COLLECTION_ROLES",
    "COLLECTION_ROUTE_TABLES",
    "COLLECTION_SECRETS",
    "COLLECTION_SECURITY_GROUPS",
    "COLLECTION_SUBNETS",
    "COLLECTION_TRAILS",
    "NOTE_ERROR",
    "NOTE_GAP",
    "NOTE_WARNING",
    "PACKAGE_ANALYSED",
    "PACKAGE_NOT_RUN",
    "PACKAGE_UNKNOWN",
    "PART_ALIASES",
    "PART_CODE_SIGNING",
    "PART_CONCURRENCY",
    "PART_EVENT_SOURCES",
    "PART_INVOKE_CONFIG",
    "PART_POLICY",
    "PART_RECURSION",
    "PART_RUNTIME_MANAGEMENT",
    "PART_TAGS",
    "PART_URL",
    "PART_VERSIONS",
    "PUBLIC_ACCESS_SETTINGS",
    "RESOURCE_LISTS",
    "RISK_CACHED_CREDENTIALS",
    "RISK_COMMAND",
    "RISK_DESERIALIZATION",
    "RISK_EVAL",
    "RISK_TMP_SECRET",
    "TEMPLATE_ACCOUNT",
    "WITHHELD",
    "ActionUse",
    "Alarm",
    "Alias",
    "Api",
    "ApiDomain",
    "ApiRoute",
    "ApiStage",
    "Bucket",
    "CodeRisk",
    "CodeSigning",
    "CodeSource",
    "Dependency",
    "EnvVar",
    "EventSourceMapping",
    "ExternalPermission",
    "Function",
    "FunctionUrl",
    "FunctionVersion",
    "IamAccount",
    "IamGroup",
    "IamUser",
    "IdentityPolicy",
    "Inventory",
    "InvokeConfig",
    "KmsKey",
    "LayerRef",
    "LayerVersion",
    "LbAction",
    "LbListener",
    "LbRule",
    "LoadBalancer",
    "LogGroup",
    "Maybe",
    "NetworkAclEntry",
    "Origin",
    "PackageAnalysis",
    "PackageSecret",
    "Parameter",
    "Policy",
    "PolicyDocument",
    "RegionStatus",
    "Role",
    "RoleUsage",
    "ScpLevel",
    "Secret",
    "SecurityGroup",
    "SecurityGroupRule",
    "SourceNote",
    "Subnet",
    "TargetGroup",
    "Trail",
    "Unknown",
    "Unresolved",
    "UsageFacts",
    "VpcConfig",
    "Vulnerability",
    "arn_parts",
    "parameter_name_in",
    "unqualified_arn",
]
