"""Organization options of ``scan`` and ``collect`` (many accounts in one run), and
``fortress merge`` (one report from per-account snapshots: shards, resumed runs)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fortress.cli import EXIT_CLEAN, EXIT_ERROR, EXIT_INCOMPLETE, governance, validate
from fortress.cli.sanitize import eprint
from fortress.config import ScanConfig
from fortress.errors import FortressError
from fortress.findings import CoverageGap, Finding, Severity
from fortress.inventory import Inventory
from fortress.rules.engine import Rule

if TYPE_CHECKING:
    from fortress.aws.accounts import AccountOptions
    from fortress.aws.client import AwsClient
    from fortress.scan import ScanResult
    from fortress.scan_org import AccountResult, Enrich, Plan


def add_account_selection(parser: argparse.ArgumentParser) -> Any:
    """Which accounts, through which role (scan, collect and ``hunt --lookup``)."""
    group = parser.add_argument_group(
        "accounts (an organization: every account through an assumed role)"
    )
    group.add_argument(
        "--organization",
        action="store_true",
        help="every ACTIVE account of the organization (organizations:ListAccounts from the "
        "management account or a delegated administrator)",
    )
    group.add_argument("--accounts", metavar="ID,ID", help="these accounts (comma-separated)")
    group.add_argument("--exclude-accounts", metavar="ID,ID", help="leave these accounts out")
    group.add_argument(
        "--role-name",
        metavar="NAME",
        help="role assumed in each account (default: OrganizationAccountAccessRole; the "
        "caller's own account is read with the caller's credentials)",
    )
    group.add_argument("--external-id", metavar="ID", help="sts:ExternalId for the role")
    return group


def add_account_options(parser: argparse.ArgumentParser) -> None:
    """The account selection plus what a scan or collect of many accounts adds."""
    group = add_account_selection(parser)
    group.add_argument(
        "--shard",
        metavar="I/N",
        help="only shard I of N of the accounts (stable hash of the account id); join the "
        "shards' --output-dir folders with `fortress merge`",
    )
    group.add_argument(
        "--output-dir",
        type=validate.output_dir,
        metavar="DIR",
        help="write each account's snapshot to DIR/<account>.json as it finishes",
    )
    group.add_argument(
        "--resume",
        type=validate.output_dir,
        metavar="DIR",
        help="like --output-dir DIR, skipping the accounts whose snapshot DIR already holds "
        "(their saved inventory is used in the report)",
    )
    group.add_argument(
        "--parallel-accounts",
        type=int,
        default=4,
        metavar="N",
        help="accounts read at once (default: 4); --workers bounds the calls per account",
    )
    group.add_argument(
        "--max-calls",
        type=int,
        metavar="N",
        help="API calls in flight across all accounts (default: --workers x --parallel-accounts)",
    )


def requested(args: argparse.Namespace) -> bool:
    """True when the command reads accounts of an organization (or a list of accounts)."""
    if args.organization or args.accounts:
        return True
    lone = [
        name
        for name, value in (
            ("--exclude-accounts", args.exclude_accounts),
            ("--role-name", args.role_name),
            ("--external-id", args.external_id),
            ("--shard", getattr(args, "shard", None)),
            ("--output-dir", getattr(args, "output_dir", None)),
            ("--resume", getattr(args, "resume", None)),
            ("--max-calls", getattr(args, "max_calls", None)),
        )
        if value
    ]
    if lone:
        raise FortressError(f"{', '.join(lone)}: needs --organization or --accounts ID,ID")
    return False


def account_options(args: argparse.Namespace) -> AccountOptions:
    from fortress.aws import accounts

    options = accounts.AccountOptions(
        organization=args.organization,
        accounts=accounts.account_ids(args.accounts, "--accounts") if args.accounts else [],
        exclude=(
            accounts.account_ids(args.exclude_accounts, "--exclude-accounts")
            if args.exclude_accounts
            else []
        ),
        role_name=args.role_name or accounts.DEFAULT_ROLE,
        external_id=args.external_id,
        shard=accounts.shard(args.shard) if getattr(args, "shard", None) else None,
    )
    accounts.check_names(options)
    return options


def plan(args: argparse.Namespace, *, versions: bool, withhold: bool) -> Plan:
    from fortress.scan_org import Plan

    if args.resume and args.output_dir and Path(args.resume) != Path(args.output_dir):
        raise FortressError("--resume DIR already writes into DIR: give one of --output-dir")
    if args.parallel_accounts < 1 or (args.max_calls is not None and args.max_calls < 1):
        raise FortressError("--parallel-accounts and --max-calls must be 1 or more")
    workers = max(1, args.workers)
    return Plan(
        parallel_accounts=args.parallel_accounts,
        workers=workers,
        max_calls=args.max_calls or workers * args.parallel_accounts,
        output_dir=args.resume or args.output_dir,
        resume=args.resume is not None,
        versions=versions,
        withhold=withhold,
        secret_ignore=list(args.secret_ignore),
    )


def fan_out(
    args: argparse.Namespace,
    run_plan: Plan,
    evaluate: Any,
    enrich: Enrich | None = None,
) -> list[AccountResult]:
    """Resolve the accounts, then read them all; a line on stderr for each one not read."""
    from fortress import scan_org
    from fortress.aws.accounts import RoleAssumer, resolve
    from fortress.cli.posture import aws_client, progress_bar

    base = aws_client(args)
    options = account_options(args)
    chosen = resolve(base, options)
    if run_plan.output_dir is not None:  # an empty shard still leaves its (empty) folder
        try:
            run_plan.output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FortressError(f"{run_plan.output_dir}: {exc.strerror or exc}") from None
    if not chosen:
        eprint("fortress: no accounts to read (after --exclude-accounts and --shard)")
        return []
    assumer = RoleAssumer(base, options)
    with progress_bar() as update:
        results = scan_org.run(base, chosen, assumer, run_plan, evaluate, enrich, update)
    resumed = sum(r.status == scan_org.STATUS_RESUMED for r in results)
    for r in results:
        if r.status == scan_org.STATUS_FAILED:
            reason = r.gaps[0].message if r.gaps else "not read"
            eprint(f"fortress: account {r.account.id}: {reason} (a coverage gap)")
    eprint(
        f"{len(results)} accounts: {len(results) - resumed} read"
        + (f", {resumed} resumed from {run_plan.output_dir}" if resumed else "")
        + (f"; snapshots in {run_plan.output_dir}" if run_plan.output_dir else "")
    )
    return results


def evaluator(rules: list[Rule], config: ScanConfig) -> Any:
    from fortress.rules.engine import evaluate

    def judge(inventory: Inventory) -> list[Finding]:
        return evaluate(inventory, rules, config)

    return judge


def packages_reader(args: argparse.Namespace) -> Enrich | None:
    """``--packages``: each account's code packages, read after its inventory."""
    if not args.packages:
        return None
    from fortress.packages import osv
    from fortress.packages.live import LiveOptions, analyse_account

    vulndb = osv.scan_db(args.osv_db)
    options = LiveOptions(mirror=args.code_mirror, workers=max(1, min(args.workers, 8)))

    def read(inventory: Inventory, client: AwsClient) -> list[CoverageGap]:
        return analyse_account(inventory, client, vulndb=vulndb, options=options)

    return read


