"""JUnit XML: one test suite per rule, one test case per rule and resource.

A failure is a ``<failure>``, an unknown verdict an ``<error>`` (the check could not run to a
conclusion, so it is not a pass), a suppressed failure ``<skipped>`` with its reason. CI
systems (GitLab, Jenkins, Azure DevOps) show these as test results.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any

from fortress.findings import Finding, Status

# Characters XML 1.0 cannot carry (account data can hold anything).
_BAD = {c: None for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)}


def _clean(text: str) -> str:
    return text.translate(_BAD)


def build(result: Any) -> ET.Element:
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        by_rule[f.rule_id].append(f)
    seconds = f"{(result.finished_at - result.started_at).total_seconds():.3f}"
    root = ET.Element("testsuites", name="fortress", time=seconds)
    totals: dict[str, int] = defaultdict(int)
    for rule_id in sorted(by_rule):
        findings = by_rule[rule_id]
        counts = {
            "tests": len(findings),
            "failures": sum(f.status is Status.FAIL for f in findings),
            "errors": sum(f.status is Status.UNKNOWN for f in findings),
            "skipped": sum(f.status is Status.SUPPRESSED for f in findings),
        }
        for k, v in counts.items():
            totals[k] += v
        attrs = {"name": _clean(f"{rule_id} {findings[0].title}")}
        attrs.update({k: str(v) for k, v in counts.items()})
        suite = ET.SubElement(root, "testsuite", attrs)
        for f in findings:
            _case(suite, f)
    for k in ("tests", "failures", "errors", "skipped"):
        root.set(k, str(totals[k]))
    return root


def _case(suite: ET.Element, f: Finding) -> None:
    r = f.resource
    case = ET.SubElement(suite, "testcase", classname=f.rule_id, name=_clean(r.id), time="0")
    if r.file:
        case.set("file", _clean(r.file))
        if r.line:
            case.set("line", str(r.line))
    message = _clean(f.message)
    if f.status is Status.FAIL:
        node = ET.SubElement(case, "failure", message=message, type=f.severity.label)
        node.text = _clean(f"{f.title}\n{f.message}\nRemediation: {f.remediation}")
    elif f.status is Status.UNKNOWN:
        node = ET.SubElement(case, "error", message=message, type="unknown")
        node.text = _clean(f"{f.title}: could not be decided. {f.message}")
    elif f.status is Status.SUPPRESSED:
        ET.SubElement(case, "skipped", message=_clean(f"suppressed: {f.suppression or ''}"))


def render(result: Any) -> str:
    root = build(result)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
