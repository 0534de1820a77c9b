"""Organization scans: every account (each through its assumed role) and region in one run.

Accounts are read in parallel (``parallel_accounts`` at once); every API call holds a slot of
its account's gate (``--workers`` calls in flight per account, since API rate limits are per
account and region) and of one global gate (``max_calls`` across all accounts), on top of
botocore's adaptive retries. Each account is collected, its secrets withheld as in a snapshot,
saved (with ``output_dir``) and evaluated on its own, then dropped: memory holds one
inventory per account in flight, plus the findings. An account whose role cannot be assumed
is a coverage gap naming it; the others are scanned.

The report of an organization is the same whether its accounts were scanned now, resumed from
``--resume DIR`` or joined by ``fortress merge`` from shards' folders: every account is judged
from the inventory its snapshot holds (see :mod:`fortress.orgstore`).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fortress import orgstore
from fortress.errors import FortressError
from fortress.findings import CoverageGap, Finding, Severity, Status
from fortress.inventory import Inventory
from fortress.scan import ScanResult, SourceInfo, counts

if TYPE_CHECKING:
    from fortress.aws.accounts import Account, RoleAssumer
    from fortress.aws.client import AwsClient

# Judge one account's inventory (the rules); a collect-only run returns no findings.
Evaluate = Callable[[Inventory], list[Finding]]
# Extra reads on a collected account (code packages), returning their gaps.
Enrich = Callable[[Inventory, "AwsClient"], list[CoverageGap]]
# progress(stage, done, total), as fortress.sources.aws.Progress.
Progress = Callable[[str, int, int], None]

STATUS_SCANNED = "scanned"
STATUS_RESUMED = "resumed"
STATUS_FAILED = "failed"


@dataclass
class Plan:
    parallel_accounts: int = 4
    workers: int = 8  # calls in flight per account
    max_calls: int = 32  # calls in flight across all accounts
    output_dir: Path | None = None
    resume: bool = False  # skip accounts whose snapshot is in output_dir
    versions: bool = False  # read each function's version history (collect)
    withhold: bool = True
    secret_ignore: list[str] = field(default_factory=list)


@dataclass
class AccountResult:
    account: Account
    status: str
    findings: list[Finding] = field(default_factory=list)
    gaps: list[CoverageGap] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    regions: list[str] = field(default_factory=list)
    snapshot: Path | None = None
    calls: int = 0

    def summary(self) -> dict[str, Any]:
        by_status = Counter(f.status for f in self.findings)
        failing = Counter(f.severity for f in self.findings if f.status is Status.FAIL)
        return {
            "id": self.account.id,
            "name": self.account.name,
            "status": STATUS_FAILED if self.status == STATUS_FAILED else STATUS_SCANNED,
            "functions": self.counts.get("functions", 0),
            "by_status": {s.value: by_status.get(s, 0) for s in Status},
            "failures_by_severity": {s.label: failing.get(s, 0) for s in reversed(Severity)},
            "coverage_gaps": len(self.gaps),
        }


def run(
    base: AwsClient,
    accounts: list[Account],
    assumer: RoleAssumer,
    plan: Plan,
    evaluate: Evaluate,
    enrich: Enrich | None = None,
    progress: Progress | None = None,
) -> list[AccountResult]:
    """Collect and evaluate every account; results in account order."""
    global_gate = threading.BoundedSemaphore(max(1, plan.max_calls))
    done = 0
    lock = threading.Lock()

    def one(account: Account) -> AccountResult:
        nonlocal done
        result = _account(base, account, assumer, plan, evaluate, enrich, global_gate)
        with lock:
            done += 1
            if progress:
                progress("accounts", done, len(accounts))
        return result

    workers = max(1, min(plan.parallel_accounts, len(accounts) or 1))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="account")
    try:
        futures = [pool.submit(one, account) for account in accounts]
        return [future.result() for future in futures]
    except BaseException:  # Ctrl-C, SIGTERM: no account is started any more
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


def _account(
    base: AwsClient,
    account: Account,
    assumer: RoleAssumer,
    plan: Plan,
    evaluate: Evaluate,
    enrich: Enrich | None,
    global_gate: threading.BoundedSemaphore,
) -> AccountResult:
    store = orgstore.Store(plan.output_dir) if plan.output_dir else None
    if store is not None and plan.resume:
        saved = store.load(account.id)
        if saved is not None:
            return judged(saved, evaluate, STATUS_RESUMED)
    gates = (threading.BoundedSemaphore(max(1, plan.workers)), global_gate)
    client = assumer.client(account.id, gates)
    if isinstance(client, CoverageGap):
        if store is not None:
            store.save_failure(account, [client])
        return AccountResult(account, STATUS_FAILED, gaps=[client])
    started = datetime.now(UTC)
    try:
        inventory, gaps = _collect(client, base, plan, enrich)
    except Exception as exc:  # one account's trouble is a gap for it, not the end of the run
        gap = CoverageGap(
            service="fortress",
            operation="collect",
            error_code=type(exc).__name__,
            message=str(exc)[:300],
            account=account.id,
        )
        if store is not None:
            store.save_failure(account, [gap])
        return AccountResult(account, STATUS_FAILED, gaps=[gap], calls=client.calls)
    snapshot_path = None
    if store is not None:
        snapshot_path = store.save(account, inventory, gaps, started)
    result = judged(
        orgstore.Saved(account, inventory, gaps, snapshot_path), evaluate, STATUS_SCANNED
    )
    result.calls = client.calls
    return result


def _collect(
    client: AwsClient, base: AwsClient, plan: Plan, enrich: Enrich | None
) -> tuple[Inventory, list[CoverageGap]]:
    from fortress.sources import aws, snapshot

    # SCPs are read with the caller's credentials (management account or delegated admin).
    inventory = aws.collect(client, versions=plan.versions, org_client=base)
    extra = enrich(inventory, client) if enrich is not None else []
    if plan.withhold:
        snapshot.withhold_secrets(inventory, plan.secret_ignore)
    return inventory, [*client.gaps, *extra]


def judged(saved: orgstore.Saved, evaluate: Evaluate, status: str) -> AccountResult:
    """Evaluate one account's inventory; keep only what the report needs."""
    inventory = saved.inventory
    return AccountResult(
        account=saved.account,
        status=status,
        findings=evaluate(inventory),
        gaps=list(saved.gaps),
        counts=counts(inventory),
        regions=sorted({r.region for r in inventory.regions if r.region}),
        snapshot=saved.path,
    )


