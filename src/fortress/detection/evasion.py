"""Detections of defense evasion, discovery and impact around Lambda: trail and selector
changes, log tampering, enumeration bursts, throttling and deletion, unusual regions
(FTR-DET-010 to 014)."""

from __future__ import annotations

from fortress.detection.ruledefs import (
    HUMAN_NOT_CI,
    LAMBDA,
    NO_HISTORY_SQL,
    OK,
    history_cte,
    history_note,
    in_window,
    pair,
    per_event,
    s_,
    select_hits,
)
from fortress.detection.sql import Dialect, HuntSettings, lit, lit_list

# --------------------------------------------------------------------------- 010 trails

LAMBDA_RESOURCE = "'AWS::Lambda::Function'"
TRAIL_STOPS = ("StopLogging", "DeleteTrail", "DeleteEventDataStore", "StopEventDataStoreIngestion")


def _field_equals(d: Dialect, sel: str, name: str, value: str) -> str:
    """An advanced event selector ``sel`` has a field selector ``name`` equal to ``value``."""
    fields = d.items(sel, "$.fieldSelectors")
    return d.any_match(
        fields,
        f"{d.j('y', '$.field')} = {lit(name)} AND {d.contains(d.strings('y', '$.equals'), lit(value))}",
        "y",
    )


def selector_flags(d: Dialect, src: str) -> tuple[str, str, str]:
    """What the selectors in ``src`` (a JSON column holding ``eventSelectors`` or
    ``advancedEventSelectors``) log: management write events, management read events,
    Lambda data events (invocations are write events). Advanced selectors win when both
    are given; a field selector other than category, read-only and resource type is taken
    as logging (it narrows, but some events of the kind are still logged)."""
    basic = d.items(src, "$.eventSelectors")
    inc = f"coalesce(lower({d.j('x', '$.includeManagementEvents')}), 'true') <> 'false'"
    rw = f"upper(coalesce({d.j('x', '$.readWriteType')}, 'All'))"
    lambda_resource = d.any_match(
        d.items("x", "$.dataResources"),
        f"{d.j('y', '$.type')} = {LAMBDA_RESOURCE} AND {d.length(d.strings('y', '$.values'))} > 0",
        "y",
    )
    b_write = d.any_match(basic, f"{inc} AND {rw} IN ('ALL', 'WRITEONLY')")
    b_read = d.any_match(basic, f"{inc} AND {rw} IN ('ALL', 'READONLY')")
    b_lambda = d.any_match(basic, f"{rw} IN ('ALL', 'WRITEONLY') AND {lambda_resource}")
    adv = d.items(src, "$.advancedEventSelectors")
    mgmt = _field_equals(d, "x", "eventCategory", "Management")
    read_only = _field_equals(d, "x", "readOnly", "true")
    write_only = _field_equals(d, "x", "readOnly", "false")
    data_lambda = (
        f"{_field_equals(d, 'x', 'eventCategory', 'Data')} "
        f"AND {_field_equals(d, 'x', 'resources.type', 'AWS::Lambda::Function')}"
    )
    a_write = d.any_match(adv, f"{mgmt} AND NOT {read_only}")
    a_read = d.any_match(adv, f"{mgmt} AND NOT {write_only}")
    a_lambda = d.any_match(adv, f"{data_lambda} AND NOT {read_only}")
    use_adv = f"{d.length(adv)} > 0"
    return tuple(  # type: ignore[return-value]
        f"(CASE WHEN {use_adv} THEN {a} ELSE {b} END)"
        for a, b in ((a_write, b_write), (a_read, b_read), (a_lambda, b_lambda))
    )


