"""SQL dialects (DuckDB in process, Trino on Amazon Athena) and the normalized event view.

Every detection is written once against the normalized ``events`` relation, using the helpers of
:class:`Dialect` where DuckDB and Trino differ. ``userIdentity``, ``requestParameters`` and
``responseElements`` stay JSON (text on Athena): a struct inferred from a sample would silently
drop keys it did not see.
"""

from __future__ import annotations

import re as regex_lib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

# Lowercase substrings of user agents of deployment tooling and CI systems.
DEFAULT_CI_USER_AGENTS: tuple[str, ...] = (
    "terraform",
    "aws-cdk",
    "cloudformation",
    "aws-sam-cli",
    "serverless",
    "pulumi",
    "github-actions",
    "aws-actions",
    "codebuild",
    "codepipeline",
    "jenkins",
    "gitlab",
    "spacelift",
    "atlantis",
)

# Accounts that publish well-known AWS layers (Lambda Insights, Powertools, ADOT, AppConfig,
# Parameters and Secrets extension). Extend with --trusted-accounts.
DEFAULT_TRUSTED_LAYER_ACCOUNTS: tuple[str, ...] = (
    "580247275435",
    "017000801446",
    "901920570463",
    "027255383542",
    "177933569100",
)


@dataclass(frozen=True)
class HuntSettings:
    """Knobs of the built-in detections."""

    trusted_accounts: frozenset[str] = frozenset()
    ci_user_agents: tuple[str, ...] = DEFAULT_CI_USER_AGENTS
    trusted_layer_accounts: tuple[str, ...] = DEFAULT_TRUSTED_LAYER_ACCOUNTS
    enumeration_threshold: int = 30
    enumeration_window_seconds: int = 300
    escalation_window_seconds: int = 3600
    retention_min_days: int = 7
    # Principals expected to change functions (``deployers:`` in .fortress.yaml): ARNs or
    # fnmatch patterns matched against the caller's ARN, its role's ARN and its key.
    deployers: tuple[str, ...] = ()
    # Regions the organization uses (``expected_regions:``); empty: judged from the data only.
    expected_regions: tuple[str, ...] = ()
    # Start of the hunt window when earlier events were loaded as a baseline
    # (``--baseline-days``): detections report only events from here on, and read the
    # earlier ones as history (who deployed, which regions and selector states were seen).
    window_start: datetime | None = None
    readout_window_seconds: int = 86400
    extra: dict[str, str] = field(default_factory=dict)


MAX_EVENT_IDS = 500  # event ids one detection names (the first ones, in time order)
# DuckDB's memory for a hunt (``--memory-limit``): with it, loading and every built-in
# detection run within about 400 MB for the whole process tree from 1M to 10M events
# (bench/hunt.py); beyond it DuckDB spills to the hunt's temporary folder.
DEFAULT_MEMORY_LIMIT = "256MB"


