"""Parse IAM policy documents into typed :class:`Statement` objects.

Accepts what real sources hand us: a dict (or a JSON string) whose ``Statement`` is a dict or a
list; ``Action``/``NotAction``, ``Resource``/``NotResource`` and ``Principal``/``NotPrincipal``
as a string or a list; ``Condition`` as ``{operator: {key: value or [values]}}``.

Malformed parts are skipped and recorded in :attr:`ParsedPolicy.problems`; values a template
source could not resolve (:class:`fortress.inventory.Unknown`) are kept as Unknown so that the
analyses can answer "unknown" instead of "safe".
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fortress.inventory import Unknown

Value = str | Unknown

PRINCIPAL_ANY = "*"  # kind of ``"Principal": "*"``


@dataclass(frozen=True)
class Principal:
    """One principal entry: ``kind`` is "AWS", "Service", "Federated", "CanonicalUser" or "*"."""

    kind: str
    value: Value

    @property
    def is_wildcard(self) -> bool:
        return self.kind == PRINCIPAL_ANY or (self.kind == "AWS" and self.value == "*")


@dataclass(frozen=True)
class Condition:
    """One condition test, e.g. operator "StringEquals", key "aws:SourceAccount"."""

    operator: str
    key: str
    values: tuple[Value, ...]

    @property
    def key_lower(self) -> str:
        return self.key.lower()

    @property
    def base_operator(self) -> str:
        """The operator without ``ForAnyValue:``/``ForAllValues:`` and ``IfExists``."""
        op = self.operator.split(":", 1)[-1]
        return op[: -len("IfExists")] if op.endswith("IfExists") else op

    @property
    def if_exists(self) -> bool:
        return self.operator.endswith("IfExists")


@dataclass(frozen=True)
class Statement:
    index: int
    sid: str | None
    effect: Value  # "Allow" | "Deny" | Unknown
    actions: tuple[Value, ...] = ()
    not_action: bool = False
    resources: tuple[Value, ...] = ()
    not_resource: bool = False
    principals: tuple[Principal, ...] = ()
    not_principal: bool = False
    has_principal: bool = False
    conditions: tuple[Condition, ...] = ()
    # Set when a whole element could not be read (e.g. Action is an Unknown).
    unknown_reasons: tuple[str, ...] = ()
    policy: str | None = None  # name of the policy holding the statement, when known
    where: str | None = None  # "file:line" of the statement in a template, when known

    @property
    def label(self) -> str:
        """How a message names this statement: policy name plus its Sid, or its position, and
        its file and line in a template."""
        own = f"Sid {self.sid!r}" if self.sid else f"statement #{self.index + 1}"
        text = f"{self.policy} {own}" if self.policy else own
        return f"{text} ({self.where})" if self.where else text

    @property
    def is_allow(self) -> bool:
        return isinstance(self.effect, str) and self.effect == "Allow"

    @property
    def is_deny(self) -> bool:
        return isinstance(self.effect, str) and self.effect == "Deny"

    @property
    def effect_unknown(self) -> bool:
        return isinstance(self.effect, Unknown)

    # Cached on the instance (a frozen dataclass still has a __dict__; the cache is no field,
    # so equality, hashing and dataclasses.replace ignore it): the takeover questions of
    # FTR-IAM-011/012 ask these of the same statements tens of thousands of times.
    @functools.cached_property
    def actions_unknown(self) -> bool:
        return any(isinstance(a, Unknown) for a in self.actions) or any(
            "Action" in r for r in self.unknown_reasons
        )

    @functools.cached_property
    def known_actions(self) -> tuple[str, ...]:
        return tuple(a for a in self.actions if isinstance(a, str))

    @functools.cached_property
    def resources_unknown(self) -> bool:
        return any(isinstance(r, Unknown) for r in self.resources) or any(
            "Resource" in r for r in self.unknown_reasons
        )

    @property
    def all_resources(self) -> bool:
        """True when the statement applies to every resource (``Resource: "*"``)."""
        if self.not_resource:
            return False  # NotResource excludes something; treated as broad by callers if needed
        return any(r == "*" for r in self.resources)

    def resource_is_only(self, arns: set[str]) -> bool:
        """True when every resource is one of ``arns`` (exact match, or the ARN plus ``:*``)."""
        if self.not_resource or not self.resources:
            return False
        for res in self.resources:
            if not isinstance(res, str):
                return False
            base = res[:-2] if res.endswith(":*") else res
            if base not in arns:
                return False
        return True

    def conditions_for(self, key: str) -> list[Condition]:
        wanted = key.lower()
        return [c for c in self.conditions if c.key_lower == wanted]


@dataclass
class ParsedPolicy:
    statements: list[Statement] = field(default_factory=list)
    # Parts of the document that could not be read (malformed, or Unknown from a template).
    problems: list[str] = field(default_factory=list)
    # Set when the whole document is unknown (None = readable).
    unknown: str | None = None

    @property
    def allows(self) -> list[Statement]:
        return [s for s in self.statements if s.is_allow]

    @property
    def denies(self) -> list[Statement]:
        return [s for s in self.statements if s.is_deny]

    @property
    def uncertain(self) -> bool:
        """Whether some part could not be judged (unknown doc, element, or effect)."""
        return self.unknown is not None or any(
            s.unknown_reasons or s.effect_unknown for s in self.statements
        )


def _values(raw: Any, element: str, reasons: list[str]) -> tuple[Value, ...]:
    if isinstance(raw, Unknown):
        reasons.append(f"{element}: {raw.reason}")
        return (raw,)
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, (list, tuple)):
        out: list[Value] = []
        for item in raw:
            if isinstance(item, (str, Unknown)):
                out.append(item)
            elif isinstance(item, (bool, int, float)):
                out.append(str(item).lower() if isinstance(item, bool) else str(item))
            else:
                reasons.append(f"{element}: unreadable value {item!r:.40}")
        return tuple(out)
    if isinstance(raw, bool):
        return (str(raw).lower(),)
    if isinstance(raw, (int, float)):
        return (str(raw),)
    if raw is not None:
        reasons.append(f"{element}: unreadable value {raw!r:.40}")
    return ()


def _principals(raw: Any, reasons: list[str]) -> tuple[Principal, ...]:
    if isinstance(raw, Unknown):
        reasons.append(f"Principal: {raw.reason}")
        return (Principal("AWS", raw),)
    if isinstance(raw, str):
        return (Principal(PRINCIPAL_ANY, "*"),) if raw == "*" else (Principal("AWS", raw),)
    if isinstance(raw, dict):
        out: list[Principal] = []
        for kind, val in raw.items():
            for v in _values(val, f"Principal.{kind}", reasons):
                out.append(Principal(str(kind), v))
        return tuple(out)
    if raw is not None:
        reasons.append(f"Principal: unreadable value {raw!r:.40}")
    return ()


def _conditions(raw: Any, reasons: list[str]) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if isinstance(raw, Unknown):
        reasons.append(f"Condition: {raw.reason}")
        return (Condition("Unknown", "*", (raw,)),)
    if not isinstance(raw, dict):
        reasons.append(f"Condition: unreadable value {raw!r:.40}")
        return ()
    out: list[Condition] = []
    for operator, tests in raw.items():
        if not isinstance(tests, dict):
            reasons.append(f"Condition.{operator}: not a mapping")
            continue
        for key, val in tests.items():
            out.append(
                Condition(str(operator), str(key), _values(val, f"Condition.{key}", reasons))
            )
    return tuple(out)


def _statement(index: int, raw: Any, policy: str | None) -> Statement | None:
    if not isinstance(raw, dict):
        return None
    reasons: list[str] = []
    sid = raw.get("Sid")
    effect_raw = raw.get("Effect")
    effect: Value
    if isinstance(effect_raw, Unknown):
        effect = effect_raw
        reasons.append(f"Effect: {effect_raw.reason}")
    elif isinstance(effect_raw, str) and effect_raw.capitalize() in ("Allow", "Deny"):
        effect = effect_raw.capitalize()
    else:
        effect = Unknown(f"Effect {effect_raw!r:.40} is neither Allow nor Deny")
        reasons.append(f"Effect: {effect.reason}")
    not_action = "NotAction" in raw and "Action" not in raw
    actions = _values(raw.get("NotAction" if not_action else "Action"), "Action", reasons)
    not_resource = "NotResource" in raw and "Resource" not in raw
    resources = _values(raw.get("NotResource" if not_resource else "Resource"), "Resource", reasons)
    not_principal = "NotPrincipal" in raw and "Principal" not in raw
    has_principal = "Principal" in raw or "NotPrincipal" in raw
    principals = _principals(raw.get("NotPrincipal" if not_principal else "Principal"), reasons)
    return Statement(
        index=index,
        sid=sid if isinstance(sid, str) and sid else None,
        effect=effect,
        actions=actions,
        not_action=not_action,
        resources=resources,
        not_resource=not_resource,
        principals=principals,
        not_principal=not_principal,
        has_principal=has_principal,
        conditions=_conditions(raw.get("Condition"), reasons),
        unknown_reasons=tuple(reasons),
        policy=policy,
    )


def parse_policy(document: Any, name: str | None = None) -> ParsedPolicy:
    """Read a policy document (dict, JSON text, or Unknown). Never raises on bad input.

    ``name`` (the policy's name) is recorded on each statement for messages.
    """
    if isinstance(document, Unknown):
        return ParsedPolicy(unknown=document.reason, problems=[document.reason])
    if document is None:
        return ParsedPolicy()
    if isinstance(document, (str, bytes)):
        try:
            document = json.loads(document)
        except ValueError as exc:
            reason = f"policy is not valid JSON ({exc})"
            return ParsedPolicy(unknown=reason, problems=[reason])
    if not isinstance(document, dict):
        reason = f"policy is a {type(document).__name__}, not a JSON object"
        return ParsedPolicy(unknown=reason, problems=[reason])
    raw = document.get("Statement")
    if isinstance(raw, Unknown):
        return ParsedPolicy(unknown=raw.reason, problems=[raw.reason])
    items: list[Any] = [raw] if isinstance(raw, dict) else list(raw or [])
    parsed = ParsedPolicy()
    for index, item in enumerate(items):
        stmt = _statement(index, item, name)
        if stmt is None:
            where = f"{name}: " if name else ""
            parsed.problems.append(f"{where}statement #{index + 1} is not an object")
            continue
        parsed.statements.append(stmt)
        parsed.problems.extend(stmt.unknown_reasons)
    return parsed


def parse_policies(documents: list[tuple[str | None, Any]]) -> ParsedPolicy:
    """Merge several ``(name, document)`` pairs (a role's policies) into one ParsedPolicy."""
    merged = ParsedPolicy()
    for name, doc in documents:
        one = parse_policy(doc, name)
        merged.statements.extend(one.statements)
        if one.unknown is not None:
            where = f"{name}: " if name else ""
            merged.problems.append(f"{where}{one.unknown}")
            if merged.unknown is None:
                merged.unknown = f"{where}{one.unknown}"
        else:
            merged.problems.extend(one.problems)
    return merged


def located(parsed: ParsedPolicy, policies: Iterable[Any]) -> ParsedPolicy:
    """``parsed`` with each statement's template file and line, from ``policies`` (objects with
    ``name``, ``file`` and ``lines``, as :class:`fortress.inventory.Policy`); unchanged (the same
    object) when none has lines."""
    where: dict[tuple[str | None, int], str] = {}
    for policy in policies:
        if not getattr(policy, "lines", None) or not getattr(policy, "file", None):
            continue
        for i, line in enumerate(policy.lines):
            where.setdefault((policy.name, i), f"{policy.file}:{line}")
    if not where:
        return parsed
    statements = [
        dataclasses.replace(s, where=where[(s.policy, s.index)])
        if (s.policy, s.index) in where
        else s
        for s in parsed.statements
    ]
    return ParsedPolicy(statements, list(parsed.problems), parsed.unknown)


__all__ = [
    "Condition",
    "ParsedPolicy",
    "Principal",
    "Statement",
    "located",
    "parse_policies",
    "parse_policy",
]
