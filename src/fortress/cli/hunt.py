"""``fortress hunt``: hunt CloudTrail for attacks on Lambda (built-in detections and Sigma)."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fortress.cli import org, validate
from fortress.detection.sql import DEFAULT_MEMORY_LIMIT
from fortress.errors import FortressError
from fortress.findings import Severity

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR, EXIT_INCOMPLETE = 0, 1, 2, 3


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "hunt",
        help="hunt CloudTrail for attacks on Lambda",
        description=(
            "Read CloudTrail (delivery folders of .json.gz, {Records: [...]} files, JSON "
            "arrays, JSON Lines, an S3 prefix or LookupEvents) and run the built-in Lambda "
            "detections and Sigma rules over it."
        ),
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="CloudTrail files or folders")
    p.add_argument(
        "--s3",
        action="append",
        default=[],
        metavar="S3_URL",
        help="s3://bucket/prefix of a trail's delivery folder (repeatable)",
    )
    p.add_argument("--lookup", action="store_true", help="read the LookupEvents API (90 days)")
    p.add_argument("--since", help="earliest event time: ISO date/time or relative (24h, 7d)")
    p.add_argument("--until", help="latest event time: ISO date/time or relative")
    p.add_argument("--rules", metavar="IDS", help="comma-separated detection ids (or prefixes)")
    p.add_argument(
        "--sigma",
        action="append",
        default=[],
        metavar="DIR",
        help="Sigma rule file or folder (repeatable)",
    )
    p.add_argument("--no-builtin", action="store_true", help="run only the Sigma rules")
    p.add_argument(
        "--format", choices=("console", "json", "jsonl", "ocsf", "html"), default="console"
    )
    p.add_argument(
        "--output",
        type=validate.output_file,
        metavar="FILE",
        help="write the report there (console format: JSON); stdout then carries the summary",
    )
    p.add_argument(
        "--details",
        action="store_true",
        help="console: one row per detection (default: grouped by detection id)",
    )
    p.add_argument(
        "--fail-on",
        default="medium",
        metavar="SEVERITY",
        help="exit 1 when a detection is at or above this severity (default medium)",
    )
    p.add_argument(
        "--trusted-accounts",
        default="",
        metavar="IDS",
        help="comma-separated AWS accounts trusted for permissions and layers",
    )
    p.add_argument(
        "--ci-user-agent",
        action="append",
        default=[],
        metavar="TEXT",
        help="extra user-agent substring of your CI/deployment tooling (repeatable)",
    )
    p.add_argument(
        "--baseline-days",
        type=int,
        default=0,
        metavar="N",
        help="with --since: also read N days before it as history only (who usually "
        "deploys, which regions and trail selectors were seen); detections report from --since",
    )
    p.add_argument(
        "--deployer",
        action="append",
        default=[],
        metavar="PATTERN",
        help="principal expected to change functions: an ARN or fnmatch pattern, matched "
        "against the caller, its role and its key (repeatable; adds to deployers: in "
        ".fortress.yaml)",
    )
    p.add_argument(
        "--expected-region",
        action="append",
        default=[],
        metavar="REGION",
        help="region the organization uses (repeatable; adds to expected_regions:)",
    )
    p.add_argument(
        "--inventory",
        type=Path,
        metavar="SNAPSHOT",
        help="a snapshot (fortress collect): its roles' permissions, functions' roles and "
        "environment key fingerprints feed FTR-DET-006, 015 and 016",
    )
    p.add_argument("--config", type=Path, metavar="FILE", help="configuration file to read")
    p.add_argument("--no-config", action="store_true", help="read no configuration file")
    p.add_argument(
        "--memory-limit",
        type=validate.memory_limit,
        default=DEFAULT_MEMORY_LIMIT,
        help=f"DuckDB memory limit (default {DEFAULT_MEMORY_LIMIT}; beyond it DuckDB spills "
        "to the hunt's temporary folder)",
    )
    p.add_argument("--profile", help="AWS profile (S3, LookupEvents, Athena)")
    p.add_argument(
        "--region",
        action="append",
        default=[],
        help="AWS region (repeatable: --lookup reads each; the first is used for S3 and Athena)",
    )
    p.add_argument(
        "--endpoint-url", type=validate.endpoint_url, help="AWS endpoint URL (e.g. an emulator)"
    )
    p.add_argument("--athena-database", help="run the detections on Athena in this database")
    p.add_argument("--athena-table", help="the CloudTrail table in --athena-database")
    p.add_argument("--athena-output", help="s3:// location for Athena query results")
    p.add_argument("--athena-workgroup", help="Athena workgroup")
    p.add_argument(
        "--show-sql",
        action="store_true",
        help="print the Athena SQL of each detection instead of running it",
    )
    org.add_account_selection(p)  # --lookup in several accounts
    p.set_defaults(func=run)


_RELATIVE = re.compile(r"^(\d+)([smhdw])$")


def parse_time(text: str | None, option: str) -> datetime | None:
    """ISO 8601 (naive = UTC) or relative to now (``30m``, ``24h``, ``7d``) as naive UTC."""
    if not text:
        return None
    match = _RELATIVE.match(text.strip())
    if match:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
        delta = timedelta(**{unit[match.group(2)]: int(match.group(1))})
        return (datetime.now(UTC) - delta).replace(tzinfo=None)
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise FortressError(
            f"{option} {text!r}: not an ISO date/time or a duration like 24h"
        ) from None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")


def _file_config(args: argparse.Namespace) -> Any:
    """The ``.fortress.yaml`` the hunt reads (``--config``, or the nearest one upward from
    the first input folder or the working directory), or None."""
    from fortress import configfile

    if getattr(args, "no_config", False):
        return None
    path = getattr(args, "config", None)
    if path is None:
        starts = [Path(p) for p in args.paths if Path(p).exists()] + [Path.cwd()]
        path = configfile.find(starts)
    return configfile.load(path) if path is not None else None


def _settings(args: argparse.Namespace) -> Any:
    from fortress.detection.sql import DEFAULT_CI_USER_AGENTS, HuntSettings

    accounts = {a.strip() for a in args.trusted_accounts.split(",") if a.strip()}
    for a in accounts:
        if not re.fullmatch(r"\d{12}", a):
            raise FortressError(f"--trusted-accounts: {a!r} is not a 12-digit AWS account id")
    regions = list(getattr(args, "expected_region", []))
    for r in regions:
        if not _REGION.match(r):
            raise FortressError(f"--expected-region: {r!r} is not a region name (us-east-1)")
    deployers = [d for d in getattr(args, "deployer", []) if d.strip()]
    cfg = _file_config(args)
    if cfg is not None:
        accounts |= set(cfg.trusted_accounts)
        deployers = [*cfg.deployers, *deployers]
        regions = [*cfg.expected_regions, *regions]
    return HuntSettings(
        trusted_accounts=frozenset(accounts),
        ci_user_agents=DEFAULT_CI_USER_AGENTS + tuple(u.lower() for u in args.ci_user_agent),
        deployers=tuple(dict.fromkeys(deployers)),
        expected_regions=tuple(dict.fromkeys(regions)),
    )


def _inventory(args: argparse.Namespace) -> Any:
    """The ``--inventory`` snapshot's inventory, or None."""
    if getattr(args, "inventory", None) is None:
        return None
    from fortress.sources import snapshot

    inventory, _gaps = snapshot.load(args.inventory)
    return inventory


