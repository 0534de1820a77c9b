"""Baselines: compare a scan with an earlier Fortress JSON report.

A finding is the same across runs when its rule id and resource id match (both are stable:
the resource id is an ARN, or a template's file and logical id). Only failures count: a
failure present in the baseline is *unchanged*, one that is not is *new*, and a baseline
failure that no longer fails is *fixed*. With a baseline, a scan fails only on new failures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fortress.errors import InputError
from fortress.findings import Finding, Status

MAX_BYTES = 512 * 1024 * 1024

Key = tuple[str, str]


@dataclass
class Baseline:
    path: str
    # (rule id, resource id) -> what the baseline report said about that failure
    failures: dict[Key, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Comparison:
    new: list[Finding]
    fixed: list[dict[str, Any]]
    unchanged: list[Finding]

    def new_keys(self) -> set[Key]:
        return {key(f) for f in self.new}

    def to_dict(self) -> dict[str, Any]:
        return {
            "new": [_entry(f.rule_id, f.resource.id, f.severity.label, f.title) for f in self.new],
            "fixed": list(self.fixed),
            "unchanged": len(self.unchanged),
        }


def key(f: Finding) -> Key:
    return (f.rule_id, f.resource.id)


def _entry(rule_id: str, resource: str, severity: str, title: str) -> dict[str, Any]:
    return {"rule_id": rule_id, "resource": resource, "severity": severity, "title": title}


def load(path: Path) -> Baseline:
    """Read a Fortress JSON report; anything else is a one-line error naming the file."""
    name = str(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError(name, f"baseline larger than {MAX_BYTES} bytes")
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise InputError(name, "baseline: no such file") from None
    except OSError as exc:
        raise InputError(name, f"baseline: cannot read ({exc.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(
            name, "baseline is not JSON (expected a Fortress JSON report)", line
        ) from None
    if not isinstance(data, dict) or "findings" not in data or "schema_version" not in data:
        raise InputError(
            name, "baseline is not a Fortress JSON report (no schema_version and findings)"
        )
    findings = data["findings"]
    if not isinstance(findings, list):
        raise InputError(name, "baseline: 'findings' is not a list")
    baseline = Baseline(name)
    for i, f in enumerate(findings):
        resource = f.get("resource") if isinstance(f, dict) else None
        rid = resource.get("id") if isinstance(resource, dict) else None
        if (
            not isinstance(f, dict)
            or not isinstance(f.get("rule_id"), str)
            or not isinstance(rid, str)
        ):
            raise InputError(name, f"baseline: findings[{i}] has no rule_id and resource.id")
        if f.get("status") != Status.FAIL.value:
            continue
        baseline.failures[(f["rule_id"], rid)] = _entry(
            f["rule_id"], rid, str(f.get("severity", "")), str(f.get("title", ""))
        )
    return baseline


def compare(baseline: Baseline, findings: list[Finding]) -> Comparison:
    failing = [f for f in findings if f.status is Status.FAIL]
    now = {key(f) for f in failing}
    return Comparison(
        new=[f for f in failing if key(f) not in baseline.failures],
        fixed=[entry for k, entry in baseline.failures.items() if k not in now],
        unchanged=[f for f in failing if key(f) in baseline.failures],
    )
