"""Detections of privilege escalation and credential access through Lambda: a new function
run with another role, execution-role credentials used outside Lambda, sensitive calls by
execution roles (FTR-DET-006 to 008), a role passed that can do more than its caller
(FTR-DET-015), configuration read-out followed by use of the function's role or keys
(FTR-DET-016).

The inventory tables (:mod:`fortress.detection.iamfacts`) say how much roles can do; they
are empty without ``--inventory``."""

from __future__ import annotations

from fortress.detection.iamfacts import RANK_ADMIN, RANK_ESCALATION
from fortress.detection.ruledefs import (
    LAMBDA,
    OK,
    PRIOR,
    deployer_sql,
    in_window,
    pair,
    s_,
    select_hits,
    windowed,
)
from fortress.detection.sql import (
    DETECTION_SOURCES,
    LAMBDA_FUNCTION_NAMES,
    LAMBDA_UA_KEYS,
    Dialect,
    HuntSettings,
    lit,
    lit_list,
)

# --------------------------------------------------------------------------- 006 escalation


IAM_ROLES, IAM_ROLE_ACTIONS = "iam_roles", "iam_role_actions"
INVENTORY_FUNCTIONS, INVENTORY_ENV_KEYS = "inventory_functions", "inventory_env_keys"
ADMIN_POLICIES = ("AdministratorAccess", "IAMFullAccess", "PowerUserAccess")


def admin_roles_cte(d: Dialect) -> str:
    """``admin_roles``: names of roles the data shows made administrators (an admin managed
    policy attached, an inline policy allowing ``"Action": "*"``)."""
    admin_arn = " OR ".join(
        f"{d.j('rp', '$.policyArn')} LIKE {lit('%/' + p)}" for p in ADMIN_POLICIES
    )
    star = d.regex(
        f"lower(coalesce({d.j('rp', '$.policyDocument')}, ''))", r'"action"\s*:\s*(\[\s*)?"\*"'
    )
    return (
        f"admin_roles AS (SELECT DISTINCT {d.j('rp', '$.roleName')} AS role_name FROM events "
        f"WHERE event_source = 'iam.amazonaws.com' AND {OK} AND ("
        f"(action = 'AttachRolePolicy' AND ({admin_arn})) OR "
        f"(action = 'PutRolePolicy' AND {star})))"
    )


def escalation(d: Dialect, s: HuntSettings) -> str:
    role = f"coalesce({d.j('rp', '$.role')}, {d.j('re', '$.role')})"
    follow = (
        "'Invoke', 'InvokeAsync', 'InvokeWithResponseStream', 'CreateEventSourceMapping', "
        "'AddPermission', 'CreateFunctionUrlConfig'"
    )
    ctes = (
        f"created AS (SELECT event_id, event_time, principal, principal_key, issuer_arn, "
        f"source_ip, user_agent, function, function_name, account, region, event_name, "
        f"{role} AS fn_role FROM events WHERE {LAMBDA} AND action = 'CreateFunction' AND {OK} "
        f"AND NOT is_service AND NOT is_ci AND NOT {deployer_sql(d, s)} AND function IS NOT NULL "
        # a key that is an AWS service host name is a service, whatever the identity says
        "AND coalesce(principal_key, '') NOT LIKE '%.amazonaws.com'), "
        f"follow AS (SELECT event_id, event_time, action, principal_key, function FROM events "
        f"WHERE {LAMBDA} AND action IN ({follow}) AND {OK}), "
        f"{admin_roles_cte(d)}, "
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
        f"OR fn_role IN (SELECT arn FROM {IAM_ROLES} WHERE rank = {RANK_ADMIN}) "
        "OR principal_key IN (SELECT principal_key FROM denied) THEN 'high' ELSE 'medium' END"
    )
    message = (
        f"{s_('principal')} || ' created ' || {s_('function_name')} || ' with role ' "
        f"|| {s_('fn_role')} || ' and then called ' || {s_('follow_action')} || ' on it'"
    )
    return (
        f"WITH {ctes} SELECT {severity} AS severity, event_time, principal, source_ip, "
        f"user_agent, function, {pair(d)} AS event_ids, {message} AS message, account, region, "
        f"event_name FROM chains WHERE rn = 1 AND {in_window(s)}"
    )


# --------------------------------------------------------------------------- 007/008 sessions


