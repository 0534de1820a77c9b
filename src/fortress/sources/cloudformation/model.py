"""The template model every family module shares: resources, source lines, value coercions."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fortress.inventory import (
    Origin,
    PolicyDocument,
    Unknown,
)
from fortress.sources.cfn_intrinsics import NO_VALUE, first_unknown, show
from fortress.sources.cloudformation import decode

LAMBDA_TRUST: PolicyDocument = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
# Unresolvable policy resources and condition values: never equals "*" nor a real ARN.
UNRESOLVED = "${unresolved}"
# A function property only the SAM expansion writes: SAM's ``SourceKMSKeyArn``, kept beside a
# ``Code`` that may be a local path (a string) until ``aws cloudformation package`` uploads it.
SAM_SOURCE_KEY = "Fortress::SourceKMSKeyArn"
# A function property only the Serverless compiler writes: ``provider.deploymentBucket``, the
# bucket the framework uploads the package to.
PACKAGE_BUCKET = "Fortress::PackageBucket"


@dataclass(slots=True)
class Resource:
    logical_id: str
    type: str
    props: Mapping[str, Any]
    origin: Origin
    # For SAM-generated resources: the SAM resource they came from.
    sam_source: str | None = None


def suppressions_of(metadata: Any) -> tuple[tuple[str, str], ...]:
    """``{fortress: {skip: [{id, reason}]}}`` → ((id, reason), ...); plain ids are allowed too."""
    if not isinstance(metadata, Mapping):
        return ()
    fortress = metadata.get("fortress")
    if not isinstance(fortress, Mapping):
        return ()
    skips = fortress.get("skip")
    if not isinstance(skips, list):
        skips = [skips] if skips else []
    out: list[tuple[str, str]] = []
    for entry in skips:
        if isinstance(entry, Mapping) and entry.get("id"):
            out.append((str(entry["id"]), str(entry.get("reason") or "")))
        elif isinstance(entry, str):
            out.append((entry, ""))
    return tuple(out)


def key_line(mapping: Mapping[str, Any], key: str) -> int | None:
    """1-based line of ``key`` in a decoded mapping (fast or cfn-lint decoding)."""
    return decode.key_line(mapping, key)


def key_lines(mapping: Mapping[str, Any]) -> dict[Any, int]:
    """1-based line of every key of a decoded mapping (``key_line`` for all keys at once)."""
    return decode.key_lines(mapping)


def as_list(value: Any) -> list[Any]:
    if value is None or value is NO_VALUE:
        return []
    if isinstance(value, list):
        return value
    return [value]


def maybe_list(value: Any) -> list[Any]:
    if isinstance(value, Unknown):
        return [value]
    return [v for v in as_list(value) if isinstance(v, (str, Unknown))]


def to_int(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, Unknown)):
        return value
    try:
        return int(str(value))
    except ValueError:
        return Unknown(f"not a number: {show(value)}")


def opt_int(value: Any) -> int | None:
    result = to_int(value) if value is not None else None
    return result if isinstance(result, int) else None


def opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def to_bool(value: Any) -> Any:
    if isinstance(value, (bool, Unknown)):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return Unknown(f"not a boolean: {show(value)}")


def str_or_unknown(value: Any) -> str | Unknown:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        bad = first_unknown(value)
        return bad if bad is not None else json.dumps(value)
    return str(value)


def tags_of(value: Any) -> dict[str, str] | Unknown:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    tags: dict[str, str] = {}
    for tag in as_list(value):
        if isinstance(tag, Mapping) and "Key" in tag:
            tags[str(tag["Key"])] = str(tag.get("Value", ""))
    return tags


def dims_of(value: Any) -> dict[str, str]:
    dims: dict[str, str] = {}
    for dim in as_list(value):
        if isinstance(dim, Mapping) and "Name" in dim:
            dims[str(dim["Name"])] = str(dim.get("Value", ""))
    return dims


def iter_statements(doc: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(doc, Mapping):
        statements = doc.get("Statement", [])
        for st in as_list(statements):
            if isinstance(st, Mapping):
                yield st