def lit(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def lit_list(values: Iterable[str]) -> str:
    items = [lit(v) for v in values]
    return "(" + ", ".join(items or ["'\x00none'"]) + ")"


class Dialect:
    """SQL differences between engines. The base class speaks DuckDB."""

    name = "duckdb"
    # Athena's CloudTrail table types userIdentity as a struct with lowercase field names.
    lower_identity_paths = False
    # The pseudo-column naming a row of the ``events`` table (None: the engine has none, and
    # windows run over whole rows; see :func:`fortress.detection.ruledefs.windowed`).
    row_id: str | None = "rowid"

    def j(self, column: str, path: str) -> str:
        """A JSON scalar at ``path`` as text (NULL if absent)."""
        return f"json_extract_string({column}, {lit(path)})"

    def jraw(self, column: str, path: str) -> str:
        """The JSON text of the value at ``path``."""
        return f"CAST(json_extract({column}, {lit(path)}) AS VARCHAR)"

    def regex(self, text: str, pattern: str) -> str:
        return f"regexp_matches({text}, {lit(pattern)})"

    def regex_all(self, text: str, pattern: str, group: int) -> str:
        return f"regexp_extract_all({text}, {lit(pattern)}, {group})"

    def any_match(self, array: str, predicate: str, var: str = "x") -> str:
        """True when ``predicate`` (over ``var``) holds for an element of ``array``."""
        return f"(len(list_filter({array}, lambda {var}: {predicate})) > 0)"

    def items(self, column: str, path: str) -> str:
        """The elements (JSON) of the array at ``path``; empty when it is not an array."""
        return f"json_extract({column}, {lit(path + '[*]')})"

    def strings(self, column: str, path: str, sub: str = "") -> str:
        """Text of each element of the array at ``path`` (or of its field ``sub``, a path
        like ``.arn``); empty when it is not an array. Non-text values come as JSON text."""
        return f"json_extract_string({column}, {lit(path + '[*]' + sub)})"

    def fingerprint(self, text: str) -> str:
        """:func:`fortress.secrets.detect.fingerprint` of a text: ``sha256:`` + 12 hex."""
        return f"('sha256:' || substr(sha256({text}), 1, 12))"

    def is_array(self, column: str, path: str) -> str:
        """The value at ``path`` is a JSON array."""
        return f"coalesce(json_type({column}, {lit(path)}) = 'ARRAY', false)"

    def parse_json(self, text: str) -> str:
        """JSON parsed from text (a policy statement CloudTrail logs as a string); NULL when
        the text is not JSON."""
        return f"TRY_CAST({text} AS JSON)"

    def contains(self, array: str, value: str) -> str:
        return f"list_contains({array}, {value})"

    def array_except(self, array: str, other: str) -> str:
        """Elements of ``array`` not in ``other`` (order kept)."""
        return f"list_filter({array}, lambda e: NOT list_contains({other}, e))"

    def sort(self, array: str) -> str:
        return f"list_sort({array})"

    def length(self, array: str) -> str:
        return f"len({array})"

    def join(self, array: str) -> str:
        return f"array_to_string({array}, ', ')"

    def array(self, *items: str) -> str:
        return "[" + ", ".join(items) + "]"

    def array1(self, column: str) -> str:
        return f"[{column}]"

    def array_agg(self, column: str) -> str:
        """The first :data:`MAX_EVENT_IDS` values of a group in time order (then by value):
        a detection names no more, so no more leave the engine."""
        return f"list_slice(list({column} ORDER BY event_time, {column}), 1, {MAX_EVENT_IDS})"

    def epoch(self, column: str) -> str:
        return f"epoch({column})"

    def seconds(self, n: int) -> str:
        return f"INTERVAL '{int(n)}' SECOND"

    def name_of(self, arn: str) -> str:
        """The last path segment of an ARN (a role's name)."""
        return f"regexp_extract({arn}, '[^/]+$', 0)"


class TrinoDialect(Dialect):
    name = "trino"
    lower_identity_paths = True
    row_id = None  # ``events`` is a view of the CloudTrail table, and Athena scales out

    def j(self, column: str, path: str) -> str:
        return f"json_extract_scalar({column}, {lit(path)})"

    def jraw(self, column: str, path: str) -> str:
        return f"json_format(json_extract({column}, {lit(path)}))"

    def regex(self, text: str, pattern: str) -> str:
        return f"regexp_like({text}, {lit(pattern)})"

    def any_match(self, array: str, predicate: str, var: str = "x") -> str:
        return f"any_match({array}, {var} -> {predicate})"

    def items(self, column: str, path: str) -> str:
        return (
            f"coalesce(TRY_CAST(json_extract({column}, {lit(path)}) AS ARRAY(JSON)), "
            "CAST(ARRAY[] AS ARRAY(JSON)))"
        )

    def strings(self, column: str, path: str, sub: str = "") -> str:
        return (
            f"transform({self.items(column, path)}, "
            f"v -> coalesce(json_extract_scalar(v, {lit('$' + sub)}), "
            f"json_format(json_extract(v, {lit('$' + sub)}))))"
        )

    def fingerprint(self, text: str) -> str:
        return f"('sha256:' || substr(lower(to_hex(sha256(to_utf8({text})))), 1, 12))"

    def is_array(self, column: str, path: str) -> str:
        return f"(json_array_length(json_extract({column}, {lit(path)})) IS NOT NULL)"

    def parse_json(self, text: str) -> str:
        return f"try(json_parse({text}))"

    def contains(self, array: str, value: str) -> str:
        return f"contains({array}, {value})"

    def array_except(self, array: str, other: str) -> str:
        return f"filter({array}, e -> NOT contains({other}, e))"

    def sort(self, array: str) -> str:
        return f"array_sort({array})"

    def length(self, array: str) -> str:
        return f"cardinality({array})"

    def join(self, array: str) -> str:
        return f"array_join({array}, ', ')"

    def array(self, *items: str) -> str:
        return "ARRAY[" + ", ".join(items) + "]"

    def array1(self, column: str) -> str:
        return f"ARRAY[{column}]"

    def array_agg(self, column: str) -> str:
        return f"slice(array_agg({column} ORDER BY event_time, {column}), 1, {MAX_EVENT_IDS})"

    def epoch(self, column: str) -> str:
        return f"to_unixtime({column})"


DUCKDB = Dialect()
TRINO = TrinoDialect()

# Columns of the normalized ``events`` relation, in order.
EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "event_time",
    "event_source",
    "event_name",
    "action",
    "region",
    "account",
    "source_ip",
    "user_agent",
    "error_code",
    "event_type",
    "read_only",
    "principal_type",
    "principal",
    "principal_key",
    "access_key_id",
    "issuer_arn",
    "invoked_by",
    "session_name",
    "function_name",
    "function",
    "is_human",
    "is_service",
    "is_ci",
    "is_lambda_ua",
    "ui",
    "rp",
    "re",
    "aed",
    "resources",
)

