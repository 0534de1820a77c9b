"""pause-triggers: disable event source mappings and remove the push permissions of services.

Mappings are disabled (``Enabled=false``), never deleted, so undo re-enables the same mapping
with its position and settings. Push sources (S3, SNS, EventBridge, API Gateway) invoke through
the resource policy: their statements are removed and journaled for re-adding.
"""

from __future__ import annotations

from typing import Any

from fortress.response import permissions
from fortress.response.context import PlanContext
from fortress.response.model import Step
from fortress.response.ops import Ops, StepKind, Unreadable

KIND = "event-source-mapping"
PUSH_SERVICES = frozenset(
    {
        "s3.amazonaws.com",
        "sns.amazonaws.com",
        "events.amazonaws.com",
        "scheduler.amazonaws.com",
        "apigateway.amazonaws.com",
    }
)
# Transitional states count as where they are going.
_SETTLED = {"Enabling": "Enabled", "Disabling": "Disabled"}


def _service(statement: dict[str, Any]) -> str | None:
    principal = statement.get("Principal")
    if isinstance(principal, dict):
        principal = principal.get("Service")
    if isinstance(principal, list) and len(principal) == 1:
        principal = principal[0]
    return principal if isinstance(principal, str) and principal in PUSH_SERVICES else None


def _mappings(ctx: PlanContext) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for qualifier in ctx.qualifiers():
        name = f"{ctx.target.name}:{qualifier}" if qualifier else ctx.target.name
        try:
            found = ctx.ops.pages(
                "lambda",
                "list_event_source_mappings",
                "EventSourceMappings",
                resource=name,
                FunctionName=name,
            )
        except Unreadable as exc:
            ctx.gaps.append(str(exc))
            continue
        for mapping in found:
            seen.setdefault(str(mapping["UUID"]), mapping)
    return list(seen.values())


def plan(ctx: PlanContext) -> list[Step]:
    steps: list[Step] = []
    for mapping in _mappings(ctx):
        uuid = str(mapping["UUID"])
        source = str(mapping.get("EventSourceArn", "?"))
        state = {"State": _SETTLED.get(mapping.get("State", ""), mapping.get("State"))}
        if state["State"] == "Disabled":
            ctx.notes.append(f"{ctx.target.name}: mapping {uuid} ({source}) is already disabled")
            continue
        steps.append(
            Step(
                action="pause-triggers",
                kind=KIND,
                target=f"mapping {uuid} from {source}",
                resource={"uuid": uuid, "function": ctx.target.name},
                call={
                    "service": "lambda",
                    "operation": "update_event_source_mapping",
                    "params": {"UUID": uuid, "Enabled": False},
                },
                before=state,
                after={"State": "Disabled"},
                summary=f"{state['State']} → Disabled",
            )
        )
    for item in ctx.statements():
        service = _service(item["statement"])
        if service is None:
            continue
        step = permissions.removal_step(
            ctx, "pause-triggers", item, [f"push permission of {service}"]
        )
        if step is not None:
            steps.append(step)
    if not steps:
        ctx.notes.append(f"{ctx.target.name}: no enabled mapping or push permission")
    return steps


def read(ops: Ops, resource: dict[str, Any]) -> dict[str, Any]:
    uuid = str(resource["uuid"])
    answer = ops.read("lambda", "get_event_source_mapping", resource=f"mapping {uuid}", UUID=uuid)
    if answer is None:
        return {"State": None}
    state = answer.get("State")
    return {"State": _SETTLED.get(state, state) if isinstance(state, str) else state}


def _read_step(ops: Ops, step: Step) -> dict[str, Any]:
    return read(ops, step.resource)


def _forward(ops: Ops, step: Step) -> dict[str, Any]:
    return ops.call(step.call, step.target)


def _undo_call(step: Step) -> dict[str, Any]:
    return {
        "service": "lambda",
        "operation": "update_event_source_mapping",
        "params": {"UUID": step.resource["uuid"], "Enabled": step.before["State"] == "Enabled"},
    }


def _backward(ops: Ops, step: Step) -> None:
    ops.call(_undo_call(step), step.target)


STEP_KIND = StepKind(_read_step, _forward, _backward, _undo_call)
