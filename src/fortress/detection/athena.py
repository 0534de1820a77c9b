"""The scale path: the built-in detections as Trino SQL on Amazon Athena.

Athena's standard CloudTrail table (``CREATE EXTERNAL TABLE ... cloudtrail_logs``) has
lowercase columns, ``useridentity`` as a struct and ``requestparameters`` /
``responseelements`` as JSON text. :func:`detection_sql` wraps a detection in a CTE that
normalizes that table into the same ``events`` relation the DuckDB engine uses, so each rule
is written once. Queries run through boto3 (via :class:`AwsClient`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fortress.aws.client import AwsClient
from fortress.detection import iamfacts, rules
from fortress.detection.hunt import row_to_detection
from fortress.detection.model import Detection
from fortress.detection.sql import (
    LAMBDA_FUNCTION_NAMES,
    LAMBDA_FUNCTION_NAMES_SQL,
    LAMBDA_UA_KEYS,
    LAMBDA_UA_KEYS_SQL,
    TRINO,
    HuntSettings,
    lit,
    normalized_query,
)
from fortress.errors import FortressError

_IDENT = re.compile(r"^[A-Za-z0-9_]+$")

ATHENA_RAW = {
    "eventID": "eventid",
    "eventTime": "eventtime",
    "eventSource": "eventsource",
    "eventName": "eventname",
    "awsRegion": "awsregion",
    "sourceIPAddress": "sourceipaddress",
    "userAgent": "useragent",
    "errorCode": "errorcode",
    "eventType": "eventtype",
    "readOnly": "readonly",
    "recipientAccountId": "recipientaccountid",
    "userIdentity": "json_format(CAST(useridentity AS JSON))",
    "requestParameters": "requestparameters",
    "responseElements": "responseelements",
    "additionalEventData": "additionaleventdata",
    "resources": "json_format(CAST(resources AS JSON))",
    "_time": "CAST(try(from_iso8601_timestamp(eventtime)) AS timestamp)",
}


@dataclass(frozen=True)
class AthenaTarget:
    database: str
    table: str
    output: str | None = None
    workgroup: str | None = None

    def __post_init__(self) -> None:
        for name, value in (("database", self.database), ("table", self.table)):
            if not _IDENT.match(value):
                raise FortressError(f"--athena-{name} {value!r}: use letters, digits and _ only")


def _ts(value: datetime) -> str:
    return f"TIMESTAMP {lit(value.strftime('%Y-%m-%d %H:%M:%S'))}"


def detection_sql(
    rule: rules.DetectionRule,
    target: AthenaTarget,
    settings: HuntSettings | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    facts: iamfacts.IamFacts | None = None,
) -> str:
    """The Trino SQL running ``rule`` over the Athena CloudTrail table; the inventory
    tables a rule reads become literal relations of ``facts`` (empty without)."""
    settings = settings or HuntSettings()
    where = []
    if since is not None:
        where.append(f"_time >= {_ts(since)}")
    if until is not None:
        where.append(f"_time <= {_ts(until)}")
    source = f'"{target.database}"."{target.table}"'
    events = normalized_query(TRINO, ATHENA_RAW, settings, source, " AND ".join(where))
    body = rule.sql(TRINO, settings)
    if LAMBDA_UA_KEYS in body:
        events += f"\n),\n{LAMBDA_UA_KEYS} AS (\n{LAMBDA_UA_KEYS_SQL}"
    if LAMBDA_FUNCTION_NAMES in body:
        events += f"\n),\n{LAMBDA_FUNCTION_NAMES} AS (\n{LAMBDA_FUNCTION_NAMES_SQL}"
    for name in iamfacts.TABLES:
        if re.search(rf"\b{name}\b", body):
            rows = facts.rows[name] if facts is not None else []
            events += f"\n),\n{name} AS (\n{iamfacts.values_sql(name, rows)}"
    if body.startswith("WITH "):
        return f"WITH events AS (\n{events}\n),\n{body[5:]}"
    return f"WITH events AS (\n{events}\n)\n{body}"


def _parse_array(text: str | None) -> list[str]:
    if not text:
        return []
    inner = text.strip()
    if inner.startswith("[") and inner.endswith("]"):
        inner = inner[1:-1]
    return [p.strip() for p in inner.split(",") if p.strip()]


def execute(
    aws: AwsClient, sql: str, target: AthenaTarget, poll_seconds: float = 1.0, timeout: float = 900
) -> list[dict[str, Any]] | None:
    """Run one query on Athena; rows as dicts of strings, or None (with a coverage gap)."""
    kwargs: dict[str, Any] = {
        "QueryString": sql,
        "QueryExecutionContext": {"Database": target.database},
    }
    if target.output:
        kwargs["ResultConfiguration"] = {"OutputLocation": target.output}
    if target.workgroup:
        kwargs["WorkGroup"] = target.workgroup
    started = aws.call("athena", None, "start_query_execution", **kwargs)
    if started is None:
        return None
    qid = started["QueryExecutionId"]
    deadline = time.monotonic() + timeout
    while True:
        state_doc = aws.call("athena", None, "get_query_execution", QueryExecutionId=qid)
        if state_doc is None:
            return None
        status = state_doc["QueryExecution"]["Status"]
        state = status.get("State")
        if state == "SUCCEEDED":
            break
        if state in ("FAILED", "CANCELLED"):
            from fortress.findings import CoverageGap

            aws.record(
                CoverageGap(
                    "athena",
                    "start_query_execution",
                    state,
                    str(status.get("StateChangeReason", ""))[:300],
                    resource=qid,
                )
            )
            return None
        if time.monotonic() > deadline:
            raise FortressError(f"Athena query {qid} did not finish within {timeout:.0f} s")
        time.sleep(poll_seconds)
    rows: list[dict[str, Any]] = []
    header: list[str] | None = None
    results = aws.iter_pages("athena", None, "get_query_results", QueryExecutionId=qid)
    for page in results:
        for raw in page.get("ResultSet", {}).get("Rows", []):
            values = [c.get("VarCharValue") for c in raw.get("Data", [])]
            if header is None:
                header = [str(v) for v in values]
                continue
            rows.append(dict(zip(header, values, strict=False)))
    return rows


def hunt_athena(
    aws: AwsClient,
    target: AthenaTarget,
    chosen: Sequence[rules.DetectionRule],
    settings: HuntSettings | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    facts: iamfacts.IamFacts | None = None,
) -> list[Detection]:
    """Run the detections on Athena; failed queries are recorded as coverage gaps on ``aws``."""
    found: list[Detection] = []
    for rule in chosen:
        sql = detection_sql(rule, target, settings, since, until, facts)
        rows = execute(aws, sql, target)
        for row in rows or []:
            row = dict(row)
            row["event_ids"] = _parse_array(row.get("event_ids"))
            found.append(row_to_detection(rule.id, rule.title, rule.technique, row, rule.severity))
    return found
