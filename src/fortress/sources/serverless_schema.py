"""The shape a ``serverless.yml`` must have, field by field, and how names and lines are read.

A field of the wrong type (``events`` a string, ``layers`` a mapping, ``provider`` a string) is
reported by the Serverless source as an input error naming file, function and property; the
field is left out and the rest of the service is compiled.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from fortress.sources.serverless_vars import line_of

_STR, _INT, _MAP, _LIST, _BOOL = (str,), (int, str), (Mapping,), (list,), (bool,)
# The type each field must have (an intrinsic ``{Ref: ...}``/``{Fn::...}`` passes for a string);
# a field of another type is an input error and is left out, and the rest is compiled.
PROVIDER_FIELDS: dict[str, tuple[type, ...]] = {
    "name": _STR,
    "runtime": _STR,
    "stage": _STR,
    "region": _STR,
    "memorySize": _INT,
    "timeout": _INT,
    "environment": _MAP,
    "layers": _LIST,
    "iam": _MAP,
    "iamRoleStatements": _LIST,
    "iamManagedPolicies": _LIST,
    "role": _STR,
    "tags": _MAP,
    "vpc": _MAP,
    "logs": _MAP,
    "tracing": _MAP,
    "apiGateway": _MAP,
    "httpApi": _MAP,
    "logRetentionInDays": _INT,
    "kmsKeyArn": _STR,
    "deploymentBucket": (str, Mapping),
    "runtimeManagement": (str, Mapping),
}
FUNCTION_FIELDS: dict[str, tuple[type, ...]] = {
    "name": _STR,
    "handler": _STR,
    "runtime": _STR,
    "image": (str, Mapping),
    "role": _STR,
    "memorySize": _INT,
    "timeout": _INT,
    "environment": _MAP,
    "events": _LIST,
    "layers": _LIST,
    "vpc": _MAP,
    "tags": _MAP,
    "url": (bool, Mapping),
    "fileSystemConfig": _MAP,
    "destinations": _MAP,
    "kmsKeyArn": _STR,
    "tracing": (str, bool),
    "reservedConcurrency": _INT,
    "ephemeralStorageSize": _INT,
    "disableLogs": _BOOL,
    "onError": _STR,
    "runtimeManagement": (str, Mapping),
    "logs": _MAP,
}


TYPE_WORDS = {
    str: "a string",
    int: "a number",
    bool: "true or false",
    list: "a list",
    Mapping: "a mapping",
}


def is_intrinsic(value: Any) -> bool:
    """``{Ref: ...}`` or ``{Fn::...: ...}``: a value CloudFormation computes (a string)."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return False
    only = str(next(iter(value)))
    return only == "Ref" or only.startswith("Fn::")


def fits(value: Any, types: tuple[type, ...]) -> bool:
    if str in types and is_intrinsic(value):
        return True
    if bool not in types and isinstance(value, bool):
        return False
    return isinstance(value, types)


def name_text(value: Any, raw: Any, fallback: str) -> str:
    """A name part as text: the resolved value, else the variable as written (never a repr)."""
    if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
        return str(value)
    if isinstance(raw, str) and raw:
        return str(raw)
    return fallback


def line_of_item(items: Any, index: int) -> int | None:
    """The line of ``items[index]`` in a line-aware list (its first key or its text)."""
    if not isinstance(items, list) or index >= len(items):
        return None
    item = items[index]
    if isinstance(item, Mapping):
        for k in item:
            found = line_of(k)
            if found is not None:
                return found
    return line_of(item)


ROLE_FIELDS: dict[str, tuple[type, ...]] = {
    "statements": _LIST,
    "managedPolicies": _LIST,
    "name": _STR,
}


def wrong_fields(
    values: Mapping[str, Any], fields: Mapping[str, tuple[type, ...]]
) -> Iterator[tuple[str, str]]:
    """``(field, "must be X")`` for each field whose value has the wrong type (Unknown passes)."""
    from fortress.inventory import Unknown

    for key, types in fields.items():
        value = values.get(key)
        if value is None or isinstance(value, Unknown) or fits(value, types):
            continue
        yield key, " or ".join(sorted({TYPE_WORDS[t] for t in types}))