# Columns a Sigma rule may name at the top level, and the JSON columns its dotted fields reach.
SIGMA_TOP_LEVEL = {
    "eventID": "event_id",
    "eventTime": "CAST(event_time AS VARCHAR)",
    "eventSource": "event_source",
    "eventName": "event_name",
    "awsRegion": "region",
    "recipientAccountId": "account",
    "sourceIPAddress": "source_ip",
    "userAgent": "user_agent",
    "errorCode": "error_code",
    "eventType": "event_type",
    "readOnly": "read_only",
}
# userIdentity paths the normalization reads; a loader may precompute them in one JSON parse
# (``raw["ui:<path>"]``) instead of one extraction per path.
UI_PATHS: tuple[str, ...] = (
    "$.type",
    "$.arn",
    "$.principalId",
    "$.sessionContext.sessionIssuer.arn",
    "$.invokedBy",
    "$.accessKeyId",
    "$.sessionContext.webIdFederationData.federatedProvider",
    "$.sessionContext.attributes.mfaAuthenticated",
    "$.accountId",
)

# Event sources whose events the built-in detections read (besides failed calls and sessions
# that may be stolen Lambda credentials; see :func:`keep_predicate`).
DETECTION_SOURCES: tuple[str, ...] = (
    "lambda.amazonaws.com",
    "iam.amazonaws.com",
    "sts.amazonaws.com",
    "organizations.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "logs.amazonaws.com",
)

# The access keys of assumed-role sessions calling from a Lambda runtime (FTR-DET-007/008).
# The local store keeps them in a table of this name; on Athena it is a CTE over ``events``.
LAMBDA_UA_KEYS = "lambda_ua_keys"
LAMBDA_UA_KEYS_SQL = (
    "SELECT DISTINCT access_key_id AS k FROM events WHERE is_lambda_ua "
    "AND principal_type = 'AssumedRole' AND access_key_id IS NOT NULL"
)


def is_service_sql(ptype: str, invoked: str, ip: str) -> str:
    """An AWS service acting for the caller (the normalized ``is_service``)."""
    return (
        f"(coalesce({ptype}, '') = 'AWSService' OR {invoked} IS NOT NULL "
        f"OR coalesce({ip}, '') LIKE '%.amazonaws.com')"
    )


