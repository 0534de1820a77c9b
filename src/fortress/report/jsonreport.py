"""The JSON report: a documented, versioned schema (docs/json-schema.md, data/report.schema.json)."""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO, Protocol

import orjson

from fortress import safeio
from fortress.findings import CoverageGap, Finding
from fortress.report import governance

SCHEMA_VERSION = "1.3"  # 1.1: optional `compliance` and `baseline`; 1.2: `related` per finding;
# 1.3: optional `accounts` (organization scans)


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


def head(result: Any, summary: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report document without its findings (see :func:`build`)."""
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
        # Governance sections, present when asked for (--compliance, --baseline).
        **governance.sections(result),
        # Organization scans: one summary per account.
        **(
            {"accounts": accounts}
            if (accounts := getattr(result, "accounts", None)) is not None
            else {}
        ),
    }


def build(result: Any, summary: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report document; ``summary`` is ``result.summary()`` when the caller has it."""
    document = head(result, summary)
    document["findings"] = [f.to_dict() for f in result.findings]
    return document


def _default(value: Any) -> Any:
    """What orjson cannot serialize itself: sets as sorted lists, anything else as text."""
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE
_ITEM_OPTIONS = orjson.OPT_NON_STR_KEYS
# Serialized items are written in chunks of about this many bytes. Counting bytes rather than
# items keeps the transient buffer small whatever an item weighs: 2,000 findings per chunk held
# ~12 MB at the write's peak (the list, its join and the separator concatenation), 11 MB of a
# 1,000-function SAM scan's 92 MB peak; 256 KB chunks cost no measurable time.
_CHUNK_BYTES = 256 * 1024


def dumps(document: Any) -> bytes:
    """One orjson pass over a report document (indented, newline-terminated UTF-8)."""
    return encode(document, _OPTIONS)


def encode(value: Any, option: int = _ITEM_OPTIONS, default: Any = _default) -> bytes:
    """``orjson.dumps``, also for text holding lone surrogates.

    Python's ``json`` (snapshots, Terraform plans, ``jsonencode`` policies) and HCL ``\\u``
    escapes can yield a string with a lone surrogate (``"\\ud800"``), which no UTF-8 encoder
    accepts: such a value is written with U+FFFD in its place instead of aborting the report.
    """
    try:
        return orjson.dumps(value, default=default, option=option)
    except TypeError as exc:
        if "surrogates" not in str(exc):
            raise
        return orjson.dumps(safeio.unicode_safe(value, default), default=default, option=option)


def stream(
    out: BinaryIO,
    document: dict[str, Any],
    key: str,
    items: Iterable[Any],
    *,
    pretty: bool = True,
    transform: Callable[[bytes], bytes] | None = None,
) -> None:
    """Write ``document`` with ``document[key]`` set to the list ``items``, item by item.

    The big list (findings, SARIF results) is never held as one object: each item is
    serialized as it comes and written in batches. Pretty output indents the document and
    puts one compact item per line (greppable; the same JSON value). ``key`` must not be in
    ``document``; a random marker stands in for the list while the rest is serialized, so no
    value from the data can be mistaken for it. ``transform`` rewrites every chunk (the HTML
    report escapes ``<``, ``>`` and ``&`` with it).
    """
    marker = new_marker()
    stream_at(out, {**document, key: marker}, marker, items, pretty=pretty, transform=transform)


def new_marker() -> str:
    """A placeholder no data can contain (random), for :func:`stream_at`."""
    return f"fortress-stream-{secrets.token_hex(16)}"


def stream_at(
    out: BinaryIO,
    document: Any,
    marker: str,
    items: Iterable[Any],
    *,
    pretty: bool = True,
    transform: Callable[[bytes], bytes] | None = None,
) -> None:
    """:func:`stream` with the list's place in ``document`` held by ``marker`` (any depth)."""
    whole = dumps(document) if pretty else encode(document)
    before, after = whole.rsplit(orjson.dumps(marker), 1)
    indent = b""
    if pretty:
        line = before.rsplit(b"\n", 1)[-1]
        indent = b"\n" + line[: len(line) - len(line.lstrip(b" "))] + b"  "
    fix = transform or (lambda chunk: chunk)
    out.write(fix(before) + b"[")
    separator = b"," + indent
    batch: list[bytes] = []
    size = 0
    wrote = False
    for item in items:
        chunk = encode(item)
        batch.append(chunk)
        size += len(chunk)
        if size >= _CHUNK_BYTES:
            out.write(fix((separator if wrote else indent) + separator.join(batch)))
            wrote, batch, size = True, [], 0
    if batch:
        out.write(fix((separator if wrote else indent) + separator.join(batch)))
        wrote = True
    closing = (indent[:-2] if pretty else b"") if wrote else b""
    out.write(fix(closing + b"]" + after))


def write(out: BinaryIO, result: Any, summary: dict[str, Any] | None = None) -> None:
    """The JSON report, streamed: findings are serialized one by one, never all held."""
    stream(out, head(result, summary), "findings", (f.to_dict() for f in result.findings))


def render_bytes(result: Any, summary: dict[str, Any] | None = None) -> bytes:
    buffer = io.BytesIO()
    write(buffer, result, summary)
    return buffer.getvalue()


def render(result: Any) -> str:
    return render_bytes(result).decode("utf-8")
