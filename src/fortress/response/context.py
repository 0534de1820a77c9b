"""What every action's planner reads: the target, the account, the options, shared reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fortress.response.model import Step, Target
from fortress.response.ops import Ops, Unreadable


@dataclass
class PlanOptions:
    trusted_accounts: frozenset[str] = frozenset()
    pin_to: str | None = None  # pin-version: the known-good version
    refresh_sessions: bool = False
    evidence_output: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class PlanContext:
    target: Target
    ops: Ops
    options: PlanOptions
    notes: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    planned: list[Step] = field(default_factory=list)
    _statements: list[dict[str, Any]] | None = None

    def qualifiers(self) -> list[str | None]:
        """The function itself, then every alias and published version."""
        names: list[str | None] = [None]
        names += [str(a["Name"]) for a in self.target.aliases]
        names += list(self.target.versions)
        return names

    def statements(self) -> list[dict[str, Any]]:
        """Every resource-policy statement of the function, over all qualifiers, once each.

        Each item is ``{"qualifier", "sid", "statement"}``; the qualifier comes from the
        statement's own ``Resource`` (``function:NAME:QUALIFIER``), which is what
        ``RemovePermission`` must name.
        """
        if self._statements is not None:
            return self._statements
        seen: set[tuple[str | None, str]] = set()
        found: list[dict[str, Any]] = []
        for qualifier in self.qualifiers():
            label = f"{self.target.name}:{qualifier}" if qualifier else self.target.name
            kwargs: dict[str, Any] = {"FunctionName": self.target.name}
            if qualifier:
                kwargs["Qualifier"] = qualifier
            try:
                answer = self.ops.read("lambda", "get_policy", resource=label, **kwargs)
            except Unreadable as exc:
                self.gaps.append(str(exc))
                continue
            for stmt in policy_statements(answer):
                sid = str(stmt.get("Sid", ""))
                where = statement_qualifier(stmt, self.target.name)
                if (where, sid) in seen or not sid:
                    continue
                seen.add((where, sid))
                found.append({"qualifier": where, "sid": sid, "statement": stmt})
        self._statements = found
        return found

    def already_planned(self, kind: str, resource: dict[str, Any]) -> bool:
        return any(s.kind == kind and s.resource == resource for s in self.planned)


def policy_statements(answer: dict[str, Any] | None) -> list[dict[str, Any]]:
    import json

    if not answer or not isinstance(answer.get("Policy"), str):
        return []
    try:
        doc = json.loads(answer["Policy"])
    except ValueError:
        return []
    stmts = doc.get("Statement", []) if isinstance(doc, dict) else []
    if isinstance(stmts, dict):
        stmts = [stmts]
    return [s for s in stmts if isinstance(s, dict)]


def statement_qualifier(stmt: dict[str, Any], function: str) -> str | None:
    """``live`` for a statement on ``arn:…:function:NAME:live``; None for the function."""
    resource = stmt.get("Resource")
    if isinstance(resource, list):
        resource = resource[0] if resource else None
    if not isinstance(resource, str) or ":function:" not in resource:
        return None
    rest = resource.split(":function:", 1)[1].split(":")
    return rest[1] if len(rest) > 1 and rest[1] else None
