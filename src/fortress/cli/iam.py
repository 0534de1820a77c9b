"""`fortress iam ...`: least-privilege questions about one function (``suggest`` lives in
:mod:`fortress.cli.iam_suggest`).

``fortress iam who-can FUNCTION``: every user and role of the account that can take the
function over (change its code or configuration, add a permission or URL, move an alias,
publish a layer version it uses, write to its role, or pass its role to a new function), with
the statements that grant it, judged as IAM does (explicit Deny, permissions boundaries,
service control policies when readable; conditions not evaluated are "conditional").
Read from the live account (read-only) or a snapshot of `fortress collect`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fortress.cli import EXIT_CLEAN, EXIT_FINDINGS, EXIT_INCOMPLETE, validate
from fortress.cli.sanitize import clean, clean_data
from fortress.errors import FortressError
from fortress.inventory import Function, Inventory

if TYPE_CHECKING:
    from fortress.aws.client import AwsClient
    from fortress.iam.takeover import Answer


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "iam", help="least privilege in depth: who can take over a function, granted versus used"
    )
    commands = parser.add_subparsers(
        dest="iam_command", metavar="COMMAND", parser_class=type(parser)
    )
    who = commands.add_parser(
        "who-can",
        help="principals that can take over a function, with the granting statements",
        description=__doc__.split("\n\n", 2)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    who.add_argument("function", metavar="FUNCTION", help="function name or ARN")
    who.add_argument("--snapshot", type=Path, help="read a snapshot of `fortress collect`")
    who.add_argument("--format", choices=("console", "json"), default="console")
    who.add_argument("--output", type=Path, help="write the answer to this file")
    who.add_argument(
        "--deployer",
        action="append",
        default=[],
        metavar="ARN",
        help="a principal expected to deploy (ARN or fnmatch pattern; repeatable; adds to "
        "deployers: in .fortress.yaml)",
    )
    who.add_argument(
        "--config", type=Path, help="config file (default: the nearest .fortress.yaml)"
    )
    who.add_argument("--no-config", action="store_true", help="ignore .fortress.yaml")
    group = who.add_argument_group("AWS (live)")
    group.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    group.add_argument("--region", action="append", default=[], help="region to read (repeatable)")
    group.add_argument(
        "--org-profile",
        help="profile of the management account (or a delegated administrator) to read the "
        "service control policies with; by default the account's own credentials try",
    )
    group.add_argument(
        "--endpoint-url",
        type=validate.endpoint_url,
        help="AWS endpoint (e.g. an emulator); AWS_ENDPOINT_URL is honoured",
    )
    parser.set_defaults(func=lambda args: _usage(parser))
    who.set_defaults(func=cmd_who_can)
    from fortress.cli import iam_suggest  # `fortress iam suggest`: granted versus used

    iam_suggest.register(commands)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _client(args: argparse.Namespace, profile: str | None) -> AwsClient:
    from fortress.aws.client import AwsClient, AwsOptions

    return AwsClient(
        AwsOptions(profile=profile, regions=list(args.region), endpoint_url=args.endpoint_url)
    )


def _deployers(args: argparse.Namespace) -> list[str]:
    from fortress import configfile

    found: list[str] = []
    path = args.config
    if path is None and not args.no_config:
        starts = [*([args.snapshot] if args.snapshot else []), Path.cwd()]
        path = configfile.find(starts)
    if path is not None:
        found.extend(configfile.load(path).deployers)
    found.extend(d for d in args.deployer if d.strip())
    return list(dict.fromkeys(found))


def find_function(inventory: Inventory, wanted: str) -> Function:
    """The function named (or with the ARN) ``wanted``; a clear error otherwise."""
    exact = [f for f in inventory.functions if f.arn == wanted or f.arn.startswith(wanted + ":")]
    hits = exact or [f for f in inventory.functions if f.name == wanted]
    if not hits:
        raise FortressError(f"function {wanted!r} not found in the account's regions read")
    if len(hits) > 1:
        arns = ", ".join(sorted(f.arn for f in hits))
        raise FortressError(f"function name {wanted!r} is ambiguous, give its ARN: {arns}")
    return hits[0]


def cmd_who_can(args: argparse.Namespace) -> int:
    from fortress.iam import takeover

    deployers = _deployers(args)
    gaps = 0
    if args.snapshot:
        from fortress.sources import snapshot

        inventory, snapshot_gaps = snapshot.load(args.snapshot)
        gaps = len(snapshot_gaps)
    else:
        from fortress.sources import aws

        client = _client(args, args.profile)
        org_client = _client(args, args.org_profile) if args.org_profile else None
        inventory = aws.collect(client, versions=False, org_client=org_client)
        gaps = len(client.gaps) + (len(org_client.gaps) if org_client else 0)
    fn = find_function(inventory, args.function)
    account = next((a for a in inventory.iam if a.account == fn.account), None)
    if account is None:
        raise FortressError(
            f"the IAM users, groups and roles of account {fn.account} were not read "
            "(IAM access denied, or a snapshot from before `who-can`)"
        )
    roles = {r.arn: r for r in inventory.roles}
    answer = takeover.who_can(fn, account, deployers, roles=roles)
    text = _json(answer) if args.format == "json" else _console(answer, fn)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if any(not t.deployer for t in answer.takers):
        return EXIT_FINDINGS
    return EXIT_INCOMPLETE if gaps else EXIT_CLEAN


def _json(answer: Answer) -> str:
    return json.dumps(clean_data(answer.to_dict()), indent=2, sort_keys=True) + "\n"


def _console(answer: Answer, fn: Function) -> str:
    others = [t for t in answer.takers if not t.deployer]
    lines = [
        f"Who can take over {clean(fn.arn)}",
        f"{answer.principals} principals judged; {len(others)} can besides the deployers"
        + (
            f", {len(answer.takers) - len(others)} deployers"
            if len(others) < len(answer.takers)
            else ""
        ),
        "",
    ]
    for taker in answer.takers:
        tag = " (deployer)" if taker.deployer else ""
        lines.append(f"{taker.kind} {clean(taker.name)}{tag} [{taker.level}]  {clean(taker.arn)}")
        for way in taker.ways:
            via = ", ".join(clean(s) for s in way.statements) or "an unreadable policy"
            lines.append(
                f"  {'+'.join(way.actions)} on {clean(way.resource)}: {way.what}"
                + ("" if way.level == "allowed" else f" [{way.level}]")
            )
            lines.append(f"    granted by {via}")
            for note in way.notes[:3]:
                lines.append(f"    {clean(note)}")
        lines.append("")
    if not answer.takers:
        lines += ["Nobody in the account can take this function over.", ""]
    for note in answer.notes:
        lines.append(f"note: {clean(note)}")
    return "\n".join(lines).rstrip("\n") + "\n"
