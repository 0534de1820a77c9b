"""Resource-policy statements removed by ``cut-public`` and ``pause-triggers``, and re-added.

The removed statement is journaled raw; undo re-creates it with ``AddPermission``, which can
express only one action, one principal and a few conditions (``AWS:SourceArn`` with ArnLike,
``AWS:SourceAccount``, ``aws:PrincipalOrgID``, ``lambda:FunctionUrlAuthType``,
``lambda:EventSourceToken``, all with StringEquals). :func:`add_permission_params` says what
it cannot express, so that the plan warns before anything is removed.
"""

from __future__ import annotations

from typing import Any

from fortress.response.context import PlanContext, policy_statements, statement_qualifier
from fortress.response.model import Step
from fortress.response.ops import Ops, StepKind

KIND = "permission"

# (operator, condition key lowercased) -> the AddPermission parameter that re-creates it.
_CONDITION_PARAMS = {
    ("ArnLike", "aws:sourcearn"): "SourceArn",
    ("StringEquals", "aws:sourceaccount"): "SourceAccount",
    ("StringEquals", "aws:principalorgid"): "PrincipalOrgID",
    ("StringEquals", "lambda:functionurlauthtype"): "FunctionUrlAuthType",
    ("StringEquals", "lambda:eventsourcetoken"): "EventSourceToken",
}
_KNOWN_KEYS = {"Sid", "Effect", "Action", "Principal", "Resource", "Condition"}


def _single(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value[0]
    return None


def add_permission_params(
    function: str, qualifier: str | None, stmt: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The ``AddPermission`` call that re-creates ``stmt``, and what it would not re-create."""
    problems: list[str] = []
    params: dict[str, Any] = {"FunctionName": function, "StatementId": str(stmt.get("Sid", ""))}
    if qualifier:
        params["Qualifier"] = qualifier
    if stmt.get("Effect") != "Allow":
        problems.append(f"Effect {stmt.get('Effect')!r}")
    action = _single(stmt.get("Action"))
    if action is None:
        problems.append("more than one Action" if stmt.get("Action") else "no Action")
    else:
        params["Action"] = action
    principal = stmt.get("Principal")
    if isinstance(principal, dict) and len(principal) == 1:
        kind, value = next(iter(principal.items()))
        single = _single(value)
        if kind in ("AWS", "Service") and single is not None:
            params["Principal"] = single
        else:
            problems.append(f"Principal {kind} {value!r}")
    elif isinstance(principal, str):
        params["Principal"] = principal
    else:
        problems.append("a Principal AddPermission cannot name")
    # The emulator keeps FunctionUrlAuthType beside the statement instead of in its Condition.
    if isinstance(stmt.get("FunctionUrlAuthType"), str):
        params["FunctionUrlAuthType"] = stmt["FunctionUrlAuthType"]
    conditions = stmt.get("Condition") or {}
    if not isinstance(conditions, dict):
        problems.append("an unreadable Condition")
        conditions = {}
    for operator, tests in conditions.items():
        if not isinstance(tests, dict):
            problems.append(f"Condition {operator}")
            continue
        for key, value in tests.items():
            param = _CONDITION_PARAMS.get((str(operator), str(key).lower()))
            single = _single(value)
            if param is None or single is None:
                problems.append(f"Condition {operator} {key}")
            else:
                params[param] = single
    extra = sorted(set(stmt) - _KNOWN_KEYS - {"FunctionUrlAuthType"})
    problems += [f"element {name}" for name in extra]
    return params, problems


def removal_step(
    ctx: PlanContext, action: str, item: dict[str, Any], reasons: list[str]
) -> Step | None:
    """A step removing one statement (``item`` from :meth:`PlanContext.statements`)."""
    name, qualifier, sid = ctx.target.name, item["qualifier"], item["sid"]
    resource = {"function": name, "qualifier": qualifier, "sid": sid}
    if ctx.already_planned(KIND, resource):
        return None
    params: dict[str, Any] = {"FunctionName": name, "StatementId": sid}
    if qualifier:
        params["Qualifier"] = qualifier
    _, problems = add_permission_params(name, qualifier, item["statement"])
    warnings = []
    if problems:
        warnings.append(
            f"statement {sid!r} cannot be re-created exactly by undo (AddPermission cannot "
            f"express: {', '.join(problems)}); its raw text is kept in the journal"
        )
    where = f"{name}:{qualifier}" if qualifier else name
    return Step(
        action=action,
        kind=KIND,
        target=f"{where} policy statement {sid!r}",
        resource=resource,
        call={"service": "lambda", "operation": "remove_permission", "params": params},
        before={"statement": item["statement"]},
        after={"statement": None},
        summary=f"remove ({'; '.join(reasons)})",
        warnings=warnings,
    )


def read(ops: Ops, resource: dict[str, Any]) -> dict[str, Any]:
    name, qualifier, sid = resource["function"], resource.get("qualifier"), resource["sid"]
    kwargs: dict[str, Any] = {"FunctionName": name}
    if qualifier:
        kwargs["Qualifier"] = qualifier
    label = f"{name}:{qualifier}" if qualifier else str(name)
    answer = ops.read("lambda", "get_policy", resource=label, **kwargs)
    for stmt in policy_statements(answer):
        if stmt.get("Sid") == sid and statement_qualifier(stmt, name) == qualifier:
            return {"statement": stmt}
    return {"statement": None}


def _read_step(ops: Ops, step: Step) -> dict[str, Any]:
    return read(ops, step.resource)


def _forward(ops: Ops, step: Step) -> dict[str, Any]:
    return ops.call(step.call, step.target)


def _undo_call(step: Step) -> dict[str, Any]:
    params, _ = add_permission_params(
        step.resource["function"], step.resource.get("qualifier"), step.before["statement"]
    )
    return {"service": "lambda", "operation": "add_permission", "params": params}


def _backward(ops: Ops, step: Step) -> None:
    ops.call(_undo_call(step), step.target)


STEP_KIND = StepKind(_read_step, _forward, _backward, _undo_call)
