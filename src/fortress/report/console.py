"""The console report: a per-practice summary and the findings grouped by severity.

Renders Rich objects; the CLI prints them. All account data goes in as ``Text`` (never as
markup), so a hostile function name or tag cannot inject console markup.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from fortress.findings import Finding, Practice, Severity, Status
from fortress.report.jsonreport import gap_groups

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def _where(f: Finding) -> str:
    r = f.resource
    if r.file:
        loc = f"{r.file}:{r.line}" if r.line else r.file
        return f"{loc} ({r.logical_id})" if r.logical_id else loc
    region = f" [{r.region}]" if r.region else ""
    return f"{r.name}{region}"


def _count(n: int, plural: str) -> str:
    noun = plural.replace("_", " ")
    return f"{n} {noun[:-1] if n == 1 and noun.endswith('s') else noun}"


def practice_table(findings: list[Finding]) -> Table:
    table = Table(title="Posture by practice", title_justify="left", expand=False)
    table.add_column("Practice")
    table.add_column("Fail", justify="right", style="red")
    table.add_column("Pass", justify="right", style="green")
    table.add_column("Unknown", justify="right", style="yellow")
    table.add_column("Suppressed", justify="right", style="dim")
    table.add_column("Worst", justify="left")
    counts: dict[Practice, dict[Status, int]] = {p: defaultdict(int) for p in Practice}
    worst: dict[Practice, Severity | None] = dict.fromkeys(Practice)
    for f in findings:
        counts[f.practice][f.status] += 1
        if f.status is Status.FAIL:
            current = worst[f.practice]
            if current is None or f.severity > current:
                worst[f.practice] = f.severity
    for practice in Practice:
        c = counts[practice]
        w = worst[practice]
        table.add_row(
            practice.heading,
            str(c[Status.FAIL]),
            str(c[Status.PASS]),
            str(c[Status.UNKNOWN]),
            str(c[Status.SUPPRESSED]),
            Text(w.label, style=SEVERITY_STYLE[w]) if w is not None else Text("-"),
        )
    return table


def findings_table(findings: list[Finding], status: Status, title: str) -> Table | None:
    rows = [f for f in findings if f.status is status]
    if not rows:
        return None
    table = Table(title=title, title_justify="left", show_lines=False, expand=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Rule", no_wrap=True)
    table.add_column("Resource", overflow="fold", ratio=2)
    table.add_column("Finding", overflow="fold", ratio=4)
    for f in sorted(rows, key=lambda f: (-f.severity, f.rule_id, f.resource.id)):
        message = Text(f.message)
        if f.suppression:
            message.append(f"  (suppressed: {f.suppression})", style="dim")
        table.add_row(
            Text(f.severity.label, style=SEVERITY_STYLE[f.severity]),
            Text(f.rule_id),
            Text(_where(f)),
            message,
        )
    return table


def render(result: Any, show_passed: bool = False) -> RenderableType:
    parts: list[RenderableType] = []
    sources = ", ".join(
        f"{s.kind}: {s.target}"
        + (f" ({_count(s.functions, 'functions')})" if s.functions is not None else "")
        for s in result.sources
    )
    parts.append(Text(f"Fortress {result.version} — {sources}", style="bold"))
    summary = result.summary()
    resources = ", ".join(_count(v, k) for k, v in summary["resources"].items() if v)
    parts.append(Text(f"Scanned {resources or 'no resources'} with {summary['rules_run']} rules."))
    parts.append(practice_table(result.findings))
    for status, title in (
        (Status.FAIL, "Findings"),
        (Status.UNKNOWN, "Could not decide (inputs unknown)"),
        (Status.SUPPRESSED, "Suppressed"),
    ):
        table = findings_table(result.findings, status, title)
        if table is not None:
            parts.append(table)
    if show_passed:
        table = findings_table(result.findings, Status.PASS, "Passed")
        if table is not None:
            parts.append(table)
    if result.gaps:
        gaps = Table(title="Coverage gaps (not examined)", title_justify="left")
        for col in ("Region", "Service", "Operation", "Error", "Count"):
            gaps.add_column(col)
        for g in gap_groups(result.gaps):
            gaps.add_row(
                Text(str(g["region"] or "global")),
                Text(g["service"]),
                Text(g["operation"]),
                Text(g["error_code"]),
                str(g["count"]),
            )
        parts.append(gaps)
    for source in result.sources:
        for item in source.not_followed:
            parts.append(Text(f"not followed in {source.target}: {item}", style="yellow"))
    for warning in result.input_warnings:
        parts.append(Text(f"warning: {warning}", style="yellow"))
    for error in result.input_errors:
        parts.append(Text(f"error: {error}", style="red"))
    failing = summary["failures_by_severity"]
    line = ", ".join(f"{n} {sev}" for sev, n in failing.items() if n) or "no failures"
    parts.append(
        Text(
            f"Result: {line}; {summary['by_status']['unknown']} unknown; {len(result.gaps)} coverage gaps."
        )
    )
    return Group(*parts)