def refuse_single_account_options(args: argparse.Namespace) -> None:
    """Options an organization scan does not take (they name one account's files or need
    one account's CloudTrail)."""
    from fortress.cli import iam_suggest

    given = [
        name
        for name, value in (
            ("PATH", getattr(args, "paths", None)),
            ("--snapshot", getattr(args, "snapshot", None)),
            ("--sbom", getattr(args, "sbom", None)),
            ("--output", getattr(args, "output", None) if args.command == "collect" else None),
        )
        if value
    ]
    if iam_suggest.usage_requested(args):
        given.append("--cloudtrail/--usage")
    if given:
        raise FortressError(f"{', '.join(given)}: not with --organization or --accounts")


# --------------------------------------------------------------------------- commands


def scan(
    args: argparse.Namespace,
    rules: list[Rule],
    config: ScanConfig,
    gov: governance.Governance,
    threshold: Severity,
    started: datetime,
) -> int:
    """``fortress scan --organization | --accounts``: one merged report of every account."""
    from fortress import scan_org
    from fortress.cli.posture import exit_code

    refuse_single_account_options(args)
    run_plan = plan(args, versions=False, withhold=True)
    results = fan_out(args, run_plan, evaluator(rules, config), packages_reader(args))
    result = scan_org.merged(results, len(rules), started)
    return report(args, result, rules, config, gov, threshold, exit_code)


