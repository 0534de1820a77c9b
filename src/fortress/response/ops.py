"""Reads and writes on one region of one account, as response needs them.

Reads distinguish "absent" (``None``: no policy, no URL, no reserved concurrency) from "could not
read" (:class:`Unreadable`, carrying the gap and the IAM action that was missing), because an
unknown prior state must never be mistaken for an empty one. Writes raise
:class:`~fortress.aws.client.AwsCallError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fortress.aws.client import AwsClient, iam_action
from fortress.errors import FortressError
from fortress.findings import CoverageGap

if TYPE_CHECKING:
    from fortress.response.model import Step


class Unreadable(FortressError):
    """A state that could not be read; the message names the call and the missing action."""

    def __init__(self, gap: CoverageGap) -> None:
        self.gap = gap
        action = iam_action(gap.service, gap.operation)
        hint = f" (needs {action})" if gap.error_code == "AccessDenied" else ""
        super().__init__(
            f"cannot read {gap.resource or 'the account'}: {action} {gap.error_code}{hint}"
        )


class Ops:
    def __init__(self, aws: AwsClient, region: str) -> None:
        self.aws = aws
        self.region = region

    def read(
        self, service: str, operation: str, *, resource: str, **kwargs: Any
    ) -> dict[str, Any] | None:
        outcome = self.aws.attempt(service, self.region, operation, resource=resource, **kwargs)
        if outcome.gap is not None:
            raise Unreadable(outcome.gap)
        if outcome.value is None:
            return None
        return {k: v for k, v in outcome.value.items() if k != "ResponseMetadata"}

    def pages(
        self, service: str, operation: str, key: str, *, resource: str, **kwargs: Any
    ) -> list[Any]:
        items, gap = self.aws.attempt_pages(
            service, self.region, operation, key, resource=resource, **kwargs
        )
        if gap is not None:
            raise Unreadable(gap)
        return items or []

    def write(
        self, service: str, operation: str, *, resource: str, **kwargs: Any
    ) -> dict[str, Any]:
        answer = self.aws.write(service, self.region, operation, resource=resource, **kwargs)
        return {k: v for k, v in answer.items() if k != "ResponseMetadata"}

    def call(self, step_call: dict[str, Any], resource: str) -> dict[str, Any]:
        """Make a step's recorded forward call exactly as planned."""
        return self.write(
            str(step_call["service"]),
            str(step_call["operation"]),
            resource=resource,
            **dict(step_call.get("params", {})),
        )


class StepKind:
    """How one kind of step is read, made and reverted (see :mod:`fortress.response.kinds`).

    ``read`` returns the current state in the shape of the step's ``before``/``after``;
    ``forward`` makes the change (returning details to journal); ``backward`` restores
    ``before``; ``undo_call`` describes the call ``backward`` makes, for the undo dry run.
    """

    def __init__(
        self,
        read: Callable[[Ops, Step], dict[str, Any]],
        forward: Callable[[Ops, Step], dict[str, Any]],
        backward: Callable[[Ops, Step], None],
        undo_call: Callable[[Step], dict[str, Any]],
        reversible: bool = True,
    ) -> None:
        self.read = read
        self.forward = forward
        self.backward = backward
        self.undo_call = undo_call
        self.reversible = reversible
