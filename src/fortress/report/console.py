"""The console report: a screen, not a dump.

By default: the per-practice summary, failures grouped by rule (severity, rule, title, how
many resources, the first few names and ``+N more``), unknowns and suppressions counted by
rule, coverage gaps counted by service and operation, what a source did not follow, input
warnings and errors. ``details=True`` lists every resource, one row per finding.

Renders Rich objects; the CLI prints them. All account data goes in as ``Text`` (never as
markup), so a hostile function name or tag cannot inject console markup, and every such
string passes through ``clean`` — the CLI's terminal sanitizer, handed in because reporters
do not import the CLI — so it cannot carry terminal escapes or bidi overrides either.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from fortress.findings import Finding, Practice, Severity, Status
from fortress.report.jsonreport import gap_groups

Clean = Callable[[str], str]

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}

# How many resource names a grouped row shows before "+N more", and how many lines of a
# list (not followed, warnings) the compact view shows before pointing at --details.
EXAMPLES = 3
EXAMPLES_WIDTH = 30
LIST_LIMIT = 10
# Rows of the grouped failures table before the lower severities fold into one line each
# (critical and high always get their rows): a demo-sized account fits a screen.
ROW_BUDGET = 30


def _identity(text: str) -> str:
    return text


def _where(f: Finding) -> str:
    r = f.resource
    if r.file:
        loc = f"{r.file}:{r.line}" if r.line else r.file
        return f"{loc} ({r.logical_id})" if r.logical_id else loc
    region = f" [{r.region}]" if r.region else ""
    return f"{r.name}{region}"


def _short_name(f: Finding) -> str:
    """The name a grouped row shows: the logical id or address for templates, else the name;
    for an API, the function it exposes too (``shopfast-rest -> admin-tools``)."""
    r = f.resource
    name = r.logical_id or r.name or r.id
    if f.related and r.type.startswith("AWS::ApiGateway"):
        more = f" +{len(f.related) - 1}" if len(f.related) > 1 else ""
        name = f"{name} -> {f.related[0].name}{more}"
    return name


def _count(n: int, plural: str) -> str:
    noun = plural.replace("_", " ")
    return f"{n} {noun[:-1] if n == 1 and noun.endswith('s') else noun}"


def _table(title: str, *, expand: bool = False) -> Table:
    return Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        expand=expand,
        pad_edge=False,
    )


def worst_by_practice(findings: list[Finding]) -> dict[Practice, Severity]:
    worst: dict[Practice, Severity] = {}
    for f in findings:
        if f.status is Status.FAIL and (f.practice not in worst or f.severity > worst[f.practice]):
            worst[f.practice] = f.severity
    return worst


def practice_table(summary: dict[str, Any], findings: list[Finding]) -> Table:
    """Status counts per practice (from ``summary()``), and the worst failing severity."""
    table = _table("Posture by practice")
    table.add_column("Practice")
    table.add_column("Fail", justify="right", style="red")
    table.add_column("Pass", justify="right", style="green")
    table.add_column("Unknown", justify="right", style="yellow")
    table.add_column("Suppressed", justify="right", style="dim")
    table.add_column("Worst", justify="left")
    by_practice = summary.get("by_practice", {})
    worst = worst_by_practice(findings)
    for practice in Practice:
        c = by_practice.get(practice.value, {})
        sev = worst.get(practice)
        table.add_row(
            practice.heading,
            str(c.get("fail", 0)),
            str(c.get("pass", 0)),
            str(c.get("unknown", 0)),
            str(c.get("suppressed", 0)),
            Text(sev.label, style=SEVERITY_STYLE[sev]) if sev is not None else Text("-"),
        )
    return table


def findings_table(
    findings: list[Finding], status: Status, title: str, clean: Clean = _identity
) -> Table | None:
    """Every finding of ``status``, one row each (the ``--details`` view)."""
    rows = [f for f in findings if f.status is status]
    if not rows:
        return None
    table = _table(f"{title} ({len(rows)})", expand=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Rule", no_wrap=True)
    table.add_column("Resource", overflow="fold", ratio=2)
    table.add_column("Finding", overflow="fold", ratio=4)
    for f in sorted(rows, key=lambda f: (-f.severity, f.rule_id, f.resource.id)):
        message = Text(clean(f.message))
        if f.related:
            names = ", ".join(clean(x.name) for x in f.related[:EXAMPLES])
            more = f" +{len(f.related) - EXAMPLES} more" if len(f.related) > EXAMPLES else ""
            message.append(f"  (affects {names}{more})", style="dim")
        if f.suppression:
            message.append(f"  (suppressed: {clean(f.suppression)})", style="dim")
        table.add_row(
            Text(f.severity.label, style=SEVERITY_STYLE[f.severity]),
            Text(f.rule_id),
            Text(clean(_where(f))),
            message,
        )
    return table


def _by_rule(findings: Iterable[Finding]) -> list[list[Finding]]:
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.rule_id, []).append(f)
    return sorted(groups.values(), key=lambda g: (-g[0].severity, g[0].rule_id))


def _examples(group: list[Finding], clean: Clean) -> Text:
    """The first few resource names that fit one line, then ``+N more``."""
    names = [clean(n) for n in dict.fromkeys(_short_name(f) for f in group)]
    shown: list[str] = []
    for name in names[:EXAMPLES]:
        more = len(names) - len(shown) - 1
        budget = EXAMPLES_WIDTH - (len(f" +{more} more") if more else 0)
        if shown and len(", ".join([*shown, name])) > budget:
            break
        shown.append(name)
    text = Text(", ".join(shown))
    if len(names) > len(shown):
        text.append(f" +{len(names) - len(shown)} more", style="dim")
    return text


def grouped_table(
    findings: list[Finding], status: Status, title: str, clean: Clean = _identity
) -> Table | None:
    """Findings of ``status`` grouped by rule: one row per rule, with a count and examples."""
    groups = _by_rule(f for f in findings if f.status is status)
    if not groups:
        return None
    total = sum(len(g) for g in groups)
    table = _table(f"{title}: {_count(total, 'findings')} from {_count(len(groups), 'rules')}")
    table.add_column("Severity", no_wrap=True)
    table.add_column("Rule", no_wrap=True)
    table.add_column("Title", ratio=1, no_wrap=True, overflow="ellipsis")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column(
        "Resources", min_width=12, max_width=EXAMPLES_WIDTH, no_wrap=True, overflow="ellipsis"
    )
    for group in groups:
        first = group[0]
        table.add_row(
            Text(first.severity.label, style=SEVERITY_STYLE[first.severity]),
            Text(first.rule_id),
            Text(first.title),
            str(len(group)),
            _examples(group, clean),
        )
    table.expand = True
    return table


def _row_split(groups: list[list[Finding]]) -> tuple[list[list[Finding]], list[list[Finding]]]:
    """Groups that get a row, and groups folded into a line per severity (over the budget)."""
    rows: list[list[Finding]] = []
    folded: list[list[Finding]] = []
    for severity in sorted({g[0].severity for g in groups}, reverse=True):
        these = [g for g in groups if g[0].severity is severity]
        if severity >= Severity.HIGH or (not folded and len(rows) + len(these) <= ROW_BUDGET):
            rows.extend(these)
        else:
            folded.extend(these)
    return rows, folded


def failures(findings: list[Finding], clean: Clean = _identity) -> list[RenderableType]:
    """The compact failures view: a row per rule, lower severities folded when many."""
    failing = [f for f in findings if f.status is Status.FAIL]
    groups = _by_rule(failing)
    if not groups:
        return []
    rows, folded = _row_split(groups)
    table = grouped_table([f for g in rows for f in g], Status.FAIL, "Failures", clean)
    if table is not None:
        table.title = (
            f"Failures: {_count(len(failing), 'findings')} from {_count(len(groups), 'rules')}"
        )
    parts: list[RenderableType] = [table] if table is not None else []
    for severity in sorted({g[0].severity for g in folded}, reverse=True):
        these = [g for g in folded if g[0].severity is severity]
        listed = ", ".join(f"{g[0].rule_id} {len(g)}" for g in these)
        parts.append(
            Text.assemble(
                (f"{severity.label}", SEVERITY_STYLE[severity]),
                f": {_count(sum(len(g) for g in these), 'findings')} from "
                f"{_count(len(these), 'rules')} ({listed})",
            )
        )
    return parts


def _counted_line(findings: list[Finding], status: Status, label: str) -> Text | None:
    """One line for a status the compact view only counts: ``label: N (RULE n, RULE n, …)``."""
    counts = Counter(f.rule_id for f in findings if f.status is status)
    if not counts:
        return None
    parts = [f"{rule} {n}" for rule, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    shown = ", ".join(parts[:8]) + (f", +{len(parts) - 8} more rules" if len(parts) > 8 else "")
    return Text(f"{label}: {_count(sum(counts.values()), 'findings')} ({shown})", style="yellow")


def gaps_table(result: Any, details: bool, clean: Clean = _identity) -> Table | None:
    if not result.gaps:
        return None
    if details:
        table = _table(f"Coverage gaps (not examined): {len(result.gaps)}")
        for col in ("Region", "Service", "Operation", "Error", "Count"):
            table.add_column(col)
        for g in gap_groups(result.gaps):
            table.add_row(
                Text(clean(str(g["region"] or "global"))),
                Text(clean(g["service"])),
                Text(clean(g["operation"])),
                Text(clean(g["error_code"])),
                str(g["count"]),
            )
        return table
    # Compact: by service and operation, regions folded into one cell.
    grouped: dict[tuple[str, str, str], list[Any]] = {}
    for gap in result.gaps:
        grouped.setdefault((gap.service, gap.operation, gap.error_code), []).append(gap)
    table = _table(f"Coverage gaps (not examined): {len(result.gaps)}")
    for col in ("Service", "Operation", "Error", "Count", "Regions"):
        table.add_column(col, overflow="fold")
    for (service, operation, error), gaps in sorted(grouped.items()):
        regions = sorted({str(g.region or "global") for g in gaps})
        table.add_row(
            Text(clean(service)),
            Text(clean(operation)),
            Text(clean(error)),
            str(len(gaps)),
            Text(clean(", ".join(regions))),
        )
    return table


def _present(item: RenderableType | None) -> list[RenderableType]:
    return [] if item is None else [item]


def _capped(lines: list[Text], details: bool) -> list[Text]:
    if details or len(lines) <= LIST_LIMIT:
        return lines
    more = Text(f"… +{len(lines) - LIST_LIMIT} more (--details lists them all)", style="dim")
    return [*lines[:LIST_LIMIT], more]


def accounts_table(result: Any, details: bool, clean: Clean = _identity) -> Table | None:
    """Organization scans: one row per account (the worst first; ``ROW_BUDGET`` rows unless
    ``details``), with its failing severities, unknowns and coverage gaps."""
    accounts = getattr(result, "accounts", None)
    if not accounts:
        return None
    order = sorted(
        accounts,
        key=lambda a: (
            a["status"] != "failed",
            [-n for n in a["failures_by_severity"].values()],
            a["id"],
        ),
    )
    shown = order if details or len(order) <= ROW_BUDGET else order[:ROW_BUDGET]
    table = _table(f"Accounts: {len(accounts)}")
    # Ids and counts never wrap (a narrow terminal squeezes the names instead).
    table.add_column("Account", no_wrap=True, min_width=12)
    table.add_column("Name", overflow="ellipsis", no_wrap=True, min_width=8)
    for col in ("Functions", "Crit", "High", "Med", "Low", "Unknown", "Gaps"):
        table.add_column(col, justify="right", no_wrap=True)
    for a in shown:
        failing = a["failures_by_severity"]
        if a["status"] == "failed":
            cells = ["not read"] + [""] * 5
        else:
            cells = [str(a["functions"])] + [
                str(failing.get(sev, 0)) for sev in ("critical", "high", "medium", "low")
            ]
            cells.append(str(a["by_status"].get("unknown", 0)))
        table.add_row(a["id"], Text(clean(a["name"] or "")), *cells, str(a["coverage_gaps"]))
    if len(shown) < len(order):
        table.caption = f"… +{len(order) - len(shown)} more accounts (--details lists them all)"
    return table


def header(
    result: Any, clean: Clean = _identity, summary: dict[str, Any] | None = None
) -> list[RenderableType]:
    accounts = getattr(result, "accounts", None)
    if accounts is not None:  # an organization: its accounts are listed in their own table
        failed = sum(a["status"] == "failed" for a in accounts)
        sources = _count(len(accounts), "accounts") + (f" ({failed} not read)" if failed else "")
    else:
        sources = ", ".join(
            clean(f"{s.kind}: {s.target}")
            + (f" ({_count(s.functions, 'functions')})" if s.functions is not None else "")
            for s in result.sources
        )
    summary = summary or result.summary()
    resources = ", ".join(_count(v, k) for k, v in summary["resources"].items() if v)
    return [
        Text(f"Fortress {result.version} — {sources}", style="bold"),
        Text(f"Scanned {resources or 'no resources'} with {summary['rules_run']} rules."),
    ]


def result_line(result: Any, summary: dict[str, Any] | None = None) -> Text:
    summary = summary or result.summary()
    failing = summary["failures_by_severity"]
    line = ", ".join(f"{n} {sev}" for sev, n in failing.items() if n) or "no failures"
    return Text(
        f"Result: {line}; {summary['by_status']['unknown']} unknown; "
        f"{len(result.gaps)} coverage gaps."
    )


def render(
    result: Any,
    show_passed: bool = False,
    *,
    details: bool = False,
    clean: Clean = _identity,
    summary: dict[str, Any] | None = None,
) -> RenderableType:
    summary = summary or result.summary()
    parts: list[RenderableType] = [
        *header(result, clean, summary),
        *_present(accounts_table(result, details, clean)),
        practice_table(summary, result.findings),
    ]
    statuses = [
        (Status.FAIL, "Failures"),
        (Status.UNKNOWN, "Could not decide (inputs unknown)"),
        (Status.SUPPRESSED, "Suppressed"),
    ]
    if show_passed:
        statuses.append((Status.PASS, "Passed"))
    for status, title in statuses:
        if details:
            table = findings_table(result.findings, status, title, clean)
        elif status is Status.FAIL:
            parts.extend(failures(result.findings, clean))
            continue
        else:
            line = _counted_line(result.findings, status, title)
            if line is not None:
                parts.append(line)
            continue
        if table is not None:
            parts.append(table)
    table = gaps_table(result, details, clean)
    if table is not None:
        parts.append(table)
    notes: list[Text] = [
        Text(clean(f"not followed in {source.target}: {item}"), style="yellow")
        for source in result.sources
        for item in source.not_followed
    ]
    notes += [Text(clean(f"warning: {w}"), style="yellow") for w in result.input_warnings]
    notes += [Text(clean(f"error: {e}"), style="red") for e in result.input_errors]
    parts.extend(_capped(notes, details))
    if not details and any(f.status is not Status.PASS for f in result.findings):
        parts.append(Text("Every resource: --details; every field: --format json/html.", "dim"))
    parts.append(result_line(result, summary))
    return Group(*parts)


def render_summary(
    result: Any, clean: Clean = _identity, summary: dict[str, Any] | None = None
) -> RenderableType:
    """What stdout carries when the report goes to a file: the summary, nothing per resource."""
    summary = summary or result.summary()
    parts: list[RenderableType] = [
        *header(result, clean, summary),
        *_present(accounts_table(result, False, clean)),
        practice_table(summary, result.findings),
    ]
    if result.input_errors:
        parts.append(Text(f"{_count(len(result.input_errors), 'input errors')}", style="red"))
    parts.append(result_line(result, summary))
    return Group(*parts)
