"""cut-public: remove resource-policy statements that let in anyone, an untrusted account, or
allow more than invocation — on the function and on every alias and version.

Who a statement lets in is decided by :mod:`fortress.iam.exposure` (the same logic the posture
rules use): a wildcard principal counts as public unless a condition pins the caller or the
calling resource (``AWS:SourceArn``, ``aws:PrincipalOrgID``…).
"""

from __future__ import annotations

from fortress.iam.actions import expand_all
from fortress.iam.exposure import ACCOUNT, PUBLIC, analyse
from fortress.response import permissions
from fortress.response.context import PlanContext
from fortress.response.model import Step

INVOCATION = frozenset({"lambda:invokefunction", "lambda:invokefunctionurl", "lambda:invokeasync"})


def reasons_to_cut(statement: dict[str, object], home: str, trusted: frozenset[str]) -> list[str]:
    """Why ``statement`` must go (empty: it may stay)."""
    exposure = analyse({"Version": "2012-10-17", "Statement": [statement]}, home)
    reasons: list[str] = []
    for grant in exposure.grants:
        if grant.kind == PUBLIC and not grant.restricted_by:
            reasons.append("grants everyone (*)")
        elif grant.kind == ACCOUNT and not grant.same_account and grant.account not in trusted:
            reasons.append(f"grants account {grant.account or grant.principal_text}")
        beyond = sorted(
            a
            for a in expand_all(grant.actions, not_action=grant.not_action)
            if a.lower() not in INVOCATION
        )
        if beyond or grant.not_action:
            shown = ", ".join(beyond[:3]) + (f" +{len(beyond) - 3}" if len(beyond) > 3 else "")
            reasons.append(f"allows more than invocation ({shown or 'NotAction'})")
    if exposure.unknown and not exposure.grants:
        reasons.append("cannot be judged: " + "; ".join(exposure.unknown))
    return list(dict.fromkeys(reasons))


def plan(ctx: PlanContext) -> list[Step]:
    steps: list[Step] = []
    for item in ctx.statements():
        reasons = reasons_to_cut(
            item["statement"], ctx.target.account, ctx.options.trusted_accounts
        )
        if not reasons:
            continue
        step = permissions.removal_step(ctx, "cut-public", item, reasons)
        if step is not None:
            steps.append(step)
    if not steps:
        ctx.notes.append(f"{ctx.target.name}: no public or untrusted resource-policy statement")
    return steps