def is_lambda_ua_sql(ual: str) -> str:
    """An SDK running in a Lambda runtime; ``ual`` is the lowercased user agent."""
    return (
        f"({ual} LIKE '%exec-env/aws_lambda%' OR {ual} LIKE '%aws_lambda_%' "
        f"OR {ual} LIKE '%awslambda%')"
    )


def ui_expr(d: Dialect, raw: dict[str, str], path: str) -> str:
    """``userIdentity`` at ``path``: precomputed by the loader if it did, else extracted."""
    pre = raw.get("ui:" + path)
    if pre is not None:
        return pre
    return d.j(raw["userIdentity"], path.lower() if d.lower_identity_paths else path)


def keep_predicate(d: Dialect, raw: dict[str, str]) -> str:
    """True for the events some built-in detection may read; the others can be dropped at
    load time without changing any detection (when no Sigma rule runs).

    Kept: every event of :data:`DETECTION_SOURCES`, every failed call (FTR-DET-006 counts
    denied principals), and assumed-role calls that neither come from a Lambda runtime nor
    from an AWS service (FTR-DET-007 candidates). Assumed-role calls from a Lambda runtime
    only contribute their access key, kept in :data:`LAMBDA_UA_KEYS`.
    """
    ual = f"lower(coalesce({raw['userAgent']}, ''))"
    ptype = ui_expr(d, raw, "$.type")
    service = is_service_sql(ptype, ui_expr(d, raw, "$.invokedBy"), raw["sourceIPAddress"])
    return (
        f"({raw['eventSource']} IN {lit_list(DETECTION_SOURCES)} "
        f"OR {raw['errorCode']} IS NOT NULL "
        f"OR (coalesce({ptype}, '') = 'AssumedRole' AND NOT {is_lambda_ua_sql(ual)} "
        f"AND NOT {service}))"
    )


def keep_superset(raw: dict[str, str]) -> str:
    """A cheap superset of :func:`keep_predicate`, on raw text without parsing
    ``userIdentity``: the loader narrows rows with it first, then applies the exact predicate
    to the few rows left. (An assumed-role identity always contains ``"AssumedRole"``.)"""
    ual = f"lower(coalesce({raw['userAgent']}, ''))"
    ui = f"CAST({raw['userIdentity']} AS VARCHAR)"
    return (
        f"({raw['eventSource']} IN {lit_list(DETECTION_SOURCES)} "
        f"OR {raw['errorCode']} IS NOT NULL "
        f"OR (contains({ui}, '\"AssumedRole\"') AND NOT {is_lambda_ua_sql(ual)} "
        f"AND NOT coalesce({raw['sourceIPAddress']}, '') LIKE '%.amazonaws.com'))"
    )


def lambda_key_candidate(raw: dict[str, str]) -> str:
    """A cheap superset of the events :func:`lambda_key_expr` reads a key from."""
    ual = f"lower(coalesce({raw['userAgent']}, ''))"
    ui = f"CAST({raw['userIdentity']} AS VARCHAR)"
    return f"({is_lambda_ua_sql(ual)} AND contains({ui}, '\"AssumedRole\"'))"


INVOKE_ACTIONS = ("Invoke", "InvokeAsync", "InvokeWithResponseStream")
SUFFIX_RE = "[0-9]{8}(v[0-9]+)?$"


def service_invoke_predicate(d: Dialect, raw: dict[str, str]) -> str:
    """A successful invocation by an AWS service principal (API Gateway, S3, SNS, ...).

    No built-in detection reads these events beyond their function's name: FTR-DET-006
    follows calls of the principal that created the function, whose key is never an AWS
    service host name (the rule excludes such creators), and FTR-DET-007/008 read
    assumed-role sessions only. The prefiltering loader keeps just the function names, in
    :data:`LAMBDA_FUNCTION_NAMES`; they are the bulk of Lambda data events.
    """
    return (
        f"({raw['eventSource']} = 'lambda.amazonaws.com' AND {raw['errorCode']} IS NULL "
        f"AND regexp_replace({raw['eventName']}, {lit(SUFFIX_RE)}, '') IN "
        f"{lit_list(INVOKE_ACTIONS)} "
        f"AND {ui_expr(d, raw, '$.type')} = 'AWSService' "
        f"AND {ui_expr(d, raw, '$.arn')} IS NULL "
        f"AND {ui_expr(d, raw, '$.sessionContext.sessionIssuer.arn')} IS NULL "
        f"AND {ui_expr(d, raw, '$.invokedBy')} LIKE '%.amazonaws.com')"
    )