def _aws(args: argparse.Namespace) -> Any:
    from fortress.aws.client import AwsClient, AwsOptions

    options = AwsOptions(
        profile=args.profile,
        regions=list(args.region),
        endpoint_url=args.endpoint_url,
    )
    client = AwsClient(options)
    if args.region:
        client.session = type(client.session)(profile_name=args.profile, region_name=args.region[0])
    return client


def _lookups(args: argparse.Namespace, base: Any) -> list[tuple[str, Any]] | None:
    """(account, client or gap) for ``--lookup`` in each account of ``--organization`` or
    ``--accounts``; None: the caller's account only."""
    if not org.requested(args):
        return None
    if not args.lookup:
        raise FortressError(
            "--organization/--accounts: hunt reads other accounts through --lookup only "
            "(an organization trail's files or its Athena table hold every account already)"
        )
    from fortress.aws.accounts import RoleAssumer, resolve

    options = org.account_options(args)
    assumer = RoleAssumer(base, options)
    return [(a.id, assumer.client(a.id)) for a in resolve(base, options)]


def run(args: argparse.Namespace) -> int:
    from fortress.detection import rules
    from fortress.detection.model import HuntResult

    try:
        fail_on = Severity.parse(args.fail_on)
    except ValueError as exc:
        raise FortressError(f"--fail-on: {exc}") from None
    since = parse_time(args.since, "--since")
    until = parse_time(args.until, "--until")
    settings = _settings(args)
    if args.athena_database or args.athena_table or args.show_sql:
        if org.requested(args):
            raise FortressError(
                "--organization/--accounts: an organization trail's Athena table holds every "
                "account already (filter with the detections' recipientaccountid)"
            )
        return _run_athena(args, settings, since, until, fail_on)
    if not (args.paths or args.s3 or args.lookup):
        raise FortressError("hunt needs input: PATH..., --s3 s3://bucket/prefix or --lookup")
    from fortress.detection.hunt import HuntRequest, hunt

    request = HuntRequest(
        paths=list(args.paths),
        s3=list(args.s3),
        lookup=bool(args.lookup),
        lookup_regions=list(args.region),
        since=since,
        until=until,
        rule_ids=args.rules,
        sigma_paths=list(args.sigma),
        builtin=not args.no_builtin,
        settings=settings,
        memory_limit=args.memory_limit,
        baseline_days=int(args.baseline_days),
        inventory=_inventory(args),
    )
    rules.select(args.rules)  # fail early on unknown ids
    aws = _aws(args) if (args.s3 or args.lookup or org.requested(args)) else None
    lookups = _lookups(args, aws) if aws is not None else None
    result: HuntResult
    if sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(transient=True, console=_console(stderr=True)) as bar:
            task = bar.add_task("reading CloudTrail", total=None)

            def progress(stage: str, done: int, total: int) -> None:
                label = "reading CloudTrail" if stage == "load" else "running detections"
                bar.update(task, description=label, completed=done, total=total)

            result = hunt(request, aws, progress, lookups)
    else:
        result = hunt(request, aws, lookups=lookups)
    _emit(args, result)
    return _exit_code(result, fail_on)


