"""The plan as data: steps that each name one change, the exact call, and the states around it.

A step's ``before`` is the state read from the account while planning (the prior state undo
restores) and ``after`` the state the change leaves; both are small JSON objects in the shape the
step's kind reads (see :mod:`fortress.response.kinds`), so that "already done", "already
restored" and "changed by someone else" are plain comparisons of the current state with them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fortress.errors import FortressError

JOURNAL_SCHEMA_VERSION = "1"
PLAN_SCHEMA_VERSION = "1"

ACTIONS = (
    "evidence",
    "throttle",
    "cut-public",
    "close-url",
    "pause-triggers",
    "quarantine-role",
    "revoke-sessions",
    "pin-version",
)
PLAYBOOKS: dict[str, tuple[str, ...]] = {
    "contain": (
        "evidence",
        "throttle",
        "cut-public",
        "close-url",
        "pause-triggers",
        "quarantine-role",
        "revoke-sessions",
    ),
}


class ResponseError(FortressError):
    """Bad input to respond/undo (unknown function, bad journal, wrong account): exit 2."""


@dataclass
class Step:
    """One change: what it touches, the API call that makes it, the state before and after."""

    action: str
    kind: str
    target: str  # how the console names what changes, e.g. "orders-api reserved concurrency"
    resource: dict[str, Any]  # identifiers the kind needs to read and revert (function, sid…)
    call: dict[str, Any]  # {"service", "operation", "params"}: the exact forward call
    before: dict[str, Any]
    after: dict[str, Any]
    summary: str  # one line: "50 → 0"
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "kind": self.kind,
            "target": self.target,
            "resource": self.resource,
            "call": self.call,
            "before": self.before,
            "after": self.after,
            "summary": self.summary,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, raw: Any) -> Step:
        if not isinstance(raw, dict):
            raise ValueError("a step is not an object")
        fields = ("action", "kind", "target", "resource", "call", "before", "after", "summary")
        missing = [f for f in fields if f not in raw]
        if missing:
            raise ValueError(f"a step lacks {', '.join(missing)}")
        for name in ("resource", "call", "before", "after"):
            if not isinstance(raw[name], dict):
                raise ValueError(f"a step's {name} is not an object")
        return cls(
            action=str(raw["action"]),
            kind=str(raw["kind"]),
            target=str(raw["target"]),
            resource=raw["resource"],
            call=raw["call"],
            before=raw["before"],
            after=raw["after"],
            summary=str(raw["summary"]),
            warnings=[str(w) for w in raw.get("warnings", [])],
        )


@dataclass
class Target:
    """The function a plan is for, as resolved on the account."""

    name: str
    arn: str
    region: str
    account: str
    qualifier: str | None
    role_arn: str | None
    aliases: list[dict[str, Any]] = field(default_factory=list)  # {"Name", "FunctionVersion"}
    versions: list[str] = field(default_factory=list)  # published versions, not $LATEST

    @property
    def role_name(self) -> str | None:
        if not self.role_arn:
            return None
        return self.role_arn.rsplit("/", 1)[-1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "arn": self.arn,
            "region": self.region,
            "account": self.account,
            "qualifier": self.qualifier,
            "role": self.role_arn,
        }


@dataclass
class Plan:
    target: Target
    actions: list[str]
    steps: list[Step] = field(default_factory=list)
    # Things already in the contained state (nothing to do), one line each.
    notes: list[str] = field(default_factory=list)
    # State that could not be read (AccessDenied, …): the plan is incomplete, never "clean".
    gaps: list[str] = field(default_factory=list)
    incident: str | None = None

    @property
    def changes(self) -> list[Step]:
        return [s for s in self.steps if s.kind != "evidence"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": PLAN_SCHEMA_VERSION,
            "function": self.target.to_dict(),
            "incident": self.incident,
            "actions": list(self.actions),
            "steps": [s.to_dict() for s in self.steps],
            "notes": list(self.notes),
            "gaps": list(self.gaps),
        }


def same_state(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Compare two states field by field, independent of key order."""
    return canonical(a) == canonical(b)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def differences(expected: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Field-by-field differences, one line each, for the drift report."""
    out: list[str] = []
    for key in sorted(set(expected) | set(current)):
        if canonical(expected.get(key)) != canonical(current.get(key)):
            out.append(
                f"{key}: expected {canonical(expected.get(key))}, found {canonical(current.get(key))}"
            )
    return out
