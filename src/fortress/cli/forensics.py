"""Forensics commands: acquire, verify, timeline, diff."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import re
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fortress.cli import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, EXIT_INCOMPLETE, validate
from fortress.cli.sanitize import clean, clean_data, clean_multiline, eprint
from fortress.errors import FortressError
from fortress.forensics.archive import ArchiveLimits
from fortress.forensics.bundle import verify_bundle
from fortress.forensics.timeline import build_timeline, to_csv, to_jsonl

if TYPE_CHECKING:  # boto3 is imported by the commands that call AWS, not at start-up
    from fortress.forensics.acquire import AcquireResult
    from fortress.forensics.diff import DiffResult

MB = 1024 * 1024
_RELATIVE = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def register(sub: Any) -> None:
    acq = sub.add_parser(
        "acquire",
        help="collect a Lambda function as a verifiable evidence bundle (read-only)",
        description="Collects configuration, code, layers, policies, role, logs and CloudTrail "
        "events of FUNCTION into a hashed, write-once evidence bundle.",
    )
    acq.add_argument("function", metavar="FUNCTION", help="function name or ARN")
    acq.add_argument("--region", help="region of the function (default: the profile's region)")
    acq.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    acq.add_argument(
        "--endpoint-url",
        type=validate.endpoint_url,
        help="AWS endpoint (e.g. an emulator); AWS_ENDPOINT_URL is honoured",
    )
    acq.add_argument(
        "--since",
        help="window start for logs and CloudTrail: ISO 8601 time or 30m/24h/7d/2w ago (default: 7d)",
    )
    acq.add_argument("--until", help="window end: ISO 8601 time or relative (default: now)")
    acq.add_argument("--output", type=Path, help="bundle directory (or zip with --zip) to create")
    acq.add_argument("--zip", action="store_true", help="write the bundle as one zip file")
    acq.add_argument(
        "--cloudtrail",
        action="append",
        default=[],
        type=Path,
        metavar="PATH",
        help="CloudTrail export (folder of .json.gz, JSON or JSONL; repeatable) instead of LookupEvents",
    )
    acq.add_argument(
        "--redact", action="store_true", help="redact environment variable values in the bundle"
    )
    acq.add_argument(
        "--code-mirror",
        metavar="URL",
        help="fetch packages by hash from this mirror instead of Code.Location "
        "(each still checked against CodeSha256)",
    )
    acq.add_argument(
        "--max-download-mb", type=int, default=512, help="cap per downloaded package (default: 512)"
    )
    _add_limits(acq)
    acq.add_argument("--format", choices=("console", "json"), default="console")
    acq.set_defaults(func=cmd_acquire)

    ver = sub.add_parser("verify", help="re-check every hash of an evidence bundle")
    ver.add_argument("bundle", type=Path, metavar="BUNDLE", help="bundle directory or zip")
    ver.add_argument("--format", choices=("console", "json"), default="console")
    ver.set_defaults(func=cmd_verify)

    tl = sub.add_parser(
        "timeline", help="merge CloudTrail, version history and log lines in time order"
    )
    tl.add_argument("bundle", type=Path, metavar="BUNDLE", help="bundle directory or zip")
    tl.add_argument(
        "--cloudtrail",
        action="append",
        default=[],
        type=Path,
        metavar="PATH",
        help="extra CloudTrail files",
    )
    tl.add_argument(
        "--detections",
        action="append",
        default=[],
        type=validate.input_file,
        metavar="FILE",
        help="`fortress hunt` JSON/JSONL output: its detections about the function become marked entries",
    )
    tl.add_argument("--format", choices=("console", "jsonl", "csv"), default="console")
    tl.add_argument("--output", type=validate.output_file, help="write to FILE instead of stdout")
    tl.add_argument(
        "--all-logs",
        action="store_true",
        help="include every log line, not only START/END/REPORT/errors",
    )
    tl.set_defaults(func=cmd_timeline)

    df = sub.add_parser("diff", help="show what changed between two versions in a bundle")
    df.add_argument("bundle", type=Path, metavar="BUNDLE", help="bundle directory or zip")
    df.add_argument(
        "--from", dest="from_version", required=True, metavar="V1", help="version, $LATEST or alias"
    )
    df.add_argument(
        "--to", dest="to_version", required=True, metavar="V2", help="version, $LATEST or alias"
    )
    df.add_argument(
        "--show-values", action="store_true", help="show environment values (default: redacted)"
    )
    df.add_argument("--format", choices=("console", "json"), default="console")
    _add_limits(df)
    df.set_defaults(func=cmd_diff)


def _add_limits(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("package safety caps")
    group.add_argument(
        "--max-unzipped-mb", type=int, default=1024, help="total uncompressed size (default: 1024)"
    )
    group.add_argument(
        "--max-files", type=int, default=100_000, help="files per package (default: 100000)"
    )
    group.add_argument(
        "--max-ratio", type=float, default=200.0, help="compression ratio (default: 200)"
    )


def _limits(args: argparse.Namespace) -> ArchiveLimits:
    return ArchiveLimits(
        max_total_bytes=args.max_unzipped_mb * MB,
        max_files=args.max_files,
        max_ratio=args.max_ratio,
    )


def parse_when(text: str | None, now: datetime, option: str) -> datetime | None:
    """ISO 8601 (UTC when no zone) or a relative ``30m``/``24h``/``7d``/``2w`` before now."""
    if text is None:
        return None
    match = _RELATIVE.match(text.strip())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise FortressError(
            f"{option}: not a time: {text!r} (use ISO 8601 or 30m, 24h, 7d, 2w)"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[str], None] | None]:
    """A Rich status line on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    console = Console(stderr=True)
    with console.status("acquiring") as status:

        def update(message: str) -> None:
            status.update(_e(message))

        yield update


