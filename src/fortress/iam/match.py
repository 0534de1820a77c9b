"""Does a policy allow one action on one resource? IAM's evaluation logic, applied statically.

:func:`statement_applies` matches one statement's Action/NotAction, Resource/NotResource and
Condition against an action, a resource ARN and what is known of the request (a context of
condition keys); :func:`evaluate` combines the statements of a policy set the way IAM does
(an explicit Deny wins, then an Allow, else the implicit deny); :func:`intersect` combines
policy types that must all allow (identity policies, a permissions boundary, each level of
service control policies).

Answers are three-valued: a statement applies (``YES``), does not (``NO``), or might
(``MAYBE``: a condition whose key the context does not hold, a policy variable, a value a
template could not resolve). A decision is :data:`ALLOWED`, :data:`CONDITIONAL` (allowed if
conditions hold), :data:`UNKNOWN` (a document could not be read) or :data:`DENIED`.

Matching follows IAM: actions case-insensitively, resources case-sensitively, ``*`` and ``?``
as wildcards. A resource ending in ``*`` passed as ``any_under`` asks "some resource with this
prefix" (a new function's ARN, whose name the caller chooses).
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from fortress.iam.policy import Condition, ParsedPolicy, Statement

YES = "yes"
NO = "no"
MAYBE = "maybe"

ALLOWED = "allowed"
CONDITIONAL = "conditional"
UNKNOWN = "unknown"
DENIED = "denied"
_RANK = {DENIED: 0, UNKNOWN: 1, CONDITIONAL: 2, ALLOWED: 3}

# What is known of a request: condition key (any case) -> value or values.
RequestContext = Mapping[str, str | Sequence[str]]

_POLICY_VAR = re.compile(r"\$\{[^}]*\}")


def _and(*answers: str) -> str:
    if NO in answers:
        return NO
    return MAYBE if MAYBE in answers else YES


def _not(answer: str) -> str:
    return {YES: NO, NO: YES}.get(answer, MAYBE)


@functools.lru_cache(maxsize=65536)
def glob(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcard match (``*`` any run, ``?`` one character; no character classes).

    Cached: the same statement patterns are matched against the same actions and ARNs for
    every role of a large template or account (FTR-IAM-011/012 ask eight questions per role).
    """
    pattern = pattern.replace("[", "[[]")  # fnmatch classes are not IAM syntax
    if ignore_case:
        return fnmatch.fnmatchcase(text.lower(), pattern.lower())
    return fnmatch.fnmatchcase(text, pattern)


def glob_prefix(pattern: str, prefix: str) -> bool:
    """Whether ``pattern`` matches some string that starts with ``prefix``."""
    states = _close(pattern, {0})  # positions in the pattern reachable so far
    for ch in prefix:
        nxt: set[int] = set()
        for i in states:
            if i >= len(pattern):
                continue
            if pattern[i] == "*":
                nxt.add(i)  # the star eats this character (and maybe more)
            elif pattern[i] in ("?", ch):
                nxt.add(i + 1)
        states = _close(pattern, nxt)
        if not states:
            return False
    return True


def _close(pattern: str, states: set[int]) -> set[int]:
    """Add the positions after stars, which may match nothing."""
    out = set(states)
    todo = list(states)
    while todo:
        i = todo.pop()
        if i < len(pattern) and pattern[i] == "*" and i + 1 not in out:
            out.add(i + 1)
            todo.append(i + 1)
    return out


def _resource_hit(pattern: str, arn: str, any_under: bool) -> str:
    varied = bool(_POLICY_VAR.search(pattern))
    concrete = _POLICY_VAR.sub("*", pattern)
    hit = glob_prefix(concrete, arn[:-1]) if any_under else glob(concrete, arn)
    if not hit:
        return NO
    return MAYBE if varied else YES


def action_match(stmt: Statement, action: str) -> str:
    """Whether the statement's Action (or NotAction) covers ``action``."""
    if stmt.actions_unknown:
        return MAYBE
    hit = any(glob(a, action, ignore_case=True) for a in stmt.known_actions)
    if stmt.not_action:
        return NO if hit else YES
    return YES if hit else NO