def _exit_code(result: Any, fail_on: Severity) -> int:
    if result.unreadable or result.coverage_gaps:
        return EXIT_INCOMPLETE
    if any(skip.incomplete for skip in result.sigma_skipped):
        return EXIT_INCOMPLETE  # a Sigma rule the user asked for did not run
    if any(d.severity >= fail_on for d in result.detections):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _console(stderr: bool = False) -> Any:
    from fortress.cli.sanitize import terminal

    return terminal(stderr=stderr)


def _render(args: argparse.Namespace, data: dict[str, Any], result: Any) -> bytes:
    """The report file's (or stdout's) bytes for a machine format; console + --output is JSON."""
    from fortress.report.jsonreport import dumps

    if args.format == "html":
        from fortress.report import html

        return html.render_hunt(data).encode("utf-8")
    if args.format == "jsonl":
        import orjson

        return b"".join(orjson.dumps(d) + b"\n" for d in data["detections"])
    if args.format == "ocsf":  # OCSF Detection Findings (class 2004), as scan --format ocsf
        from fortress import __version__
        from fortress.report import ocsf

        return ocsf.render_detections(result.detections, datetime.now(UTC), __version__).encode()
    return dumps(data)


def _emit(args: argparse.Namespace, result: Any) -> None:
    from fortress.cli.sanitize import eprint, stdout_bytes

    data = result.to_dict()
    if args.output:
        payload = _render(args, data, result)
        try:
            with open(args.output, "wb") as fh:
                fh.write(payload)
        except OSError as exc:
            raise FortressError(f"{args.output}: cannot write ({exc.strerror})") from None
        _print_summary(result)
        _console().print(_text(f"Report written to {args.output}"), soft_wrap=True)
    elif args.format == "console":
        _print_console(result, details=bool(getattr(args, "details", False)))
    else:
        sys.stdout.flush()
        stdout_bytes().write(_render(args, data, result))
        sys.stdout.flush()
    for bad in result.unreadable:
        eprint(f"fortress: unreadable input {bad['path']}: {bad['reason']}")
    for gap in result.coverage_gaps:
        eprint(
            f"fortress: {gap['service']}:{gap['operation']} failed ({gap['error_code']}): "
            f"{gap.get('message', '')}"
        )
    for skip in result.sigma_skipped:
        eprint(f"fortress: sigma rule skipped {skip.file} {skip.title!r}: {skip.reason}")


_STYLES = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
EXAMPLES = 3


def _text(value: Any, style: str = "") -> Any:
    """Account/trail data as Rich ``Text``: sanitized, never parsed as markup."""
    from rich.text import Text

    from fortress.cli.sanitize import clean

    return Text(clean(value), style=style)


def _function_name(arn: str | None) -> str:
    return (arn or "").rsplit(":function:", 1)[-1]


def _principal_name(arn: str | None) -> str:
    """``user/contractor-dana`` for an IAM ARN: the part a reader recognises."""
    text = arn or ""
    return text.split(":", 5)[-1] if text.startswith("arn:") else text


def _few(values: list[str]) -> Any:
    names = list(dict.fromkeys(v for v in values if v))
    text = _text(", ".join(names[:EXAMPLES]))
    if len(names) > EXAMPLES:
        text.append(f" +{len(names) - EXAMPLES} more", style="dim")
    return text


