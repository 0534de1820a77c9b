"""Detections of persistence on Lambda: resource-policy backdoors, public function URLs,
layers and extensions, shared layers, code overwrites, triggers (FTR-DET-001 to 005, 009).

Every rule reads both record shapes AWS writes: the request (``requestParameters``, what the
caller asked for) and the response (``responseElements``, the resulting configuration or the
policy statement as a JSON string). A request that was not recorded (null, or truncated by
CloudTrail) leaves the response; a response that only restates the function's whole
configuration is compared with the previous state seen in the data ("changes, not states").
"""

from __future__ import annotations

from fortress.detection.ruledefs import (
    ACCOUNT_RE,
    HUMAN_NOT_CI,
    LAMBDA,
    OK,
    history_cte,
    history_note,
    per_event,
    s_,
    select_hits,
    trusted,
)
from fortress.detection.sql import Dialect, HuntSettings, lit, lit_list

SOURCE_CONDITION_RE = '"aws:source(arn|account)"'
ORG_CONDITION_RE = '"aws:principalorgid"'


def statement_json(d: Dialect) -> str:
    """The policy statement Lambda returns (``responseElements.statement``, JSON text)."""
    return d.parse_json(d.j("re", "$.statement"))


def statement_principal(d: Dialect) -> str:
    """The principal of that statement: ``*``, or its AWS or Service entry."""
    st = statement_json(d)
    return (
        f"coalesce({d.j(st, '$.Principal.AWS')}, {d.j(st, '$.Principal.Service')}, "
        f"{d.j(st, '$.Principal')})"
    )


def statement_text(d: Dialect) -> str:
    """The statement's text, lowercased, for condition-key tests."""
    return f"lower(coalesce({d.j('re', '$.statement')}, ''))"


def request_unrecorded(d: Dialect) -> str:
    """The request was not recorded: no requestParameters, or ones that do not even name
    the function (CloudTrail truncates oversized fields)."""
    return f"(rp IS NULL OR {d.j('rp', '$.functionName')} IS NULL)"


# --------------------------------------------------------------------------- 001 backdoor


def backdoor(d: Dialect, s: HuntSettings) -> str:
    p = f"coalesce({d.j('rp', '$.principal')}, {statement_principal(d)})"
    acct = f"nullif(regexp_extract({p}, {lit(ACCOUNT_RE)}, 1), '')"
    text = statement_text(d)
    conditioned = (
        f"({d.j('rp', '$.sourceArn')} IS NOT NULL OR {d.j('rp', '$.sourceAccount')} IS NOT NULL "
        f"OR {d.regex(text, SOURCE_CONDITION_RE)})"
    )
    org = f"({d.j('rp', '$.principalOrgID')} IS NOT NULL OR {d.regex(text, ORG_CONDITION_RE)})"
    severity = (
        f"CASE WHEN {p} = '*' AND {org} THEN 'low' "
        f"WHEN {p} = '*' AND {conditioned} THEN 'medium' "
        f"WHEN {p} = '*' THEN 'high' "
        f"WHEN {acct} IS NOT NULL AND {acct} <> coalesce(account, '') "
        f"AND {acct} NOT IN {trusted(s)} THEN 'high' END"
    )
    action = f"coalesce({d.j('rp', '$.action')}, {d.j(statement_json(d), '$.Action')})"
    message = (
        f"'resource policy of ' || {s_('function_name')} || ' grants ' "
        f"|| {s_(action)} || ' to ' || {s_(p)}"
    )
    return per_event(d, s, f"{LAMBDA} AND action = 'AddPermission' AND {OK}", severity, message)


# --------------------------------------------------------------------------- 002 function URL