def resource_match(stmt: Statement, arn: str, *, any_under: bool = False) -> str:
    """Whether the statement's Resource (or NotResource) covers ``arn``.

    With ``any_under``, ``arn`` ends in ``*`` and the question is whether the statement covers
    some resource with that prefix (for NotResource: whether it leaves one out).
    """
    if stmt.resources_unknown:
        return MAYBE
    if not stmt.resources:
        return YES if stmt.not_resource else NO
    hits = [_resource_hit(r, arn, any_under) for r in stmt.resources if isinstance(r, str)]
    found = YES if YES in hits else (MAYBE if MAYBE in hits else NO)
    if stmt.not_resource:
        if any_under:  # NotResource leaves some resource under the prefix unless it names all
            return NO if any(r in ("*", arn) for r in stmt.resources) else YES
        return _not(found)
    return found


def _values_of(context: RequestContext, key: str) -> list[str] | None:
    wanted = key.lower()
    for k, v in context.items():
        if k.lower() == wanted:
            return [v] if isinstance(v, str) else list(v)
    return None


_STRING_OPS = {
    "StringEquals": (False, False),  # (wildcards, ignore case)
    "StringEqualsIgnoreCase": (False, True),
    "StringLike": (True, False),
    "ArnEquals": (True, False),  # ARN operators accept wildcards in every segment
    "ArnLike": (True, False),
}
_NEGATIONS = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def condition_holds(cond: Condition, context: RequestContext) -> str:
    """Whether one condition test holds for the request; MAYBE when it cannot be told."""
    if any(not isinstance(v, str) for v in cond.values):
        return MAYBE
    wanted = [v for v in cond.values if isinstance(v, str)]
    if cond.operator == "Null":
        return MAYBE  # presence of a key is a property of the request, rarely known
    present = _values_of(context, cond.key)
    if present is None:
        return MAYBE
    op = cond.base_operator
    negated = op in _NEGATIONS
    base = _NEGATIONS.get(op, op)
    if base == "Bool":
        matches = [str(p).lower() == str(w).lower() for p in present for w in wanted]
        return YES if any(matches) else NO
    if base not in _STRING_OPS:
        return MAYBE  # numeric, date, IP address, binary tests: not evaluated
    wild, ignore_case = _STRING_OPS[base]

    def one(value: str) -> bool:
        if wild:
            return any(
                glob(_POLICY_VAR.sub("*", w), value, ignore_case=ignore_case) for w in wanted
            )
        if ignore_case:
            return value.lower() in {w.lower() for w in wanted}
        return value in wanted

    if cond.operator.startswith("ForAllValues:"):
        result = all(one(p) for p in present)
    else:  # single-valued keys and ForAnyValue: any value matches
        result = any(one(p) for p in present)
    if negated:
        result = not result
    if any(_POLICY_VAR.search(w) for w in wanted):
        return MAYBE if result else NO
    return YES if result else NO


def conditions_hold(stmt: Statement, context: RequestContext) -> str:
    return _and(YES, *(condition_holds(c, context) for c in stmt.conditions))


def statement_applies(
    stmt: Statement,
    action: str,
    arn: str,
    context: RequestContext | None = None,
    *,
    any_under: bool = False,
) -> str:
    """Whether ``stmt`` speaks about this request: YES, NO or MAYBE (see module docs)."""
    answer = action_match(stmt, action)
    if answer == NO:
        return NO
    answer = _and(answer, resource_match(stmt, arn, any_under=any_under))
    if answer == NO:
        return NO
    return _and(answer, conditions_hold(stmt, context or {}))


def _why(stmt: Statement, context: RequestContext) -> str:
    """What makes a statement apply only maybe: its open conditions, a variable, a value."""
    open_tests = [
        f"{c.operator} {c.key}" for c in stmt.conditions if condition_holds(c, context) == MAYBE
    ]
    if open_tests:
        return "only if " + ", ".join(open_tests[:3]) + " hold (not evaluated)"
    if stmt.unknown_reasons:
        return f"if an unresolved value allows ({stmt.unknown_reasons[0]})"
    return "depending on a policy variable in its Resource"


