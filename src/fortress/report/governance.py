"""Report sections of the governance features: compliance per control, and the baseline.

``sections(result)`` gives the top-level JSON keys (``compliance``, ``baseline``) a scan
carries when they were asked for; ``compliance_table`` and ``baseline_table`` are their
console views. The CLI computes both sections; reporters only show them.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.control import strip_control_codes
from rich.table import Table
from rich.text import Text

STATUS_STYLE = {"pass": "green", "fail": "bold red", "not_assessed": "yellow"}
STATUS_LABEL = {"pass": "pass", "fail": "FAIL", "not_assessed": "not assessed"}
MAX_RESOURCES = 3


def sections(result: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    compliance = getattr(result, "compliance", None)
    if compliance is not None:
        out["compliance"] = compliance
    baseline = getattr(result, "baseline", None)
    if baseline is not None:
        out["baseline"] = baseline
    return out


def _t(text: str, style: str = "") -> Text:
    """Account and template data can carry terminal escapes: print it as plain text only."""
    return Text(strip_control_codes(text), style=style)


def _resources(resources: list[str]) -> Text:
    shown = ", ".join(resources[:MAX_RESOURCES])
    if len(resources) > MAX_RESOURCES:
        shown += f" +{len(resources) - MAX_RESOURCES} more"
    return _t(shown)


def compliance_table(compliance: dict[str, Any]) -> RenderableType:
    parts: list[RenderableType] = []
    for fw in compliance["frameworks"]:
        counts = {s: 0 for s in STATUS_LABEL}
        for c in fw["controls"]:
            counts[c["status"]] += 1
        table = Table(
            title=_t(
                f"{fw['name']}: {counts['pass']} pass, {counts['fail']} fail, "
                f"{counts['not_assessed']} not assessed"
            ),
            title_justify="left",
            expand=True,
        )
        table.add_column("Control", no_wrap=True)
        table.add_column("Status", no_wrap=True)
        table.add_column("Title", ratio=3, overflow="fold")
        table.add_column("Rules", ratio=1, min_width=12, overflow="fold")
        table.add_column("Resources", ratio=2, overflow="fold")
        for c in fw["controls"]:
            table.add_row(
                _t(c["id"]),
                _t(STATUS_LABEL[c["status"]], style=STATUS_STYLE[c["status"]]),
                _t(c["title"]),
                _t(", ".join(c["rules"]) or "no rule covers it"),
                _resources(c["resources"]),
            )
        parts.append(table)
    return Group(*parts)


def baseline_table(baseline: dict[str, Any], path: str) -> RenderableType:
    head = _t(
        f"Baseline {path}: {len(baseline['new'])} new, {len(baseline['fixed'])} fixed, "
        f"{baseline['unchanged']} unchanged failures"
    )
    if not baseline["new"] and not baseline["fixed"]:
        return head
    table = Table(title_justify="left")
    for col in ("Change", "Severity", "Rule", "Resource", "Title"):
        table.add_column(col, overflow="fold")
    for entry, change in [(e, "new") for e in baseline["new"]] + [
        (e, "fixed") for e in baseline["fixed"]
    ]:
        table.add_row(
            _t(change, style="bold red" if change == "new" else "green"),
            _t(entry["severity"]),
            _t(entry["rule_id"]),
            _t(entry["resource"]),
            _t(entry["title"]),
        )
    return Group(head, table)
