"""What ``fortress respond`` and ``fortress undo`` do once parsed (``cli/response.py`` holds
their arguments): kept apart so that building the parser does not import boto3."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from fortress.aws.client import AwsClient, AwsOptions
from fortress.cli import EXIT_CLEAN, EXIT_FINDINGS, EXIT_INCOMPLETE
from fortress.forensics.acquire import default_output
from fortress.forensics.bundle import safe_name
from fortress.response import apply as applying
from fortress.response import undo as undoing
from fortress.response.context import PlanOptions
from fortress.response.evidence import EvidenceOptions
from fortress.response.journal import Journal, read_journal
from fortress.response.model import Plan, ResponseError, Step
from fortress.response.ops import Ops
from fortress.response.plan import build_plan, resolve_actions, split_function

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _safe(value: Any) -> str:
    """Account data for the terminal: control characters dropped, Rich markup escaped."""
    return escape(_CONTROL.sub("", str(value)))


def _client(args: argparse.Namespace, region: str | None) -> AwsClient:
    return AwsClient(
        AwsOptions(
            profile=args.profile,
            regions=[region] if region else [],
            endpoint_url=args.endpoint_url,
        )
    )


# --------------------------------------------------------------------------- respond


def cmd_respond(args: argparse.Namespace) -> int:
    modes = [m for m in (args.function, args.from_hunt, args.resume) if m]
    if len(modes) != 1:
        raise ResponseError("give one of FUNCTION, --from-hunt HUNT_JSON or --resume JOURNAL")
    if args.resume:
        return _resume(args)
    if args.from_hunt:
        return _from_hunt(args)
    return _respond(args, args.function)


def _plan_options(args: argparse.Namespace) -> PlanOptions:
    bad = [a for a in args.trust_account if not re.fullmatch(r"\d{12}", a)]
    if bad:
        raise ResponseError(f"--trust-account {bad[0]!r}: not a 12-digit account id")
    return PlanOptions(
        trusted_accounts=frozenset(args.trust_account),
        pin_to=args.pin_to,
        refresh_sessions=args.refresh_sessions,
    )


def _plan_for(args: argparse.Namespace, aws: AwsClient, function: str) -> tuple[Plan, Path | None]:
    actions = resolve_actions(args.action, args.playbook, args.no_evidence)
    name, arn_region, _ = split_function(function)
    bundle = None
    if "evidence" in actions:
        bundle = args.evidence_output or default_output(name, False)
    region = arn_region or args.region or aws.default_region
    plan = build_plan(
        aws, region, function, args.qualifier, actions, _plan_options(args), bundle, args.incident
    )
    return plan, bundle


def _respond(args: argparse.Namespace, function: str) -> int:
    aws = _client(args, args.region)
    plan, bundle = _plan_for(args, aws, function)
    if not args.apply:
        _print_plan(args, plan, applied=None)
        return EXIT_INCOMPLETE if plan.gaps else EXIT_CLEAN
    if not plan.steps:
        _print_plan(args, plan, applied=None, nothing="nothing to change; nothing was written")
        return EXIT_INCOMPLETE if plan.gaps else EXIT_CLEAN
    if bundle is not None and bundle.exists():
        raise ResponseError(f"{bundle}: already exists; evidence bundles are never overwritten")
    journal = args.journal or _default_journal(plan.target.name, bundle)
    options = {
        "evidence_output": str(bundle) if bundle else None,
        "code_mirror": args.code_mirror,
        "cloudtrail": [str(p) for p in args.cloudtrail],
        "redact": args.redact,
        "no_evidence": args.no_evidence,
    }
    writer, who = applying.start(aws, plan, journal, options)
    with writer:
        result = applying.run(
            Ops(aws, plan.target.region),
            writer,
            plan.steps,
            list(range(len(plan.steps))),
            who,
            plan.incident,
            _evidence_options(options, bundle),
            force=args.force,
        )
    _print_plan(args, plan, applied=result)
    return EXIT_INCOMPLETE if result.failed or plan.gaps else EXIT_CLEAN


def _default_journal(name: str, bundle: Path | None) -> Path:
    if bundle is not None:
        return bundle.with_name(bundle.name + ".journal.jsonl")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(f"fortress-response-{safe_name(name)}-{stamp}.journal.jsonl")


def _evidence_options(options: dict[str, Any], bundle: Path | None) -> EvidenceOptions | None:
    if bundle is None:
        return None
    return EvidenceOptions(
        output=bundle,
        code_mirror=options.get("code_mirror"),
        cloudtrail=[Path(p) for p in options.get("cloudtrail") or []],
        redact=bool(options.get("redact")),
    )


def _check_account(aws: AwsClient, journal: Journal) -> None:
    if aws.account_id() != journal.account:
        raise ResponseError(
            f"{journal.path}: the journal is for account {journal.account}, the credentials "
            f"are for {aws.account_id()}"
        )


def _resume(args: argparse.Namespace) -> int:
    journal = read_journal(args.resume)
    aws = _client(args, journal.region)
    _check_account(aws, journal)
    todo = applying.pending(journal)
    steps = list(journal.steps)
    options = dict(journal.start.get("options") or {})
    bundle: Path | None = None
    for index in todo:
        step = steps[index]
        if step.kind == "evidence":
            bundle = applying.resumed_bundle(Path(str(step.resource.get("bundle"))))
            steps[index] = Step.from_dict(
                {**step.to_dict(), "resource": {**step.resource, "bundle": str(bundle)}}
            )
    console = Console(highlight=False, soft_wrap=True)
    if not todo:
        console.print(f"{_safe(journal.path)}: every step is complete; nothing to resume")
        return EXIT_CLEAN
    if not args.apply:
        console.print(f"[bold]Resume[/] {_safe(journal.path)}: {len(todo)} step(s) to complete")
        for index in todo:
            _print_step(console, index, steps[index])
        console.print("Dry run: nothing was changed. Add --apply to complete them.")
        return EXIT_CLEAN
    who = applying.caller(aws)
    with journal.appender() as writer:
        writer.write("resume", caller=who, steps=todo)
        result = applying.run(
            Ops(aws, journal.region),
            writer,
            steps,
            todo,
            who,
            journal.start.get("incident"),
            _evidence_options(options, bundle),
            force=args.force,
        )
    if args.format == "json":
        print(json.dumps(_result_dict(result), indent=2, default=str))
    else:
        _print_outcomes(console, result)
    return EXIT_INCOMPLETE if result.failed else EXIT_CLEAN


def _from_hunt(args: argparse.Namespace) -> int:
    if args.apply:
        raise ResponseError(
            "--from-hunt only proposes plans; apply them one function at a time (respond FUNCTION --apply)"
        )
    flagged = _hunt_functions(args.from_hunt)
    aws = _client(args, args.region)
    if not args.action and not args.playbook:
        args.playbook = "contain"
    plans: list[dict[str, Any]] = []
    code = EXIT_CLEAN
    console = Console(highlight=False, soft_wrap=True)
    if not flagged:
        console.print(f"{_safe(args.from_hunt)}: the hunt flagged no function")
    for function, rules in flagged.items():
        try:
            plan, _ = _plan_for(args, aws, function)
        except ResponseError as exc:
            code = EXIT_INCOMPLETE
            plans.append({"function": function, "rules": rules, "error": str(exc)})
            if args.format == "console":
                console.print(f"[yellow]cannot plan[/] {_safe(function)}: {_safe(exc)}")
            continue
        plans.append({"function": function, "rules": rules, "plan": plan.to_dict()})
        if plan.gaps:
            code = EXIT_INCOMPLETE
        if args.format == "console":
            console.print(f"[bold]Flagged by {_safe(', '.join(rules))}[/]")
            _print_plan(args, plan, applied=None)
    if args.format == "json":
        print(json.dumps({"from_hunt": str(args.from_hunt), "plans": plans}, indent=2))
    return code


def _hunt_functions(path: Path) -> dict[str, list[str]]:
    """Functions flagged in a `fortress hunt --format json` report, with the rules that did."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResponseError(f"{path}: no such hunt report") from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ResponseError(f"{path}: not a `fortress hunt --format json` report ({exc})") from None
    detections = data.get("detections") if isinstance(data, dict) else None
    if not isinstance(detections, list):
        raise ResponseError(
            f"{path}: no detections list; not a `fortress hunt --format json` report"
        )
    flagged: dict[str, list[str]] = {}
    for det in detections:
        if not isinstance(det, dict) or not isinstance(det.get("function"), str):
            continue
        function = det["function"]
        if function.startswith("arn:") and function.count(":") > 6:
            function = function.rsplit(":", 1)[0]  # the whole function, not one qualifier
        rules = flagged.setdefault(function, [])
        if det.get("rule_id") not in rules:
            rules.append(str(det.get("rule_id")))
    return flagged


