"""Which code reads, makes and reverts each kind of step."""

from __future__ import annotations

from fortress.response import (
    close_url,
    evidence,
    pause_triggers,
    permissions,
    pin_version,
    role_policy,
    throttle,
)
from fortress.response.model import ResponseError
from fortress.response.ops import StepKind

KINDS: dict[str, StepKind] = {
    throttle.KIND: throttle.STEP_KIND,
    permissions.KIND: permissions.STEP_KIND,
    close_url.KIND: close_url.STEP_KIND,
    pause_triggers.KIND: pause_triggers.STEP_KIND,
    role_policy.KIND: role_policy.STEP_KIND,
    pin_version.KIND: pin_version.STEP_KIND,
    evidence.KIND: evidence.STEP_KIND,
}


def kind_of(name: str) -> StepKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ResponseError(f"unknown step kind {name!r}") from None
