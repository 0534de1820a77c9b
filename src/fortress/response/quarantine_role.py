"""quarantine-role: an inline deny-all policy, named for Fortress, on the execution role.

Explicit Deny wins over every Allow, so the role's credentials (including stolen copies) can do
nothing while it is attached; undo deletes exactly this policy. The role may serve other
functions too: the plan lists them, since they stop working as well.
"""

from __future__ import annotations

from fortress.response import role_policy
from fortress.response.context import PlanContext
from fortress.response.model import Step
from fortress.response.ops import Unreadable

POLICY_NAME = "FortressQuarantine"
DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "FortressQuarantineDenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}
    ],
}


def sharing_functions(ctx: PlanContext) -> list[str]:
    """Other functions of the region that run with the same role."""
    try:
        functions = ctx.ops.pages(
            "lambda", "list_functions", "Functions", resource=f"functions in {ctx.target.region}"
        )
    except Unreadable as exc:
        ctx.gaps.append(f"{exc}; cannot tell which other functions share the role")
        return []
    return sorted(
        str(f["FunctionName"])
        for f in functions
        if f.get("Role") == ctx.target.role_arn and f.get("FunctionName") != ctx.target.name
    )


def plan(ctx: PlanContext) -> list[Step]:
    if not ctx.target.role_name:
        ctx.notes.append(f"{ctx.target.name}: no execution role")
        return []
    step, _ = role_policy.put_step(
        ctx, "quarantine-role", POLICY_NAME, DOCUMENT, "attach deny-all inline policy"
    )
    if step is None:
        ctx.notes.append(f"role {ctx.target.role_name}: already quarantined ({POLICY_NAME})")
        return []
    others = sharing_functions(ctx)
    if others:
        step.warnings.append(
            f"role {ctx.target.role_name} is shared: {', '.join(others)} will be denied too"
        )
    return [step]