# --------------------------------------------------------------------------- undo


def cmd_undo(args: argparse.Namespace) -> int:
    journal = read_journal(args.journal)
    aws = _client(args, journal.region)
    _check_account(aws, journal)
    ops = Ops(aws, journal.region)
    items = undoing.assess(ops, journal)
    drifted = [i for i in items if i.status == undoing.DRIFTED]
    unreadable = [i for i in items if i.status == undoing.UNREADABLE]
    todo = [i for i in items if i.status == undoing.RESTORE or (args.force and i in drifted)]
    console = Console(highlight=False, soft_wrap=True)
    run: undoing.UndoRun | None = None
    stop = ""
    if args.apply:
        if unreadable:
            stop = "some state cannot be read; nothing was changed"
        elif drifted and not args.force:
            stop = "changed by someone else since the apply; nothing was changed (--force restores anyway)"
        elif todo:
            with journal.appender() as writer:
                run = undoing.restore(ops, writer, items, applying.caller(aws), args.force)
    if args.format == "json":
        print(json.dumps(_undo_dict(journal, items, run, stop), indent=2, default=str))
    else:
        _print_undo(console, journal, items, run, stop, args.apply)
    if unreadable or (run and run.failed):
        return EXIT_INCOMPLETE
    if drifted and not args.force:
        return EXIT_FINDINGS
    return EXIT_CLEAN


