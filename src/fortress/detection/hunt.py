"""Run a hunt: gather CloudTrail inputs, load them into DuckDB, run detections and Sigma rules."""

from __future__ import annotations

import dataclasses
import functools
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import duckdb

from fortress.detection import cloudtrail, rules
from fortress.detection.model import Detection, HuntResult
from fortress.detection.sql import DEFAULT_MEMORY_LIMIT, DUCKDB, MAX_EVENT_IDS, HuntSettings
from fortress.detection.store import EventStore
from fortress.errors import FortressError
from fortress.findings import CoverageGap, Severity
from fortress.inventory import Inventory

if TYPE_CHECKING:  # boto3 is imported only by hunts that call AWS
    from fortress.aws.client import AwsClient

ProgressFn = Callable[[str, int, int], None]


@dataclass
class HuntRequest:
    paths: list[str] = field(default_factory=list)
    s3: list[str] = field(default_factory=list)
    lookup: bool = False
    # LookupEvents regions (empty: the client's default region only)
    lookup_regions: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    rule_ids: str | None = None
    sigma_paths: list[str] = field(default_factory=list)
    builtin: bool = True
    settings: HuntSettings = field(default_factory=HuntSettings)
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int | None = None
    # prefiltered hunts (no Sigma rules) read delivery files with the worker processes of
    # fortress.detection.fastread; False: DuckDB parses every event (the full-parse path)
    fast_reader: bool = True
    # days of CloudTrail read before ``since`` as history only (who deployed, which regions
    # and selector states were seen): detections report events from ``since`` on
    baseline_days: int = 0
    # an inventory (e.g. a snapshot) whose roles, functions and environments some
    # detections join with the trail (FTR-DET-015, FTR-DET-016)
    inventory: Inventory | None = None


def hunt_window(request: HuntRequest) -> tuple[HuntSettings, datetime | None]:
    """The settings the detections run with and the earliest event time to read: with a
    baseline, ``baseline_days`` before ``since`` (``window_start`` is then ``since``)."""
    if request.baseline_days < 0:
        raise FortressError("--baseline-days: must be 0 or more")
    if not request.baseline_days:
        return request.settings, request.since
    if request.since is None:
        raise FortressError(
            "--baseline-days needs --since: the look-back is counted from the window's start"
        )
    settings = dataclasses.replace(request.settings, window_start=request.since)
    return settings, request.since - timedelta(days=request.baseline_days)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def row_to_detection(
    rule_id: str, title: str, technique: str, row: dict[str, Any], default: Severity
) -> Detection:
    sev_text = row.get("severity")
    severity = Severity.parse(str(sev_text)) if sev_text else default
    ids = [str(i) for i in (row.get("event_ids") or []) if i is not None][:MAX_EVENT_IDS]
    return Detection(
        rule_id=rule_id,
        title=title,
        severity=severity,
        technique=technique,
        time=_iso(row.get("event_time")),
        principal=row.get("principal"),
        source_ip=row.get("source_ip"),
        user_agent=row.get("user_agent"),
        function=row.get("function"),
        event_ids=ids,
        message=str(row.get("message") or ""),
        account=row.get("account"),
        region=row.get("region"),
        event_name=row.get("event_name"),
    )


def run_detections(
    store: EventStore, chosen: Sequence[rules.DetectionRule], settings: HuntSettings
) -> list[Detection]:
    found: list[Detection] = []
    for rule in chosen:
        for row in store.query(rule.sql(DUCKDB, settings)):
            found.append(row_to_detection(rule.id, rule.title, rule.technique, row, rule.severity))
    return found


def _bounded(
    result: HuntResult,
    request: HuntRequest,
    rule_id: str,
    run: Callable[[], list[Detection]],
) -> list[Detection] | None:
    """One detection's rows, or None and a coverage gap when its query ran out of memory.

    DuckDB spills most operators to disk, but some joins cannot: under a tight
    ``--memory-limit`` on a large trail such a detection fails. The others still run; the hunt
    is incomplete (exit 3) and says which detection did not run and what to change.
    """
    try:
        return run()
    except duckdb.OutOfMemoryException:
        result.coverage_gaps.append(
            CoverageGap(
                "fortress",
                "detect",
                "OutOfMemory",
                f"{rule_id} did not run: its query needs more memory than --memory-limit "
                f"({request.memory_limit}) allows; raise it or hunt a shorter window",
                resource=rule_id,
            ).to_dict()
        )
        return None