def lambda_sessions(d: Dialect) -> str:
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
        f"SELECT coalesce({d.j('rp', '$.role')}, {d.j('re', '$.role')}) AS r FROM events "
        f"WHERE {LAMBDA} AND action IN ('CreateFunction', 'UpdateFunctionConfiguration') "
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


def creds_outside(d: Dialect, s: HuntSettings) -> str:
    return (
        f"WITH {lambda_sessions(d)} SELECT 'high' AS severity, min(event_time) AS event_time, "
        "principal, source_ip, user_agent, NULL AS function, "
        f"{d.array_agg('event_id')} AS event_ids, "
        "'Lambda execution-role session ' || coalesce(principal, '') || ' made ' "
        "|| CAST(count(*) AS VARCHAR) || ' call(s) from outside Lambda' AS message, "
        "min(account) AS account, min(region) AS region, min(event_name) AS event_name "
        f"FROM lambda_session_events WHERE NOT is_lambda_ua AND NOT is_service AND {in_window(s)} "
        "GROUP BY principal, source_ip, user_agent"
    )


def sensitive_ops(d: Dialect, s: HuntSettings) -> str:
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
    hits = select_hits(d, s, "lambda_session_events", where, severity, message)
    return f"WITH {lambda_sessions(d)} {hits}"


# --------------------------------------------------------------------------- 015 role passed


def role_passed(d: Dialect, s: HuntSettings) -> str:
    """``CreateFunction`` (role in the request or the response) or
    ``UpdateFunctionConfiguration`` changing the role, passing a role that can do more than
    the caller. How much a role can do comes from the inventory (administrator-level,
    escalation paths, privilege-relevant actions) or from the data (an admin policy attached
    to it). The caller can do less when it is a role of the inventory with a lower rank or
    lacking some of those actions (high), or when the data shows it denied an action the
    role allows (high); a caller whose permissions are unknown passing an administrator or
    escalation-capable role is medium. From CI user agents: medium at most."""
    role = (
        f"CASE WHEN action = 'CreateFunction' THEN coalesce({d.j('rp', '$.role')}, "
        f"{d.j('re', '$.role')}) ELSE {d.j('rp', '$.role')} END"
    )
    caller = "coalesce(p.issuer_arn, p.principal)"
    ctes = (
        "passes AS (SELECT event_id, event_time, principal, principal_key, issuer_arn, "
        "source_ip, user_agent, function, function_name, account, region, event_name, action, "
        f"is_ci, {role} AS fn_role FROM events WHERE {LAMBDA} AND {OK} "
        "AND action IN ('CreateFunction', 'UpdateFunctionConfiguration') AND NOT is_service "
        f"AND NOT {deployer_sql(d, s)} AND function IS NOT NULL AND {role} IS NOT NULL "
        f"AND {role} <> coalesce(issuer_arn, '')), "
        f"{admin_roles_cte(d)}, "
        f"roles AS (SELECT arn, name, rank, summary FROM {IAM_ROLES} UNION ALL "
        f"SELECT CAST(NULL AS VARCHAR) AS arn, role_name AS name, {RANK_ADMIN} AS rank, "
        "'an administrator policy was attached to it in the data' AS summary FROM admin_roles), "
        "role_info AS (SELECT p.event_id, max(r.rank) AS role_rank, "
        "max_by(r.summary, r.rank) AS role_summary FROM passes p JOIN roles r "
        f"ON r.arn = p.fn_role OR (r.arn IS NULL AND r.name = {d.name_of('p.fn_role')}) "
        "GROUP BY p.event_id), "
        "caller_info AS (SELECT p.event_id, max(c.rank) AS caller_rank FROM passes p "
        f"JOIN {IAM_ROLES} c ON c.arn = {caller} GROUP BY p.event_id), "
        "extra AS (SELECT p.event_id, count(*) AS extra_n, min(ra.action) AS extra_example "
        f"FROM passes p JOIN {IAM_ROLE_ACTIONS} ra ON ra.arn = p.fn_role "
        f"LEFT JOIN {IAM_ROLE_ACTIONS} ca ON ca.arn = {caller} AND ca.action = ra.action "
        "WHERE ca.action IS NULL GROUP BY p.event_id), "
        "denied AS (SELECT DISTINCT principal_key, lower(split_part(event_source, '.', 1) "
        "|| ':' || action) AS act FROM events WHERE error_code LIKE '%AccessDenied%' "
        "OR error_code LIKE '%Unauthorized%'), "
        "denied_allowed AS (SELECT p.event_id, min(dn.act) AS denied_act FROM passes p "
        "JOIN denied dn ON dn.principal_key = p.principal_key "
        "JOIN role_info ri ON ri.event_id = p.event_id "
        f"LEFT JOIN {IAM_ROLE_ACTIONS} ra ON ra.arn = p.fn_role AND ra.action = dn.act "
        f"WHERE ra.action IS NOT NULL OR ri.role_rank = {RANK_ADMIN} GROUP BY p.event_id), "
        "judged AS (SELECT p.*, ri.role_rank, ri.role_summary, ci.caller_rank, x.extra_n, "
        "x.extra_example, da.denied_act FROM passes p "
        "JOIN role_info ri ON ri.event_id = p.event_id "
        "LEFT JOIN caller_info ci ON ci.event_id = p.event_id "
        "LEFT JOIN extra x ON x.event_id = p.event_id "
        "LEFT JOIN denied_allowed da ON da.event_id = p.event_id)"
    )
    more = "(caller_rank IS NOT NULL AND (role_rank > caller_rank OR coalesce(extra_n, 0) > 0))"
    evidence = f"({more} OR (caller_rank IS NULL AND denied_act IS NOT NULL))"
    severity = (
        f"CASE WHEN {evidence} THEN CASE WHEN is_ci THEN 'medium' ELSE 'high' END "
        f"WHEN caller_rank IS NULL AND role_rank >= {RANK_ESCALATION} THEN 'medium' END"
    )
    reason = (
        f"CASE WHEN {more} THEN '; the caller, a role of the inventory, ' || CASE WHEN "
        "role_rank > caller_rank THEN 'ranks lower' ELSE 'lacks ' || extra_example || "
        "CASE WHEN extra_n > 1 THEN ' (+' || CAST(extra_n - 1 AS VARCHAR) || ' more)' "
        "ELSE '' END END WHEN caller_rank IS NULL AND denied_act IS NOT NULL THEN "
        "'; the role allows ' || denied_act || ', which the caller was denied in the data' "
        "ELSE '; the caller''s own permissions are not in the inventory' END"
    )
    message = (
        f"{s_('principal')} || ' passed role ' || {s_('fn_role')} || ' (' || "
        f"{s_('role_summary')} || ') to ' || {s_('function_name')} || ' with ' || action "
        f"|| {reason}"
    )
    return f"WITH {ctes} " + select_hits(d, s, "judged", "true", severity, message)