@dataclass
class Decision:
    level: str  # ALLOWED, CONDITIONAL, UNKNOWN or DENIED
    allows: list[Statement] = field(default_factory=list)  # the Allows that apply (or may)
    denies: list[Statement] = field(default_factory=list)  # the Denies that apply (or may)
    reasons: list[str] = field(default_factory=list)  # why CONDITIONAL or UNKNOWN

    @property
    def possible(self) -> bool:
        """Allowed, or allowed under conditions or unreadable parts."""
        return self.level != DENIED


def evaluate(
    policy: ParsedPolicy,
    action: str,
    arn: str,
    context: RequestContext | None = None,
    *,
    any_under: bool = False,
) -> Decision:
    """One policy type's decision: explicit Deny, then Allow, else implicit deny."""
    allow_yes: list[Statement] = []
    allow_maybe: list[Statement] = []
    deny_yes: list[Statement] = []
    deny_maybe: list[Statement] = []
    undecided: list[str] = []
    for stmt in policy.statements:
        applies = statement_applies(stmt, action, arn, context, any_under=any_under)
        if applies == NO:
            continue
        if stmt.effect_unknown:
            undecided.append(f"{stmt.label}: effect is not resolvable")
        elif stmt.is_deny:
            (deny_yes if applies == YES else deny_maybe).append(stmt)
        elif stmt.is_allow:
            (allow_yes if applies == YES else allow_maybe).append(stmt)
    if deny_yes:
        return Decision(DENIED, [], deny_yes)
    return _decision(policy, context or {}, allow_yes, allow_maybe, deny_maybe, undecided)


def _decision(
    policy: ParsedPolicy,
    ctx: RequestContext,
    allow_yes: list[Statement],
    allow_maybe: list[Statement],
    deny_maybe: list[Statement],
    undecided: list[str],
) -> Decision:
    """No Deny applies for sure: an Allow that does (or may), else the implicit deny."""
    reasons = [f"{s.label} denies it {_why(s, ctx)}" for s in deny_maybe]
    reasons += [f"{s.label} allows it {_why(s, ctx)}" for s in allow_maybe if not allow_yes]
    if allow_yes:
        level = CONDITIONAL if deny_maybe else ALLOWED
        return Decision(level, allow_yes, deny_maybe, reasons)
    if allow_maybe:
        return Decision(CONDITIONAL, allow_maybe, deny_maybe, reasons)
    unread = [*undecided, *([policy.unknown] if policy.unknown else [])]
    if unread:
        return Decision(UNKNOWN, [], deny_maybe, [*reasons, *unread])
    return Decision(DENIED, [], deny_maybe)


def globs_overlap(a: str, b: str) -> bool:
    """Whether two IAM wildcard patterns match some string in common (``*``, ``?``)."""
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] == "*":
            todo.append((i + 1, j))  # the star matches nothing more
            if j < len(b):
                todo.append((i, j + 1))  # the star eats b's next character
        if j < len(b) and b[j] == "*":
            todo.append((i, j + 1))
            if i < len(a):
                todo.append((i + 1, j))
        if i < len(a) and j < len(b) and (a[i] == b[j] or "?" in (a[i], b[j])):
            todo.append((i + 1, j + 1))
    return False


def arns_overlap(pattern: str, scope: str) -> bool:
    """Whether a Resource pattern and an ARN pattern (``arn:*:lambda:*:*:function:*``) match
    some ARN in common, segment by segment: ``arn:aws:s3:::b/*`` names no function, although
    its ``*`` could run on over colons. A pattern of fewer segments ends in a wildcard that
    stands for all the rest (``arn:aws:*``)."""
    if pattern == "*":
        return True
    mine, theirs = pattern.split(":", 5), scope.split(":", 5)
    if len(mine) < len(theirs):
        head, last = mine[:-1], mine[-1]
        rest = ":".join(theirs[len(head) :])
        return all(map(globs_overlap, head, theirs)) and globs_overlap(last, rest)
    return len(mine) == len(theirs) and all(map(globs_overlap, mine, theirs))


