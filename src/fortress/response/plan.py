"""Compute a plan: resolve the function, then ask each action for its steps. Reads only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fortress.aws.client import AwsClient
from fortress.response import (
    close_url,
    cut_public,
    evidence,
    pause_triggers,
    pin_version,
    quarantine_role,
    revoke_sessions,
    throttle,
)
from fortress.response.context import PlanContext, PlanOptions
from fortress.response.model import ACTIONS, PLAYBOOKS, Plan, ResponseError, Step, Target
from fortress.response.ops import Ops, Unreadable

PLANNERS: dict[str, Callable[[PlanContext], list[Step]]] = {
    "throttle": throttle.plan,
    "cut-public": cut_public.plan,
    "close-url": close_url.plan,
    "pause-triggers": pause_triggers.plan,
    "quarantine-role": quarantine_role.plan,
    "revoke-sessions": revoke_sessions.plan,
    "pin-version": pin_version.plan,
}


def split_function(function: str) -> tuple[str, str | None, str | None]:
    """(name, region, qualifier) of a function name or ARN."""
    if function.startswith("arn:"):
        parts = function.split(":")
        if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function":
            raise ResponseError(f"{function}: not a Lambda function ARN")
        return parts[6], parts[3] or None, parts[7] if len(parts) > 7 else None
    return function, None, None


def resolve_actions(actions: list[str], playbook: str | None, no_evidence: bool) -> list[str]:
    chosen: list[str] = list(PLAYBOOKS[playbook]) if playbook else []
    for action in actions:
        if action not in ACTIONS:
            raise ResponseError(f"unknown action {action!r} (one of {', '.join(ACTIONS)})")
        if action not in chosen:
            chosen.append(action)
    if not chosen:
        raise ResponseError("nothing to do: give --action A (repeatable) or --playbook contain")
    if no_evidence:
        if "evidence" in actions:
            raise ResponseError("--no-evidence contradicts --action evidence")
        chosen = [a for a in chosen if a != "evidence"]
    elif "evidence" not in chosen:
        chosen.insert(0, "evidence")  # nothing is changed before evidence is secured
    # Evidence first, the rest in the documented order of the actions.
    return sorted(chosen, key=ACTIONS.index)


def resolve_target(aws: AwsClient, ops: Ops, name: str, qualifier: str | None) -> Target:
    where = f"account {aws.account_id()}, {ops.region}"
    try:
        config = ops.read("lambda", "get_function_configuration", resource=name, FunctionName=name)
    except Unreadable as exc:
        raise ResponseError(f"{name}: {exc}") from exc
    if config is None:
        raise ResponseError(f"{name}: no such function ({where})")
    if qualifier:
        try:
            found = ops.read(
                "lambda",
                "get_function_configuration",
                resource=f"{name}:{qualifier}",
                FunctionName=name,
                Qualifier=qualifier,
            )
        except Unreadable as exc:
            raise ResponseError(f"{name}:{qualifier}: {exc}") from exc
        if found is None:
            raise ResponseError(f"{name}: no version or alias {qualifier!r} ({where})")
    return Target(
        name=str(config["FunctionName"]),
        arn=str(config["FunctionArn"]),
        region=ops.region,
        account=aws.account_id(),
        qualifier=qualifier,
        role_arn=config.get("Role"),
    )


def build_plan(
    aws: AwsClient,
    region: str,
    function: str,
    qualifier: str | None,
    actions: list[str],
    options: PlanOptions,
    evidence_output: Path | None,
    incident: str | None = None,
) -> Plan:
    """The steps that would contain ``function``; nothing is written to the account."""
    name, arn_region, arn_qualifier = split_function(function)
    if arn_qualifier and qualifier and arn_qualifier != qualifier:
        raise ResponseError(f"{function}: the ARN's qualifier differs from --qualifier {qualifier}")
    ops = Ops(aws, arn_region or region)
    target = resolve_target(aws, ops, name, qualifier or arn_qualifier)
    plan = Plan(target=target, actions=list(actions), incident=incident)
    ctx = PlanContext(target=target, ops=ops, options=options, notes=plan.notes, gaps=plan.gaps)
    try:
        target.aliases = ops.pages(
            "lambda", "list_aliases", "Aliases", resource=target.name, FunctionName=target.name
        )
        target.versions = [
            str(v["Version"])
            for v in ops.pages(
                "lambda",
                "list_versions_by_function",
                "Versions",
                resource=target.name,
                FunctionName=target.name,
            )
            if v.get("Version") != "$LATEST"
        ]
    except Unreadable as exc:
        plan.gaps.append(f"{exc}; aliases and versions are not covered")
    for action in actions:
        if action == "evidence":
            if evidence_output is None:
                raise ResponseError("evidence needs a bundle path")
            found = evidence.plan(ctx, evidence_output)
        else:
            try:
                found = PLANNERS[action](ctx)
            except Unreadable as exc:
                plan.gaps.append(f"{action}: {exc}; not planned")
                continue
        ctx.planned.extend(found)
        plan.steps.extend(found)
    if not plan.changes:
        # Nothing to contain: publishing a version and acquiring are not needed for no change.
        plan.steps = []
    return plan
