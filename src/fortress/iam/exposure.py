"""Who a resource policy (or a role's trust policy) lets in.

For every Allow statement and every principal in it we produce a :class:`Grant`: the principal's
kind (public, account, service, federated), the account it belongs to, the actions, and which
conditions restrict it. A condition restricts only if it pins the caller or the calling
resource to fixed values: a negated operator (``StringNotEquals``), an ``...IfExists`` test, a
value that is only wildcards, or ``lambda:FunctionUrlAuthType: NONE`` does not. So a public
grant restricted only by ``lambda:FunctionUrlAuthType: NONE`` stays public.

Approximations (documented so that callers know the limits):
- Deny statements cancel a grant only when they cover all of the grant's actions for every
  principal (``Principal: "*"``) with no condition; narrower Denies are reported but ignored.
- ``NotPrincipal`` with Allow is treated as public (everyone except the listed principals).
- Condition values are compared as written; policy variables count as fixed values.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

from fortress.iam.actions import expand_all
from fortress.iam.policy import Condition, ParsedPolicy, Principal, Statement, parse_policy
from fortress.inventory import TEMPLATE_ACCOUNT, Unknown, arn_parts

PUBLIC = "public"
ACCOUNT = "account"
SERVICE = "service"
FEDERATED = "federated"
CANONICAL_USER = "canonical-user"
UNKNOWN = "unknown"

# Condition keys that pin who may call, or on behalf of which resource.
RESTRICTING_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceowner",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:userid",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceip",
        "lambda:eventsourcetoken",
    }
)
# Keys that only say something about the calling *resource* (confused deputy protection).
SOURCE_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceowner",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
    }
)
_NEGATED = ("StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike", "NotIpAddress")
_ACCOUNT_RE = re.compile(r"^\d{12}$")
# Principals expected in the trust policy of a Lambda execution role.
LAMBDA_SERVICE_PRINCIPALS = frozenset({"lambda.amazonaws.com", "edgelambda.amazonaws.com"})
ASSUME_ACTIONS = (
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
)


def account_of(value: str) -> str | None:
    """The account of a principal value: a 12-digit id, an ARN, or a template account."""
    if TEMPLATE_ACCOUNT in value:
        return TEMPLATE_ACCOUNT
    if _ACCOUNT_RE.match(value):
        return value
    if value.startswith("arn:"):
        parts = arn_parts(value)
        if len(parts) > 4 and parts[4]:
            return parts[4]
    return None


def _only_wildcards(value: str) -> bool:
    return value.strip("*?") == ""


def _fixed_value(key: str, value: str) -> bool:
    """Whether one condition value pins something (not a pattern that matches anything)."""
    if _only_wildcards(value):
        return False
    if key in ("aws:sourcearn", "aws:principalarn") and value.startswith("arn:"):
        parts = value.split(":", 5)
        if len(parts) == 6:
            account, resource = parts[4], parts[5]
            # "arn:aws:s3:::*" or "arn:aws:sns:*:*:*": any resource of any account.
            if (not account or _only_wildcards(account)) and _only_wildcards(resource):
                return False
    return True


@dataclass(frozen=True)
class Restriction:
    key: str
    operator: str
    values: tuple[str, ...]


def restrictions(stmt: Statement) -> tuple[list[Restriction], list[str]]:
    """Conditions of ``stmt`` that restrict its principals, and unknown ones (reasons)."""
    found: list[Restriction] = []
    unknown: list[str] = []
    for cond in stmt.conditions:
        if cond.operator == "Unknown":
            unknown.append("the Condition block is not resolvable")
            continue
        key = cond.key_lower
        if any(isinstance(v, Unknown) for v in cond.values):
            reasons = [v.reason for v in cond.values if isinstance(v, Unknown)]
            if key in RESTRICTING_KEYS or key == "lambda:functionurlauthtype":
                unknown.append(f"{cond.key}: {reasons[0]}")
            continue
        values = tuple(v for v in cond.values if isinstance(v, str))
        if _is_restricting(cond, key, values):
            found.append(Restriction(cond.key, cond.operator, values))
    return found, unknown


def _is_restricting(cond: Condition, key: str, values: tuple[str, ...]) -> bool:
    if not values or cond.if_exists or cond.base_operator.startswith(_NEGATED):
        return False
    if cond.base_operator == "Null":
        return False
    if key == "lambda:functionurlauthtype":
        return all(v.upper() == "AWS_IAM" for v in values)
    if key not in RESTRICTING_KEYS:
        return False
    return all(_fixed_value(key, v) for v in values)


@dataclass(frozen=True)
class Grant:
    """One principal an Allow statement lets in."""

    statement: Statement
    principal: Principal
    kind: str  # PUBLIC, ACCOUNT, SERVICE, FEDERATED, CANONICAL_USER, UNKNOWN
    account: str | None  # for ACCOUNT grants: the account id (or TEMPLATE_ACCOUNT)
    same_account: bool
    actions: tuple[str, ...]  # as written in the statement
    not_action: bool
    restricted_by: tuple[Restriction, ...]
    restriction_unknown: tuple[str, ...] = ()

    @property
    def principal_text(self) -> str:
        if self.kind == PUBLIC:
            return "*" if self.principal.kind == "*" else f'{{"{self.principal.kind}": "*"}}'
        value = self.principal.value
        return value if isinstance(value, str) else f"<unknown: {value.reason}>"

    @property
    def restricted(self) -> bool:
        return bool(self.restricted_by)

    @property
    def restriction_keys(self) -> list[str]:
        return sorted({r.key for r in self.restricted_by})

    @property
    def source_restricted(self) -> bool:
        return any(r.key.lower() in SOURCE_KEYS for r in self.restricted_by)

    @property
    def is_public(self) -> bool:
        """Anyone can use this grant: wildcard principal and no (possibly) restricting condition."""
        return self.kind == PUBLIC and not self.restricted_by and not self.restriction_unknown

    def to_evidence(self) -> dict[str, Any]:
        return {
            "statement": self.statement.sid or f"#{self.statement.index + 1}",
            "principal": self.principal_text,
            "kind": self.kind,
            "account": self.account,
            "actions": list(self.actions),
            "not_action": self.not_action,
            "conditions": [
                {"operator": r.operator, "key": r.key, "values": list(r.values)}
                for r in self.restricted_by
            ],
        }


@dataclass
class Exposure:
    grants: list[Grant] = field(default_factory=list)
    # Reasons some statement or principal could not be judged.
    unknown: list[str] = field(default_factory=list)
    denied: list[Grant] = field(default_factory=list)  # grants cancelled by a blanket Deny

    @property
    def public(self) -> list[Grant]:
        return [g for g in self.grants if g.is_public]

    def foreign_accounts(self, home: str | None) -> list[Grant]:
        return [g for g in self.grants if g.kind == ACCOUNT and not g.same_account]


def _kind(principal: Principal) -> str:
    if principal.is_wildcard:
        return PUBLIC
    if isinstance(principal.value, Unknown):
        return UNKNOWN
    kind = principal.kind.lower()
    if kind == "service":
        return SERVICE
    if kind == "federated":
        return FEDERATED
    if kind == "canonicaluser":
        return CANONICAL_USER
    if kind == "aws":
        return ACCOUNT
    return UNKNOWN


def _blanket_deny_covers(denies: list[Statement], stmt: Statement) -> bool:
    if not denies or stmt.actions_unknown:
        return False
    allowed = expand_all(stmt.known_actions, not_action=stmt.not_action)
    for deny in denies:
        if deny.conditions or deny.not_principal or deny.actions_unknown:
            continue
        if not any(p.is_wildcard for p in deny.principals):
            continue
        if not (deny.not_resource is False and "*" in deny.resources):
            continue
        if allowed <= expand_all(deny.known_actions, not_action=deny.not_action):
            return True
    return False


def analyse(policy: Any, home_account: str | None) -> Exposure:
    """Grants of a resource or trust policy (dict, JSON text, ParsedPolicy or Unknown)."""
    parsed = policy if isinstance(policy, ParsedPolicy) else parse_policy(policy)
    out = Exposure()
    if parsed.unknown is not None:
        out.unknown.append(parsed.unknown)
        return out
    denies = parsed.denies
    for stmt in parsed.statements:
        if stmt.effect_unknown:
            out.unknown.append(f"{stmt.label}: Effect is not resolvable")
            continue
        if not stmt.is_allow:
            continue
        if stmt.actions_unknown:
            out.unknown.append(f"{stmt.label}: Action is not resolvable")
        found, unknown_conds = restrictions(stmt)
        principals = stmt.principals
        if stmt.not_principal:
            principals = (Principal("*", "*"),)  # everyone except a few: public for our purpose
        elif not stmt.has_principal:
            out.unknown.append(f"{stmt.label}: no Principal (not a resource policy statement)")
            continue
        cancelled = _blanket_deny_covers(denies, stmt)
        for principal in principals:
            kind = _kind(principal)
            account: str | None = None
            if kind == UNKNOWN:
                reason = (
                    principal.value.reason
                    if isinstance(principal.value, Unknown)
                    else f"principal type {principal.kind!r}"
                )
                out.unknown.append(f"{stmt.label}: principal is not resolvable ({reason})")
            elif kind == ACCOUNT and isinstance(principal.value, str):
                account = account_of(principal.value)
            grant = Grant(
                statement=stmt,
                principal=principal,
                kind=kind,
                account=account,
                same_account=account is not None and account == home_account,
                actions=tuple(stmt.known_actions),
                not_action=stmt.not_action,
                restricted_by=tuple(found),
                restriction_unknown=tuple(unknown_conds),
            )
            (out.denied if cancelled else out.grants).append(grant)
    return out


def is_public(policy: Any) -> bool | None:
    """True if anyone may use the policy's resource; None when that cannot be decided."""
    exposure = analyse(policy, None)
    if exposure.public:
        return True
    undecided = any(g.kind == PUBLIC and g.restriction_unknown for g in exposure.grants)
    if exposure.unknown or undecided:
        return None
    return False