# --------------------------------------------------------------------------- output


def _call_text(call: dict[str, Any]) -> str:
    if not call:
        return "-"
    params = ", ".join(
        f"{k}={json.dumps(v) if not isinstance(v, str) or len(v) < 60 else '<document>'}"
        for k, v in (call.get("params") or {}).items()
        if k not in ("FunctionName",)
    )
    return f"{call.get('service')}.{call.get('operation')}({params})"


def _print_step(console: Console, index: int, step: Step) -> None:
    console.print(
        f"{index + 1:>2}. [bold]{_safe(step.action):<15}[/] {_safe(step.target)}: {_safe(step.summary)}"
    )
    console.print(f"      {_safe(_call_text(step.call))}", style="dim")
    for warning in step.warnings:
        console.print(f"      [yellow]warning[/]: {_safe(warning)}")


def _result_dict(result: applying.ApplyResult) -> dict[str, Any]:
    return {
        "journal": str(result.journal),
        "outcomes": [
            {"step": o.index, "action": o.step.action, "status": o.status, "message": o.message}
            for o in result.outcomes
        ],
        "complete": result.failed is None,
    }


def _print_plan(
    args: argparse.Namespace,
    plan: Plan,
    applied: applying.ApplyResult | None,
    nothing: str = "",
) -> None:
    if args.format == "json":
        out = plan.to_dict()
        out["dry_run"] = applied is None
        if applied is not None:
            out["apply"] = _result_dict(applied)
        print(json.dumps(out, indent=2, default=str))
        return
    console = Console(highlight=False, soft_wrap=True)
    t = plan.target
    where = f"{t.name}{':' + t.qualifier if t.qualifier else ''} (account {t.account}, {t.region})"
    incident = f", incident {plan.incident}" if plan.incident else ""
    console.print(
        f"[bold]Containment plan[/] for {_safe(where)}{_safe(incident)}: {len(plan.changes)} change(s)"
    )
    for index, step in enumerate(plan.steps):
        _print_step(console, index, step)
    for note in plan.notes:
        console.print(f"   [green]ok[/] {_safe(note)}")
    for gap in plan.gaps:
        console.print(f"   [red]not covered[/]: {_safe(gap)}")
    if nothing:
        console.print(_safe(nothing))
    elif applied is None:
        console.print("Dry run: nothing was changed. Add --apply to make these changes.")
    else:
        _print_outcomes(console, applied)


