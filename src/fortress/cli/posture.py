"""Posture commands: scan, collect, rules, demo."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from fortress.cli import (
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    governance,
    iam_suggest,
    org,
    validate,
)
from fortress.cli.sanitize import clean, eprint, stdout_bytes, terminal
from fortress.config import ScanConfig
from fortress.errors import FortressError, InputError
from fortress.findings import CoverageGap, Severity
from fortress.inventory import Inventory, UsageFacts
from fortress.rules.engine import Rule, all_rules, select_rules
from fortress.scan import ScanResult, SourceInfo, iac_inputs, load_iac, run_rules
from fortress.sources.base import IacOptions

if TYPE_CHECKING:  # boto3 (~0.3 s to import) only when a command reads AWS
    from rich.console import Console

    from fortress.aws.client import AwsClient

FORMATS = ("console", "json", "sarif", "html", *governance.FORMATS)
IAC_FORMATS = ("cloudformation", "serverless", "terraform", "terraform-plan")


def register(sub: Any) -> None:
    scan = sub.add_parser(
        "scan",
        help="audit a live account, a snapshot, or IaC files against the posture rules",
        description="With no PATH and no --snapshot, scans the live account (boto3 credentials).",
    )
    scan.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="IaC files or folders")
    scan.add_argument("--snapshot", type=Path, help="scan a snapshot saved by `fortress collect`")
    scan.add_argument("--source", choices=IAC_FORMATS, help="force the IaC format of PATH")
    scan.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="CloudFormation parameter",
    )
    scan.add_argument(
        "--var", action="append", default=[], metavar="NAME=VALUE", help="Terraform variable"
    )
    scan.add_argument(
        "--var-file", action="append", default=[], type=Path, help="Terraform .tfvars file"
    )
    scan.add_argument(
        "--account", help="account id the templates deploy into (default: unknown, 'self')"
    )
    scan.add_argument(
        "--no-packages",
        action="store_true",
        help="IaC: do not read the code each function and layer deploys from the local disk",
    )
    _add_package_options(scan)
    scan.add_argument(
        "--sbom",
        type=validate.output_dir,
        metavar="DIR",
        help="also write a CycloneDX SBOM per function whose package was read into DIR",
    )
    _add_aws_options(scan)
    org.add_account_options(scan)
    _add_rule_options(scan)
    iam_suggest.add_usage_options(scan)
    governance.add_scan_options(scan)
    scan.add_argument("--format", choices=FORMATS, default="console")
    scan.add_argument(
        "--output",
        type=validate.output_file,
        help="write the report to FILE; stdout then carries only the summary and the path",
    )
    scan.add_argument(
        "--details",
        action="store_true",
        help="console: list every resource (default: failures grouped by rule)",
    )
    scan.add_argument(
        "--fail-on",
        default="high",
        metavar="SEVERITY",
        help="exit 1 on failures at or above (default: high)",
    )
    scan.add_argument(
        "--show-passed", action="store_true", help="list passed checks in the console report"
    )
    scan.set_defaults(func=cmd_scan)

    collect = sub.add_parser(
        "collect", help="save the live account's inventory as a snapshot (JSON)"
    )
    _add_aws_options(collect)
    org.add_account_options(collect)
    collect.add_argument(
        "--output",
        type=validate.output_file,
        help="snapshot file to write (one account; an organization: --output-dir)",
    )
    collect.add_argument(
        "--show-secrets",
        action="store_true",
        help="keep secret values in the snapshot (default: withheld)",
    )
    collect.add_argument(
        "--secret-ignore",
        action="append",
        default=[],
        metavar="REGEX",
        help="values never withheld",
    )
    _add_package_options(collect)
    iam_suggest.add_usage_options(collect)
    collect.set_defaults(func=cmd_collect)
    org.register_merge(sub)

    rules = sub.add_parser("rules", help="print the rule catalogue")
    rules.add_argument("--format", choices=("console", "json", "markdown"), default="console")
    governance.add_rules_options(rules)
    rules.set_defaults(func=cmd_rules)

    demo = sub.add_parser("demo", help="scan a built-in, deliberately vulnerable demo account")
    demo.add_argument("--output-dir", type=Path, default=Path("fortress-demo"))
    demo.add_argument(
        "--serve",
        action="store_true",
        help="keep the demo emulator running after the scan (Ctrl-C stops it)",
    )
    demo.add_argument(
        "--port", type=int, default=0, help="emulator port with --serve (default: a free port)"
    )
    demo.set_defaults(func=cmd_demo)


def _add_package_options(parser: argparse.ArgumentParser) -> None:
    """``--packages``, ``--code-mirror`` and ``--osv-db``: shared by scan and collect (a
    snapshot taken with ``--packages`` carries the package facts, so ``scan --snapshot``
    gives the package findings offline)."""
    parser.add_argument(
        "--packages",
        action="store_true",
        help="live: download, verify and analyse every function's and layer's code package "
        "(read-only GetFunction/GetLayerVersion and HTTPS downloads)",
    )
    parser.add_argument(
        "--code-mirror",
        type=validate.endpoint_url,
        metavar="URL",
        help="live with --packages: fetch packages from <URL>/<CodeSha256> instead of "
        "Code.Location (an artifact store)",
    )
    parser.add_argument(
        "--osv-db",
        type=Path,
        metavar="PATH",
        help="OSV data (a zip export or a folder of them) for the package vulnerability rules; "
        "default: what `fortress vulndb update` stored",
    )


def _add_aws_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("AWS")
    group.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    group.add_argument("--region", action="append", default=[], help="region to scan (repeatable)")
    group.add_argument("--all-regions", action="store_true", help="scan every enabled region")
    group.add_argument(
        "--endpoint-url",
        type=validate.endpoint_url,
        help="AWS endpoint (e.g. an emulator); AWS_ENDPOINT_URL is honoured",
    )
    group.add_argument("--workers", type=int, default=8, help="parallel API calls (default: 8)")


def _add_rule_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("rules")
    group.add_argument("--rules", help="only these rule ids or prefixes (comma-separated)")
    group.add_argument("--skip", help="skip these rule ids or prefixes (comma-separated)")
    group.add_argument(
        "--trusted-account",
        action="append",
        default=[],
        help="account trusted for layers and grants",
    )
    group.add_argument(
        "--required-tag", action="append", default=[], help="tag every function must carry"
    )
    group.add_argument("--as-of", help="judge time-based rules at this date (YYYY-MM-DD)")
    group.add_argument(
        "--deprecation-window",
        type=int,
        default=90,
        help="days before a runtime deprecation to warn",
    )
    group.add_argument(
        "--function-update-max-age",
        type=int,
        default=90,
        metavar="DAYS",
        help="days a FunctionUpdate-mode function may go undeployed (FTR-PATCH-008)",
    )
    group.add_argument(
        "--secret-ignore",
        action="append",
        default=[],
        metavar="REGEX",
        help="never report matching names/values as secrets",
    )


# --------------------------------------------------------------------------- helpers


def _stderr() -> Console:
    return terminal(stderr=True)  # type: ignore[no-any-return]


@contextlib.contextmanager
def progress_bar() -> Iterator[Any]:
    """A Rich progress bar on stderr when it is a terminal; otherwise a silent callback."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    tasks: dict[str, Any] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_stderr(),
        transient=True,
    ) as bar:

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def _pairs(values: list[str], what: str) -> dict[str, str]:
    result = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise FortressError(f"{what} {item!r} is not NAME=VALUE")
        result[name] = value
    return result


