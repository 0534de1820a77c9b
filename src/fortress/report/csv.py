"""CSV: one row per finding, for spreadsheets.

Cells are sanitized against formula injection (CSV injection): a cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so that a
spreadsheet shows it as text instead of evaluating it — resource names and tags come from
people we do not trust.
"""

from __future__ import annotations

import csv as _csv
import io
from typing import Any

COLUMNS = (
    "rule_id",
    "severity",
    "status",
    "practice",
    "title",
    "resource_id",
    "resource_type",
    "resource_name",
    "account",
    "region",
    "file",
    "line",
    "message",
    "remediation",
    "suppression",
    "controls",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def sanitize(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def rows(result: Any) -> list[list[str]]:
    out = []
    for f in result.findings:
        r = f.resource
        controls = "; ".join(f"{k}: {', '.join(v)}" for k, v in f.controls.items() if v)
        values = (
            f.rule_id,
            f.severity.label,
            str(f.status),
            str(f.practice),
            f.title,
            r.id,
            r.type,
            r.name,
            r.account,
            r.region,
            r.file,
            r.line,
            f.message,
            f.remediation,
            f.suppression,
            controls,
        )
        out.append([sanitize(v) for v in values])
    return out


def render(result: Any) -> str:
    buffer = io.StringIO()
    writer = _csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(result))
    return buffer.getvalue()


__all__ = ["COLUMNS", "render", "rows", "sanitize"]
