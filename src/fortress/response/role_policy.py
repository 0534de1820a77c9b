"""Inline policies put on the execution role (``quarantine-role``, ``revoke-sessions``).

State is the inline policy's document, or None when the role has no policy of that name; undo
deletes a policy Fortress added and puts back the prior document of one it replaced.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from fortress.response.context import PlanContext
from fortress.response.model import Step
from fortress.response.ops import Ops, StepKind

KIND = "role-policy"


def read(ops: Ops, resource: dict[str, Any]) -> dict[str, Any]:
    role, name = str(resource["role"]), str(resource["policy"])
    answer = ops.read(
        "iam", "get_role_policy", resource=f"role {role}", RoleName=role, PolicyName=name
    )
    if answer is None:
        return {"document": None}
    document = answer.get("PolicyDocument")
    if isinstance(document, str):  # the raw API answer is URL-encoded JSON
        document = json.loads(urllib.parse.unquote(document))
    return {"document": document}


def put_step(
    ctx: PlanContext, action: str, policy: str, document: dict[str, Any], summary: str
) -> tuple[Step | None, dict[str, Any]]:
    """A step putting ``document`` as inline policy ``policy`` (None if it is already there)."""
    role = ctx.target.role_name
    assert role is not None
    resource = {"role": role, "policy": policy}
    current = read(ctx.ops, resource)
    if current["document"] == document:
        return None, current
    step = Step(
        action=action,
        kind=KIND,
        target=f"role {role} inline policy {policy}",
        resource=resource,
        call={
            "service": "iam",
            "operation": "put_role_policy",
            "params": {
                "RoleName": role,
                "PolicyName": policy,
                "PolicyDocument": json.dumps(document, separators=(",", ":")),
            },
        },
        before=current,
        after={"document": document},
        summary=summary if current["document"] is None else f"{summary} (replaces the prior one)",
    )
    return step, current


def _read_step(ops: Ops, step: Step) -> dict[str, Any]:
    return read(ops, step.resource)


def _forward(ops: Ops, step: Step) -> dict[str, Any]:
    return ops.call(step.call, step.target)


def _undo_call(step: Step) -> dict[str, Any]:
    role, policy = step.resource["role"], step.resource["policy"]
    prior = step.before.get("document")
    if prior is None:
        return {
            "service": "iam",
            "operation": "delete_role_policy",
            "params": {"RoleName": role, "PolicyName": policy},
        }
    return {
        "service": "iam",
        "operation": "put_role_policy",
        "params": {
            "RoleName": role,
            "PolicyName": policy,
            "PolicyDocument": json.dumps(prior, separators=(",", ":")),
        },
    }


def _backward(ops: Ops, step: Step) -> None:
    ops.call(_undo_call(step), step.target)


STEP_KIND = StepKind(_read_step, _forward, _backward, _undo_call)
