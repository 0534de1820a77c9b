"""``fortress hunt``: hunt CloudTrail for attacks on Lambda (built-in detections and Sigma)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

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
    p.add_argument("--format", choices=("console", "json", "jsonl", "ocsf"), default="console")
    p.add_argument("--output", metavar="FILE", help="write the JSON/JSONL report there")
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
    p.add_argument("--memory-limit", default="2GB", help="DuckDB memory limit (default 2GB)")
    p.add_argument("--profile", help="AWS profile (S3, LookupEvents, Athena)")
    p.add_argument("--region", help="AWS region")
    p.add_argument("--endpoint-url", help="AWS endpoint URL (e.g. an emulator)")
    p.add_argument("--athena-database", help="run the detections on Athena in this database")
    p.add_argument("--athena-table", help="the CloudTrail table in --athena-database")
    p.add_argument("--athena-output", help="s3:// location for Athena query results")
    p.add_argument("--athena-workgroup", help="Athena workgroup")
    p.add_argument(
        "--show-sql",
        action="store_true",
        help="print the Athena SQL of each detection instead of running it",
    )
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


def _settings(args: argparse.Namespace) -> Any:
    from fortress.detection.sql import DEFAULT_CI_USER_AGENTS, HuntSettings

    accounts = frozenset(a.strip() for a in args.trusted_accounts.split(",") if a.strip())
    for a in accounts:
        if not re.fullmatch(r"\d{12}", a):
            raise FortressError(f"--trusted-accounts: {a!r} is not a 12-digit AWS account id")
    return HuntSettings(
        trusted_accounts=accounts,
        ci_user_agents=DEFAULT_CI_USER_AGENTS + tuple(u.lower() for u in args.ci_user_agent),
    )


def _aws(args: argparse.Namespace) -> Any:
    from fortress.aws.client import AwsClient, AwsOptions

    options = AwsOptions(
        profile=args.profile,
        regions=[args.region] if args.region else [],
        endpoint_url=args.endpoint_url,
    )
    client = AwsClient(options)
    if args.region:
        client.session = type(client.session)(profile_name=args.profile, region_name=args.region)
    return client


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
        return _run_athena(args, settings, since, until, fail_on)
    if not (args.paths or args.s3 or args.lookup):
        raise FortressError("hunt needs input: PATH..., --s3 s3://bucket/prefix or --lookup")
    from fortress.detection.hunt import HuntRequest, hunt

    request = HuntRequest(
        paths=list(args.paths),
        s3=list(args.s3),
        lookup=bool(args.lookup),
        since=since,
        until=until,
        rule_ids=args.rules,
        sigma_paths=list(args.sigma),
        builtin=not args.no_builtin,
        settings=settings,
        memory_limit=args.memory_limit,
    )
    rules.select(args.rules)  # fail early on unknown ids
    aws = _aws(args) if (args.s3 or args.lookup) else None
    result: HuntResult
    if sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(transient=True, console=_console(stderr=True)) as bar:
            task = bar.add_task("reading CloudTrail", total=None)

            def progress(stage: str, done: int, total: int) -> None:
                label = "reading CloudTrail" if stage == "load" else "running detections"
                bar.update(task, description=label, completed=done, total=total)

            result = hunt(request, aws, progress)
    else:
        result = hunt(request, aws)
    _emit(args, result)
    return _exit_code(result, fail_on)


def _exit_code(result: Any, fail_on: Severity) -> int:
    if result.unreadable or result.coverage_gaps:
        return EXIT_INCOMPLETE
    if any(d.severity >= fail_on for d in result.detections):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _emit(args: argparse.Namespace, result: Any) -> None:
    data = result.to_dict()
    if args.format == "json" or (args.output and args.format == "console"):
        text = json.dumps(data, indent=2) + "\n"
    elif args.format == "jsonl":
        text = "".join(json.dumps(d) + "\n" for d in data["detections"])
    elif args.format == "ocsf":  # OCSF Detection Findings (class 2004), as scan --format ocsf
        from fortress import __version__
        from fortress.report import ocsf

        text = ocsf.render_detections(result.detections, datetime.now(UTC), __version__)
    else:
        text = ""
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise FortressError(f"{args.output}: cannot write ({exc.strerror})") from None
    elif text:
        sys.stdout.write(text)
    if args.format == "console":
        _print_console(result)
    for bad in result.unreadable:
        print(f"fortress: unreadable input {bad['path']}: {bad['reason']}", file=sys.stderr)
    for gap in result.coverage_gaps:
        print(
            f"fortress: {gap['service']}:{gap['operation']} failed ({gap['error_code']}): "
            f"{gap.get('message', '')}",
            file=sys.stderr,
        )
    for skip in result.sigma_skipped:
        print(
            f"fortress: sigma rule skipped {skip.file} {skip.title!r}: {skip.reason}",
            file=sys.stderr,
        )


_STYLES = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def _print_console(result: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    console = _console()
    if result.detections:
        table = Table(title=f"{len(result.detections)} detection(s) in {result.events} events")
        for col in ("time", "severity", "rule", "title", "principal", "function", "source ip"):
            table.add_column(col, overflow="fold")
        for d in result.detections:
            sev = d.severity.label
            table.add_row(
                escape(d.time or ""),
                f"[{_STYLES[sev]}]{sev}[/]",
                escape(d.rule_id),
                escape(d.message or d.title),
                escape(d.principal or ""),
                escape((d.function or "").rsplit(":function:", 1)[-1]),
                escape(d.source_ip or ""),
            )
        console.print(table)
    else:
        console.print(f"No detections in {result.events} events.")


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
    chosen = rules.select(args.rules)
    if args.show_sql:
        for rule in chosen:
            print(f"-- {rule.id} {rule.title}")
            print(detection_sql(rule, target, settings, since, until) + ";\n")
        return EXIT_CLEAN
    if not args.athena_output and not args.athena_workgroup:
        raise FortressError("Athena needs --athena-output s3://... (or a --athena-workgroup)")
    aws = _aws(args)
    result = HuntResult(inputs=[f"athena:{target.database}.{target.table}"])
    result.detections = hunt_athena(aws, target, chosen, settings, since, until)
    result.rules_run = [r.id for r in chosen]
    result.coverage_gaps = [g.to_dict() for g in aws.gaps]
    _emit(args, result)
    return _exit_code(result, fail_on)