def url_none(d: Dialect, s: HuntSettings) -> str:
    req = f"upper({d.j('rp', '$.authType')})"
    resp = f"upper({d.j('re', '$.authType')})"
    state = (
        "CASE WHEN action = 'DeleteFunctionUrlConfig' THEN 'DELETED' "
        f"ELSE coalesce({req}, CASE WHEN action = 'CreateFunctionUrlConfig' "
        f"OR {request_unrecorded(d)} THEN {resp} END) END"
    )
    ctes = (
        f"urls AS (SELECT *, {state} AS auth, {req} AS auth_asked, "
        f"coalesce({d.j('rp', '$.qualifier')}, '') AS qual FROM events WHERE {LAMBDA} AND {OK} "
        "AND function IS NOT NULL AND action IN ('CreateFunctionUrlConfig', "
        "'UpdateFunctionUrlConfig', 'DeleteFunctionUrlConfig')), "
        "url_changes AS (SELECT *, lag(auth) OVER (PARTITION BY function, qual "
        "ORDER BY event_time, event_id) AS prev_auth FROM urls WHERE auth IS NOT NULL)"
    )
    severity = (
        "CASE WHEN auth <> 'NONE' OR coalesce(prev_auth, '') = 'NONE' THEN NULL "
        "WHEN auth_asked = 'NONE' OR action = 'CreateFunctionUrlConfig' THEN 'high' "
        "ELSE 'medium' END"
    )
    message = (
        f"'function URL of ' || {s_('function_name')} || ' set to AuthType NONE' || "
        "CASE WHEN auth_asked IS NULL AND action <> 'CreateFunctionUrlConfig' "
        "THEN ' (the request was not recorded; the response says NONE)' ELSE '' END"
    )
    return f"WITH {ctes} " + select_hits(d, s, "url_changes", "true", severity, message)


# --------------------------------------------------------------------------- 003 layers

LAYER_ACCOUNT_RE = "^arn:aws[a-z-]*:lambda:[a-z0-9-]+:([0-9]{12}):layer:"


def layer_attached(d: Dialect, s: HuntSettings) -> str:
    """Layers newly set on a function. The state after each create/update is the request's
    ``layers`` (ARN strings) when it names them, else the response's ``layers[].arn`` when
    the response is the function's configuration (a configuration without ``layers`` has
    none). Added layers are the new state minus the previous one seen for the function."""
    named = f"({d.jraw('rp', '$.layers')} IS NOT NULL)"
    config = (
        f"({d.j('re', '$.functionArn')} IS NOT NULL OR {d.j('re', '$.functionName')} IS NOT NULL "
        f"OR {d.jraw('re', '$.layers')} IS NOT NULL)"
    )
    layer_set = (
        f"CASE WHEN {named} THEN {d.sort(d.strings('rp', '$.layers'))} "
        f"WHEN {config} THEN {d.sort(d.strings('re', '$.layers', '.arn'))} END"
    )
    acct = f"coalesce(regexp_extract(x, {lit(LAYER_ACCOUNT_RE)}, 1), '')"
    layer_trust = lit_list(sorted(set(s.trusted_accounts) | set(s.trusted_layer_accounts)))
    foreign = d.any_match(
        "added", f"{acct} <> '' AND {acct} <> coalesce(account, '') AND {acct} NOT IN {layer_trust}"
    )
    ctes = (
        f"{history_cte(d, s)}, "
        f"lstates AS (SELECT *, {layer_set} AS layer_set, {named} AS named FROM hist "
        "WHERE action IN ('CreateFunction', 'UpdateFunctionConfiguration')), "
        "lprev AS (SELECT *, lag(layer_set) OVER (PARTITION BY function "
        "ORDER BY event_time, event_id) AS prev_set FROM lstates WHERE layer_set IS NOT NULL), "
        "lchanges AS (SELECT *, CASE WHEN prev_set IS NULL THEN layer_set "
        f"ELSE {d.array_except('layer_set', 'prev_set')} END AS added, "
        "(prev_set IS NOT NULL OR named OR action = 'CreateFunction') AS known_change "
        "FROM lprev)"
    )
    severity = (
        f"CASE WHEN {d.length('added')} = 0 THEN NULL "
        f"WHEN {foreign} AND known_change THEN 'high' "
        f"WHEN {foreign} THEN 'medium' "
        f"WHEN known_change AND action = 'UpdateFunctionConfiguration' AND {HUMAN_NOT_CI} "
        "AND NOT known_deployer AND own_prior = 0 THEN 'medium' END"
    )
    message = (
        f"'layers of ' || {s_('function_name')} || ' set to ' || {d.join('layer_set')} "
        f"|| ' (added: ' || {d.join('added')} || ')' || CASE WHEN NOT known_change THEN "
        "' - named only in the response, with no earlier configuration of the function in "
        "the data: whether this call added them is unknown' ELSE '' END"
    )
    return f"WITH {ctes} " + select_hits(d, s, "lchanges", "true", severity, message)


