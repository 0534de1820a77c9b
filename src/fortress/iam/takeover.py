"""Who, in the account, can take over a function: change its code, configuration, access or
role, or run its role's permissions in a function of their own.

For every user and role of the account (:class:`fortress.inventory.IamAccount`) each takeover
action is decided as IAM would: the principal's identity policies (a user's own and its
groups'), intersected with its permissions boundary, intersected with each level of the service
control policies in effect (when they were read). An explicit Deny wins; NotAction and
NotResource are honoured; a condition whose key the request context does not fix makes the
answer ``conditional`` (never dropped, never claimed).

Known limits: the function's own resource policy (FTR-IAM-007/008/010 judge it) and session
policies are not considered; service-linked roles (``/aws-service-role/``), which only AWS can
assume, are left out; condition keys known are the principal's ARN, account, type and user
name, ``iam:PassedToService``, the resource account and the function's tags.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fortress.iam import match
from fortress.iam.managed import get_managed_policy, is_aws_managed_arn
from fortress.iam.policy import ParsedPolicy, parse_policies
from fortress.inventory import Function, IamAccount, IamUser, Policy, Role, Unknown, arn_parts

LAMBDA_SERVICE = "lambda.amazonaws.com"
SERVICE_LINKED_PATH = ":role/aws-service-role/"

# Function-level actions that change what the function runs, how, or who may call it.
FUNCTION_ACTIONS: tuple[tuple[str, str], ...] = (
    ("lambda:UpdateFunctionCode", "replace its code"),
    ("lambda:UpdateFunctionConfiguration", "change its layers, environment or role"),
    ("lambda:AddPermission", "let another principal call or manage it"),
    ("lambda:CreateFunctionUrlConfig", "give it a public URL"),
    ("lambda:UpdateFunctionUrlConfig", "open its URL to anonymous callers"),
)
# Writes to the execution role that change what the function may do (or who may assume it).
ROLE_ACTIONS: tuple[tuple[str, str], ...] = (
    ("iam:PutRolePolicy", "write an inline policy on its role"),
    ("iam:AttachRolePolicy", "attach a policy to its role"),
    ("iam:UpdateAssumeRolePolicy", "rewrite its role's trust policy"),
    ("iam:DeleteRolePermissionsBoundary", "remove its role's permissions boundary"),
)
POLICY_ACTIONS: tuple[tuple[str, str], ...] = (
    ("iam:CreatePolicyVersion", "rewrite a managed policy attached to its role"),
    ("iam:SetDefaultPolicyVersion", "switch a managed policy attached to its role"),
)
ALL_ACTIONS = (
    *(a for a, _ in FUNCTION_ACTIONS + ROLE_ACTIONS + POLICY_ACTIONS),
    "lambda:UpdateAlias",
    "lambda:PublishLayerVersion",
    "iam:PassRole",
)


@dataclass(frozen=True)
class Way:
    """One way a principal can take the function over."""

    actions: tuple[str, ...]  # one action, or PassRole + CreateFunction
    resource: str
    what: str
    level: str  # match.ALLOWED, CONDITIONAL or UNKNOWN
    statements: tuple[str, ...]  # the granting statements (policy name and Sid or index)
    notes: tuple[str, ...] = ()  # conditions not evaluated, unreadable parts

    def to_dict(self) -> dict[str, Any]:
        return {
            "actions": list(self.actions),
            "resource": self.resource,
            "what": self.what,
            "level": self.level,
            "statements": list(self.statements),
            "notes": list(self.notes),
        }


@dataclass
class Taker:
    """A principal that can take the function over, and how."""

    kind: str  # "user" or "role"
    name: str
    arn: str
    ways: list[Way] = field(default_factory=list)
    deployer: bool = False

    @property
    def level(self) -> str:
        """The strongest of its ways."""
        levels = {w.level for w in self.ways}
        for level in (match.ALLOWED, match.CONDITIONAL, match.UNKNOWN):
            if level in levels:
                return level
        return match.DENIED

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "arn": self.arn,
            "deployer": self.deployer,
            "level": self.level,
            "ways": [w.to_dict() for w in self.ways],
        }


@dataclass
class Principal:
    """A user or role with its policies parsed once (shared across functions)."""

    kind: str
    name: str
    arn: str
    identity: ParsedPolicy
    boundary: ParsedPolicy | None
    context: dict[str, str]
    # action -> whether some identity statement could allow it (a cheap filter, filled lazily)
    may: dict[str, bool] = field(default_factory=dict)
    _relevant: bool | None = None
    by_action: dict[str, ParsedPolicy] = field(default_factory=dict)
    # (action, resource, any_under, context) -> decision, for resources several functions share
    decided: dict[tuple[object, ...], match.Decision] = field(default_factory=dict)

    @property
    def relevant(self) -> bool:
        """Whether some identity statement could allow a takeover action at all."""
        if self._relevant is None:
            self._relevant = any(self.may_allow(a) for a in ALL_ACTIONS)
        return self._relevant

    def statements_for(self, action: str) -> ParsedPolicy:
        """The identity statements whose Action could cover ``action`` (cached)."""
        found = self.by_action.get(action)
        if found is None:
            kept = [
                s for s in self.identity.statements if match.action_match(s, action) != match.NO
            ]
            found = ParsedPolicy(kept, list(self.identity.problems), self.identity.unknown)
            self.by_action[action] = found
        return found

    def may_allow(self, action: str) -> bool:
        hit = self.may.get(action)
        if hit is None:
            hit = self.identity.unknown is not None or any(
                (s.is_allow or s.effect_unknown) and match.action_match(s, action) != match.NO
                for s in self.identity.statements
            )
            self.may[action] = hit
        return hit


@dataclass
class Answer:
    function: str
    takers: list[Taker] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was not considered
    principals: int = 0  # principals judged

    def to_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "principals_checked": self.principals,
            "takers": [t.to_dict() for t in self.takers],
            "notes": list(self.notes),
        }


def _document(policy: Policy, managed: dict[str, Policy]) -> Any:
    document: Any = policy.document
    if document or isinstance(document, Unknown):
        return document
    ref = policy.arn or policy.name
    if policy.arn and policy.arn in managed and managed[policy.arn].document:
        return managed[policy.arn].document
    if policy.aws_managed or (policy.arn and is_aws_managed_arn(policy.arn)):
        found = get_managed_policy(ref)
        if found:
            return found.document
        return Unknown(f"AWS managed policy {ref} is not in the offline dataset")
    return document


def _boundary(arn: str | None, managed: dict[str, Policy]) -> ParsedPolicy | None:
    if not arn:
        return None
    name = arn.rsplit("/", 1)[-1]
    policy = managed.get(arn) or Policy(name=name, document={}, arn=arn)
    document = _document(policy, managed)
    if not document:
        document = Unknown(f"permissions boundary {arn} was not read")
    return parse_policies([(f"boundary {name}", document)])


def principals(account: IamAccount) -> tuple[list[Principal], list[str]]:
    """Every user and role of the account, parsed; and what was left out."""
    managed = {p.arn: p for p in account.managed_policies if p.arn}
    groups = {g.name: g for g in account.groups}
    out: list[Principal] = []
    notes: list[str] = []
    for user in account.users:
        docs: list[tuple[str | None, Any]] = [
            (p.name, _document(p, managed)) for p in user.policies
        ]
        for group_name in user.groups:
            group = groups.get(group_name)
            if group is None:
                docs.append((f"group {group_name}", Unknown(f"group {group_name} was not read")))
                continue
            docs += [
                (f"{p.name} (group {group.name})", _document(p, managed)) for p in group.policies
            ]
        out.append(_principal("user", user, docs, managed, account.account))
    skipped = 0
    for role in account.roles:
        if SERVICE_LINKED_PATH in role.arn:
            skipped += 1
            continue
        docs = [(p.name, _document(p, managed)) for p in role.policies]
        out.append(_principal("role", role, docs, managed, account.account))
    if skipped:
        notes.append(f"{skipped} service-linked roles (only AWS can assume them) are left out")
    return out, notes


def _principal(
    kind: str,
    who: IamUser | Role,
    docs: list[tuple[str | None, Any]],
    managed: dict[str, Policy],
    account: str,
) -> Principal:
    context = {
        "aws:PrincipalArn": who.arn,
        "aws:PrincipalAccount": account,
        "aws:PrincipalType": "User" if kind == "user" else "AssumedRole",
    }
    if kind == "user":
        context["aws:username"] = who.name
    return Principal(
        kind,
        who.name,
        who.arn,
        parse_policies(docs),
        _boundary(who.permissions_boundary_arn, managed),
        context,
    )


def scp_policies(account: IamAccount) -> list[ParsedPolicy] | None:
    if account.scps is None:
        return None
    # A level with no policy cannot exist where SCPs are enabled (AWS keeps at least one
    # attached); an empty one read back is skipped rather than taken to deny everything.
    return [
        parse_policies([(f"SCP {p.name} ({level.target})", p.document) for p in level.policies])
        for level in account.scps
        if level.policies
    ]


def decide(
    who: Principal,
    scps: Sequence[ParsedPolicy] | None,
    action: str,
    arn: str,
    context: dict[str, str | Sequence[str]] | None = None,
    *,
    any_under: bool = False,
) -> match.Decision:
    """Identity policies ∩ permissions boundary ∩ every SCP level, for one action."""
    if not who.may_allow(action):
        return match.Decision(match.DENIED)
    frozen = tuple(
        sorted((k, v if isinstance(v, str) else tuple(v)) for k, v in (context or {}).items())
    )
    key = (action, arn, any_under, frozen)
    known = who.decided.get(key)
    if known is None:
        known = who.decided[key] = _decide(who, scps, action, arn, context, any_under)
    return known


def _decide(
    who: Principal,
    scps: Sequence[ParsedPolicy] | None,
    action: str,
    arn: str,
    context: dict[str, str | Sequence[str]] | None,
    any_under: bool,
) -> match.Decision:
    ctx: dict[str, str | Sequence[str]] = {**who.context, **(context or {})}
    identity = match.evaluate(who.statements_for(action), action, arn, ctx, any_under=any_under)
    if identity.level == match.DENIED:
        return identity
    parts = [identity]
    if who.boundary is not None:
        parts.append(match.evaluate(who.boundary, action, arn, ctx, any_under=any_under))
    for level in scps or ():
        parts.append(match.evaluate(level, action, arn, ctx, any_under=any_under))
    combined = match.intersect(parts)
    combined.allows = list(identity.allows)  # the grant is the identity statement
    return combined


def _way(
    decisions: list[match.Decision], actions: tuple[str, ...], resource: str, what: str
) -> Way | None:
    if any(d.level == match.DENIED for d in decisions):
        return None
    combined = match.intersect(decisions)
    labels = tuple(dict.fromkeys(s.label for s in combined.allows))
    return Way(
        actions, resource, what, combined.level, labels, tuple(dict.fromkeys(combined.reasons))
    )


def function_targets(fn: Function) -> list[tuple[str, str, str]]:
    """(action, resource ARN, what it lets one do) for the function-level takeover actions."""
    out = [(action, fn.arn, what) for action, what in FUNCTION_ACTIONS]
    for alias in fn.aliases:
        out.append(
            ("lambda:UpdateAlias", f"{fn.arn}:{alias.name}", f"point alias {alias.name} elsewhere")
        )
    for layer in fn.layers:
        if not isinstance(layer.arn, str) or layer.account != fn.account:
            continue
        parts = arn_parts(layer.arn)
        if len(parts) >= 7:
            unversioned = ":".join(parts[:7])
            out.append(
                (
                    "lambda:PublishLayerVersion",
                    unversioned,
                    f"publish a new version of its layer {parts[6]}",
                )
            )
    return out


def who_can(
    fn: Function,
    account: IamAccount,
    deployers: Iterable[str] = (),
    *,
    parsed: tuple[list[Principal], list[str]] | None = None,
    roles: dict[str, Role] | None = None,
) -> Answer:
    """Every principal of ``account`` that can take ``fn`` over, with the granting statements.

    ``parsed`` (from :func:`principals`) and ``roles`` (ARN -> role, for the execution role's
    attached policies) let a caller judging many functions parse the account once.
    """
    people, notes = parsed if parsed is not None else principals(account)
    answer = Answer(fn.arn, notes=list(notes), principals=len(people))
    scps = scp_policies(account)
    if scps is None:
        answer.notes.append(
            "service control policies were not read"
            + (f" ({account.scp_note})" if account.scp_note else "")
            + ": principals they would stop may be listed"
        )
    elif account.scp_note:
        answer.notes.append(account.scp_note)
    patterns = [d for d in deployers if d]
    tags = fn.tags if isinstance(fn.tags, dict) else {}
    fn_context: dict[str, str | Sequence[str]] = {"aws:ResourceAccount": fn.account or ""}
    for key, value in tags.items():
        fn_context[f"aws:ResourceTag/{key}"] = value
    targets = function_targets(fn)
    role_arn = fn.role_arn if isinstance(fn.role_arn, str) else None
    role = (roles or {}).get(role_arn or "") or next(
        (r for r in account.roles if r.arn == role_arn), None
    )
    if role_arn is None:
        answer.notes.append("the execution role is not known: writes to it were not checked")
    for who in people:
        if not who.relevant:
            continue
        ways: list[Way] = []
        for action, resource, what in targets:
            d = decide(who, scps, action, resource, fn_context)
            way = _way([d], (action,), resource, what)
            if way:
                ways.append(way)
        if role_arn:
            ways.extend(_role_ways(who, scps, fn, role_arn, role))
        if ways:
            answer.takers.append(
                Taker(
                    who.kind,
                    who.name,
                    who.arn,
                    ways,
                    any(fnmatch.fnmatchcase(who.arn, p) for p in patterns),
                )
            )
    answer.takers.sort(key=lambda t: (t.deployer, t.level != match.ALLOWED, t.kind, t.name))
    return answer


def _role_ways(
    who: Principal,
    scps: Sequence[ParsedPolicy] | None,
    fn: Function,
    role_arn: str,
    role: Role | None,
) -> list[Way]:
    ways: list[Way] = []
    pass_role = decide(who, scps, "iam:PassRole", role_arn, {"iam:PassedToService": LAMBDA_SERVICE})
    if pass_role.possible:
        new_fn = f"arn:aws:lambda:{fn.region or '*'}:{fn.account or '*'}:function:*"
        create = decide(who, scps, "lambda:CreateFunction", new_fn, any_under=True)
        way = _way(
            [pass_role, create],
            ("iam:PassRole", "lambda:CreateFunction"),
            role_arn,
            "run its role's permissions in a function of their own",
        )
        if way:
            ways.append(way)
    for action, what in ROLE_ACTIONS:
        way = _way([decide(who, scps, action, role_arn)], (action,), role_arn, what)
        if way:
            ways.append(way)
    for policy in role.attached_policies if role else ():
        if not policy.arn or policy.aws_managed or is_aws_managed_arn(policy.arn):
            continue  # AWS managed policies cannot be changed by the account
        for action, what in POLICY_ACTIONS:
            way = _way(
                [decide(who, scps, action, policy.arn)],
                (action,),
                policy.arn,
                f"{what} ({policy.name})",
            )
            if way:
                ways.append(way)
    return ways


# What a template's role or policy may reach, when no function of the files is its target.
ANY_FUNCTION = "arn:*:lambda:*:*:function:*"  # also every alias and version ARN
ANY_LAYER = "arn:*:lambda:*:*:layer:*"
ANY_ROLE = "arn:*:iam::*:role/*"


def reach(parsed: ParsedPolicy) -> list[Way]:
    """The takeover actions ``parsed`` (a template role's or policy's statements) allows on
    ``*`` or on function (layer, role) ARNs, whoever holds it and whatever function it is.

    The function-level actions, ``lambda:UpdateAlias`` and ``lambda:PublishLayerVersion`` one
    by one, and ``iam:PassRole`` (passed to Lambda) with ``lambda:CreateFunction``. Writes to a
    role are left to FTR-IAM-004 (privilege escalation).
    """
    singles = [
        *((action, ANY_FUNCTION, what) for action, what in FUNCTION_ACTIONS),
        ("lambda:UpdateAlias", ANY_FUNCTION, "point a function's alias at another version"),
        ("lambda:PublishLayerVersion", ANY_LAYER, "publish a new version of a layer functions use"),
    ]
    ways: list[Way] = []
    for action, scope, what in singles:
        way = _reach_way([match.evaluate_some(parsed, action, scope)], (action,), scope, what)
        if way:
            ways.append(way)
    pass_role = match.evaluate_some(
        parsed, "iam:PassRole", ANY_ROLE, {"iam:PassedToService": LAMBDA_SERVICE}
    )
    if pass_role.possible:
        create = match.evaluate_some(parsed, "lambda:CreateFunction", ANY_FUNCTION)
        way = _reach_way(
            [pass_role, create],
            ("iam:PassRole", "lambda:CreateFunction"),
            ANY_ROLE,
            "run a role's permissions in a function of their own",
        )
        if way:
            ways.append(way)
    return ways


def _reach_way(
    decisions: list[match.Decision], actions: tuple[str, ...], scope: str, what: str
) -> Way | None:
    way = _way(decisions, actions, scope, what)
    if way is None:
        return None
    # The resources the granting statements name within the scope ("*", "arn:...:function:x").
    named = [
        r
        for d in decisions
        for s in d.allows
        for r in s.resources
        if isinstance(r, str) and (s.not_resource or match.arns_overlap(r, scope))
    ]
    shown = ", ".join(dict.fromkeys(named)) or scope
    return Way(actions, shown, what, way.level, way.statements, way.notes)


__all__ = [
    "ANY_FUNCTION",
    "FUNCTION_ACTIONS",
    "POLICY_ACTIONS",
    "ROLE_ACTIONS",
    "Answer",
    "Principal",
    "Taker",
    "Way",
    "decide",
    "function_targets",
    "principals",
    "reach",
    "scp_policies",
    "who_can",
]
