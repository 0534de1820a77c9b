"""Scan settings shared by the CLI, the engine and the rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime


def today() -> date:
    return datetime.now(UTC).date()


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
    # Regular expressions: environment variable names or values never reported as secrets.
    secret_ignore: list[str] = field(default_factory=list)
