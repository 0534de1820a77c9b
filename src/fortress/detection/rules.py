"""Built-in CloudTrail detections for attacks on AWS Lambda.

Each detection is one SQL query over the normalized ``events`` relation (see
:mod:`fortress.detection.sql`), written once and rendered for DuckDB (local hunting) or Trino
(Amazon Athena). Every query yields the same columns: severity, event_time, principal,
source_ip, user_agent, function, event_ids, message, account, region, event_name.

Lambda logs its event names with API-version suffixes (``AddPermission20150331v2``); the
normalized ``action`` column has the suffix removed, so rules match every version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fortress.detection.sql import (
    LAMBDA_FUNCTION_NAMES,
    LAMBDA_UA_KEYS,
    Dialect,
    HuntSettings,
    lit,
    lit_list,
)
from fortress.findings import Severity

LAMBDA = "event_source = 'lambda.amazonaws.com'"
OK = "error_code IS NULL"
HUMAN_NOT_CI = "(is_human AND NOT is_ci AND NOT is_service)"
ACCOUNT_RE = "([0-9]{12})"

SqlBuilder = Callable[[Dialect, HuntSettings], str]


@dataclass(frozen=True)
class DetectionRule:
    id: str
    title: str
    severity: Severity  # the highest severity a hit of this rule can carry
    techniques: tuple[str, ...]
    rationale: str
    false_positives: tuple[str, ...]
    build: SqlBuilder
    stratus: tuple[str, ...] = ()
    tactic: str = ""
    extra_refs: dict[str, list[str]] = field(default_factory=dict)

    @property
    def technique(self) -> str:
        return self.techniques[0] if self.techniques else ""

    def sql(self, dialect: Dialect, settings: HuntSettings) -> str:
        return self.build(dialect, settings)

    def metadata(self) -> dict[str, Any]:
        refs: dict[str, list[str]] = {
            "mitre-attack": list(self.techniques),
            "stratus-red-team": list(self.stratus),
        }
        refs.update(self.extra_refs)
        return {
            "kind": "detection",
            "id": self.id,
            "title": self.title,
            "severity": self.severity.label,
            "technique": self.technique,
            "techniques": list(self.techniques),
            "tactic": self.tactic,
            "rationale": self.rationale,
            "false_positives": list(self.false_positives),
            "references": refs,
        }


OUT_COLUMNS = (
    "severity",
    "event_time",
    "principal",
    "source_ip",
    "user_agent",
    "function",
    "event_ids",
    "message",
    "account",
    "region",
    "event_name",
)


def _per_event(d: Dialect, where: str, severity: str, message: str, ctes: str = "") -> str:
    """One detection per matching event; ``severity`` may be NULL to drop the row."""
    inner = (
        f"SELECT {severity} AS severity, event_time, principal, source_ip, user_agent, function, "
        f"{d.array1('event_id')} AS event_ids, {message} AS message, account, region, event_name "
        f"FROM events WHERE {where}"
    )
    head = f"WITH {ctes} " if ctes else ""
    return f"{head}SELECT * FROM ({inner}) hits WHERE severity IS NOT NULL"


def _s(text: str) -> str:
    """coalesce(text, '') for message building."""
    return f"coalesce({text}, '')"


def _trusted(settings: HuntSettings) -> str:
    return lit_list(sorted(settings.trusted_accounts))


# --------------------------------------------------------------------------- 001 backdoor


def _backdoor(d: Dialect, s: HuntSettings) -> str:
    p = d.j("rp", "$.principal")
    acct = f"nullif(regexp_extract({p}, {lit(ACCOUNT_RE)}, 1), '')"
    conditioned = (
        f"({d.j('rp', '$.sourceArn')} IS NOT NULL OR {d.j('rp', '$.sourceAccount')} IS NOT NULL)"
    )
    org = f"{d.j('rp', '$.principalOrgID')} IS NOT NULL"
    severity = (
        f"CASE WHEN {p} = '*' AND {org} THEN 'low' "
        f"WHEN {p} = '*' AND {conditioned} THEN 'medium' "
        f"WHEN {p} = '*' THEN 'high' "
        f"WHEN {acct} IS NOT NULL AND {acct} <> coalesce(account, '') "
        f"AND {acct} NOT IN {_trusted(s)} THEN 'high' END"
    )
    message = (
        f"'resource policy of ' || {_s('function_name')} || ' grants ' "
        f"|| {_s(d.j('rp', '$.action'))} || ' to ' || {_s(p)}"
    )
    return _per_event(d, f"{LAMBDA} AND action = 'AddPermission' AND {OK}", severity, message)


# --------------------------------------------------------------------------- 002 function URL


def _url_none(d: Dialect, s: HuntSettings) -> str:
    where = (
        f"{LAMBDA} AND action IN ('CreateFunctionUrlConfig', 'UpdateFunctionUrlConfig') AND {OK} "
        f"AND upper({d.j('rp', '$.authType')}) = 'NONE'"
    )
    message = f"'function URL of ' || {_s('function_name')} || ' set to AuthType NONE'"
    return _per_event(d, where, "'high'", message)


# --------------------------------------------------------------------------- 003 layers


def _layer_attached(d: Dialect, s: HuntSettings) -> str:
    # requestParameters names the layers; records whose requestParameters is absent
    # (redacted or not recorded) still carry them in responseElements.layers[].arn
    layers = (
        f"coalesce({d.jraw('rp', '$.layers')}, "
        f"CASE WHEN rp IS NULL THEN {d.jraw('re', '$.layers')} END)"
    )
    accounts = d.regex_all(
        f"coalesce({layers}, '')", "arn:aws[a-z-]*:lambda:[a-z0-9-]+:([0-9]{12}):layer:", 1
    )
    trusted = lit_list(sorted(set(s.trusted_accounts) | set(s.trusted_layer_accounts)))
    foreign = d.any_match(accounts, f"x NOT IN {trusted} AND x <> coalesce(account, '')")
    has_layers = f"({layers} IS NOT NULL AND {layers} <> '[]')"
    severity = (
        f"CASE WHEN {foreign} THEN 'high' "
        f"WHEN action = 'UpdateFunctionConfiguration' AND {HUMAN_NOT_CI} THEN 'medium' END"
    )
    where = (
        f"{LAMBDA} AND action IN ('UpdateFunctionConfiguration', 'CreateFunction') AND {OK} "
        f"AND {has_layers}"
    )
    message = f"'layers of ' || {_s('function_name')} || ' set to ' || {_s(layers)}"
    return _per_event(d, where, severity, message)


def _layer_shared(d: Dialect, s: HuntSettings) -> str:
    p = d.j("rp", "$.principal")
    org = f"{d.j('rp', '$.organizationId')} IS NOT NULL"
    severity = (
        f"CASE WHEN {p} = '*' AND NOT ({org}) THEN 'high' "
        f"WHEN {p} <> '*' AND {p} <> coalesce(account, '') AND {p} NOT IN {_trusted(s)} "
        f"THEN 'medium' END"
    )
    message = (
        f"'layer ' || {_s(d.j('rp', '$.layerName'))} || ' version ' "
        f"|| {_s(d.j('rp', '$.versionNumber'))} || ' shared with ' || {_s(p)}"
    )
    where = f"{LAMBDA} AND action = 'AddLayerVersionPermission' AND {OK}"
    return _per_event(d, where, severity, message)


# --------------------------------------------------------------------------- 005 code


def _code_overwrite(d: Dialect, s: HuntSettings) -> str:
    prior = "ORDER BY event_time, event_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
    ctes = (
        "deploys AS (SELECT *, "
        f"count(*) OVER (PARTITION BY function, principal_key {prior}) AS own_prior, "
        f"count(*) OVER (PARTITION BY function {prior}) AS any_prior "
        f"FROM events WHERE {LAMBDA} AND action IN ('CreateFunction', 'UpdateFunctionCode') "
        f"AND {OK} AND function IS NOT NULL)"
    )
    severity = (
        f"CASE WHEN {HUMAN_NOT_CI} THEN 'high' "
        "WHEN NOT is_service AND own_prior = 0 AND any_prior > 0 THEN 'medium' END"
    )
    message = (
        f"'code of ' || {_s('function_name')} || ' replaced by ' || {_s('principal')} "
        "|| CASE WHEN own_prior = 0 THEN ' (first deployment of it by this principal)' "
        "ELSE '' END"
    )
    inner = (
        f"SELECT {severity} AS severity, event_time, principal, source_ip, user_agent, function, "
        f"{d.array1('event_id')} AS event_ids, {message} AS message, account, region, event_name "
        "FROM deploys WHERE action = 'UpdateFunctionCode'"
    )
    return f"WITH {ctes} SELECT * FROM ({inner}) hits WHERE severity IS NOT NULL"


# --------------------------------------------------------------------------- 006 escalation


ADMIN_POLICIES = ("AdministratorAccess", "IAMFullAccess", "PowerUserAccess")


def _escalation(d: Dialect, s: HuntSettings) -> str:
    role = d.j("rp", "$.role")
    follow = (
        "'Invoke', 'InvokeAsync', 'InvokeWithResponseStream', 'CreateEventSourceMapping', "
        "'AddPermission', 'CreateFunctionUrlConfig'"
    )
    admin_arn = " OR ".join(
        f"{d.j('rp', '$.policyArn')} LIKE {lit('%/' + p)}" for p in ADMIN_POLICIES
    )
    star = d.regex(
        f"lower(coalesce({d.j('rp', '$.policyDocument')}, ''))", r'"action"\s*:\s*(\[\s*)?"\*"'
    )
    ctes = (
        f"created AS (SELECT event_id, event_time, principal, principal_key, issuer_arn, "
        f"source_ip, user_agent, function, function_name, account, region, event_name, "
        f"{role} AS fn_role FROM events WHERE {LAMBDA} AND action = 'CreateFunction' AND {OK} "
        "AND NOT is_service AND NOT is_ci AND function IS NOT NULL "
        # a key that is an AWS service host name is a service, whatever the identity says
        "AND coalesce(principal_key, '') NOT LIKE '%.amazonaws.com'), "
        f"follow AS (SELECT event_id, event_time, action, principal_key, function FROM events "
        f"WHERE {LAMBDA} AND action IN ({follow}) AND {OK}), "
        f"admin_roles AS (SELECT DISTINCT {d.j('rp', '$.roleName')} AS role_name FROM events "
        f"WHERE event_source = 'iam.amazonaws.com' AND {OK} AND ("
        f"(action = 'AttachRolePolicy' AND ({admin_arn})) OR "
        f"(action = 'PutRolePolicy' AND {star}))), "
        "denied AS (SELECT DISTINCT principal_key FROM events WHERE "
        "error_code LIKE '%AccessDenied%' OR error_code LIKE '%Unauthorized%'), "
        "chains AS (SELECT c.*, f.event_id AS follow_id, f.action AS follow_action, "
        "row_number() OVER (PARTITION BY c.event_id ORDER BY f.event_time) AS rn "
        "FROM created c JOIN follow f ON f.principal_key = c.principal_key "
        "AND f.function = c.function AND f.event_time >= c.event_time "
        f"AND f.event_time <= c.event_time + {d.seconds(s.escalation_window_seconds)} "
        "WHERE c.fn_role IS NOT NULL AND (c.issuer_arn IS NULL OR c.fn_role <> c.issuer_arn))"
    )
    severity = (
        f"CASE WHEN {d.name_of('fn_role')} IN (SELECT role_name FROM admin_roles) "
        "OR principal_key IN (SELECT principal_key FROM denied) THEN 'high' ELSE 'medium' END"
    )
    message = (
        f"{_s('principal')} || ' created ' || {_s('function_name')} || ' with role ' "
        f"|| {_s('fn_role')} || ' and then called ' || {_s('follow_action')} || ' on it'"
    )
    return (
        f"WITH {ctes} SELECT {severity} AS severity, event_time, principal, source_ip, "
        f"user_agent, function, {_pair(d)} AS event_ids, {message} AS message, account, region, "
        "event_name FROM chains WHERE rn = 1"
    )


def _pair(d: Dialect) -> str:
    if d.name == "trino":
        return "ARRAY[event_id, follow_id]"
    return "[event_id, follow_id]"


# --------------------------------------------------------------------------- 007/008 sessions


def _lambda_sessions(d: Dialect) -> str:
    """CTEs naming the credentials and roles that Lambda hands to functions."""
    return (
        "lambda_keys AS ("
        f"SELECT {d.j('re', '$.credentials.accessKeyId')} AS k FROM events "
        "WHERE event_source = 'sts.amazonaws.com' AND action = 'AssumeRole' "
        "AND invoked_by = 'lambda.amazonaws.com' "
        # keys of sessions calling from a Lambda runtime: a table of the local store (those
        # events are not kept in ``events``), a CTE over ``events`` on Athena
        f"UNION SELECT k FROM {LAMBDA_UA_KEYS}), "
        "lambda_roles AS ("
        f"SELECT {d.j('rp', '$.role')} AS r FROM events WHERE {LAMBDA} "
        "AND action IN ('CreateFunction', 'UpdateFunctionConfiguration') "
        f"UNION SELECT {d.j('rp', '$.roleArn')} AS r FROM events "
        "WHERE event_source = 'sts.amazonaws.com' AND action = 'AssumeRole' "
        "AND invoked_by = 'lambda.amazonaws.com'), "
        "lambda_functions AS (SELECT DISTINCT function_name AS n FROM events "
        f"WHERE function_name IS NOT NULL UNION SELECT n FROM {LAMBDA_FUNCTION_NAMES} "
        f"UNION SELECT {d.j('rp', '$.roleSessionName')} AS n FROM events "
        "WHERE event_source = 'sts.amazonaws.com' AND action = 'AssumeRole' "
        "AND invoked_by = 'lambda.amazonaws.com'), "
        "lambda_session_events AS (SELECT * FROM events WHERE principal_type = 'AssumedRole' AND ("
        "access_key_id IN (SELECT k FROM lambda_keys WHERE k IS NOT NULL) OR "
        "(issuer_arn IN (SELECT r FROM lambda_roles WHERE r IS NOT NULL) "
        "AND session_name IN (SELECT n FROM lambda_functions WHERE n IS NOT NULL))))"
    )


def _creds_outside(d: Dialect, s: HuntSettings) -> str:
    return (
        f"WITH {_lambda_sessions(d)} SELECT 'high' AS severity, min(event_time) AS event_time, "
        "principal, source_ip, user_agent, NULL AS function, "
        f"{d.array_agg('event_id')} AS event_ids, "
        "'Lambda execution-role session ' || coalesce(principal, '') || ' made ' "
        "|| CAST(count(*) AS VARCHAR) || ' call(s) from outside Lambda' AS message, "
        "min(account) AS account, min(region) AS region, min(event_name) AS event_name "
        "FROM lambda_session_events WHERE NOT is_lambda_ua AND NOT is_service "
        "GROUP BY principal, source_ip, user_agent"
    )


def _sensitive_ops(d: Dialect, s: HuntSettings) -> str:
    read = (
        "(action LIKE 'Get%' OR action LIKE 'List%' OR action LIKE 'Generate%' "
        "OR action LIKE 'Simulate%')"
    )
    severity = (
        "CASE WHEN event_source = 'iam.amazonaws.com' AND NOT " + read + " THEN 'high' "
        "WHEN action IN ('GetFederationToken', 'GetSessionToken') THEN 'high' "
        "WHEN action = 'GetCallerIdentity' THEN 'low' ELSE 'medium' END"
    )
    where = (
        "event_source IN ('iam.amazonaws.com', 'sts.amazonaws.com', "
        "'organizations.amazonaws.com') AND action NOT IN ('GetServiceBearerToken')"
    )
    message = (
        "'Lambda execution role ' || coalesce(issuer_arn, principal, '') || ' called ' "
        "|| coalesce(event_source, '') || ':' || coalesce(action, '') "
        "|| CASE WHEN error_code IS NOT NULL THEN ' (' || error_code || ')' ELSE '' END"
    )
    inner = _per_event(d, where, severity, message).replace(
        "FROM events WHERE", "FROM lambda_session_events WHERE", 1
    )
    return f"WITH {_lambda_sessions(d)} {inner}"


# --------------------------------------------------------------------------- 009 triggers


def _trigger(d: Dialect, s: HuntSettings) -> str:
    where = f"{LAMBDA} AND action = 'CreateEventSourceMapping' AND {OK} AND {HUMAN_NOT_CI}"
    message = (
        f"'event source ' || {_s(d.j('rp', '$.eventSourceArn'))} || ' wired to ' "
        f"|| {_s('function_name')} || ' by a human identity'"
    )
    return _per_event(d, where, "'medium'", message)


# --------------------------------------------------------------------------- 010/011 evasion


LAMBDA_SELECTOR_RE = r'"type"\s*:\s*"aws::lambda::function"\s*,\s*"values"\s*:\s*\[\s*"'


def _trail_tamper(d: Dialect, s: HuntSettings) -> str:
    text = (
        f"lower(coalesce({d.jraw('rp', '$.eventSelectors')}, '') || "
        f"coalesce({d.jraw('rp', '$.advancedEventSelectors')}, ''))"
    )
    mgmt_off = d.regex(text, r'"includemanagementevents"\s*:\s*false')
    read_only = d.regex(text, r'"readwritetype"\s*:\s*"readonly"')
    lambda_data = d.regex(text, LAMBDA_SELECTOR_RE)
    lambda_on = (
        f"({lambda_data} OR ({d.jraw('rp', '$.advancedEventSelectors')} IS NOT NULL "
        f"AND {text} LIKE '%aws::lambda::function%'))"
    )
    name = f"coalesce({d.j('rp', '$.name')}, {d.j('rp', '$.trailName')}, {d.j('rp', '$.eventDataStore')}, '')"
    severity = (
        "CASE WHEN action IN ('StopLogging', 'DeleteTrail', 'DeleteEventDataStore', "
        "'StopEventDataStoreIngestion') THEN 'high' "
        f"WHEN action IN ('PutEventSelectors') AND ({mgmt_off} OR {read_only}) THEN 'high' "
        f"WHEN action IN ('PutEventSelectors') AND NOT {lambda_on} THEN 'medium' END"
    )
    message = (
        f"'trail ' || {name} || ': ' || action || CASE WHEN action = 'PutEventSelectors' "
        "THEN ' (selectors no longer log all of: management events, write events, Lambda "
        "data events)' ELSE '' END"
    )
    where = (
        "event_source = 'cloudtrail.amazonaws.com' AND error_code IS NULL AND action IN ("
        "'StopLogging', 'DeleteTrail', 'PutEventSelectors', 'DeleteEventDataStore', "
        "'StopEventDataStoreIngestion')"
    )
    return _per_event(d, where, severity, message)


def _log_tamper(d: Dialect, s: HuntSettings) -> str:
    group = d.j("rp", "$.logGroupName")
    days = f"TRY_CAST({d.j('rp', '$.retentionInDays')} AS INTEGER)"
    severity = (
        "CASE WHEN action = 'DeleteLogGroup' THEN 'high' "
        f"WHEN action = 'PutRetentionPolicy' AND {days} <= {int(s.retention_min_days)} "
        "THEN 'medium' WHEN action = 'DeleteLogStream' THEN 'medium' END"
    )
    message = (
        f"action || ' on ' || {_s(group)} || CASE WHEN action = 'PutRetentionPolicy' "
        f"THEN ' (retention ' || {_s(d.j('rp', '$.retentionInDays'))} || ' days)' ELSE '' END"
    )
    where = (
        f"event_source = 'logs.amazonaws.com' AND {OK} AND "
        "action IN ('DeleteLogGroup', 'PutRetentionPolicy', 'DeleteLogStream') "
        f"AND {group} LIKE '/aws/lambda/%'"
    )
    return _per_event(d, where, severity, message)


# --------------------------------------------------------------------------- 012 enumeration

ENUMERATION_ACTIONS = (
    "GetFunction",
    "GetFunctionConfiguration",
    "ListFunctions",
    "GetPolicy",
    "ListVersionsByFunction",
    "ListAliases",
    "GetLayerVersion",
    "ListLayers",
    "ListLayerVersions",
    "GetFunctionUrlConfig",
    "ListFunctionUrlConfigs",
    "ListEventSourceMappings",
)


def _enumeration(d: Dialect, s: HuntSettings) -> str:
    window = int(s.enumeration_window_seconds)
    return (
        "SELECT 'medium' AS severity, min(event_time) AS event_time, min(principal) AS principal, "
        "min(source_ip) AS source_ip, min(user_agent) AS user_agent, NULL AS function, "
        f"{d.array_agg('event_id')} AS event_ids, "
        "CAST(count(*) AS VARCHAR) || ' Lambda read calls (' "
        "|| CAST(sum(CASE WHEN action = 'GetFunction' THEN 1 ELSE 0 END) AS VARCHAR) "
        "|| ' GetFunction, code download) on ' || CAST(count(DISTINCT function) AS VARCHAR) "
        f"|| ' functions within {window} s' AS message, "
        "min(account) AS account, min(region) AS region, min(event_name) AS event_name "
        f"FROM events WHERE {LAMBDA} AND action IN {lit_list(ENUMERATION_ACTIONS)} "
        "AND NOT is_service "
        f"GROUP BY principal_key, floor({d.epoch('event_time')} / {window}) "
        f"HAVING count(*) >= {int(s.enumeration_threshold)}"
    )


# --------------------------------------------------------------------------- 013 impact


def _impact(d: Dialect, s: HuntSettings) -> str:
    prior = "ORDER BY event_time, event_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
    ctes = (
        "changes AS (SELECT *, "
        f"sum(CASE WHEN action <> 'DeleteFunction' THEN 1 ELSE 0 END) OVER "
        f"(PARTITION BY function, principal_key {prior}) AS own_prior, "
        f"sum(CASE WHEN action <> 'DeleteFunction' THEN 1 ELSE 0 END) OVER "
        f"(PARTITION BY function {prior}) AS any_prior "
        f"FROM events WHERE {LAMBDA} AND {OK} AND function IS NOT NULL AND action IN ("
        "'CreateFunction', 'UpdateFunctionCode', 'UpdateFunctionConfiguration', "
        "'PutFunctionConcurrency', 'DeleteFunction'))"
    )
    zero = f"{d.j('rp', '$.reservedConcurrentExecutions')} = '0'"
    unusual = "coalesce(own_prior, 0) = 0 AND NOT is_service"
    severity = (
        f"CASE WHEN action = 'PutFunctionConcurrency' AND {zero} THEN "
        "CASE WHEN is_ci THEN 'medium' ELSE 'high' END "
        f"WHEN action = 'DeleteFunction' AND {unusual} AND ({HUMAN_NOT_CI} "
        "OR coalesce(any_prior, 0) > 0) THEN 'medium' END"
    )
    message = (
        "CASE WHEN action = 'PutFunctionConcurrency' THEN 'reserved concurrency of ' "
        f"|| {_s('function_name')} || ' set to 0 (function disabled)' "
        f"ELSE {_s('function_name')} || ' deleted by ' || {_s('principal')} "
        "|| ', who had not changed it before in the data' END"
    )
    inner = (
        f"SELECT {severity} AS severity, event_time, principal, source_ip, user_agent, function, "
        f"{d.array1('event_id')} AS event_ids, {message} AS message, account, region, event_name "
        "FROM changes WHERE action IN ('PutFunctionConcurrency', 'DeleteFunction')"
    )
    return f"WITH {ctes} SELECT * FROM ({inner}) hits WHERE severity IS NOT NULL"


# --------------------------------------------------------------------------- the catalogue

DETECTIONS: tuple[DetectionRule, ...] = (
    DetectionRule(
        id="FTR-DET-001",
        title="Lambda resource policy opened to everyone or a foreign account",
        severity=Severity.HIGH,
        techniques=("T1098", "T1546"),
        tactic="persistence",
        rationale=(
            "AddPermission granting '*' or an account outside the organization's trusted list "
            "lets an outsider invoke (or manage) the function: a classic backdoor."
        ),
        false_positives=(
            "Deliberate cross-account integrations: add the partner account to --trusted-accounts.",
            "Public functions behind a function URL meant for anonymous use.",
        ),
        build=_backdoor,
        stratus=("aws.persistence.lambda-backdoor-function",),
    ),
    DetectionRule(
        id="FTR-DET-002",
        title="Lambda function URL created or changed to AuthType NONE",
        severity=Severity.HIGH,
        techniques=("T1133", "T1098"),
        tactic="persistence",
        rationale="A function URL without IAM auth exposes the function to the internet.",
        false_positives=("Public webhooks that authenticate requests in code.",),
        build=_url_none,
    ),
    DetectionRule(
        id="FTR-DET-003",
        title="Layer or extension attached to a function",
        severity=Severity.HIGH,
        techniques=("T1525", "T1546"),
        tactic="persistence",
        rationale=(
            "A layer (or extension) runs inside the function with its role and sees its "
            "events. A layer from a foreign account at create or update is high; a human "
            "adding layers to an existing function by hand is medium."
        ),
        false_positives=(
            "Vendor layers (monitoring, APM): add their publisher accounts to --trusted-accounts.",
            "Engineers testing layers by hand in a sandbox account.",
        ),
        build=_layer_attached,
        stratus=("aws.persistence.lambda-layer-extension",),
    ),
    DetectionRule(
        id="FTR-DET-004",
        title="Layer version shared publicly or with another account",
        severity=Severity.HIGH,
        techniques=("T1537",),
        tactic="exfiltration",
        rationale=(
            "AddLayerVersionPermission to '*' publishes the layer's code (and any secrets "
            "baked into it) to every AWS account."
        ),
        false_positives=("Layers intentionally published for customers or other teams.",),
        build=_layer_shared,
    ),
    DetectionRule(
        id="FTR-DET-005",
        title="Function code overwritten by an unusual principal",
        severity=Severity.HIGH,
        techniques=("T1525",),
        tactic="persistence",
        rationale=(
            "UpdateFunctionCode by a human identity outside known CI user agents (high), or "
            "by a principal that never deployed the function before while others did "
            "(medium), is how attackers plant code in a trusted function."
        ),
        false_positives=(
            "Hot fixes made by hand; new CI roles (first deployment after a CI migration).",
        ),
        build=_code_overwrite,
        stratus=("aws.persistence.lambda-overwrite-code", "aws.persistence.lambda-update-function"),
    ),
    DetectionRule(
        id="FTR-DET-006",
        title="Privilege escalation through a new function and its role",
        severity=Severity.HIGH,
        techniques=("T1548", "T1648"),
        tactic="privilege-escalation",
        rationale=(
            "A principal that creates a function with another role and invokes it (or wires a "
            "trigger or permission to it) soon after runs code with that role's privileges "
            "(iam:PassRole escalation). High when the role has admin policies in the data or "
            "the principal was denied calls (a limited identity)."
        ),
        false_positives=("Developers creating and testing functions by hand.",),
        build=_escalation,
    ),
    DetectionRule(
        id="FTR-DET-007",
        title="Lambda execution-role credentials used outside Lambda",
        severity=Severity.HIGH,
        techniques=("T1552.005", "T1078.004"),
        tactic="credential-access",
        rationale=(
            "Credentials Lambda issued to a function (from its environment or /proc) used "
            "with a user agent that is not a Lambda runtime's point to theft of the keys."
        ),
        false_positives=(
            "Custom runtimes or old SDKs whose user agent lacks exec-env/AWS_Lambda.",
            "Roles shared between Lambda and other compute with the same session names.",
        ),
        build=_creds_outside,
    ),
    DetectionRule(
        id="FTR-DET-008",
        title="Sensitive IAM or STS operation made by a Lambda execution role",
        severity=Severity.HIGH,
        techniques=("T1078.004", "T1098"),
        tactic="privilege-escalation",
        rationale=(
            "Functions rarely change IAM or mint tokens; an execution role doing so is a sign "
            "of a compromised function or stolen role credentials."
        ),
        false_positives=(
            "Automation functions that manage IAM on purpose (account vending, key rotation).",
            "Functions assuming cross-account roles (medium).",
        ),
        build=_sensitive_ops,
    ),
    DetectionRule(
        id="FTR-DET-009",
        title="Event source mapping created by a human identity",
        severity=Severity.MEDIUM,
        techniques=("T1546",),
        tactic="persistence",
        rationale="A trigger wired by hand makes the function run on an attacker's schedule.",
        false_positives=("Manual set-up in sandbox accounts.",),
        build=_trigger,
    ),
    DetectionRule(
        id="FTR-DET-010",
        title="CloudTrail stopped, deleted or its selectors narrowed",
        severity=Severity.HIGH,
        techniques=("T1562.008",),
        tactic="defense-evasion",
        rationale=(
            "Stopping or deleting a trail, or event selectors that drop management, write or "
            "Lambda data events, blinds the detections that rely on them."
        ),
        false_positives=("Planned trail migrations and cost reductions.",),
        build=_trail_tamper,
        stratus=(
            "aws.defense-evasion.cloudtrail-stop",
            "aws.defense-evasion.cloudtrail-delete",
            "aws.defense-evasion.cloudtrail-event-selectors",
        ),
    ),
    DetectionRule(
        id="FTR-DET-011",
        title="Lambda log group deleted or its retention cut",
        severity=Severity.HIGH,
        techniques=("T1562.008", "T1070"),
        tactic="defense-evasion",
        rationale="Deleting /aws/lambda/* logs removes the function's own record of activity.",
        false_positives=("Clean-up of deleted functions; retention tuning in dev accounts.",),
        build=_log_tamper,
    ),
    DetectionRule(
        id="FTR-DET-012",
        title="Burst of Lambda enumeration and code download calls",
        severity=Severity.MEDIUM,
        techniques=("T1526", "T1580"),
        tactic="discovery",
        rationale=(
            "Many GetFunction/ListFunctions/GetPolicy calls by one principal in a few minutes "
            "is reconnaissance; GetFunction returns a link to download each function's code."
        ),
        false_positives=("Inventory and CSPM scanners; consoles listing many functions.",),
        build=_enumeration,
    ),
    DetectionRule(
        id="FTR-DET-013",
        title="Function throttled to zero or deleted by an unusual principal",
        severity=Severity.HIGH,
        techniques=("T1489", "T1485"),
        tactic="impact",
        rationale=(
            "Reserved concurrency 0 silently stops a function; deletion by a principal that "
            "never managed it is destructive and unusual."
        ),
        false_positives=("Kill switches used by operators during incidents.",),
        build=_impact,
    ),
)

BY_ID = {r.id: r for r in DETECTIONS}


def catalogue() -> list[dict[str, Any]]:
    """Metadata of every built-in detection (``kind: detection``), for ``fortress rules``."""
    return [r.metadata() for r in DETECTIONS]


def select(ids: str | None) -> list[DetectionRule]:
    """The rules named in a comma-separated list (ids or prefixes), or all of them."""
    if not ids:
        return list(DETECTIONS)
    wanted = [i.strip().upper() for i in ids.split(",") if i.strip()]
    chosen = [r for r in DETECTIONS if any(r.id == w or r.id.startswith(w) for w in wanted)]
    unknown = [w for w in wanted if not any(r.id == w or r.id.startswith(w) for r in DETECTIONS)]
    if unknown:
        from fortress.errors import FortressError

        names = ", ".join(r.id for r in DETECTIONS)
        raise FortressError(f"unknown detection id(s): {', '.join(unknown)} (known: {names})")
    return chosen