def _input_gaps(
    request: HuntRequest, store: EventStore, result: HuntResult
) -> list[dict[str, Any]]:
    """What makes a hunt's "no detections" meaningless: no events read at all, or events
    whose time is not a time (kept, but no window or order can place them)."""
    gaps: list[dict[str, Any]] = []
    if result.events == 0 and not (request.since or request.until):
        where = ", ".join(result.inputs) or "the input"
        gaps.append(
            CoverageGap(
                "cloudtrail",
                "read",
                "NoEvents",
                f"{where}: no CloudTrail events were read; nothing was hunted",
                resource=where,
            ).to_dict()
        )
    untimed = store.untimed()
    if untimed:
        gaps.append(
            CoverageGap(
                "cloudtrail",
                "read",
                "BadEventTime",
                f"{untimed} event(s) have an eventTime that is not a valid time "
                "(kept without a time)",
            ).to_dict()
        )
    return gaps


def hunt(
    request: HuntRequest,
    aws: AwsClient | None = None,
    progress: ProgressFn | None = None,
    lookups: Sequence[tuple[str, AwsClient | CoverageGap]] | None = None,
) -> HuntResult:
    """Gather inputs, load them, run the chosen detections (and Sigma rules).

    ``lookups`` (account id, its client or the gap saying why there is none) reads
    LookupEvents in each of those accounts instead of the caller's only (``--organization``,
    ``--accounts``), in every region of ``request.lookup_regions``.
    """
    started = time.perf_counter()
    settings, read_since = hunt_window(request)
    chosen = rules.select(request.rule_ids) if request.builtin else []
    sigma_rules: list[Any] = []
    result = HuntResult()
    if request.sigma_paths:
        from fortress.detection import sigma

        sigma_rules, skipped = sigma.load_rules(request.sigma_paths)
        result.sigma_skipped.extend(skipped)
    with EventStore(
        settings,
        memory_limit=request.memory_limit,
        threads=request.threads,
        # without Sigma rules only the events a built-in detection can read are stored
        prefilter=not sigma_rules,
        fast_reader=request.fast_reader,
        on_disk=True,
    ) as store:
        if request.inventory is not None:
            from fortress.detection import iamfacts

            store.load_facts(iamfacts.facts(request.inventory))
        files, unreadable = cloudtrail.discover(request.paths)
        result.inputs.extend(request.paths)
        result.unreadable.extend(unreadable)
        if request.s3 or request.lookup:
            if aws is None:
                from fortress.aws.client import AwsClient

                aws = AwsClient()
            client = aws
            for url in request.s3:
                result.inputs.append(url)
                dest = os.path.join(store.temp_dir, "s3")
                local = cloudtrail.download_s3(client, url, dest, read_since, request.until)
                more, bad = cloudtrail.discover(local)
                files.extend(more)
                result.unreadable.extend(bad)
            if request.lookup:
                result.inputs.append("cloudtrail:LookupEvents")
                more, gaps = cloudtrail.lookup_fan_out(
                    lookups if lookups is not None else [("", client)],
                    request.lookup_regions,
                    store.temp_dir,
                    read_since,
                    request.until,
                )
                files.extend(more)
                result.coverage_gaps.extend(gaps)
            if not (request.lookup and lookups is None):  # else read with the lookups' gaps
                result.coverage_gaps.extend(g.to_dict() for g in client.gaps)

        def on_load(done: int, total: int) -> None:
            if progress:
                progress("load", done, total)

        store.load(files, read_since, request.until, on_load)
        result.unreadable.extend(store.unreadable)
        result.events = store.scanned
        result.coverage_gaps.extend(_input_gaps(request, store, result))
        if settings.window_start is not None:
            result.baseline = {
                "since": _iso(read_since),
                "window_start": _iso(settings.window_start),
                "days": request.baseline_days,
                "events_before_window": store.before(settings.window_start),
            }
        for i, rule in enumerate(chosen):
            if progress:
                progress("detect", i, len(chosen))
            found = _bounded(
                result, request, rule.id, functools.partial(run_detections, store, [rule], settings)
            )
            if found is not None:
                result.detections.extend(found)
                result.rules_run.append(rule.id)
        if sigma_rules:
            from fortress.detection import sigma

            for compiled in sigma_rules:
                found = _bounded(
                    result, request, compiled.rule_id, functools.partial(sigma.run, store, compiled)
                )
                if found is not None:
                    result.detections.extend(found)
                    result.rules_run.append(compiled.rule_id)
    result.detections.sort(key=lambda d: (d.time or "", d.rule_id))
    result.seconds = time.perf_counter() - started
    return result
