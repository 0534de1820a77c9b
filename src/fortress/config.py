"""Scan settings shared by the CLI, the engine and the rules."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import UTC, date, datetime


def today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Suppression:
    """An accepted failure from the config file: this rule on resources matching ``resource``.

    ``resource`` is a glob matched against the resource's id (ARN), name and logical id.
    Past ``expires`` the suppression no longer applies and the finding fails again, saying so.
    """

    rule: str
    resource: str
    reason: str
    owner: str | None = None
    expires: date | None = None
    file: str | None = None
    line: int | None = None

    def matches(self, rule_id: str, *names: str | None) -> bool:
        if self.rule != rule_id:
            return False
        return any(n is not None and fnmatch.fnmatchcase(n, self.resource) for n in names)

    def expired(self, on: date) -> bool:
        return self.expires is not None and on > self.expires

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.file and self.line else (self.file or "config")


@dataclass
class ScanConfig:
    # Accounts whose layers and resource-policy grants are expected (besides the scanned one).
    trusted_accounts: set[str] = field(default_factory=set)
    # Tags every function must carry; empty means "at least one tag".
    required_tags: list[str] = field(default_factory=list)
    # Date the time-based rules (runtime deprecation, staleness) are judged at.
    as_of: date = field(default_factory=today)
    deprecation_window_days: int = 90
    stale_after_days: int = 365
    # FTR-PATCH-008: a function on the FunctionUpdate runtime mode older than this many days.
    function_update_max_age_days: int = 90
    # Regular expressions: environment variable names or values never reported as secrets.
    secret_ignore: list[str] = field(default_factory=list)
    # From the config file (.fortress.yaml): accepted failures, and rule id -> severity label.
    suppressions: list[Suppression] = field(default_factory=list)
    severity_overrides: dict[str, str] = field(default_factory=dict)
    # Principals expected to deploy and regions expected to be used (read by `hunt`).
    deployers: list[str] = field(default_factory=list)
    expected_regions: list[str] = field(default_factory=list)
