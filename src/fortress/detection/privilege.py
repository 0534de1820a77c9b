"""Detections of privilege escalation and credential access through Lambda: a new function
run with another role, execution-role credentials used outside Lambda, sensitive calls by
execution roles (FTR-DET-006 to 008)."""

from __future__ import annotations

from fortress.detection.ruledefs import (
    LAMBDA,
    OK,
    deployer_sql,
    in_window,
    pair,
    s_,
    select_hits,
)
from fortress.detection.sql import (
    LAMBDA_FUNCTION_NAMES,
    LAMBDA_UA_KEYS,
    Dialect,
    HuntSettings,
    lit,
)

# --------------------------------------------------------------------------- 006 escalation


ADMIN_POLICIES = ("AdministratorAccess", "IAMFullAccess", "PowerUserAccess")


def escalation(d: Dialect, s: HuntSettings) -> str:
    role = f"coalesce({d.j('rp', '$.role')}, {d.j('re', '$.role')})"
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
        f"AND NOT is_service AND NOT is_ci AND NOT {deployer_sql(d, s)} AND function IS NOT NULL "
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