def trail_tamper(d: Dialect, s: HuntSettings) -> str:
    """Stopping or deleting a trail (high); event selectors that stop logging management
    or Lambda data events that the previous selector state of the trail seen in the data
    logged (high; management read events only: medium); selectors that do not log them
    when no earlier state is known (medium, saying so). A trail created in the data starts
    from CloudTrail's default: all management events, no data events."""
    key_raw = (
        f"coalesce({d.j('rp', '$.trailName')}, {d.j('rp', '$.name')}, "
        f"{d.j('re', '$.trailARN')}, {d.j('re', '$.name')})"
    )
    key = f"regexp_extract({key_raw}, '[^/]+$', 0)"
    in_request = (
        f"({d.jraw('rp', '$.eventSelectors')} IS NOT NULL "
        f"OR {d.jraw('rp', '$.advancedEventSelectors')} IS NOT NULL)"
    )
    known = (
        f"({d.is_array('sj', '$.eventSelectors')} "
        f"OR {d.is_array('sj', '$.advancedEventSelectors')})"
    )
    write, read, lam = selector_flags(d, "sj")
    order = "PARTITION BY coalesce(account, ''), trail_key ORDER BY event_time, event_id"
    ctes = (
        f"trail_ev AS (SELECT *, {key} AS trail_key, CASE WHEN {in_request} THEN rp ELSE re END "
        "AS sj FROM events WHERE event_source = 'cloudtrail.amazonaws.com' AND "
        f"{OK} AND action IN ('CreateTrail', 'PutEventSelectors')), "
        "trail_states AS (SELECT *, "
        f"CASE WHEN action = 'CreateTrail' THEN true ELSE {write} END AS mw, "
        f"CASE WHEN action = 'CreateTrail' THEN true ELSE {read} END AS mr, "
        f"CASE WHEN action = 'CreateTrail' THEN false ELSE {lam} END AS ld "
        f"FROM trail_ev WHERE trail_key IS NOT NULL AND (action = 'CreateTrail' OR {known})), "
        f"trail_changes AS (SELECT *, lag(mw) OVER ({order}) AS p_mw, "
        f"lag(mr) OVER ({order}) AS p_mr, lag(ld) OVER ({order}) AS p_ld, "
        f"lag(event_id) OVER ({order}) AS prev_id FROM trail_states)"
    )
    excluded = (
        "concat_ws(', ', CASE WHEN NOT mw THEN 'management write events' END, "
        "CASE WHEN NOT mr THEN 'management read events' END, "
        "CASE WHEN NOT ld THEN 'Lambda data events' END)"
    )
    removed = (
        "concat_ws(', ', CASE WHEN p_mw AND NOT mw THEN 'management write events' END, "
        "CASE WHEN p_mr AND NOT mr THEN 'management read events' END, "
        "CASE WHEN p_ld AND NOT ld THEN 'Lambda data events' END)"
    )
    severity = (
        "CASE WHEN action <> 'PutEventSelectors' THEN NULL "
        "WHEN p_mw IS NULL THEN CASE WHEN NOT mw OR NOT mr OR NOT ld THEN 'medium' END "
        "WHEN (p_mw AND NOT mw) OR (p_ld AND NOT ld) THEN 'high' "
        "WHEN p_mr AND NOT mr THEN 'medium' END"
    )
    message = (
        f"'trail ' || {s_('trail_key')} || ': PutEventSelectors ' || CASE WHEN p_mw IS NULL "
        f"THEN 'logs no ' || {excluded} || ' (no earlier selector state of this trail in the "
        f"data)' ELSE 'stopped logging ' || {removed} || ', which the previous selectors "
        "logged' END"
    )
    changes = (
        f"SELECT * FROM (SELECT {severity} AS severity, event_time, principal, source_ip, "
        f"user_agent, function, {pair(d, 'event_id', 'prev_id')} AS event_ids, "
        f"{message} AS message, account, region, event_name FROM trail_changes "
        f"WHERE {in_window(s)}) sel WHERE severity IS NOT NULL"
    )
    name = (
        f"coalesce({d.j('rp', '$.name')}, {d.j('rp', '$.trailName')}, "
        f"{d.j('rp', '$.eventDataStore')}, '')"
    )
    stops = select_hits(
        d,
        s,
        "events",
        f"event_source = 'cloudtrail.amazonaws.com' AND {OK} AND action IN {lit_list(TRAIL_STOPS)}",
        "'high'",
        f"'trail ' || {name} || ': ' || action",
    )
    return f"WITH {ctes} {changes} UNION ALL {stops}"


# --------------------------------------------------------------------------- 011 logs


def log_tamper(d: Dialect, s: HuntSettings) -> str:
    group = d.j("rp", "$.logGroupName")
    days = f"TRY_CAST({d.j('rp', '$.retentionInDays')} AS INTEGER)"
    severity = (
        "CASE WHEN action = 'DeleteLogGroup' THEN 'high' "
        f"WHEN action = 'PutRetentionPolicy' AND {days} <= {int(s.retention_min_days)} "
        "THEN 'medium' WHEN action = 'DeleteLogStream' THEN 'medium' END"
    )
    message = (
        f"action || ' on ' || {s_(group)} || CASE WHEN action = 'PutRetentionPolicy' "
        f"THEN ' (retention ' || {s_(d.j('rp', '$.retentionInDays'))} || ' days)' ELSE '' END"
    )
    where = (
        f"event_source = 'logs.amazonaws.com' AND {OK} AND "
        "action IN ('DeleteLogGroup', 'PutRetentionPolicy', 'DeleteLogStream') "
        f"AND {group} LIKE '/aws/lambda/%'"
    )
    return per_event(d, s, where, severity, message)


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


def enumeration(d: Dialect, s: HuntSettings) -> str:
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
        f"AND NOT is_service AND {in_window(s)} "
        f"GROUP BY principal_key, floor({d.epoch('event_time')} / {window}) "
        f"HAVING count(*) >= {int(s.enumeration_threshold)}"
    )