def layer_shared(d: Dialect, s: HuntSettings) -> str:
    st = statement_json(d)
    p = f"coalesce({d.j('rp', '$.principal')}, {d.j(st, '$.Principal.AWS')}, {d.j(st, '$.Principal')})"
    acct = f"coalesce(nullif(regexp_extract({p}, {lit(ACCOUNT_RE)}, 1), ''), {p})"
    org = (
        f"({d.j('rp', '$.organizationId')} IS NOT NULL "
        f"OR {d.regex(statement_text(d), ORG_CONDITION_RE)})"
    )
    severity = (
        f"CASE WHEN {p} = '*' AND NOT {org} THEN 'high' "
        f"WHEN {p} <> '*' AND {acct} <> coalesce(account, '') AND {acct} NOT IN {trusted(s)} "
        "THEN 'medium' END"
    )
    message = (
        f"'layer ' || {s_(d.j('rp', '$.layerName'))} || ' version ' "
        f"|| {s_(d.j('rp', '$.versionNumber'))} || ' shared with ' || {s_(p)}"
    )
    where = f"{LAMBDA} AND action = 'AddLayerVersionPermission' AND {OK}"
    return per_event(d, s, where, severity, message)


# --------------------------------------------------------------------------- 005 code


def code_overwrite(d: Dialect, s: HuntSettings) -> str:
    """``UpdateFunctionCode`` by a principal that is neither a configured deployer nor one
    that deployed this function's code before in the data: high for a human identity
    outside CI when the data has history (the function's or the principal's), medium with
    the reason when it has none; medium for others new to a function others deployed."""
    severity = (
        "CASE WHEN known_deployer OR own_code_prior > 0 THEN NULL "
        f"WHEN {HUMAN_NOT_CI} AND any_prior = 0 AND principal_prior = 0 THEN 'medium' "
        f"WHEN {HUMAN_NOT_CI} THEN 'high' "
        "WHEN NOT is_service AND any_prior > 0 THEN 'medium' END"
    )
    message = (
        f"'code of ' || {s_('function_name')} || ' replaced by ' || {s_('principal')} "
        "|| CASE WHEN any_prior = 0 AND principal_prior = 0 "
        "THEN ' (no history of this principal in the data)' "
        "ELSE ' (first deployment of it by this principal)' END"
    )
    return f"WITH {history_cte(d, s)} " + select_hits(
        d, s, "hist", "action = 'UpdateFunctionCode'", severity, message
    )


# --------------------------------------------------------------------------- 009 triggers


def trigger(d: Dialect, s: HuntSettings) -> str:
    source = f"coalesce({d.j('rp', '$.eventSourceArn')}, {d.j('re', '$.eventSourceArn')})"
    message = (
        f"'event source ' || {s_(source)} || ' wired to ' "
        f"|| {s_('function_name')} || ' by a human identity' || {history_note()}"
    )
    severity = "CASE WHEN known_deployer OR own_prior > 0 THEN NULL ELSE 'medium' END"
    where = f"action = 'CreateEventSourceMapping' AND {HUMAN_NOT_CI}"
    return f"WITH {history_cte(d, s)} " + select_hits(d, s, "hist", where, severity, message)
