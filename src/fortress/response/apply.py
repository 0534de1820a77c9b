"""Execute a plan, journaling each change: intent (prior state) before, result after.

Each step first re-reads the current state: already in the ``after`` state → recorded as
``already`` and skipped (so a second apply, or a resume, changes nothing twice); changed since
the plan by someone else → the apply stops there unless ``force``. The first failure stops the
apply; the journal then holds everything needed by ``respond --resume`` and ``undo``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fortress import __version__
from fortress.aws.client import AwsCallError, AwsClient
from fortress.errors import FortressError
from fortress.response import evidence
from fortress.response.journal import Journal, JournalWriter
from fortress.response.kinds import kind_of
from fortress.response.model import Plan, ResponseError, Step, differences, same_state
from fortress.response.ops import Ops, Unreadable

DONE = ("done", "already")


@dataclass
class StepOutcome:
    index: int
    step: Step
    status: str  # done, already, failed, drifted
    message: str = ""


@dataclass
class ApplyResult:
    journal: Path
    outcomes: list[StepOutcome] = field(default_factory=list)

    @property
    def failed(self) -> StepOutcome | None:
        return next((o for o in self.outcomes if o.status in ("failed", "drifted")), None)


def caller(aws: AwsClient) -> dict[str, Any]:
    try:
        ident = aws.caller_identity()
    except Exception as exc:  # botocore errors of any kind: the apply cannot be attributed
        raise ResponseError(f"cannot identify the caller with STS: {exc}") from exc
    return {k: ident.get(k) for k in ("Arn", "Account", "UserId")}


def _step_fields(index: int, step: Step) -> dict[str, Any]:
    return {
        "step": index,
        "action": step.action,
        "kind": step.kind,
        "target": step.target,
        "resource": step.resource,
        "call": step.call,
    }


def start(
    aws: AwsClient, plan: Plan, path: Path, options: dict[str, Any]
) -> tuple[JournalWriter, dict[str, Any]]:
    """Create the journal (refusing an existing path) and write its start record."""
    who = caller(aws)
    if who.get("Account") != plan.target.account:
        raise ResponseError(
            f"the credentials are for account {who.get('Account')}, the plan for "
            f"{plan.target.account}"
        )
    writer = JournalWriter(path, new=True)
    writer.write(
        "start",
        tool={"name": "fortress", "version": __version__},
        command="respond",
        caller=who,
        account=plan.target.account,
        region=plan.target.region,
        incident=plan.incident,
        function=plan.target.to_dict(),
        options=options,
        plan=plan.to_dict(),
    )
    return writer, who


def run(
    ops: Ops,
    writer: JournalWriter,
    steps: list[Step],
    indexes: list[int],
    who: dict[str, Any],
    incident: str | None,
    evidence_options: evidence.EvidenceOptions | None,
    force: bool = False,
) -> ApplyResult:
    result = ApplyResult(journal=writer.path)
    common = {"caller": who.get("Arn"), "incident": incident}
    for index in indexes:
        step = steps[index]
        outcome = _one(ops, writer, index, step, common, evidence_options, force)
        result.outcomes.append(outcome)
        if outcome.status not in DONE:
            writer.write("end", status="stopped", at_step=index, **common)
            return result
    writer.write("end", status="complete", **common)
    return result


def _one(
    ops: Ops,
    writer: JournalWriter,
    index: int,
    step: Step,
    common: dict[str, Any],
    evidence_options: evidence.EvidenceOptions | None,
    force: bool,
) -> StepOutcome:
    if step.kind == evidence.KIND:
        if evidence_options is None:
            raise ResponseError("the plan's evidence step has no bundle options")
        writer.write("intent", before={}, after={}, **_step_fields(index, step), **common)
        try:
            details = evidence.secure(ops, step, evidence_options)
        except FortressError as exc:
            writer.write("result", step=index, status="failed", error=str(exc), **common)
            return StepOutcome(index, step, "failed", f"evidence not secured: {exc}")
        writer.write("result", step=index, status="done", details=details, **common)
        return StepOutcome(index, step, "done", f"bundle {details['bundle']}")
    kind = kind_of(step.kind)
    try:
        current = kind.read(ops, step)
    except Unreadable as exc:
        writer.write("result", step=index, status="failed", error=str(exc), **common)
        return StepOutcome(index, step, "failed", str(exc))
    if same_state(current, step.after):
        writer.write("result", step=index, status="already", observed=current, **common)
        return StepOutcome(index, step, "already", "already in the contained state")
    if not same_state(current, step.before) and not force:
        diff = differences(step.before, current)
        writer.write(
            "result", step=index, status="drifted", observed=current, differences=diff, **common
        )
        return StepOutcome(
            index, step, "drifted", "changed since the plan: " + "; ".join(diff) + " (--force)"
        )
    # The prior state journaled is the one read now: that is what undo must restore.
    writer.write("intent", before=current, after=step.after, **_step_fields(index, step), **common)
    try:
        answer = kind.forward(ops, step)
    except AwsCallError as exc:
        writer.write(
            "result",
            step=index,
            status="failed",
            error=str(exc),
            error_code=exc.gap.error_code,
            missing_action=exc.action if exc.gap.error_code == "AccessDenied" else None,
            **common,
        )
        return StepOutcome(index, step, "failed", str(exc))
    details = {k: answer[k] for k in ("Version", "State", "AuthType") if k in answer}
    writer.write("result", step=index, status="done", details=details, **common)
    return StepOutcome(index, step, "done", step.summary)


def pending(journal: Journal) -> list[int]:
    """Steps of a journaled plan that have not completed (for ``respond --resume``)."""
    out = []
    for index in range(len(journal.steps)):
        last = journal.last("result", index)
        if last is None or last.get("status") not in DONE:
            out.append(index)
    return out


def resumed_bundle(original: Path) -> Path:
    """A fresh bundle path when a resumed evidence step must acquire again."""
    if not original.exists():
        return original
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return original.with_name(f"{original.name}-resumed-{stamp}")
