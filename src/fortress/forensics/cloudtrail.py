"""Which CloudTrail events concern a function; files are read by :mod:`fortress.cloudtrail`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fortress.cloudtrail import iter_events

__all__ = [
    "FUNCTION_EVENT_PREFIXES",
    "concerns_function",
    "event_matches_prefix",
    "function_name_of",
    "iter_events",
    "iter_function_events",
    "parse_time",
]

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
