"""Plain data of a hunt: detections, rule metadata and the run's result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fortress.findings import Severity

SCHEMA_VERSION = "1.0"


@dataclass
class Detection:
    """One hit of a detection rule (built-in or Sigma) on one or more CloudTrail events."""

    rule_id: str
    title: str
    severity: Severity
    technique: str
    time: str | None
    principal: str | None
    source_ip: str | None
    user_agent: str | None
    function: str | None
    event_ids: list[str]
    message: str = ""
    account: str | None = None
    region: str | None = None
    event_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "title": self.title,
            "severity": self.severity.label,
            "technique": self.technique,
            "time": self.time,
            "principal": self.principal,
            "source_ip": self.source_ip,
            "user_agent": self.user_agent,
            "function": self.function,
            "event_ids": list(self.event_ids),
            "message": self.message,
            "account": self.account,
            "region": self.region,
            "event_name": self.event_name,
        }

    def to_timeline_entry(self) -> dict[str, Any]:
        """A marked entry for ``fortress timeline`` (forensics), keyed by time."""
        return {
            "time": self.time,
            "source": "detection",
            "marked": True,
            "kind": "detection",
            "rule_id": self.rule_id,
            "severity": self.severity.label,
            "summary": f"{self.rule_id} {self.title}: {self.message}".strip(),
            "principal": self.principal,
            "function": self.function,
            "event_ids": list(self.event_ids),
        }


@dataclass(frozen=True)
class SigmaSkip:
    """A Sigma rule that could not run, and why."""

    file: str
    title: str
    reason: str
    # True: a rule meant for this hunt did not run (unreadable, malformed, or a CloudTrail
    # rule the compiler cannot express), so the hunt is incomplete (exit 3). False: the rule is
    # for another log source (a SigmaHQ folder holds thousands), listed but not a gap.
    incomplete: bool = True

    def to_dict(self) -> dict[str, str | bool]:
        return {
            "file": self.file,
            "title": self.title,
            "reason": self.reason,
            "incomplete": self.incomplete,
        }


@dataclass
class HuntResult:
    inputs: list[str] = field(default_factory=list)
    unreadable: list[dict[str, str]] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list)
    events: int = 0
    rules_run: list[str] = field(default_factory=list)
    sigma_skipped: list[SigmaSkip] = field(default_factory=list)
    coverage_gaps: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    # the look-back read as history before the hunt window (``--baseline-days``), if any
    baseline: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "inputs": list(self.inputs),
            "unreadable": list(self.unreadable),
            "events": self.events,
            "rules_run": list(self.rules_run),
            "sigma_skipped": [s.to_dict() for s in self.sigma_skipped],
            "coverage_gaps": list(self.coverage_gaps),
            **({"baseline": dict(self.baseline)} if self.baseline is not None else {}),
            "detections": [d.to_dict() for d in self.detections],
        }
