"""The JSON report: a documented, versioned schema (docs/json-schema.md, data/report.schema.json)."""

from __future__ import annotations

from typing import Any, Protocol

import orjson

from fortress.findings import CoverageGap, Finding

SCHEMA_VERSION = "1.0"


class ScanLike(Protocol):
    findings: list[Finding]
    gaps: list[CoverageGap]
    tool: str
    version: str

    def summary(self) -> dict[str, Any]: ...


def gap_groups(gaps: list[CoverageGap]) -> list[dict[str, Any]]:
    """Gaps grouped by (account, region, service, operation, error) with a count.

    A denied per-function call on 2,000 functions is one line with ``count: 2000`` and a few
    example resources, not 2,000 lines.
    """
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for gap in gaps:
        key = (gap.account, gap.region, gap.service, gap.operation, gap.error_code)
        entry = groups.get(key)
        if entry is None:
            entry = groups[key] = {
                "account": gap.account,
                "region": gap.region,
                "service": gap.service,
                "operation": gap.operation,
                "error_code": gap.error_code,
                "message": gap.message,
                "count": 0,
                "resources": [],
            }
        entry["count"] += 1
        if gap.resource and len(entry["resources"]) < 10:
            entry["resources"].append(gap.resource)
    return sorted(groups.values(), key=lambda g: (str(g["region"]), g["service"], g["operation"]))


def build(result: Any, summary: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report document; ``summary`` is ``result.summary()`` when the caller has it."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": result.tool, "version": result.version},
        "scan": {
            "started_at": result.started_at.isoformat(),
            "finished_at": result.finished_at.isoformat(),
            "duration_seconds": round((result.finished_at - result.started_at).total_seconds(), 3),
        },
        "sources": [s.to_dict() for s in result.sources],
        "coverage_gaps": gap_groups(result.gaps),
        "input_errors": [
            {"file": e.file, "line": e.line, "message": e.message} for e in result.input_errors
        ],
        "input_warnings": [
            {"file": e.file, "line": e.line, "message": e.message} for e in result.input_warnings
        ],
        "summary": summary if summary is not None else result.summary(),
        "findings": [f.to_dict() for f in result.findings],
    }


def _default(value: Any) -> Any:
    """What orjson cannot serialize itself: sets as sorted lists, anything else as text."""
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE


def dumps(document: Any) -> bytes:
    """One orjson pass over a report document (indented, newline-terminated UTF-8)."""
    return orjson.dumps(document, default=_default, option=_OPTIONS)


def render_bytes(result: Any, summary: dict[str, Any] | None = None) -> bytes:
    return dumps(build(result, summary))


def render(result: Any) -> str:
    return render_bytes(result).decode("utf-8")