# --------------------------------------------------------------------------- trust policies


def trust_grants(trust_policy: Any, home_account: str | None) -> Exposure:
    """Who may assume a role: the Allow grants whose actions include an sts:AssumeRole* call."""
    exposure = analyse(trust_policy, home_account)
    assume = {a.lower() for a in ASSUME_ACTIONS}
    kept: list[Grant] = []
    for grant in exposure.grants:
        actions = {a.lower() for a in expand_all(grant.actions, not_action=grant.not_action)}
        if actions & assume or grant.statement.actions_unknown:
            kept.append(grant)
    exposure.grants = kept
    return exposure


def unexpected_trust(trust_policy: Any, home_account: str | None) -> tuple[list[Grant], list[str]]:
    """Grants of a Lambda execution role's trust policy to anyone but the Lambda service."""
    exposure = trust_grants(trust_policy, home_account)
    odd = [
        g
        for g in exposure.grants
        if not (
            g.kind == SERVICE
            and isinstance(g.principal.value, str)
            and g.principal.value.lower() in LAMBDA_SERVICE_PRINCIPALS
        )
    ]
    return odd, exposure.unknown


__all__ = [
    "ACCOUNT",
    "FEDERATED",
    "LAMBDA_SERVICE_PRINCIPALS",
    "PUBLIC",
    "SERVICE",
    "UNKNOWN",
    "Exposure",
    "Grant",
    "Restriction",
    "account_of",
    "analyse",
    "is_public",
    "restrictions",
    "trust_grants",
    "unexpected_trust",
]