# --------------------------------------------------------------------------- 013 impact


def impact(d: Dialect, s: HuntSettings) -> str:
    """Reserved concurrency 0 (high; medium from CI or with no history; low from a known
    deployer) and deletion by a principal that never changed the function (medium)."""
    value = (
        f"coalesce({d.j('rp', '$.reservedConcurrentExecutions')}, "
        f"{d.j('re', '$.reservedConcurrentExecutions')})"
    )
    known = "(known_deployer OR own_prior > 0)"
    severity = (
        f"CASE WHEN action = 'PutFunctionConcurrency' AND {value} = '0' THEN "
        f"CASE WHEN {known} THEN 'low' WHEN is_ci OR {NO_HISTORY_SQL} THEN 'medium' "
        "ELSE 'high' END "
        f"WHEN action = 'DeleteFunction' AND NOT {known} AND NOT is_service "
        f"AND ({HUMAN_NOT_CI} OR any_prior > 0) THEN 'medium' END"
    )
    message = (
        "CASE WHEN action = 'PutFunctionConcurrency' THEN 'reserved concurrency of ' "
        f"|| {s_('function_name')} || ' set to 0 (function disabled) by ' || {s_('principal')} "
        f"ELSE {s_('function_name')} || ' deleted by ' || {s_('principal')} "
        f"|| ', who had not changed it before in the data' END || {history_note()}"
    )
    where = "action IN ('PutFunctionConcurrency', 'DeleteFunction')"
    return f"WITH {history_cte(d, s)} " + select_hits(d, s, "hist", where, severity, message)


# --------------------------------------------------------------------------- 014 regions

NEW_REGION_HISTORY = "INTERVAL '1' DAY"


def unusual_region(d: Dialect, s: HuntSettings) -> str:
    """Lambda API calls (successful, not by AWS services) in a region outside
    ``expected_regions`` (high when they change functions, else medium); without that
    setting, in a region whose first Lambda call in the data comes (inside the hunt window)
    after at least a day of the account's Lambda history elsewhere (medium for changes, low
    for reads). One detection per account, region and principal."""
    expected = lit_list(sorted(s.expected_regions))
    unexpected = f"region NOT IN {expected}" if s.expected_regions else "false"
    ctes = (
        "lam AS (SELECT *, CASE WHEN coalesce(read_only, '') = 'true' OR action LIKE 'Get%' "
        "OR action LIKE 'List%' THEN 0 ELSE 1 END AS is_change FROM events "
        f"WHERE {LAMBDA} AND {OK} AND NOT is_service AND region IS NOT NULL), "
        "region_first AS (SELECT coalesce(account, '') AS acct, region AS reg, "
        "min(event_time) AS first_seen FROM lam GROUP BY coalesce(account, ''), region), "
        "account_first AS (SELECT coalesce(account, '') AS acct, min(event_time) AS acct_first "
        "FROM lam GROUP BY coalesce(account, '')), "
        f"lam_regions AS (SELECT l.*, f.first_seen, a.acct_first, {unexpected} AS unexpected, "
        f"(f.first_seen >= a.acct_first + {NEW_REGION_HISTORY} "
        f"AND {in_window(s, 'f.first_seen')}) AS new_region FROM lam l "
        "JOIN region_first f ON f.acct = coalesce(l.account, '') AND f.reg = l.region "
        "JOIN account_first a ON a.acct = coalesce(l.account, ''))"
    )
    severity = (
        "CASE WHEN bool_or(unexpected) THEN CASE WHEN sum(is_change) > 0 THEN 'high' "
        "ELSE 'medium' END WHEN sum(is_change) > 0 THEN 'medium' ELSE 'low' END"
    )
    message = (
        "CAST(count(*) AS VARCHAR) || ' Lambda call(s) (' || CAST(sum(is_change) AS VARCHAR) "
        "|| ' changing functions) in ' || region || CASE WHEN bool_or(unexpected) "
        "THEN ', a region not in expected_regions' ELSE ', a region with no Lambda activity "
        "in the data before ' || CAST(min(first_seen) AS VARCHAR) || ' (the account''s starts "
        "' || CAST(min(acct_first) AS VARCHAR) || ')' END"
    )
    return (
        f"WITH {ctes} SELECT {severity} AS severity, min(event_time) AS event_time, "
        "min(principal) AS principal, min(source_ip) AS source_ip, "
        "min(user_agent) AS user_agent, min(function) AS function, "
        f"{d.array_agg('event_id')} AS event_ids, {message} AS message, account, region, "
        "min(event_name) AS event_name FROM lam_regions "
        f"WHERE (unexpected OR new_region) AND {in_window(s)} "
        "GROUP BY account, region, principal_key"
    )