def function_raw_sql(d: Dialect, source: str, rp: str, re: str) -> str:
    """The function's identity as the event gives it: a name or (partial) ARN in
    requestParameters.functionName, a nested fullyQualifiedArn structure, or only
    responseElements.functionName or .functionArn (event source mappings and URL configs
    answer with the ARN alone), or the Resource of the policy statement ``AddPermission``
    answers; the raw form, see :data:`FUNCTION_NAME_SQL`."""
    return (
        f"CASE WHEN {source} = 'lambda.amazonaws.com' THEN coalesce("
        f"{d.j(rp, '$.functionName')}, "
        f"{d.j(rp, '$.fullyQualifiedArn.relativeId.functionName')}, "
        f"{d.j(re, '$.functionName')}, {d.j(re, '$.functionArn')}, "
        f"{d.j(d.parse_json(d.j(re, '$.statement')), '$.Resource')}) END"
    )


# The function's name from the raw identity in a column ``_fraw``.
FUNCTION_NAME_SQL = (
    "CASE WHEN _fraw LIKE '%:function:%' "
    "THEN split_part(split_part(_fraw, ':function:', 2), ':', 1) "
    "ELSE split_part(_fraw, ':', 1) END"
)


def lambda_key_expr(d: Dialect, raw: dict[str, str]) -> str:
    """The access key when the event is an assumed-role call from a Lambda runtime, else NULL."""
    ual = f"lower(coalesce({raw['userAgent']}, ''))"
    return (
        f"CASE WHEN coalesce({ui_expr(d, raw, '$.type')}, '') = 'AssumedRole' "
        f"AND {is_lambda_ua_sql(ual)} THEN {ui_expr(d, raw, '$.accessKeyId')} END"
    )


# Names of functions whose only events were dropped by the prefilter (service invocations),
# for FTR-DET-007's "session named after a function"; on Athena an empty CTE.
LAMBDA_FUNCTION_NAMES = "lambda_function_names"
LAMBDA_FUNCTION_NAMES_SQL = "SELECT function_name AS n FROM events WHERE false"

SIGMA_JSON_ROOTS = {
    "userIdentity": "ui",
    "requestParameters": "rp",
    "responseElements": "re",
    "additionalEventData": "aed",
    "resources": "resources",
}