def from_folders(paths: list[Path], evaluate: Evaluate) -> list[AccountResult]:
    """``fortress merge``: every account saved in the folders (or snapshot files), judged."""
    results: dict[str, AccountResult] = {}
    failures: dict[str, AccountResult] = {}
    for entry in orgstore.entries(paths):
        account_id = entry.account.id
        if entry.failed:
            failures.setdefault(
                account_id, AccountResult(entry.account, STATUS_FAILED, gaps=entry.gaps)
            )
            continue
        if account_id in results:
            raise FortressError(
                f"{entry.path}: account {account_id} is also in {results[account_id].snapshot}"
                " (merge each account once: shards never overlap)"
            )
        results[account_id] = judged(orgstore.read(entry), evaluate, STATUS_SCANNED)
    for account_id, failure in failures.items():
        results.setdefault(account_id, failure)
    if not results:
        raise FortressError(
            "no account snapshots in " + ", ".join(map(str, paths)) + " (see --output-dir)"
        )
    return [results[k] for k in sorted(results)]


def merged(
    results: list[AccountResult],
    rules_run: int,
    started: datetime,
    sources: list[SourceInfo] | None = None,
) -> ScanResult:
    """One report for all accounts: findings and gaps in an order that depends only on the
    accounts' contents (not on which finished first, which shard, or whether resumed)."""
    results = sorted(results, key=lambda r: r.account.id)
    findings = [f for r in results for f in r.findings]
    findings.sort(key=lambda f: (-f.severity, f.rule_id, f.resource.id, f.resource.account or ""))
    gaps = sorted(
        (g for r in results for g in r.gaps),
        key=lambda g: (
            g.account or "",
            g.region or "",
            g.service,
            g.operation,
            g.error_code,
            g.resource or "",
            g.message,
        ),
    )
    totals: Counter[str] = Counter()
    for r in results:
        totals.update(r.counts)
    inventory_counts = {k: totals.get(k, 0) for k in counts(Inventory())}
    return ScanResult(
        findings=findings,
        gaps=gaps,
        sources=sources if sources is not None else [_source(r) for r in results],
        started_at=started,
        finished_at=datetime.now(UTC),
        rules_run=rules_run,
        inventory_counts=inventory_counts,
        accounts=[r.summary() for r in results],
    )


def _source(result: AccountResult) -> SourceInfo:
    if result.status == STATUS_FAILED:
        return SourceInfo("aws", f"account {result.account.id} (not read)")
    if result.status == STATUS_RESUMED or (result.snapshot is not None and result.calls == 0):
        return SourceInfo("snapshot", str(result.snapshot), result.counts.get("functions"))
    regions = ", ".join(result.regions)
    return SourceInfo(
        "aws", f"account {result.account.id} ({regions})", result.counts.get("functions")
    )