def acquire_exit_code(result: AcquireResult) -> int:
    if result.integrity_failures or result.refused_packages:
        return EXIT_FINDINGS
    if result.gaps:
        return EXIT_INCOMPLETE
    return EXIT_CLEAN


def cmd_acquire(args: argparse.Namespace) -> int:
    from fortress.aws.client import AwsClient, AwsOptions
    from fortress.forensics.acquire import AcquireOptions, acquire, default_output

    now = datetime.now(UTC)
    until = parse_when(args.until, now, "--until") or now
    since = parse_when(args.since, until, "--since")
    output = args.output or default_output(args.function, args.zip)
    aws = AwsClient(
        AwsOptions(
            profile=args.profile,
            regions=[args.region] if args.region else [],
            endpoint_url=args.endpoint_url,
        )
    )
    with _progress() as progress:
        result = acquire(
            aws,
            AcquireOptions(
                function=args.function,
                output=output,
                region=args.region,
                since=since,
                until=until,
                cloudtrail=list(args.cloudtrail),
                zip=args.zip,
                redact=args.redact,
                max_download_bytes=args.max_download_mb * MB,
                archive_limits=_limits(args),
                code_mirror=args.code_mirror,
                progress=progress,
            ),
        )
    code = acquire_exit_code(result)
    if args.format == "json":
        print(
            json.dumps(
                {
                    "bundle": str(result.bundle),
                    "manifest_sha256": result.manifest_sha256,
                    "function": result.function_arn,
                    "versions": result.versions,
                    "artifacts": result.artifacts,
                    "code_checks": result.code_checks,
                    "package_checks": result.package_checks,
                    "gaps": [g.to_dict() for g in result.gaps],
                    "log_events": result.log_events,
                    "cloudtrail_events": result.cloudtrail_events,
                    "exit_code": code,
                },
                indent=2,
                default=str,
            )
        )
        return code
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"[bold]Evidence bundle[/]: {_e(str(result.bundle))}")
    console.print(f"function {_e(result.function_arn)}, versions {_e(', '.join(result.versions))}")
    console.print(f"{result.artifacts} artifacts, manifest sha256 {result.manifest_sha256}")
    console.print(f"{result.log_events} log events, {result.cloudtrail_events} CloudTrail events")
    for check in result.code_checks:
        label = f"{check['kind']} {check['id']}"
        status = check["status"]
        if status == "MISMATCH":
            console.print(
                f"[bold red]INTEGRITY FAILURE[/]: {_e(label)}: downloaded package hash "
                f"{check['actual_code_sha256']} != CodeSha256 {check['expected_code_sha256']}"
            )
        elif status == "match":
            console.print(f"[green]ok[/] {_e(label)}: package matches CodeSha256")
        else:
            console.print(f"[yellow]{_e(status)}[/] {_e(label)}: {_e(str(check.get('error', '')))}")
    for package in result.refused_packages:
        console.print(
            f"[bold red]package refused[/]: {_e(package['artifact'])}: {_e(package['reason'])}"
        )
    if result.gaps:
        console.print(f"[yellow]{len(result.gaps)} gap(s) recorded in the manifest[/]:")
        for gap in result.gaps:
            console.print(
                f"  {_e(gap.service)}:{_e(gap.operation)} {_e(gap.error_code)} {_e(gap.resource or '')}"
            )
    return code


def cmd_verify(args: argparse.Namespace) -> int:
    result = verify_bundle(args.bundle)
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2))
    else:
        console = Console(highlight=False, soft_wrap=True)
        if result.intact:
            console.print(
                f"[green]intact[/]: {_e(str(args.bundle))} ({result.checked} artifacts verified)"
            )
        else:
            console.print(f"[bold red]NOT INTACT[/]: {_e(str(args.bundle))}")
            if result.manifest_problem:
                console.print(f"  manifest: {_e(result.manifest_problem)}")
            for label, paths in (
                ("modified", result.modified),
                ("missing", result.missing),
                ("unexpected", result.unexpected),
            ):
                for path in paths:
                    console.print(f"  {label}: {_e(path)}")
    return EXIT_CLEAN if result.intact else EXIT_FINDINGS


