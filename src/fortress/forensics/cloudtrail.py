"""A small streaming reader of exported CloudTrail files, and function-event matching.

Reads S3 delivery folders (``.json.gz`` files holding ``{"Records": [...]}``), plain JSON files
(``{"Records": [...]}`` or a JSON array of events), and JSON Lines (one event, or one
``{"Records": [...]}`` object, per line). Records are decoded one at a time from a bounded
buffer, so a large file is never held whole in memory.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from fortress.errors import InputError

_CHUNK = 1024 * 1024
_SUFFIXES = (".json.gz", ".jsonl.gz", ".json", ".jsonl", ".ndjson", ".gz")
_RECORDS_HEAD = re.compile(r'\s*\{\s*"Records"\s*:\s*\[')

# Lambda event names (prefix match: the API carries version suffixes such as
# ``UpdateFunctionCode20150331v2``) that change or describe a function.
FUNCTION_EVENT_PREFIXES = (
    "CreateFunction",
    "UpdateFunctionCode",
    "UpdateFunctionConfiguration",
    "DeleteFunction",
    "PublishVersion",
    "CreateAlias",
    "UpdateAlias",
    "DeleteAlias",
    "AddPermission",
    "RemovePermission",
    "CreateFunctionUrlConfig",
    "UpdateFunctionUrlConfig",
    "DeleteFunctionUrlConfig",
    "PutFunctionConcurrency",
    "DeleteFunctionConcurrency",
    "PutProvisionedConcurrencyConfig",
    "DeleteProvisionedConcurrencyConfig",
    "CreateEventSourceMapping",
    "UpdateEventSourceMapping",
    "DeleteEventSourceMapping",
    "PutFunctionEventInvokeConfig",
    "UpdateFunctionEventInvokeConfig",
    "DeleteFunctionEventInvokeConfig",
    "PutFunctionCodeSigningConfig",
    "DeleteFunctionCodeSigningConfig",
    "PutRuntimeManagementConfig",
    "PutFunctionRecursionConfig",
    "TagResource",
    "UntagResource",
    "Invoke",
)


def event_matches_prefix(name: str) -> bool:
    return name.startswith(FUNCTION_EVENT_PREFIXES)


def _files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and child.name.lower().endswith(_SUFFIXES):
                yield child
    elif path.is_file():
        yield path
    else:
        raise InputError(str(path), "no such CloudTrail file or folder")


def _open_text(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.GzipFile(path, "rb"), encoding="utf-8", errors="replace")
    return path.open("r", encoding="utf-8", errors="replace")


def _stream_array(handle: IO[str], buffer: str, label: str) -> Iterator[Any]:
    """Decode the elements of a JSON array whose ``[`` has just been consumed."""
    decoder = json.JSONDecoder()
    pos = 0
    eof = False
    while True:
        while pos < len(buffer) and buffer[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(buffer):
            if eof:
                raise InputError(label, "unterminated JSON array")
            buffer = handle.read(_CHUNK)
            pos = 0
            eof = not buffer
            continue
        if buffer[pos] == "]":
            return
        try:
            value, end = decoder.raw_decode(buffer, pos)
        except json.JSONDecodeError as exc:
            more = "" if eof else handle.read(_CHUNK)
            if not more:
                raise InputError(label, f"bad JSON: {exc.msg}") from exc
            buffer = buffer[pos:] + more
            pos = 0
            continue
        yield value
        pos = end
        if pos > _CHUNK:
            buffer = buffer[pos:]
            pos = 0


def _records(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict) and isinstance(value.get("Records"), list):
        yield from (r for r in value["Records"] if isinstance(r, dict))
    elif isinstance(value, list):
        yield from (r for r in value if isinstance(r, dict))
    elif isinstance(value, dict):
        yield value


def iter_file(path: Path) -> Iterator[dict[str, Any]]:
    label = str(path)
    try:
        with _open_text(path) as handle:
            head = handle.read(_CHUNK)
            stripped = head.lstrip()
            if not stripped:
                return
            match = _RECORDS_HEAD.match(head)
            if match:
                yield from _stream_array(handle, head[match.end() :], label)
                return
            if stripped.startswith("["):
                yield from _stream_array(handle, stripped[1:], label)
                return
            # JSON Lines (or a single small object): one JSON value per line.
            rest = head
            number = 0
            while True:
                lines = rest.split("\n")
                more = handle.read(_CHUNK)
                rest = lines.pop() + more if more else ""
                for line in lines:
                    number += 1
                    if line.strip():
                        try:
                            yield from _records(json.loads(line))
                        except json.JSONDecodeError as exc:
                            raise InputError(label, f"bad JSON ({exc.msg})", line=number) from exc
                if not more:
                    return
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(label, f"cannot read CloudTrail file: {exc}") from exc


def iter_events(path: str | Path) -> Iterator[dict[str, Any]]:
    """Every CloudTrail record under ``path`` (a file or a folder), streamed."""
    for file in _files(Path(path)):
        yield from iter_file(file)


# --------------------------------------------------------------------------- matching


def parse_time(text: Any) -> datetime | None:
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=UTC)
    if not isinstance(text, str) or not text:
        return None
    value = text.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def function_name_of(value: str) -> tuple[str, str | None]:
    """``(name, qualifier)`` from a function name, full/partial ARN, or ``name:qualifier``."""
    rest = value.split(":function:", 1)[1] if ":function:" in value else value
    name, _, qualifier = rest.partition(":")
    return name, qualifier or None


def concerns_function(event: dict[str, Any], name: str, arn: str | None = None) -> bool:
    """True when the event is about the function ``name`` (any qualifier)."""
    params = event.get("requestParameters")
    if isinstance(params, dict):
        for key in ("functionName", "FunctionName", "functionArn", "resource", "resourceArn"):
            value = params.get(key)
            if (
                isinstance(value, str)
                and function_name_of(value)[0] == name
                and (":function:" in value or key.lower().startswith("function"))
            ):
                return True
    response = event.get("responseElements")
    if isinstance(response, dict):
        for key in ("functionName", "functionArn"):
            value = response.get(key)
            if isinstance(value, str) and function_name_of(value)[0] == name:
                return True
    for resource in event.get("resources") or []:
        if isinstance(resource, dict):
            value = resource.get("ARN") or resource.get("arn")
            if (
                isinstance(value, str)
                and ":function:" in value
                and function_name_of(value)[0] == name
            ):
                return True
    return False


def iter_function_events(
    path: str | Path,
    name: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """CloudTrail records under ``path`` about function ``name`` within the window."""
    for event in iter_events(path):
        if not concerns_function(event, name):
            continue
        when = parse_time(event.get("eventTime"))
        if when is not None and ((since and when < since) or (until and when > until)):
            continue
        yield event