def _headline(result: Any) -> str:
    counts: dict[str, int] = {}
    for d in result.detections:
        counts[d.severity.label] = counts.get(d.severity.label, 0) + 1
    by = ", ".join(f"{counts[s.label]} {s.label}" for s in reversed(Severity) if s.label in counts)
    n = len(result.detections)
    return f"{n} detection{'s' if n != 1 else ''} in {result.events} events" + (
        f" ({by})" if by else ""
    )


def _print_summary(result: Any) -> None:
    _console().print(_text(_headline(result) + "."))


def _print_console(result: Any, details: bool = False) -> None:
    """Detections grouped by detection id (default) or one row each (``--details``)."""
    from rich import box
    from rich.table import Table

    console = _console()
    if not result.detections:
        console.print(_text(f"No detections in {result.events} events."))
        return
    if details:
        table = Table(title=_headline(result), title_justify="left", box=box.SIMPLE_HEAD)
        for col in ("time", "severity", "rule", "title", "principal", "function", "source ip"):
            table.add_column(col, overflow="fold")
        for d in result.detections:
            sev = d.severity.label
            table.add_row(
                _text(d.time or ""),
                _text(sev, _STYLES[sev]),
                _text(d.rule_id),
                _text(d.message or d.title),
                _text(d.principal or ""),
                _text(_function_name(d.function)),
                _text(d.source_ip or ""),
            )
        console.print(table)
        return
    groups: dict[str, list[Any]] = {}
    for d in result.detections:
        groups.setdefault(d.rule_id, []).append(d)
    table = Table(
        title=_headline(result), title_justify="left", box=box.SIMPLE_HEAD, show_edge=False
    )
    table.add_column("Severity", no_wrap=True, min_width=8)
    table.add_column("Detection", no_wrap=True, min_width=11)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("First seen", no_wrap=True, min_width=16)
    table.add_column("Detection and who/what", overflow="fold")
    ordered = sorted(groups.values(), key=lambda g: (-g[0].severity, g[0].rule_id))
    for group in ordered:
        first = group[0]
        times = sorted(d.time for d in group if d.time)
        sev = first.severity.label
        cell = _text(first.title)
        functions = _few([_function_name(d.function) for d in group])
        principals = _few([_principal_name(d.principal) for d in group])
        if principals.plain:
            cell.append("\nby ", style="dim")
            cell.append_text(principals)
        if functions.plain:
            cell.append(" on " if principals.plain else "\non ", style="dim")
            cell.append_text(functions)
        table.add_row(
            _text(sev, _STYLES[sev]),
            _text(first.rule_id),
            str(len(group)),
            _text(times[0][:16].replace("T", " ") if times else "?"),
            cell,
        )
    console.print(table)
    console.print(_text("Every detection: --details; every field: --format json or html.", "dim"))


def _run_athena(
    args: argparse.Namespace, settings: Any, since: Any, until: Any, fail_on: Severity
) -> int:
    from fortress.detection import rules
    from fortress.detection.athena import AthenaTarget, detection_sql, hunt_athena
    from fortress.detection.model import HuntResult

    if not (args.athena_database and args.athena_table):
        raise FortressError("Athena needs both --athena-database and --athena-table")
    target = AthenaTarget(
        args.athena_database, args.athena_table, args.athena_output, args.athena_workgroup
    )
    from fortress.detection.hunt import HuntRequest, hunt_window

    window = HuntRequest(since=since, settings=settings, baseline_days=int(args.baseline_days))
    settings, since = hunt_window(window)
    chosen = rules.select(args.rules)
    inventory = _inventory(args)
    from fortress.cli.sanitize import clean
    from fortress.detection import iamfacts

    facts = iamfacts.facts(inventory) if inventory is not None else None
    if args.show_sql:
        for rule in chosen:
            print(f"-- {rule.id} {rule.title}")  # our own rule metadata, not input
            # the SQL holds inventory names (roles, functions, variables): sanitized
            print(
                clean(
                    detection_sql(rule, target, settings, since, until, facts), keep_newlines=True
                )
                + ";\n"
            )
        return EXIT_CLEAN
    if not args.athena_output and not args.athena_workgroup:
        raise FortressError("Athena needs --athena-output s3://... (or a --athena-workgroup)")
    aws = _aws(args)
    result = HuntResult(inputs=[f"athena:{target.database}.{target.table}"])
    result.detections = hunt_athena(aws, target, chosen, settings, since, until, facts)
    result.rules_run = [r.id for r in chosen]
    result.coverage_gaps = [g.to_dict() for g in aws.gaps]
    _emit(args, result)
    return _exit_code(result, fail_on)