def _report_problems(problems: list[str], code: int) -> int:
    """Records a command had to leave out: listed on stderr, and the run is incomplete."""
    for problem in problems[:20]:
        print(f"fortress: input problem: {problem}", file=sys.stderr)
    if len(problems) > 20:
        print(f"fortress: … and {len(problems) - 20} more input problem(s)", file=sys.stderr)
    return EXIT_INCOMPLETE if problems and code == EXIT_CLEAN else code


def cmd_timeline(args: argparse.Namespace) -> int:
    problems: list[str] = []
    code = _cmd_timeline(args, problems)
    return _report_problems(problems, code)


def _cmd_timeline(args: argparse.Namespace, problems: list[str]) -> int:
    entries = build_timeline(args.bundle, args.cloudtrail, args.all_logs, args.detections, problems)
    if args.format == "console" and args.output is None:
        table = Table(show_lines=False)
        for column in ("time (UTC)", "source", "action", "version", "actor", "summary"):
            table.add_column(column, overflow="fold")
        for e in entries:
            actor = " ".join(x for x in (e.principal, e.source_ip) if x)
            table.add_row(
                _e(e.iso_time),
                _e(e.source),
                _e(e.action),
                _e(e.version or ""),
                _e(actor),
                _e(e.summary),
            )
        console = Console(highlight=False)
        if not console.is_terminal:
            console = Console(width=200, highlight=False)
        console.print(table)
        eprint(f"{len(entries)} entries")
        return EXIT_CLEAN
    # CSV and text go to terminals and spreadsheets: every field sanitized (JSONL escapes itself).
    if args.format != "jsonl":
        entries = [_clean_entry(e) for e in entries]
    if args.format == "csv":
        lines = to_csv(entries)
    elif args.format == "jsonl":
        lines = to_jsonl(entries)
    else:
        lines = iter(
            f"{e.iso_time}  {e.source:<10} {e.action:<24} {e.version or '-':<8} {e.principal or '-'}  {e.summary}\n"
            for e in entries
        )
    if args.output:
        try:
            with args.output.open("w", encoding="utf-8", newline="") as handle:
                handle.writelines(lines)
        except OSError as exc:
            raise FortressError(f"{args.output}: cannot write: {exc.strerror}") from exc
        eprint(f"{len(entries)} entries written to {args.output}")
    else:
        sys.stdout.writelines(lines)
    return EXIT_CLEAN


def _e(value: Any) -> str:
    """Account data for a Rich markup string: terminal-sanitized, then markup-escaped."""
    return escape(clean(value))


def _multiline(value: Any) -> str:
    return escape(clean_multiline(value))


def _clean_entry(entry: Any) -> Any:
    return dataclasses.replace(
        entry,
        source=clean(entry.source),
        action=clean(entry.action),
        summary=clean(entry.summary),
        version=clean(entry.version) if entry.version is not None else None,
        principal=clean(entry.principal) if entry.principal is not None else None,
        source_ip=clean(entry.source_ip) if entry.source_ip is not None else None,
        user_agent=clean(entry.user_agent) if entry.user_agent is not None else None,
        details=clean_data(entry.details),
    )


def _render_value(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return "-" if value is None else str(value)


def cmd_diff(args: argparse.Namespace) -> int:
    from fortress.forensics.diff import diff_bundle

    result: DiffResult = diff_bundle(
        args.bundle, args.from_version, args.to_version, args.show_values, _limits(args)
    )
    code = EXIT_FINDINGS if result.changed else EXIT_INCOMPLETE if result.incomplete else EXIT_CLEAN
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2, default=str))
        return code
    console = Console(highlight=False, soft_wrap=True)
    console.print(
        f"[bold]{_e(result.function)}[/]: version {_e(result.from_version)} -> {_e(result.to_version)}"
    )
    if result.config:
        console.print("[bold]Configuration drift[/]")
        for change in result.config:
            console.print(
                f"  {change.change:<8} {_e(change.field)}: {_e(_render_value(change.before))} -> "
                f"{_e(_render_value(change.after))}"
            )
    if result.code:
        console.print("[bold]Code drift[/]")
        for fc in result.code:
            hashes = f"{(fc.before_sha256 or '-')[:12]} -> {(fc.after_sha256 or '-')[:12]}"
            console.print(f"  {fc.change:<8} {_e(fc.path)}  ({hashes})")
        for fc in result.code:
            if fc.diff:
                console.print(_multiline(fc.diff), end="", soft_wrap=True)
    for note in result.notes:
        console.print(f"[yellow]note[/]: {_e(note)}")
    if not result.changed:
        console.print(
            "no differences" + (" found in what could be read" if result.incomplete else "")
        )
    return code


__all__ = ["EXIT_ERROR", "parse_when", "register"]