# --------------------------------------------------------------------------- 016 read-out

READ_ACTIONS = ("GetFunction", "GetFunctionConfiguration")


def readout(d: Dialect, s: HuntSettings) -> str:
    """A principal new to a function (no earlier event of it naming the function, not a
    configured deployer) reads its configuration or code (``GetFunction``,
    ``GetFunctionConfiguration``), and within ``readout_window_seconds`` the function's role
    is used: assumed by the reader (high), or a session of it calls from outside Lambda
    (high from the reader's address, else medium); or an access key the function holds in
    its environment (inventory fingerprints) is used (high)."""
    window = d.seconds(s.readout_window_seconds)
    sources = lit_list(DETECTION_SOURCES)
    ctes = (
        "fn_roles AS ("
        f"SELECT function_name AS fname, coalesce({d.j('rp', '$.role')}, {d.j('re', '$.role')}) "
        f"AS role FROM events WHERE {LAMBDA} AND {OK} AND function_name IS NOT NULL "
        "AND action IN ('CreateFunction', 'UpdateFunctionConfiguration') "
        f"UNION SELECT {d.j('rp', '$.roleSessionName')} AS fname, {d.j('rp', '$.roleArn')} "
        "AS role FROM events WHERE event_source = 'sts.amazonaws.com' AND action = 'AssumeRole' "
        f"AND invoked_by = 'lambda.amazonaws.com' UNION SELECT name AS fname, role "
        f"FROM {INVENTORY_FUNCTIONS}), "
        + windowed(
            d,
            "lambda_by",
            "count(CASE WHEN error_code IS NULL THEN 1 END) OVER (PARTITION BY function, "
            f"principal_key {PRIOR}) AS seen_before, count(CASE WHEN action IN "
            f"{lit_list(READ_ACTIONS)} THEN 1 END) OVER (PARTITION BY function, principal_key) "
            "AS reads",
            f"{LAMBDA} AND function IS NOT NULL AND NOT is_service",
            keep="seen_before = 0",
        )
        + ", first_reads AS (SELECT * FROM lambda_by WHERE "
        f"action IN {lit_list(READ_ACTIONS)} AND {OK} AND NOT {deployer_sql(d, s)}), "
        # the roles of functions read for the first time: only their use can follow a read
        # (assumed-role calls are the bulk of a trail; the others need not be held)
        "watched AS (SELECT DISTINCT fr.role FROM fn_roles fr JOIN first_reads r "
        "ON fr.fname = r.function_name), "
        "follow AS ("
        "SELECT event_id AS follow_id, event_time AS follow_time, 'assume' AS kind, "
        f"{d.j('rp', '$.roleArn')} AS role, principal_key AS actor, source_ip AS follow_ip, "
        "CAST(NULL AS VARCHAR) AS fname, CAST(NULL AS VARCHAR) AS variable FROM events "
        f"WHERE event_source = 'sts.amazonaws.com' AND action = 'AssumeRole' AND {OK} "
        f"AND NOT is_service AND {d.j('rp', '$.roleArn')} IN (SELECT role FROM watched) "
        "UNION ALL SELECT event_id, event_time, 'session', issuer_arn, principal_key, "
        "source_ip, NULL, NULL FROM events WHERE principal_type = 'AssumedRole' "
        "AND issuer_arn IS NOT NULL AND NOT is_lambda_ua AND NOT is_service "
        "AND issuer_arn IN (SELECT role FROM watched) "
        "UNION ALL SELECT e.event_id, e.event_time, 'key', NULL, e.principal_key, e.source_ip, "
        f"k.name, k.variable FROM events e JOIN {INVENTORY_ENV_KEYS} k "
        f"ON k.fingerprint = {d.fingerprint('e.access_key_id')} "
        f"WHERE e.access_key_id IS NOT NULL AND (e.event_source IN {sources} "
        "OR e.error_code IS NOT NULL)), "
        # two equality joins (the function's name for a key, its role otherwise) rather
        # than one join on a disjunction, which the engine can only run as a nested loop
        "links AS (SELECT r.event_id AS read_id, f.follow_id, f.follow_time, f.kind, "
        "f.follow_ip, f.variable, CAST(NULL AS VARCHAR) AS fn_role FROM first_reads r "
        "JOIN follow f ON f.kind = 'key' AND f.fname = r.function_name "
        f"AND f.follow_time > r.event_time AND f.follow_time <= r.event_time + {window} "
        "UNION ALL SELECT r.event_id, f.follow_id, f.follow_time, f.kind, f.follow_ip, "
        "f.variable, f.role FROM first_reads r "
        "JOIN fn_roles fr ON fr.fname = r.function_name "
        "JOIN follow f ON f.kind <> 'key' AND f.role = fr.role "
        f"AND f.follow_time > r.event_time AND f.follow_time <= r.event_time + {window} "
        "AND coalesce(r.issuer_arn, '') <> fr.role "
        "AND (f.kind = 'session' OR f.actor = r.principal_key)), "
        "chains AS (SELECT r.*, l.follow_id, l.kind, l.follow_ip, l.variable, l.fn_role, "
        "row_number() OVER (PARTITION BY r.event_id ORDER BY l.follow_time, l.follow_id) AS rn "
        "FROM first_reads r JOIN links l ON l.read_id = r.event_id)"
    )
    severity = (
        "CASE WHEN kind IN ('assume', 'key') OR follow_ip = source_ip THEN 'high' ELSE 'medium' END"
    )
    then = (
        "CASE WHEN kind = 'assume' THEN 'assumed its role ' || coalesce(fn_role, '') "
        "WHEN kind = 'key' THEN 'its environment''s access key (' || coalesce(variable, '') "
        "|| ') was used' ELSE 'its role ' || coalesce(fn_role, '') || ' was used from outside "
        "Lambda' || CASE WHEN follow_ip = source_ip THEN ' from the same address' ELSE '' END END"
    )
    message = (
        f"{s_('principal')} || ', new to ' || {s_('function_name')} || ', read its "
        "configuration (' || CAST(reads AS VARCHAR) || ' GetFunction/GetFunctionConfiguration "
        f"call(s)); then ' || {then}"
    )
    return (
        f"WITH {ctes} SELECT {severity} AS severity, event_time, principal, source_ip, "
        f"user_agent, function, {pair(d)} AS event_ids, {message} AS message, account, region, "
        f"event_name FROM chains WHERE rn = 1 AND {in_window(s)}"
    )
