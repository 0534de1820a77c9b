"""The single output type of a posture scan: Findings, plus coverage gaps.

This module imports nothing else of Fortress, so every layer can use it.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    """Ordered so that ``Severity.HIGH >= Severity.MEDIUM`` holds."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (choose from {names})") from None


class Status(enum.StrEnum):
    FAIL = "fail"
    PASS = "pass"
    UNKNOWN = "unknown"
    SUPPRESSED = "suppressed"


class Practice(enum.StrEnum):
    LEAST_PRIVILEGE = "least-privilege"
    CODE_INTEGRITY = "code-integrity"
    NETWORK_ISOLATION = "network-isolation"
    API_SECURITY = "api-security"
    LOGGING_MONITORING = "logging-monitoring"
    SECRETS = "secrets"
    EPHEMERALITY = "ephemerality"
    PATCHING = "patching"
    GOVERNANCE = "governance"

    @property
    def heading(self) -> str:
        return _PRACTICE_TITLES[self]


_PRACTICE_TITLES = {
    Practice.LEAST_PRIVILEGE: "Least privilege",
    Practice.CODE_INTEGRITY: "Code integrity",
    Practice.NETWORK_ISOLATION: "VPC isolation",
    Practice.API_SECURITY: "API security",
    Practice.LOGGING_MONITORING: "Logging and monitoring",
    Practice.SECRETS: "Secrets management",
    Practice.EPHEMERALITY: "Ephemerality",
    Practice.PATCHING: "Continuous patching",
    Practice.GOVERNANCE: "Compliance and governance",
}


@dataclass(frozen=True, slots=True)
class ResourceRef:
    """What a finding is about, and where it lives (ARN or file/line)."""

    id: str
    type: str
    name: str
    account: str | None = None
    region: str | None = None
    file: str | None = None
    line: int | None = None
    logical_id: str | None = None


def _ref_dict(r: ResourceRef) -> dict[str, Any]:
    return {
        "id": r.id,
        "type": r.type,
        "name": r.name,
        "account": r.account,
        "region": r.region,
        "file": r.file,
        "line": r.line,
        "logical_id": r.logical_id,
    }


@dataclass(slots=True)
class Finding:
    rule_id: str
    title: str
    severity: Severity
    practice: Practice
    status: Status
    resource: ResourceRef
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    remediation: str = ""
    references: dict[str, list[str]] = field(default_factory=dict)
    controls: dict[str, list[str]] = field(default_factory=dict)
    suppression: str | None = None
    # What the finding exposes or affects beyond its resource: the functions behind an API
    # route, the functions that use a role, a layer or a security group.
    related: list[ResourceRef] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The finding as plain data, built directly (no ``dataclasses.asdict`` deep copy).

        Evidence, references and controls are shared, not copied: the dict is for
        serializing at once. Reports of 26,000 findings spent most of their time in
        ``asdict``'s recursive copy.
        """
        r = self.resource
        return {
            "rule_id": self.rule_id,
            "title": self.title,
            "severity": self.severity.label,
            "practice": self.practice.value,
            "status": self.status.value,
            "resource": _ref_dict(r),
            "message": self.message,
            "evidence": self.evidence,
            "remediation": self.remediation,
            "references": self.references,
            "controls": self.controls,
            "suppression": self.suppression,
            "related": [_ref_dict(x) for x in self.related],
        }


@dataclass(frozen=True)
class CoverageGap:
    """An API call (or input) that failed, so part of the scope was not examined."""

    service: str
    operation: str
    error_code: str
    message: str = ""
    account: str | None = None
    region: str | None = None
    resource: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
