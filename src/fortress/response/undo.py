"""Reverse a journal: compare, then restore, in reverse order, only what the journal changed.

For each step that has an intent record, the current state is read and compared with the
journaled states: equal to the prior state → already restored, nothing to do; equal to the
state the change left → to restore; anything else → someone changed it since (drift): undo
stops before changing anything and shows the difference, unless ``force``. Evidence (the
published version and the bundle) is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fortress.aws.client import AwsCallError
from fortress.response import evidence
from fortress.response.journal import Journal, JournalWriter
from fortress.response.kinds import kind_of
from fortress.response.model import Step, differences, same_state
from fortress.response.ops import Ops, Unreadable

RESTORE = "restore"
RESTORED = "already-restored"
DRIFTED = "drifted"
UNREADABLE = "unreadable"
KEPT = "kept"


@dataclass
class UndoItem:
    index: int
    step: Step  # with the journaled intent's before/after
    status: str
    call: dict[str, Any]
    differences: list[str]
    message: str = ""


def assess(ops: Ops, journal: Journal) -> list[UndoItem]:
    """What undo would do for each journaled change, newest first. Reads only."""
    items: list[UndoItem] = []
    for index in reversed(range(len(journal.steps))):
        intent = journal.last("intent", index)
        if intent is None:
            continue  # never attempted: nothing changed
        planned = journal.steps[index]
        step = Step(
            action=planned.action,
            kind=planned.kind,
            target=planned.target,
            resource=planned.resource,
            call=planned.call,
            before=intent.get("before") or {},
            after=intent.get("after") or {},
            summary=planned.summary,
            warnings=planned.warnings,
        )
        kind = kind_of(step.kind)
        if not kind.reversible:
            items.append(UndoItem(index, step, KEPT, {}, [], "evidence is kept"))
            continue
        call = kind.undo_call(step)
        try:
            current = kind.read(ops, step)
        except Unreadable as exc:
            items.append(UndoItem(index, step, UNREADABLE, call, [], str(exc)))
            continue
        if same_state(current, step.before):
            items.append(UndoItem(index, step, RESTORED, call, []))
        elif same_state(current, step.after):
            items.append(UndoItem(index, step, RESTORE, call, []))
        else:
            items.append(UndoItem(index, step, DRIFTED, call, differences(step.after, current)))
    return items


@dataclass
class UndoRun:
    restored: list[UndoItem]
    failed: UndoItem | None = None
    error: str = ""


def restore(
    ops: Ops, writer: JournalWriter, items: list[UndoItem], who: dict[str, Any], force: bool
) -> UndoRun:
    """Restore the items marked RESTORE (and DRIFTED with ``force``), journaling each."""
    run = UndoRun(restored=[])
    common = {"caller": who.get("Arn")}
    writer.write("undo-start", **common)
    for item in items:
        if item.status == KEPT or item.step.kind == evidence.KIND:
            continue
        if item.status not in (RESTORE, DRIFTED) or (item.status == DRIFTED and not force):
            continue
        writer.write(
            "undo-intent",
            step=item.index,
            target=item.step.target,
            restore=item.step.before,
            call=item.call,
            **common,
        )
        try:
            kind_of(item.step.kind).backward(ops, item.step)
        except AwsCallError as exc:
            writer.write(
                "undo-result",
                step=item.index,
                status="failed",
                error=str(exc),
                missing_action=exc.action if exc.gap.error_code == "AccessDenied" else None,
                **common,
            )
            run.failed, run.error = item, str(exc)
            writer.write("undo-end", status="stopped", **common)
            return run
        writer.write("undo-result", step=item.index, status="restored", **common)
        run.restored.append(item)
    writer.write("undo-end", status="complete", **common)
    return run