# --------------------------------------------------------------------------- guarding denies


def _covers(patterns: tuple[Any, ...], action: str) -> bool:
    return any(isinstance(p, str) and fnmatch.fnmatchcase(action, p.lower()) for p in patterns)


def guarding_denies(policy: Any, action: str) -> list[tuple[Statement, list[str]]]:
    """Deny statements that keep everyone out of ``action`` unless a restricting condition
    holds (the API Gateway "allow *, deny unless aws:SourceVpce / aws:SourceIp" pattern), with
    the condition keys they pin.

    A Deny counts only when it applies to every principal, covers ``action`` on a wildcard
    resource, and each of its conditions negates (``StringNotEquals``, ``NotIpAddress``...) a
    restricting key with fixed values: then whoever gets through is pinned by those keys.
    """
    parsed = policy if isinstance(policy, ParsedPolicy) else parse_policy(policy)
    if parsed.unknown is not None:
        return []
    wanted = action.lower()
    out: list[tuple[Statement, list[str]]] = []
    for deny in parsed.denies:
        if deny.not_action or deny.not_principal or deny.not_resource or not deny.conditions:
            continue
        if not any(p.is_wildcard for p in deny.principals):
            continue
        if not _covers(deny.actions, wanted):
            continue
        if not any(isinstance(r, str) and r.endswith("*") for r in deny.resources):
            continue
        keys: list[str] = []
        for cond in deny.conditions:
            values = [v for v in cond.values if isinstance(v, str)]
            if (
                cond.if_exists
                or not cond.base_operator.startswith(_NEGATED)
                or cond.key_lower not in RESTRICTING_KEYS
                or len(values) != len(cond.values)
                or not all(_fixed_value(cond.key_lower, v) for v in values)
            ):
                break
            keys.append(cond.key)
        else:
            out.append((deny, keys))
    return out


def grants_action(grant: Grant, action: str) -> bool:
    """True when the grant's actions (as written) include ``action``."""
    if grant.not_action:
        return not _covers(grant.actions, action.lower())
    return _covers(grant.actions, action.lower())