def _ids(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def scan_config(args: argparse.Namespace) -> ScanConfig:
    config = ScanConfig(
        trusted_accounts=set(args.trusted_account),
        required_tags=list(args.required_tag),
        deprecation_window_days=args.deprecation_window,
        function_update_max_age_days=args.function_update_max_age,
        secret_ignore=list(args.secret_ignore),
    )
    if args.function_update_max_age < 0:
        raise FortressError("--function-update-max-age must be 0 or more days")
    if args.as_of:
        try:
            config.as_of = date.fromisoformat(args.as_of)
        except ValueError:
            raise FortressError(f"--as-of {args.as_of!r} is not a date (YYYY-MM-DD)") from None
    return config


def aws_client(args: argparse.Namespace) -> AwsClient:
    from fortress.aws.client import AwsClient, AwsOptions

    return AwsClient(
        AwsOptions(
            profile=args.profile,
            regions=list(args.region),
            all_regions=args.all_regions,
            endpoint_url=args.endpoint_url,
            max_workers=max(1, args.workers),
        )
    )


def collect_live(client: AwsClient, *, versions: bool = True) -> Inventory:
    """Read the live account. Rules never look at version history, so scans skip it."""
    from fortress.sources import aws

    with progress_bar() as update:
        return aws.collect(client, progress=update, versions=versions)


def read_packages(
    inventory: Inventory,
    client: AwsClient,
    osv_db: Path | None,
    mirror: str | None,
    workers: int = 4,
) -> list[CoverageGap]:
    """``scan --packages``: every function's and layer's package analysed, with progress."""
    from fortress.packages import osv
    from fortress.packages.live import LiveOptions, analyse_account

    vulndb = osv.scan_db(osv_db)
    with progress_bar() as update:
        return analyse_account(
            inventory,
            client,
            vulndb=vulndb,
            options=LiveOptions(mirror=mirror, workers=max(1, min(workers, 8))),
            on_progress=update,
        )


def exit_code(result: ScanResult, threshold: Severity) -> int:
    if result.failing(threshold):
        return EXIT_FINDINGS
    if result.gaps or result.input_errors:
        return EXIT_INCOMPLETE
    return EXIT_CLEAN


def emit(
    result: ScanResult,
    fmt: str,
    output: Path | None,
    show_passed: bool = False,
    details: bool = False,
) -> None:
    """Print the report, or write it to ``output`` and print only the summary and the path."""
    from fortress.report import console as console_report

    summary = result.summary()
    if fmt == "console" and output is None:
        report = console_report.render(
            result, show_passed, details=details, clean=clean, summary=summary
        )
        terminal().print(report)
        return
    if output is None:
        sys.stdout.flush()
        _without_gc(write_format, stdout_bytes(), result, fmt, show_passed, details, summary)
        sys.stdout.flush()
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("wb") as fh:
            _without_gc(write_format, fh, result, fmt, show_passed, details, summary)
    except OSError as exc:
        raise FortressError(f"{output}: cannot write the report ({exc.strerror or exc})") from None
    from rich.text import Text

    out = terminal()
    out.print(console_report.render_summary(result, clean=clean, summary=summary))
    out.print(Text(clean(f"Report written to {output}")), soft_wrap=True)  # a path: never wrapped


def _without_gc(func: Any, *args: Any) -> Any:
    """Run ``func`` with the cyclic collector paused: a report of 26,000 findings creates
    ~100,000 acyclic dicts, and the collections they trigger walk the whole heap (the
    findings, the inventory) again and again; reference counting frees them all the same."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        return func(*args)
    finally:
        if enabled:
            gc.enable()


def write_format(
    out: BinaryIO,
    result: ScanResult,
    fmt: str,
    show_passed: bool = False,
    details: bool = False,
    summary: dict[str, Any] | None = None,
) -> None:
    """Write the report in ``fmt`` to ``out``; JSON, SARIF and HTML stream their findings."""
    if fmt == "json":
        from fortress.report import jsonreport

        jsonreport.write(out, result, summary)
    elif fmt == "sarif":
        from fortress.report import sarif

        sarif.write(out, result)
    elif fmt == "html":
        from fortress.report import html, jsonreport

        snippets = {r.meta.id: dict(r.meta.snippets) for r in all_rules() if r.meta.snippets}
        findings = (f.to_dict() for f in result.findings)
        html.write(out, jsonreport.head(result, summary), findings, snippets)
    elif fmt in governance.FORMATS:
        # "replace": a lone surrogate (see jsonreport.encode) becomes "?", never a crash
        out.write(governance.render(fmt, result).encode("utf-8", "replace"))
    else:
        out.write(_console_text(result, show_passed, details, summary).encode("utf-8", "replace"))


def _console_text(
    result: ScanResult, show_passed: bool, details: bool, summary: dict[str, Any] | None = None
) -> str:
    """The console report as plain text for a file (no colours, at most 100 columns)."""
    import io

    from rich.console import Console

    from fortress.cli.sanitize import PIPED_WIDTH
    from fortress.report import console as console_report

    capture = Console(width=PIPED_WIDTH, file=io.StringIO(), record=True, highlight=False)
    capture.print(
        console_report.render(result, show_passed, details=details, clean=clean, summary=summary)
    )
    return capture.export_text()


# --------------------------------------------------------------------------- commands


def cmd_scan(args: argparse.Namespace) -> int:
    try:
        threshold = Severity.parse(args.fail_on)
    except ValueError as exc:
        raise FortressError(str(exc)) from None
    config = scan_config(args)
    try:
        rules = select_rules(_ids(args.rules), _ids(args.skip))
    except ValueError as exc:
        raise FortressError(str(exc)) from None
    started = datetime.now(UTC)
    if args.paths and args.snapshot:
        raise FortressError("give IaC paths or --snapshot, not both")
    gov, rules = governance.prepare(args, config, rules)
    if gov.nothing_to_scan:
        print("fortress: no IaC files among the given paths", file=sys.stderr)
        return EXIT_CLEAN
    if org.requested(args):
        return org.scan(args, rules, config, gov, threshold, started)
    client: AwsClient | None = None
    inventory: Inventory | None = None
    usage = iam_suggest.read_usage(args) if iam_suggest.usage_requested(args) else None
    usage_gaps = iam_suggest.usage_gaps(usage) if usage is not None else []
    if args.snapshot:
        from fortress.sources import snapshot

        inventory, gaps = snapshot.load(args.snapshot)
        inventory.usage = usage or inventory.usage
        result = run_rules(
            inventory,
            rules,
            config,
            [*gaps, *usage_gaps],
            [SourceInfo("snapshot", str(args.snapshot))],
            started,
        )
    elif args.paths:
        result, inventory = _scan_iac(args, rules, config, started, usage)
    else:
        client = aws_client(args)
        inventory = collect_live(client, versions=False)
        inventory.usage = usage
        package_gaps = (
            read_packages(inventory, client, args.osv_db, args.code_mirror, args.workers)
            if args.packages
            else []
        )
        target = f"account {client.account_id()} ({', '.join(client.regions())})"
        result = run_rules(
            inventory,
            rules,
            config,
            [*client.gaps, *package_gaps, *usage_gaps],
            [SourceInfo("aws", target)],
            started,
        )
    governance.finish(gov, result, config, rules)
    if args.sbom and inventory is not None:
        write_sboms(inventory, args.sbom)
    if args.push_securityhub:
        governance.push_securityhub(args, result, client or aws_client(args))
    # The console report on stdout lists the warnings itself: on a terminal they were printed
    # twice (stderr first, then the report)
    reported = (
        args.format == "console"
        and args.output is None
        and not (result.input_errors and not result.sources)  # no report then (see below)
    )
    for warning in result.input_warnings if not reported else ():
        eprint(f"fortress: warning: {warning}")
    for error in result.input_errors:  # errors also on stderr, where scripts look for them
        eprint(f"fortress: error: {error}")
    if result.input_errors and not result.sources:
        if args.format != "console":  # machine-readable output still records the errors
            emit(result, args.format, args.output, args.show_passed, args.details)
        return EXIT_ERROR
    emit(result, args.format, args.output, args.show_passed, args.details)
    governance.show(gov, result, args.format)
    return governance.exit_code(gov, result, threshold, exit_code(result, threshold))


def write_sboms(inventory: Inventory, folder: Path) -> None:
    """``scan --sbom DIR``: one CycloneDX file per function whose package was read."""
    from fortress.packages import sbom

    subjects, skipped = sbom.subjects(inventory)
    try:
        written = sbom.write(subjects, folder)
    except OSError as exc:
        raise FortressError(f"{folder}: cannot write ({exc.strerror or exc})") from None
    eprint(
        f"fortress: {len(written)} SBOMs written to {folder}"
        + (f"; {len(skipped)} functions without a package read" if skipped else "")
    )


def _scan_iac(
    args: argparse.Namespace,
    rules: list[Rule],
    config: ScanConfig,
    started: datetime,
    usage: UsageFacts | None = None,
) -> tuple[ScanResult, Inventory]:
    options = IacOptions(
        parameters=_pairs(args.parameter, "--parameter"),
        variables=_pairs(args.var, "--var"),
        var_files=list(args.var_file),
        account=args.account,
        packages=not args.no_packages,
        code_roots=[p if p.is_dir() else p.parent for p in args.paths],
        osv_db=args.osv_db,
    )
    errors: list[InputError] = []
    inputs: list[tuple[str, Path]] = []
    for path in args.paths:
        try:
            inputs.extend(iac_inputs([path], args.source))
        except InputError as exc:
            errors.append(exc)
    if not inputs and not errors:
        raise FortressError(
            "no CloudFormation, SAM, Serverless or Terraform files found in "
            + ", ".join(map(str, args.paths))
        )
    loaded = load_iac(inputs, options)
    errors.extend(loaded.errors)
    loaded.inventory.usage = usage
    result = run_rules(
        loaded.inventory,
        rules,
        config,
        [*loaded.gaps, *(iam_suggest.usage_gaps(usage) if usage else [])],
        loaded.sources,
        started,
        errors,
        loaded.warnings,
    )
    return result, loaded.inventory


def cmd_collect(args: argparse.Namespace) -> int:
    from fortress.sources import snapshot

    if org.requested(args):
        return org.collect(args)
    if args.output is None:
        raise FortressError(
            "collect needs --output FILE (or --organization/--accounts with --output-dir)"
        )
    client = aws_client(args)
    started = datetime.now(UTC)
    inventory = collect_live(client)
    package_gaps = (
        read_packages(inventory, client, args.osv_db, args.code_mirror, args.workers)
        if args.packages
        else []
    )
    usage_gaps: list[CoverageGap] = []
    if iam_suggest.usage_requested(args):  # the snapshot keeps what the roles used
        inventory.usage = iam_suggest.read_usage(args, client)
        usage_gaps = iam_suggest.usage_gaps(inventory.usage)
    if not args.show_secrets:
        snapshot.withhold_secrets(inventory, args.secret_ignore)
    gaps = [*client.gaps, *package_gaps, *usage_gaps]
    snapshot.save(args.output, inventory, gaps, started)
    eprint(
        f"Snapshot of account {client.account_id()}: {len(inventory.functions)} functions, "
        f"{len(gaps)} coverage gaps -> {args.output}"
    )
    return EXIT_INCOMPLETE if gaps else EXIT_CLEAN


def catalogue() -> list[dict[str, Any]]:
    entries = [r.meta.to_dict() for r in all_rules()]
    try:
        from fortress.detection.rules import catalogue as detections
    except ModuleNotFoundError:
        return entries
    return entries + list(detections())


def cmd_rules(args: argparse.Namespace) -> int:
    if args.peer is not None:
        from fortress.cli.peers import rules_peer

        return rules_peer(args.peer, args.format)
    if args.compliance:
        return governance.rules_compliance(args.compliance, args.format)
    entries = catalogue()
    if args.format == "json":
        sys.stdout.write(json.dumps({"rules": entries}, indent=2) + "\n")
    elif args.format == "markdown":
        sys.stdout.write(markdown_table(entries))
    else:
        from rich.table import Table
        from rich.text import Text

        table = Table(title=f"{len(entries)} rules")
        for col in ("Id", "Kind", "Severity", "Practice / technique", "Title"):
            table.add_column(col)
        for e in entries:
            table.add_row(
                e["id"],
                e["kind"],
                e["severity"],
                e.get("practice") or ", ".join(e.get("techniques") or []),
                Text(e["title"]),
            )
        terminal().print(table)
    return EXIT_CLEAN


def _peer_names(peer: str, ids: list[str]) -> list[str]:
    """KICS ids are query UUIDs: the table shows the query names the peer map records."""
    if peer != "kics":
        return ids
    from fortress.peers import get_peer

    kics = get_peer("kics")
    # One query has one UUID per platform: its name is listed once.
    return list(dict.fromkeys(kics.title_of(i) or i for i in ids))


def markdown_table(entries: list[dict[str, Any]]) -> str:
    lines = [
        "| Id | Severity | Practice | Title | Peer checks |",
        "|---|---|---|---|---|",
    ]
    for e in entries:
        if e["kind"] != "posture":
            continue
        refs = "; ".join(
            f"{k}: {', '.join(_peer_names(k, v))}" for k, v in e["references"].items() if v
        )
        lines.append(f"| {e['id']} | {e['severity']} | {e['practice']} | {e['title']} | {refs} |")
    detections = [e for e in entries if e["kind"] == "detection"]
    if detections:
        lines += ["", "| Id | Severity | Detection | ATT&CK |", "|---|---|---|---|"]
        for e in detections:
            techniques = ", ".join(
                (e.get("references") or {}).get("mitre-attack") or e.get("techniques") or []
            )
            lines.append(f"| {e['id']} | {e['severity']} | {e['title']} | {techniques} |")
    return "\n".join(lines) + "\n"


def cmd_demo(args: argparse.Namespace) -> int:
    import time

    from rich.text import Text

    from fortress.demo import cloudtrail as demo_trail
    from fortress.demo import emulator, package_mirror, scan_demo, write_outputs
    from fortress.demo.seed import seed
    from fortress.report import console as console_report

    err = _stderr()
    with emulator(args.port) as endpoint:
        t0 = time.monotonic()
        err.print(
            f"Starting the demo: AWS emulator at {endpoint}; seeding the ShopFast application…"
        )
        seeded = seed(endpoint)
        err.print(
            f"Seeded {len(seeded.functions)} functions in {time.monotonic() - t0:.1f}s; scanning…"
        )
        with package_mirror(seeded.packages) as code_mirror:
            result = scan_demo(endpoint, mirror=code_mirror)
        terminal().print(console_report.render(result, clean=clean))
        trail_dir = write_outputs(result, args.output_dir)
        out = args.output_dir
        err.print(
            Text(
                clean(
                    f"Demo finished in {time.monotonic() - t0:.1f}s. Reports: "
                    f"{out / 'report.json'}, {out / 'report.sarif'}, {out / 'report.html'} "
                    "(open it in a browser); the demo's CloudTrail (with an intrusion in it): "
                    f"{trail_dir} — try `fortress hunt {trail_dir}`."
                )
            )
        )
        if not args.serve:
            return EXIT_CLEAN
        with package_mirror(seeded.packages) as mirror:
            err.print("The demo account stays up. In another terminal:")
            print(f"export AWS_ENDPOINT_URL={endpoint}")
            print(
                "export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1"
            )
            print(
                f"fortress acquire orders-api --code-mirror {mirror} --cloudtrail {trail_dir} "
                f"--since {demo_trail.SINCE} --output evidence"
            )
            print("fortress verify evidence && fortress diff evidence --from 2 --to 3")
            print(f"fortress sbom orders-api --code-mirror {mirror} --output sbom")
            sys.stdout.flush()
            err.print(
                "The emulator cannot serve code packages, so the demo also runs a package "
                f"mirror at {mirror} (acquire --code-mirror). Press Ctrl-C to stop."
            )
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                err.print("Stopping the demo emulator.")
    return EXIT_CLEAN
