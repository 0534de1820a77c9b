"""close-url: require IAM authentication on the function URL(s) instead of deleting them.

A deleted URL cannot be brought back: a new one gets a new address. Setting ``AuthType`` to
``AWS_IAM`` closes it to anonymous callers and undo sets the prior type back. URLs live on the
function itself or on an alias; each is a step of its own.
"""

from __future__ import annotations

from typing import Any

from fortress.response.context import PlanContext
from fortress.response.model import Step
from fortress.response.ops import Ops, StepKind, Unreadable

KIND = "url-auth"


def _label(name: str, qualifier: str | None) -> str:
    return f"{name}:{qualifier}" if qualifier else name


def plan(ctx: PlanContext) -> list[Step]:
    steps: list[Step] = []
    seen: set[str] = set()
    name = ctx.target.name
    for qualifier in [None] + [str(a["Name"]) for a in ctx.target.aliases]:
        resource = {"function": name, "qualifier": qualifier}
        try:
            current, address = _read_url(ctx.ops, resource)
        except Unreadable as exc:
            ctx.gaps.append(str(exc))
            continue
        if current["AuthType"] is None or address in seen:
            continue  # no URL here, or the same URL answered for another qualifier
        seen.add(address)
        label = _label(name, qualifier)
        if current["AuthType"] == "AWS_IAM":
            ctx.notes.append(f"{label}: function URL already requires AWS_IAM")
            continue
        params: dict[str, Any] = {"FunctionName": name, "AuthType": "AWS_IAM"}
        if qualifier:
            params["Qualifier"] = qualifier
        steps.append(
            Step(
                action="close-url",
                kind=KIND,
                target=f"{label} function URL",
                resource=resource,
                call={
                    "service": "lambda",
                    "operation": "update_function_url_config",
                    "params": params,
                },
                before=current,
                after={"AuthType": "AWS_IAM"},
                summary=f"AuthType {current['AuthType']} → AWS_IAM (the address stays)",
            )
        )
    if not seen:
        ctx.notes.append(f"{name}: no function URL")
    return steps


def _read_url(ops: Ops, resource: dict[str, Any]) -> tuple[dict[str, Any], str]:
    name, qualifier = str(resource["function"]), resource.get("qualifier")
    kwargs: dict[str, Any] = {"FunctionName": name}
    if qualifier:
        kwargs["Qualifier"] = qualifier
    answer = ops.read(
        "lambda", "get_function_url_config", resource=_label(name, qualifier), **kwargs
    )
    if not answer:
        return {"AuthType": None}, ""
    return {"AuthType": answer.get("AuthType")}, str(answer.get("FunctionUrl", qualifier))


def read(ops: Ops, resource: dict[str, Any]) -> dict[str, Any]:
    return _read_url(ops, resource)[0]


def _read_step(ops: Ops, step: Step) -> dict[str, Any]:
    return read(ops, step.resource)


def _forward(ops: Ops, step: Step) -> dict[str, Any]:
    return ops.call(step.call, step.target)


def _undo_call(step: Step) -> dict[str, Any]:
    params = dict(step.call["params"])
    params["AuthType"] = step.before["AuthType"]
    return {"service": "lambda", "operation": "update_function_url_config", "params": params}


def _backward(ops: Ops, step: Step) -> None:
    ops.call(_undo_call(step), step.target)


STEP_KIND = StepKind(_read_step, _forward, _backward, _undo_call)