def _scope_hit(pattern: str, scope: str, *, whole: bool) -> str:
    """Does a Resource entry reach some (``whole``: every) resource matching ``scope``?

    Template placeholders (``${AWS::AccountId}``) stand for any value; a policy variable or a
    value a template could not resolve makes the answer MAYBE.
    """
    varied = any("::" not in v for v in _POLICY_VAR.findall(pattern))
    concrete = _POLICY_VAR.sub("*", pattern)
    hit = glob(concrete, scope) if whole else arns_overlap(concrete, scope)
    if not hit:
        return NO
    return MAYBE if varied else YES


def _reaches(stmt: Statement, scope: str, *, whole: bool) -> str:
    if stmt.resources_unknown:
        return MAYBE
    if stmt.not_resource:  # leaves out only what it names
        if whole:
            return NO
        hits = [_scope_hit(r, scope, whole=True) for r in stmt.resources if isinstance(r, str)]
        return NO if YES in hits else YES
    hits = [_scope_hit(r, scope, whole=whole) for r in stmt.resources if isinstance(r, str)]
    return YES if YES in hits else (MAYBE if MAYBE in hits else NO)


def evaluate_some(
    policy: ParsedPolicy, action: str, scope: str, context: RequestContext | None = None
) -> Decision:
    """Whether ``policy`` allows ``action`` on some resource matching the pattern ``scope``
    (``arn:aws:lambda:*:*:function:*``: some function), where the resource is not one ARN.

    An Allow counts when one of its resources overlaps the scope; a Deny only when it covers
    all of it (a Deny on one function leaves the others allowed).
    """
    ctx = context or {}
    allow_yes: list[Statement] = []
    allow_maybe: list[Statement] = []
    deny_maybe: list[Statement] = []
    undecided: list[str] = []
    for stmt in policy.statements:
        acts = action_match(stmt, action)
        if acts == NO:
            continue
        whole = stmt.is_deny
        applies = _and(acts, _reaches(stmt, scope, whole=whole), conditions_hold(stmt, ctx))
        if applies == NO:
            continue
        if stmt.effect_unknown:
            undecided.append(f"{stmt.label}: effect is not resolvable")
        elif stmt.is_deny:
            if applies == YES:
                return Decision(DENIED, [], [stmt])
            deny_maybe.append(stmt)
        elif stmt.is_allow:
            (allow_yes if applies == YES else allow_maybe).append(stmt)
    return _decision(policy, ctx, allow_yes, allow_maybe, deny_maybe, undecided)


def intersect(decisions: Iterable[Decision]) -> Decision:
    """Policy types that must each allow: the lowest level wins; statements are merged."""
    items = list(decisions)
    if not items:
        return Decision(DENIED)
    level = min((d.level for d in items), key=_RANK.__getitem__)
    out = Decision(level)
    for d in items:
        out.allows.extend(d.allows)
        out.denies.extend(d.denies)
        out.reasons.extend(d.reasons)
    return out


def allows(
    policy: ParsedPolicy, action: str, arn: str, context: RequestContext | None = None
) -> str:
    """Shortcut: the decision level of ``policy`` alone for ``action`` on ``arn``."""
    return evaluate(policy, action, arn, context).level


__all__ = [
    "ALLOWED",
    "CONDITIONAL",
    "DENIED",
    "MAYBE",
    "NO",
    "UNKNOWN",
    "YES",
    "Decision",
    "RequestContext",
    "action_match",
    "allows",
    "arns_overlap",
    "condition_holds",
    "conditions_hold",
    "evaluate",
    "evaluate_some",
    "glob",
    "glob_prefix",
    "globs_overlap",
    "intersect",
    "resource_match",
    "statement_applies",
]
