"""pin-version: point an alias at a known-good version (after a code overwrite).

``--qualifier ALIAS --pin-to VERSION``. Weighted routing to another version is cleared, so all
traffic goes to the pinned version; undo restores the prior version and weights.
"""

from __future__ import annotations

from typing import Any

from fortress.response.context import PlanContext
from fortress.response.model import ResponseError, Step
from fortress.response.ops import Ops, StepKind

KIND = "alias"


def plan(ctx: PlanContext) -> list[Step]:
    target, version = ctx.target, ctx.options.pin_to
    aliases = {str(a["Name"]) for a in target.aliases}
    if not target.qualifier or target.qualifier not in aliases:
        raise ResponseError("pin-version needs --qualifier ALIAS (an alias of the function)")
    if version is None:
        raise ResponseError("pin-version needs --pin-to VERSION (the known-good version)")
    if version not in target.versions:
        raise ResponseError(f"{target.name}: no published version {version!r} to pin to")
    resource = {"function": target.name, "alias": target.qualifier}
    current = read(ctx.ops, resource)
    after = {"FunctionVersion": version, "AdditionalVersionWeights": {}}
    params: dict[str, Any] = {
        "FunctionName": target.name,
        "Name": target.qualifier,
        "FunctionVersion": version,
    }
    if current["AdditionalVersionWeights"]:
        params["RoutingConfig"] = {"AdditionalVersionWeights": {}}  # all traffic to `version`
    if current == after:
        ctx.notes.append(f"{target.name}:{target.qualifier} already points at version {version}")
        return []
    return [
        Step(
            action="pin-version",
            kind=KIND,
            target=f"{target.name} alias {target.qualifier}",
            resource=resource,
            call={
                "service": "lambda",
                "operation": "update_alias",
                "params": params,
            },
            before=current,
            after=after,
            summary=f"version {current['FunctionVersion']} → {version}",
        )
    ]


def read(ops: Ops, resource: dict[str, Any]) -> dict[str, Any]:
    name, alias = str(resource["function"]), str(resource["alias"])
    answer = ops.read(
        "lambda", "get_alias", resource=f"{name}:{alias}", FunctionName=name, Name=alias
    )
    if answer is None:
        return {"FunctionVersion": None, "AdditionalVersionWeights": {}}
    weights = (answer.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    return {"FunctionVersion": answer.get("FunctionVersion"), "AdditionalVersionWeights": weights}


def _read_step(ops: Ops, step: Step) -> dict[str, Any]:
    return read(ops, step.resource)


def _forward(ops: Ops, step: Step) -> dict[str, Any]:
    return ops.call(step.call, step.target)


def _undo_call(step: Step) -> dict[str, Any]:
    params = {k: v for k, v in step.call["params"].items() if k != "RoutingConfig"}
    params["FunctionVersion"] = step.before["FunctionVersion"]
    if step.before["AdditionalVersionWeights"]:
        params["RoutingConfig"] = {
            "AdditionalVersionWeights": step.before["AdditionalVersionWeights"]
        }
    return {"service": "lambda", "operation": "update_alias", "params": params}


def _backward(ops: Ops, step: Step) -> None:
    ops.call(_undo_call(step), step.target)


STEP_KIND = StepKind(_read_step, _forward, _backward, _undo_call)
