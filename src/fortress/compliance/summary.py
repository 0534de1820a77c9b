"""Judge each control of a framework from a scan's findings.

A control **fails** when any rule that evidences it failed on some resource; it **passes**
only when its rules ran, judged at least one resource, and every verdict was a pass; anything
else is **not assessed**: no rule covers it, its rules did not run (skipped, or account-wide
rules on a template), a verdict was unknown, or nothing in scope was judged. Unknown is never
reported as pass. Suppressed failures do not fail a control (as in Security Hub, where
suppressed findings are left out of a control's status) but do not make it pass either.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from fortress.compliance.frameworks import Framework
from fortress.findings import Finding, Status

STATUSES = ("pass", "fail", "not_assessed")


def summarize(
    frameworks: Iterable[Framework], findings: list[Finding], rules_run: Iterable[str]
) -> dict[str, Any]:
    """The ``compliance`` section of a report: per framework, per control, status and resources."""
    ran = set(rules_run)
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_rule[f.rule_id].append(f)
    return {"frameworks": [_framework(fw, by_rule, ran) for fw in frameworks]}


def _framework(fw: Framework, by_rule: dict[str, list[Finding]], ran: set[str]) -> dict[str, Any]:
    controls = []
    for control in fw.controls:
        status, resources = _judge(control.rules, by_rule, ran)
        controls.append(
            {
                "id": control.id,
                "title": control.title,
                "status": status,
                "rules": list(control.rules),
                "resources": resources,
            }
        )
    return {"id": fw.id, "name": f"{fw.name} {fw.version}", "controls": controls}


def _judge(
    rules: tuple[str, ...], by_rule: dict[str, list[Finding]], ran: set[str]
) -> tuple[str, list[str]]:
    findings = [f for rid in rules for f in by_rule.get(rid, [])]
    failing = [f.resource.id for f in findings if f.status is Status.FAIL]
    if failing:
        return "fail", sorted(set(failing))
    judged = [f for f in findings if f.status is not Status.SUPPRESSED]
    complete = bool(rules) and all(rid in ran for rid in rules)
    if complete and judged and all(f.status is Status.PASS for f in judged):
        return "pass", sorted({f.resource.id for f in judged})
    # Not assessed: the resources shown are the ones no verdict could be reached on.
    return "not_assessed", sorted({f.resource.id for f in findings if f.status is Status.UNKNOWN})