def normalized_query(
    d: Dialect,
    raw: dict[str, str],
    settings: HuntSettings,
    source: str,
    where: str = "",
) -> str:
    """A query turning raw CloudTrail rows of ``source`` into the normalized ``events`` columns.

    ``raw`` maps CloudTrail field names (eventID, eventTime, userIdentity, requestParameters,
    ...) plus ``_time`` (the parsed timestamp) to SQL expressions over ``source`` (DuckDB:
    struct fields of the Records array; Athena: the table's lowercase columns). The
    function's identity is normalized here, and only here. ``where`` filters normalized rows.
    """
    ui, rp, re = raw["userIdentity"], raw["requestParameters"], raw["responseElements"]

    def uj(path: str) -> str:
        return ui_expr(d, raw, path)

    base = {
        "_id": raw["eventID"],
        "_time": raw["_time"],
        "_source": raw["eventSource"],
        "_name": raw["eventName"],
        "_region": raw["awsRegion"],
        "_ip": raw["sourceIPAddress"],
        "_ua": raw["userAgent"],
        "_ual": f"lower(coalesce({raw['userAgent']}, ''))",
        "_err": raw["errorCode"],
        "_etype": raw["eventType"],
        "_ro": f"CAST({raw['readOnly']} AS VARCHAR)",
        "_account": f"coalesce({raw['recipientAccountId']}, {uj('$.accountId')})",
        "_ptype": uj("$.type"),
        "_parn": uj("$.arn"),
        "_pid": uj("$.principalId"),
        "_issuer": uj("$.sessionContext.sessionIssuer.arn"),
        "_invoked": uj("$.invokedBy"),
        "_key": uj("$.accessKeyId"),
        "_webid": uj("$.sessionContext.webIdFederationData.federatedProvider"),
        "_mfa": uj("$.sessionContext.attributes.mfaAuthenticated"),
        # the function's identity: a name or (partial) ARN in requestParameters.functionName,
        # a nested fullyQualifiedArn structure, or only responseElements.functionName/Arn
        "_fraw": function_raw_sql(d, raw["eventSource"], rp, re),
        "ui": ui,
        "rp": rp,
        "re": re,
        "aed": raw["additionalEventData"],
        "resources": raw["resources"],
    }
    ua = "_ual"
    fname = FUNCTION_NAME_SQL
    farn = (
        "CASE WHEN _fraw IS NULL THEN NULL "
        "WHEN _fraw LIKE 'arn:%:function:%' THEN 'arn:' || split_part(_fraw, ':', 2) "
        "|| ':lambda:' || split_part(_fraw, ':', 4) || ':' || split_part(_fraw, ':', 5) "
        f"|| ':function:' || {fname} "
        "WHEN _fraw LIKE '%:function:%' THEN 'arn:aws:lambda:' || coalesce(_region, '') "
        f"|| ':' || split_part(_fraw, ':', 1) || ':function:' || {fname} "
        "ELSE 'arn:aws:lambda:' || coalesce(_region, '') || ':' "
        f"|| coalesce(_account, '') || ':function:' || {fname} END"
    )
    ci_terms = ["_webid IS NOT NULL"]
    if settings.ci_user_agents:
        alternation = "|".join(regex_lib.escape(p.lower()) for p in settings.ci_user_agents)
        ci_terms.insert(0, d.regex(ua, alternation))
    cols = {
        "event_id": "_id",
        "event_time": "_time",
        "event_source": "_source",
        "event_name": "_name",
        "action": f"regexp_replace(_name, {lit(SUFFIX_RE)}, '')",
        "region": "_region",
        "account": "_account",
        "source_ip": "_ip",
        "user_agent": "_ua",
        "error_code": "_err",
        "event_type": "_etype",
        "read_only": "_ro",
        "principal_type": "_ptype",
        "principal": "coalesce(_parn, _invoked, _pid, _ptype)",
        "principal_key": "coalesce(_issuer, _parn, _invoked, _pid, _ptype)",
        "access_key_id": "_key",
        "issuer_arn": "_issuer",
        "invoked_by": "_invoked",
        "session_name": "CASE WHEN _ptype = 'AssumedRole' THEN split_part(_parn, '/', 3) END",
        "function_name": f"CASE WHEN _fraw IS NOT NULL THEN {fname} END",
        "function": farn,
        "is_human": (
            "(coalesce(_ptype, '') IN ('IAMUser', 'Root', 'IdentityCenterUser', 'FederatedUser') "
            "OR coalesce(_issuer, '') LIKE '%AWSReservedSSO%' "
            f"OR {ua} LIKE '%console.amazonaws.com%' OR {ua} = 'aws internal' "
            "OR coalesce(_mfa, '') = 'true')"
        ),
        "is_service": is_service_sql("_ptype", "_invoked", "_ip"),
        "is_ci": "(" + " OR ".join(ci_terms) + ")",
        "is_lambda_ua": is_lambda_ua_sql(ua),
        "ui": "ui",
        "rp": "rp",
        "re": "re",
        "aed": "aed",
        "resources": "resources",
    }
    inner = ",\n    ".join(f"{expr} AS {name}" for name, expr in base.items())
    outer = ",\n  ".join(f"{cols[c]} AS {c}" for c in EVENT_COLUMNS)
    filt = f" WHERE {where}" if where else ""
    return f"SELECT\n  {outer}\nFROM (SELECT\n    {inner}\n  FROM {source}) base{filt}"