def report(
    args: argparse.Namespace,
    result: ScanResult,
    rules: list[Rule],
    config: ScanConfig,
    gov: governance.Governance,
    threshold: Severity,
    exit_code: Any,
) -> int:
    from fortress.cli.posture import aws_client, emit

    governance.finish(gov, result, config, rules)
    if getattr(args, "push_securityhub", False):
        governance.push_securityhub(args, result, aws_client(args))
    emit(result, args.format, args.output, args.show_passed, args.details)
    governance.show(gov, result, args.format)
    return int(governance.exit_code(gov, result, threshold, exit_code(result, threshold)))


def collect(args: argparse.Namespace) -> int:
    """``fortress collect --organization --output-dir DIR``: one snapshot per account."""
    refuse_single_account_options(args)
    if not (args.output_dir or args.resume):
        raise FortressError("collect with --organization or --accounts needs --output-dir DIR")
    run_plan = plan(args, versions=True, withhold=not args.show_secrets)
    results = fan_out(args, run_plan, lambda _inventory: [], packages_reader(args))
    return EXIT_INCOMPLETE if any(r.gaps for r in results) else EXIT_CLEAN


def register_merge(sub: Any) -> None:
    from fortress.cli import posture

    merge = sub.add_parser(
        "merge",
        help="one report from per-account snapshots (the --output-dir of shards or runs)",
        description="Joins the <account>.json snapshots (and <account>.failed.json records) of "
        "each DIR into one report, as the unsharded organization scan would give.",
    )
    merge.add_argument("inputs", nargs="+", type=Path, metavar="DIR", help="folders or files")
    posture._add_rule_options(merge)
    governance.add_scan_options(merge)
    merge.add_argument("--format", choices=posture.FORMATS, default="console")
    merge.add_argument("--output", type=validate.output_file, help="write the report to FILE")
    merge.add_argument("--details", action="store_true", help="console: every resource")
    merge.add_argument("--fail-on", default="high", metavar="SEVERITY")
    merge.add_argument("--show-passed", action="store_true")
    merge.set_defaults(func=cmd_merge)


def cmd_merge(args: argparse.Namespace) -> int:
    from fortress import scan_org
    from fortress.cli.posture import _ids, exit_code, scan_config
    from fortress.rules.engine import select_rules

    if args.push_securityhub or args.only_iac:
        raise FortressError(
            "merge reads snapshots only: --push-securityhub and --only-iac do not apply"
        )
    try:
        threshold = Severity.parse(args.fail_on)
        rules = select_rules(_ids(args.rules), _ids(args.skip))
    except ValueError as exc:
        raise FortressError(str(exc)) from None
    config = scan_config(args)
    started = datetime.now(UTC)
    args.paths, args.snapshot = [], None  # what governance.prepare looks for a config from
    gov, rules = governance.prepare(args, config, rules)
    results = scan_org.from_folders(list(args.inputs), evaluator(rules, config))
    result = scan_org.merged(results, len(rules), started)
    if not result.accounts:
        return EXIT_ERROR
    return report(args, result, rules, config, gov, threshold, exit_code)
