"""The HTML report: one self-contained page built from the JSON report document.

No CDN, no network, no external file: CSS, JavaScript and the charts (inline SVG) are in the
page, so it opens from disk or an e-mail attachment. Everything from the account or template
is hostile: the server-rendered parts go through Jinja2 autoescaping, and the findings travel
as JSON inside ``<script type="application/json">`` with every ``<``, ``>`` and ``&`` written
as a ``\\u`` escape, so neither ``</script>`` nor ``<!--`` in a value can end the block. The
page's script builds the findings list with ``textContent`` only, never ``innerHTML``.

The page reads its filters from the URL fragment (``#status=fail&severity=high,critical&
practice=secrets&region=eu-west-1&account=…&q=orders&tab=gaps&limit=all``) and writes them
back when a control changes, so a filtered view is a link, and a headless browser can be driven
by URL alone (the tests do).
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from fortress.findings import Practice, Severity
from fortress.report import jsonreport
from fortress.report.jsonreport import new_marker, stream

TEMPLATES = Path(__file__).parent / "templates"

SEVERITIES = [s.label for s in reversed(Severity)]
STATUSES = ["fail", "unknown", "suppressed", "pass"]
SEVERITY_COLOURS = {
    "critical": "#7f1d1d",
    "high": "#dc2626",
    "medium": "#d97706",
    "low": "#0891b2",
    "info": "#6b7280",
}


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda part, whole: 0 if not whole else round(100 * part / whole, 1)
    return env


@cache
def _script() -> dict[str, Any]:
    """The page's script and its CSP hash: only this exact script may run in the page, so even
    an injected ``onerror=`` attribute (were escaping ever to fail) would be refused."""
    text = (TEMPLATES / "report.js").read_text(encoding="utf-8")
    if "</" in text:  # would end the <script> element early
        raise ValueError("report.js must not contain '</'")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return {"script": Markup(text), "script_hash": f"sha256-{digest}"}


def _escape_chunk(chunk: bytes) -> bytes:
    """JSON text made inert inside a <script> element: ``<``, ``>``, ``&`` and the JS line
    separators as ``\\u`` escapes (the same JSON value)."""
    return (
        chunk.replace(b"<", b"\\u003c")
        .replace(b">", b"\\u003e")
        .replace(b"&", b"\\u0026")
        .replace("\u2028".encode(), b"\\u2028")
        .replace("\u2029".encode(), b"\\u2029")
    )


def embed_json(value: Any) -> Markup:
    """JSON safe to place inside ``<script type="application/json">``: no ``<``, ``>`` or ``&``
    survive, so no value can close the element or open an HTML comment."""
    data = jsonreport.encode(value, orjson.OPT_NON_STR_KEYS, default=str)
    return Markup(_escape_chunk(data).decode("utf-8"))


def _practice_heading(value: str) -> str:
    try:
        return Practice(value).heading
    except ValueError:
        return value


def _practices(summary: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for value, counts in summary.get("by_practice", {}).items():
        decided = counts.get("pass", 0) + counts.get("fail", 0)
        rows.append(
            {
                "id": value,
                "name": _practice_heading(value),
                "counts": counts,
                "total": sum(counts.values()),
                "score": None if not decided else round(100 * counts.get("pass", 0) / decided),
            }
        )
    order = {p.value: i for i, p in enumerate(Practice)}
    return sorted(rows, key=lambda r: order.get(r["id"], len(order)))


def _score(summary: dict[str, Any]) -> int | None:
    by_status = summary.get("by_status", {})
    decided = by_status.get("pass", 0) + by_status.get("fail", 0)
    return None if not decided else round(100 * by_status.get("pass", 0) / decided)


def write(
    out: BinaryIO,
    head: dict[str, Any],
    findings: Iterable[dict[str, Any]],
    snippets: dict[str, dict[str, str]] | None = None,
) -> None:
    """The posture report page, streamed: ``head`` is the JSON report document without its
    findings (``jsonreport.head``), ``findings`` its finding dicts, serialized one by one into
    the page's data block (escaped as :func:`embed_json` does).

    ``snippets`` (rule id → {"cli"|"cloudformation"|"terraform": text}) adds the rules'
    remediation snippets to each finding's details; the CLI passes them from the catalogue.
    A top-level ``compliance`` key (per-framework control summaries) fills the compliance tab.
    """
    summary = head.get("summary", {})
    failures = summary.get("failures_by_severity", {})
    marker = new_marker()
    context = {
        "doc": head,
        "summary": summary,
        "score": _score(summary),
        "practices": _practices(summary),
        "severities": SEVERITIES,
        "statuses": STATUSES,
        "colours": SEVERITY_COLOURS,
        "failures": failures,
        "max_failures": max([1, *failures.values()]),
        "total": summary.get("total", 0),
        "practice_options": [(p.value, p.heading) for p in Practice],
        "compliance": head.get("compliance"),
        "gaps": head.get("coverage_gaps", []),
        "data_json": Markup(marker),
        **_script(),
    }
    page = _environment().get_template("report.html.j2").render(context)
    before, after = page.split(marker, 1)  # random: no data can contain it
    out.write(before.encode("utf-8", "replace"))  # "replace": lone surrogates (see encode)
    data = {"snippets": snippets or {}, "severities": SEVERITIES}
    stream(out, data, "findings", findings, pretty=False, transform=_escape_chunk)
    out.write(after.encode("utf-8", "replace"))


def render(document: dict[str, Any], snippets: dict[str, dict[str, str]] | None = None) -> str:
    """The posture report page for a whole JSON report document (``jsonreport.build``)."""
    head = {k: v for k, v in document.items() if k != "findings"}
    buffer = io.BytesIO()
    write(buffer, head, document.get("findings", []), snippets)
    return buffer.getvalue().decode("utf-8")


def render_hunt(document: dict[str, Any]) -> str:
    """The hunt page for ``HuntResult.to_dict()``: counts, a timeline chart, the detections."""
    detections = sorted(document.get("detections", []), key=lambda d: str(d.get("time") or ""))
    times = [d["time"] for d in detections if d.get("time")]
    by_rule: dict[str, dict[str, Any]] = {}
    for d in detections:
        entry = by_rule.setdefault(
            d["rule_id"],
            {"rule_id": d["rule_id"], "title": d["title"], "severity": d["severity"], "count": 0},
        )
        entry["count"] += 1
    order = {s: i for i, s in enumerate(SEVERITIES)}
    context = {
        "doc": document,
        "detections": detections,
        "rules": sorted(
            by_rule.values(), key=lambda r: (order.get(r["severity"], 9), r["rule_id"])
        ),
        "points": _timeline_points(detections),
        "first": times[0] if times else None,
        "last": times[-1] if times else None,
        "severities": SEVERITIES,
        "colours": SEVERITY_COLOURS,
        "by_severity": {
            s: sum(1 for d in detections if d.get("severity") == s) for s in SEVERITIES
        },
    }
    return _environment().get_template("hunt.html.j2").render(context)


def _timeline_points(detections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """x position (0 to 1000) of each timed detection on the chart, by its time."""
    from datetime import datetime

    stamped = []
    for d in detections:
        try:
            when = datetime.fromisoformat(str(d.get("time") or "").replace("Z", "+00:00"))
        except ValueError:
            continue
        stamped.append((when.timestamp(), d))
    if not stamped:
        return []
    low = min(t for t, _ in stamped)
    span = (max(t for t, _ in stamped) - low) or 1.0
    lanes = {s: i for i, s in enumerate(SEVERITIES)}
    return [
        {
            "x": round(20 + 960 * (t - low) / span, 1),
            "y": 20 + 24 * lanes.get(str(d.get("severity")), 4),
            "colour": SEVERITY_COLOURS.get(str(d.get("severity")), "#6b7280"),
            "label": f"{d.get('time')} {d.get('rule_id')} {d.get('title')}",
        }
        for t, d in stamped
    ]
