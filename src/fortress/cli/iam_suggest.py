"""Granted versus used on the command line: ``scan --cloudtrail`` and ``fortress iam suggest``.

``add_usage_options`` gives ``scan`` (and ``iam suggest``) the CloudTrail inputs; the usage
facts are computed here, before the rules run, and put in the Inventory for FTR-IAM-015.
``iam suggest FUNCTION`` writes the minimal policy of the function's execution role.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fortress.cli import EXIT_CLEAN, EXIT_INCOMPLETE, validate
from fortress.cli.sanitize import clean, eprint
from fortress.errors import FortressError
from fortress.findings import CoverageGap
from fortress.inventory import Function, Inventory, UsageFacts

if TYPE_CHECKING:
    from fortress.aws.client import AwsClient

DEFAULT_SINCE = "90d"


def add_usage_options(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    group = parser.add_argument_group(
        "granted versus used (CloudTrail)"
        + ("" if required else ": with any of these, FTR-IAM-015 runs")
    )
    group.add_argument(
        "--cloudtrail",
        action="append",
        default=[],
        metavar="PATH",
        help="CloudTrail files or folders (as hunt reads them; repeatable)",
    )
    group.add_argument(
        "--cloudtrail-s3",
        action="append",
        default=[],
        metavar="S3_URL",
        help="s3://bucket/prefix of a trail's delivery folder (repeatable)",
    )
    group.add_argument(
        "--cloudtrail-lookup", action="store_true", help="read the LookupEvents API (90 days)"
    )
    group.add_argument(
        "--since",
        default=DEFAULT_SINCE,
        help=f"window start: ISO date/time or relative (default {DEFAULT_SINCE})",
    )
    group.add_argument("--until", help="window end: ISO date/time or relative (default now)")
    group.add_argument(
        "--cloudtrail-athena-database", metavar="DB", help="read usage from Athena instead"
    )
    group.add_argument("--cloudtrail-athena-table", metavar="TABLE", help="the CloudTrail table")
    group.add_argument("--cloudtrail-athena-output", metavar="S3_URL", help="query results")
    group.add_argument("--cloudtrail-athena-workgroup", metavar="NAME", help="Athena workgroup")


def usage_requested(args: argparse.Namespace) -> bool:
    return bool(
        args.cloudtrail
        or args.cloudtrail_s3
        or args.cloudtrail_lookup
        or args.cloudtrail_athena_database
    )


def read_usage(args: argparse.Namespace, client: AwsClient | None = None) -> UsageFacts:
    """The usage facts from the CloudTrail options (the window ends now by default)."""
    from fortress.cli.hunt import parse_time
    from fortress.detection import usage

    since = parse_time(args.since, "--since")
    until = parse_time(args.until, "--until")
    if since is not None and until is not None and since > until:
        raise FortressError("--since is after --until")
    if args.cloudtrail_athena_database or args.cloudtrail_athena_table:
        if not (args.cloudtrail_athena_database and args.cloudtrail_athena_table):
            raise FortressError(
                "--cloudtrail-athena-database and --cloudtrail-athena-table go together"
            )
        from fortress.detection.athena import AthenaTarget

        target = AthenaTarget(
            args.cloudtrail_athena_database,
            args.cloudtrail_athena_table,
            args.cloudtrail_athena_output,
            args.cloudtrail_athena_workgroup,
        )
        facts = usage.collect_usage_athena(client or _client(args), target, since, until)
    else:
        for url in args.cloudtrail_s3:
            if not url.startswith("s3://"):
                raise FortressError(f"--cloudtrail-s3 {url!r}: not an S3 URL (s3://bucket/prefix)")
        needs_aws = bool(args.cloudtrail_s3 or args.cloudtrail_lookup)
        request = usage.UsageRequest(
            paths=[str(p) for p in args.cloudtrail],
            s3=list(args.cloudtrail_s3),
            lookup=args.cloudtrail_lookup,
            since=since,
            until=until,
        )
        facts = usage.collect_usage(request, (client or _client(args)) if needs_aws else None)
    facts.since = since.replace(tzinfo=UTC) if since else None
    facts.until = until.replace(tzinfo=UTC) if until else datetime.now(UTC)
    return facts


def usage_gaps(facts: UsageFacts) -> list[CoverageGap]:
    """What the CloudTrail read missed, as coverage gaps (the scan is then incomplete)."""
    gaps = [CoverageGap("cloudtrail", "read", "Unreadable", g) for g in facts.gaps]
    if facts.events == 0:
        where = ", ".join(facts.inputs) or "the input"
        gaps.append(
            CoverageGap("cloudtrail", "read", "NoEvents", f"{where}: no CloudTrail events read")
        )
    return gaps


def _client(args: argparse.Namespace) -> AwsClient:
    from fortress.aws.client import AwsClient, AwsOptions

    regions = args.region if isinstance(args.region, list) else [args.region] if args.region else []
    return AwsClient(
        AwsOptions(
            profile=getattr(args, "profile", None),
            regions=list(regions),
            endpoint_url=getattr(args, "endpoint_url", None),
        )
    )


# --------------------------------------------------------------------------- iam suggest


def register(iam_sub: Any) -> None:
    p = iam_sub.add_parser(
        "suggest",
        help="write the minimal policy of a function's execution role from CloudTrail",
        description=(
            "Compare the function's execution role with what CloudTrail shows its sessions "
            "called, and write the minimal policy (used actions, resources seen in the "
            "events, conditions kept) as JSON, CloudFormation and Terraform, with the granted "
            "actions CloudTrail could not show."
        ),
    )
    p.add_argument("function", metavar="FUNCTION", help="function name or ARN")
    p.add_argument(
        "--inventory",
        type=Path,
        metavar="SNAPSHOT",
        help="read the function and its role from a snapshot (default: the live account)",
    )
    add_usage_options(p, required=True)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument(
        "--output",
        type=validate.output_file,
        metavar="FILE",
        help="also write the policy document (JSON) to FILE",
    )
    p.add_argument("--profile", help="AWS profile (live account, S3, LookupEvents, Athena)")
    p.add_argument("--region", action="append", default=[], help="region (repeatable)")
    p.add_argument(
        "--endpoint-url", type=validate.endpoint_url, help="AWS endpoint URL (e.g. an emulator)"
    )
    p.set_defaults(func=cmd_suggest)


def _find_function(inventory: Inventory, wanted: str) -> Function:
    matches = [fn for fn in inventory.functions if wanted in (fn.name, fn.arn)]
    if not matches and wanted.startswith("arn:"):
        base = ":".join(wanted.split(":")[:7])
        matches = [fn for fn in inventory.functions if fn.arn == base]
    if not matches:
        raise FortressError(f"no function {clean(wanted)!r} in the inventory")
    if len(matches) > 1:
        raise FortressError(
            f"{len(matches)} functions are named {clean(wanted)!r}: give the ARN instead"
        )
    return matches[0]


def _inventory(args: argparse.Namespace, client: AwsClient | None) -> Inventory:
    if args.inventory is not None:
        from fortress.sources import snapshot

        inventory, _ = snapshot.load(args.inventory)
        return inventory
    from fortress.cli.posture import collect_live

    assert client is not None
    return collect_live(client, versions=False)


def cmd_suggest(args: argparse.Namespace) -> int:
    from fortress.iam import usage as iam_usage
    from fortress.iam.policy import parse_policies
    from fortress.iam.privesc import role_documents

    if not usage_requested(args):
        raise FortressError(
            "give the CloudTrail to read: --cloudtrail PATH, --cloudtrail-s3, "
            "--cloudtrail-lookup or --cloudtrail-athena-database"
        )
    client = None if args.inventory is not None else _client(args)
    inventory = _inventory(args, client)
    fn = _find_function(inventory, args.function)
    if not isinstance(fn.role_arn, str):
        raise FortressError(f"{clean(fn.name)}: the execution role is not known")
    role = next((r for r in inventory.roles if r.arn == fn.role_arn), None)
    if role is None:
        raise FortressError(f"{clean(fn.name)}: role {clean(fn.role_arn)} is not in the inventory")
    facts = read_usage(args, client)
    parsed = parse_policies(role_documents(role))
    if parsed.unknown is not None:
        raise FortressError(f"role {clean(role.name)}: a policy is not readable ({parsed.unknown})")
    comparison = iam_usage.compare(
        role.arn, parsed, facts, inventory.trails, iam_usage.lambda_service_actions()
    )
    suggestion = iam_usage.suggest(comparison)
    gaps = usage_gaps(facts)
    document = {
        "function": fn.arn,
        "role": role.arn,
        "window": {
            "since": facts.since.isoformat() if facts.since else None,
            "until": facts.until.isoformat() if facts.until else None,
            "events": facts.events,
            "role_events": comparison.usage.events if comparison.usage else 0,
        },
        "policy": suggestion.policy,
        "cloudformation": iam_usage.cloudformation_snippet(suggestion.policy),
        "terraform": iam_usage.terraform_snippet(suggestion.policy, role.name),
        "not_observed": suggestion.not_observed,
        "unused": [g.action for g in comparison.by_status(iam_usage.UNUSED)],
        "used_not_granted": suggestion.used_not_granted,
        "notes": suggestion.notes,
        "coverage_gaps": [g.message for g in gaps],
    }
    if args.output is not None:
        args.output.write_text(json.dumps(suggestion.policy, indent=2) + "\n", encoding="utf-8")
    if args.format == "json":
        # ensure_ascii escapes every control and bidi character: nothing reaches a terminal raw
        print(json.dumps(document, indent=2, ensure_ascii=True))
    else:
        _print_text(document, comparison, role.name)
    return EXIT_INCOMPLETE if gaps else EXIT_CLEAN


def _print_text(document: dict[str, Any], comparison: Any, role_name: str) -> None:
    from fortress.iam import usage as iam_usage

    used = comparison.by_status(iam_usage.USED)
    unused = comparison.by_status(iam_usage.UNUSED)
    window = document["window"]
    print(
        clean(
            f"Role {role_name}: {len(used)} of {len(comparison.granted)} granted actions used, "
            f"{len(unused)} unused, {len(document['not_observed'])} not observable "
            f"({window['role_events']} of {window['events']} events are the role's)"
        )
    )
    print("\n# Policy (JSON)")
    print(clean(json.dumps(document["policy"], indent=2), keep_newlines=True))
    print("\n# CloudFormation (AWS::IAM::Role Properties)")
    print(clean(document["cloudformation"], keep_newlines=True), end="")
    print("\n# Terraform")
    print(clean(document["terraform"], keep_newlines=True), end="")
    if document["not_observed"]:
        print("\n# Not observed (granted, but CloudTrail cannot show a call; not in the policy)")
        for item in document["not_observed"][:50]:
            print(clean(f"- {item['action']}: {item['reason']}"))
        if len(document["not_observed"]) > 50:
            print(f"- ... and {len(document['not_observed']) - 50} more (--format json)")
    for action in document["used_not_granted"]:
        print(clean(f"note: {action} was used but no policy of the role grants it"))
    for note in document["notes"]:
        print(clean(f"note: {note}"))
    for gap in document["coverage_gaps"]:
        eprint(f"fortress: gap: {gap}")
