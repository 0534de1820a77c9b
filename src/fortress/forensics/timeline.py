"""Build a function's timeline from a bundle: CloudTrail, version history and log lines.

Entries are merged in time order. JSON Lines output is importable into Timesketch: every
record carries ``message``, ``datetime`` (ISO 8601, UTC) and ``timestamp_desc``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fortress import safeio
from fortress.errors import InputError
from fortress.forensics.bundle import BundleReader, as_dict, as_list, version_dir
from fortress.forensics.cloudtrail import (
    concerns_function,
    event_matches_prefix,
    function_name_of,
    iter_events,
    parse_time,
)

_API_SUFFIX = re.compile(r"\d{8}(v\d+)?$")
_STREAM_VERSION = re.compile(r"\[([^\]]+)\]")
_START = re.compile(r"^START RequestId: (\S+)(?: Version: (\S+))?")
_ERROR_MARKERS = ("[ERROR]", "ERROR", "Traceback", "Exception", "errorMessage", "Runtime.", "FATAL")


@dataclass
class Entry:
    time: datetime
    source: str  # "cloudtrail" | "lambda" | "logs"
    action: str
    summary: str
    version: str | None = None
    principal: str | None = None
    source_ip: str | None = None
    user_agent: str | None = None
    timestamp_desc: str = "Event Time"
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def iso_time(self) -> str:
        return self.time.astimezone(UTC).isoformat().replace("+00:00", "Z")

    def to_dict(self) -> dict[str, Any]:
        """A Timesketch-importable record (message, datetime, timestamp_desc) plus fields."""
        return {
            "message": self.summary,
            "datetime": self.iso_time,
            "timestamp": int(self.time.timestamp() * 1_000_000),
            "timestamp_desc": self.timestamp_desc,
            "source": self.source,
            "action": self.action,
            "function_version": self.version,
            "actor_principal": self.principal,
            "actor_source_ip": self.source_ip,
            "actor_user_agent": self.user_agent,
            **({"details": self.details} if self.details else {}),
        }


def normalize_event_name(name: str) -> str:
    """``UpdateFunctionCode20150331v2`` -> ``UpdateFunctionCode``."""
    return _API_SUFFIX.sub("", name)


def _principal(identity: Any) -> str | None:
    if not isinstance(identity, dict):
        return None
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
    arn = identity.get("arn")
    if arn:
        return str(arn)
    if issuer.get("arn"):
        return str(issuer["arn"])
    for key in ("invokedBy", "principalId", "type"):
        if identity.get(key):
            return str(identity[key])
    return None


def _event_version(event: dict[str, Any]) -> str | None:
    params = event.get("requestParameters") or {}
    response = event.get("responseElements") or {}
    if not isinstance(params, dict):
        params = {}
    if not isinstance(response, dict):
        response = {}
    for value in (params.get("qualifier"), params.get("functionVersion"), response.get("version")):
        if value:
            return str(value)
    name = params.get("functionName")
    if isinstance(name, str):
        qualifier = function_name_of(name)[1]
        if qualifier:
            return qualifier
    return None


def _event_summary(action: str, event: dict[str, Any]) -> str:
    params = (
        event.get("requestParameters") if isinstance(event.get("requestParameters"), dict) else {}
    )
    response = (
        event.get("responseElements") if isinstance(event.get("responseElements"), dict) else {}
    )
    assert isinstance(params, dict) and isinstance(response, dict)
    bits: list[str] = [action]
    if action == "UpdateFunctionCode" or action == "CreateFunction":
        if response.get("codeSha256"):
            bits.append(f"code sha256 {response['codeSha256']}")
    elif action == "UpdateFunctionConfiguration":
        changed = sorted(k for k in params if k not in ("functionName",))
        if changed:
            bits.append("changed " + ", ".join(changed))
        if params.get("layers"):
            bits.append("layers " + ", ".join(str(x) for x in params["layers"]))
        if params.get("role"):
            bits.append(f"role {params['role']}")
    elif action in ("AddPermission", "RemovePermission"):
        for key in ("statementId", "principal", "action", "functionUrlAuthType", "sourceArn"):
            if params.get(key):
                bits.append(f"{key}={params[key]}")
    elif action.endswith("FunctionUrlConfig"):
        if params.get("authType"):
            bits.append(f"authType={params['authType']}")
    elif action in ("PublishVersion",):
        if response.get("version"):
            bits.append(f"version {response['version']}")
    elif action in ("CreateAlias", "UpdateAlias", "DeleteAlias"):
        for key in ("name", "functionVersion"):
            if params.get(key):
                bits.append(f"{key}={params[key]}")
    elif action.endswith("EventSourceMapping"):
        for key in ("eventSourceArn", "uUID", "uuid", "enabled"):
            if params.get(key) is not None:
                bits.append(f"{key}={params[key]}")
    elif (
        action == "PutFunctionConcurrency"
        and params.get("reservedConcurrentExecutions") is not None
    ):
        bits.append(f"reserved={params['reservedConcurrentExecutions']}")
    if event.get("errorCode"):
        bits.append(
            f"FAILED ({event['errorCode']}: {event.get('errorMessage', '')})".rstrip(": )") + ")"
        )
    return " ".join(bits)


def cloudtrail_entry(event: dict[str, Any]) -> Entry | None:
    name = str(event.get("eventName") or "")
    when = parse_time(event.get("eventTime"))
    if not name or when is None or not event_matches_prefix(name):
        return None
    action = normalize_event_name(name)
    return Entry(
        time=when,
        source="cloudtrail",
        action=action,
        summary=_event_summary(action, event),
        version=_event_version(event),
        principal=_principal(event.get("userIdentity")),
        source_ip=event.get("sourceIPAddress"),
        user_agent=event.get("userAgent"),
        timestamp_desc="Event Time",
        details={
            k: event[k] for k in ("eventID", "eventName", "awsRegion", "errorCode") if event.get(k)
        },
    )


def from_millis(stamp: float) -> datetime | None:
    """A log event's epoch-milliseconds as UTC, or None for values no calendar holds (1e30)."""
    try:
        return datetime.fromtimestamp(stamp / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def log_entry(event: dict[str, Any], include_all: bool = False) -> Entry | None:
    message = str(event.get("message") or "").rstrip()
    stamp = event.get("timestamp")
    if not isinstance(stamp, int | float) or isinstance(stamp, bool) or not message:
        return None
    when = from_millis(stamp)
    if when is None:
        return None
    stream = str(event.get("logStreamName") or "")
    match = _STREAM_VERSION.search(stream)
    version = match.group(1) if match else None
    start = _START.match(message)
    if start:
        action = "invocation-start"
        version = start.group(2) or version
    elif message.startswith("END RequestId"):
        action = "invocation-end"
    elif message.startswith("REPORT RequestId"):
        action = "timeout" if "Status: timeout" in message else "invocation-report"
    elif "Task timed out" in message:
        action = "timeout"
    elif any(marker in message for marker in _ERROR_MARKERS):
        action = "error"
    elif include_all:
        action = "log"
    else:
        return None
    summary = message if len(message) <= 300 else message[:297] + "..."
    return Entry(
        time=when,
        source="logs",
        action=action,
        summary=summary.replace("\n", " ").replace("\t", " "),
        version=version,
        timestamp_desc="Log Time",
        details={"logStreamName": stream} if stream else {},
    )


def version_entries(reader: BundleReader, versions: Iterable[str]) -> Iterator[Entry]:
    for version in versions:
        path = f"versions/{version_dir(version)}/function.json"
        if not reader.exists(path):
            continue
        config = as_dict(as_dict(reader.read_json(path)).get("Configuration"))
        when = parse_time(config.get("LastModified"))
        if when is None:
            continue
        if version == "$LATEST":
            action, desc = "LatestLastModified", "Last Modified"
            summary = f"$LATEST last modified (code sha256 {config.get('CodeSha256')})"
        else:
            action, desc = "VersionPublished", "Version Published"
            summary = f"version {version} published (code sha256 {config.get('CodeSha256')})"
        yield Entry(
            time=when,
            source="lambda",
            action=action,
            summary=summary,
            version=version,
            timestamp_desc=desc,
            details={"handler": config.get("Handler"), "runtime": config.get("Runtime")},
        )


def read_detections(path: Path) -> list[dict[str, Any]]:
    """Detections written by ``fortress hunt`` (``--format json`` or ``jsonl``)."""
    data = safeio.read_bytes(path, safeio.cap("json"), what="detections file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(
            str(path), "not a `fortress hunt` JSON or JSONL output (not UTF-8 text)"
        ) from None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        document = None
    if isinstance(document, dict) and isinstance(document.get("detections"), list):
        return [d for d in document["detections"] if isinstance(d, dict)]
    found: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except (ValueError, RecursionError):
            raise InputError(
                str(path), "not a `fortress hunt` JSON or JSONL output", number
            ) from None
        if isinstance(item, dict) and "rule_id" in item:
            found.append(item)
    return found


def detection_entry(detection: dict[str, Any]) -> Entry | None:
    """A marked timeline entry for one detection of ``fortress hunt``."""
    when = parse_time(detection.get("time"))
    if when is None:
        return None
    rule_id = str(detection.get("rule_id") or "detection")
    severity = str(detection.get("severity") or "")
    title = str(detection.get("title") or "")
    message = str(detection.get("message") or "")
    return Entry(
        time=when,
        source="detection",
        action=rule_id,
        summary=f"DETECTION [{severity}] {rule_id} {title}: {message}".strip(),
        principal=detection.get("principal"),
        source_ip=detection.get("source_ip"),
        user_agent=detection.get("user_agent"),
        timestamp_desc="Detection Time",
        details={
            "marked": True,
            "rule_id": rule_id,
            "severity": severity,
            "event_ids": [str(i) for i in as_list(detection.get("event_ids"))],
        },
    )


def build_timeline(
    bundle: str | Path,
    extra_cloudtrail: Iterable[Path] = (),
    include_all_logs: bool = False,
    detections: Iterable[Path] = (),
    problems: list[str] | None = None,
) -> list[Entry]:
    """Every timeline entry of the bundle (plus extra CloudTrail files), in time order.

    Detections from ``fortress hunt`` outputs are added as marked entries when they name the
    bundle's function or one of the CloudTrail events on the timeline. Records left out
    because their time is not a time (``1e30``, garbage) are listed in ``problems``.
    """
    problems = problems if problems is not None else []
    entries: list[Entry] = []
    seen_ids: set[str] = set()
    with BundleReader(bundle) as reader:
        manifest = reader.manifest()
        function = as_dict(manifest.get("function"))
        name = str(function.get("name") or "")
        versions = [str(v) for v in as_list(function.get("versions"))]

        def add_event(event: dict[str, Any]) -> None:
            event_id = event.get("eventID")
            if isinstance(event_id, str):
                if event_id in seen_ids:
                    return
                seen_ids.add(event_id)
            entry = cloudtrail_entry(event)
            if entry is not None:
                entries.append(entry)
            elif parse_time(event.get("eventTime")) is None and event_matches_prefix(
                str(event.get("eventName") or "")
            ):
                problems.append(
                    f"CloudTrail event {event_id or '?'}: eventTime "
                    f"{str(event.get('eventTime'))[:40]!r} is not a time; left out"
                )

        if reader.exists("cloudtrail/events.jsonl"):
            for event in reader.iter_jsonl("cloudtrail/events.jsonl"):
                add_event(event)
        for path in extra_cloudtrail:
            for event in iter_events(path):
                if concerns_function(event, name):
                    add_event(event)
        entries.extend(version_entries(reader, versions))
        for path in detections:
            for detection in read_detections(path):
                about = str(detection.get("function") or "")
                ids = {str(i) for i in as_list(detection.get("event_ids"))}
                if (name and function_name_of(about)[0] == name) or ids & seen_ids:
                    entry = detection_entry(detection)
                    if entry is not None:
                        entries.append(entry)
        if reader.exists("logs/events.jsonl"):
            for record in reader.iter_jsonl("logs/events.jsonl"):
                entry = log_entry(record, include_all_logs)
                if entry is not None:
                    entries.append(entry)
                    continue
                stamp = record.get("timestamp")
                if isinstance(stamp, int | float) and from_millis(stamp) is None:
                    problems.append(
                        f"log event timestamp {str(stamp)[:40]!r} is not a time; left out"
                    )
    order = {"lambda": 0, "cloudtrail": 1, "detection": 2, "logs": 3}
    entries.sort(key=lambda e: (e.time, order.get(e.source, 9)))
    return entries


# --------------------------------------------------------------------------- output

CSV_COLUMNS = (
    "datetime",
    "timestamp_desc",
    "message",
    "source",
    "action",
    "function_version",
    "actor_principal",
    "actor_source_ip",
    "actor_user_agent",
)


def _csv_safe(value: Any) -> str:
    text = "" if value is None else str(value)
    # Spreadsheet formula injection: account data (names, user agents) can be hostile.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_jsonl(entries: Iterable[Entry]) -> Iterator[str]:
    for entry in entries:
        yield json.dumps(entry.to_dict(), sort_keys=True, default=str) + "\n"


def to_csv(entries: Iterable[Entry]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    for entry in entries:
        buffer.seek(0)
        buffer.truncate()
        record = entry.to_dict()
        writer.writerow([_csv_safe(record.get(c)) for c in CSV_COLUMNS])
        yield buffer.getvalue()
