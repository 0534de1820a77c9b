"""The JSON report: a documented, versioned schema (docs/json-schema.md, data/report.schema.json)."""

from __future__ import annotations

import json
from typing import Any, Protocol

from fortress.findings import CoverageGap, Finding
from fortress.report import governance

SCHEMA_VERSION = "1.1"  # 1.1: optional `compliance` and `baseline` sections


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


def build(result: Any) -> dict[str, Any]:
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
        "summary": result.summary(),
        "findings": [f.to_dict() for f in result.findings],
        # Governance sections, present when asked for (--compliance, --baseline).
        **governance.sections(result),
    }


def render(result: Any) -> str:
    return json.dumps(build(result), indent=2, sort_keys=False, default=str) + "\n"
