"""throttle: reserved concurrency 0, so that the function cannot run at all.

The prior state is read with ``GetFunctionConcurrency`` (``GetFunction`` may omit it): a reserved
value, or none — which undo restores by deleting the setting, not by writing a number.
"""

from __future__ import annotations

from typing import Any

from fortress.response.context import PlanContext
from fortress.response.model import Step
from fortress.response.ops import Ops, StepKind

KIND = "concurrency"


def _show(value: Any) -> str:
    return "unreserved" if value is None else str(value)


def plan(ctx: PlanContext) -> list[Step]:
    name = ctx.target.name
    resource = {"function": name}
    current = read(ctx.ops, resource)
    if current["ReservedConcurrentExecutions"] == 0:
        ctx.notes.append(f"{name}: reserved concurrency is already 0")
        return []
    return [
        Step(
            action="throttle",
            kind=KIND,
            target=f"{name} reserved concurrency",
            resource=resource,
            call={
                "service": "lambda",
                "operation": "put_function_concurrency",
                "params": {"FunctionName": name, "ReservedConcurrentExecutions": 0},
            },
            before=current,
            after={"ReservedConcurrentExecutions": 0},
            summary=f"{_show(current['ReservedConcurrentExecutions'])} → 0",
        )
    ]


def read(ops: Ops, resource: dict[str, Any]) -> dict[str, Any]:
    name = str(resource["function"])
    answer = ops.read("lambda", "get_function_concurrency", resource=name, FunctionName=name) or {}
    return {"ReservedConcurrentExecutions": answer.get("ReservedConcurrentExecutions")}


def _read_step(ops: Ops, step: Step) -> dict[str, Any]:
    return read(ops, step.resource)


def _forward(ops: Ops, step: Step) -> dict[str, Any]:
    return ops.call(step.call, step.target)


def _undo_call(step: Step) -> dict[str, Any]:
    name = step.resource["function"]
    prior = step.before.get("ReservedConcurrentExecutions")
    if prior is None:
        return {
            "service": "lambda",
            "operation": "delete_function_concurrency",
            "params": {"FunctionName": name},
        }
    return {
        "service": "lambda",
        "operation": "put_function_concurrency",
        "params": {"FunctionName": name, "ReservedConcurrentExecutions": prior},
    }


def _backward(ops: Ops, step: Step) -> None:
    ops.call(_undo_call(step), step.target)


STEP_KIND = StepKind(_read_step, _forward, _backward, _undo_call)