def _print_outcomes(console: Console, result: applying.ApplyResult) -> None:
    for o in result.outcomes:
        colour = {"done": "green", "already": "green"}.get(o.status, "red")
        console.print(
            f"   [{colour}]{o.status}[/] {o.index + 1}. {_safe(o.step.action)}: {_safe(o.message)}"
        )
    failed = result.failed
    path = _safe(result.journal)
    if failed:
        console.print(
            f"[bold red]Stopped[/] at step {failed.index + 1}. Journal: {path}. Complete it with "
            f"`fortress respond --resume {path} --apply`, or reverse it with `fortress undo {path} --apply`."
        )
    else:
        console.print(f"[bold]Applied.[/] Journal: {path}. Reverse with `fortress undo {path}`.")


def _undo_dict(
    journal: Journal, items: list[undoing.UndoItem], run: undoing.UndoRun | None, stop: str
) -> dict[str, Any]:
    restored = {i.index for i in run.restored} if run else set()
    return {
        "journal": str(journal.path),
        "account": journal.account,
        "region": journal.region,
        "applied": run is not None,
        "stopped": stop or (run.error if run and run.failed else ""),
        "steps": [
            {
                "step": i.index,
                "action": i.step.action,
                "target": i.step.target,
                "status": "restored" if i.index in restored else i.status,
                "call": i.call,
                "differences": i.differences,
                "message": i.message,
            }
            for i in items
        ],
    }


def _print_undo(
    console: Console,
    journal: Journal,
    items: list[undoing.UndoItem],
    run: undoing.UndoRun | None,
    stop: str,
    apply: bool,
) -> None:
    restored = {i.index for i in run.restored} if run else set()
    console.print(
        f"[bold]Undo[/] {_safe(journal.path)} (account {_safe(journal.account)}, {_safe(journal.region)})"
    )
    if not items:
        console.print("the journal recorded no change; nothing to undo")
    for item in items:
        status = "restored" if item.index in restored else item.status
        colour = {"restored": "green", undoing.RESTORED: "green", undoing.KEPT: "green"}.get(
            status, "yellow"
        )
        console.print(
            f"{item.index + 1:>2}. [{colour}]{status:<16}[/] {_safe(item.step.action)} {_safe(item.step.target)}"
        )
        if item.status in (undoing.RESTORE, undoing.DRIFTED) and item.index not in restored:
            console.print(f"      {_safe(_call_text(item.call))}", style="dim")
        for line in item.differences:
            console.print(f"      [red]differs[/]: {_safe(line)}")
        if item.message and item.status != undoing.KEPT:
            console.print(f"      {_safe(item.message)}")
    if stop:
        console.print(f"[bold red]Stopped[/]: {_safe(stop)}")
    elif run and run.failed:
        console.print(
            f"[bold red]Stopped[/] at step {run.failed.index + 1}: {_safe(run.error)}. "
            "Run undo again to finish."
        )
    elif not apply:
        console.print("Dry run: nothing was changed. Add --apply to restore.")
    elif run is None:
        console.print("nothing to restore")
    else:
        console.print(f"[bold]Restored[/] {len(run.restored)} change(s).")
