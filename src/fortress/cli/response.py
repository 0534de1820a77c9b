"""``fortress respond`` (plan, ``--apply``, ``--resume``, ``--from-hunt``) and ``fortress undo``:
their arguments. The commands run in :mod:`fortress.cli.response_run`, imported only when one
of them is run (it needs boto3, which every other command's start-up would pay for)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fortress.cli import lazy
from fortress.response.model import ACTIONS, PLAYBOOKS


def _aws_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", help="region of the function (default: the profile's region)")
    parser.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    parser.add_argument(
        "--endpoint-url", help="AWS endpoint (e.g. an emulator); AWS_ENDPOINT_URL is honoured"
    )
    parser.add_argument("--format", choices=("console", "json"), default="console")


def register(sub: Any) -> None:
    r = sub.add_parser(
        "respond",
        help="contain a compromised function: a plan (dry run) unless --apply",
        description="Computes the steps that contain FUNCTION (each with its API call and the "
        "state before and after). Nothing is written to the account without --apply; with "
        "--apply every change is journaled so that `fortress undo JOURNAL` can reverse it.",
    )
    r.add_argument("function", nargs="?", metavar="FUNCTION", help="function name or ARN")
    r.add_argument("--qualifier", help="alias or version (pin-version: the alias to pin)")
    r.add_argument(
        "--action", action="append", default=[], choices=ACTIONS, help="an action (repeatable)"
    )
    r.add_argument(
        "--playbook",
        choices=sorted(PLAYBOOKS),
        help="contain = evidence, throttle, cut-public, close-url, pause-triggers, "
        "quarantine-role, revoke-sessions",
    )
    r.add_argument("--apply", action="store_true", help="make the changes (default: plan only)")
    r.add_argument("--incident", metavar="ID", help="incident id recorded with every change")
    r.add_argument(
        "--journal",
        type=Path,
        metavar="FILE",
        help="journal to create (default: beside the bundle)",
    )
    r.add_argument(
        "--no-evidence", action="store_true", help="change things without securing evidence first"
    )
    r.add_argument("--evidence-output", type=Path, metavar="DIR", help="evidence bundle to create")
    r.add_argument("--code-mirror", metavar="URL", help="package mirror for the evidence bundle")
    r.add_argument(
        "--cloudtrail",
        action="append",
        default=[],
        type=Path,
        metavar="PATH",
        help="CloudTrail export for the evidence bundle (instead of LookupEvents)",
    )
    r.add_argument("--redact", action="store_true", help="redact environment values in the bundle")
    r.add_argument("--pin-to", metavar="VERSION", help="pin-version: the known-good version")
    r.add_argument(
        "--trust-account",
        action="append",
        default=[],
        metavar="ID",
        help="cut-public keeps grants to this account (repeatable)",
    )
    r.add_argument(
        "--refresh-sessions",
        action="store_true",
        help="revoke-sessions: move an existing revocation time to now",
    )
    r.add_argument(
        "--force", action="store_true", help="apply even where the state changed since the plan"
    )
    r.add_argument(
        "--from-hunt",
        type=Path,
        metavar="HUNT_JSON",
        help="plan for every function a `fortress hunt --format json` report flagged",
    )
    r.add_argument("--resume", type=Path, metavar="JOURNAL", help="complete an interrupted apply")
    _aws_options(r)
    r.set_defaults(func=lazy("fortress.cli.response_run", "cmd_respond"))

    u = sub.add_parser(
        "undo",
        help="reverse what `respond --apply` journaled (dry run unless --apply)",
        description="Compares the account with JOURNAL, then restores every changed resource to "
        "its journaled prior state, newest change first. Stops on drift unless --force.",
    )
    u.add_argument("journal", type=Path, metavar="JOURNAL", help="journal of `respond --apply`")
    u.add_argument("--apply", action="store_true", help="restore (default: show what would be)")
    u.add_argument("--force", action="store_true", help="restore also what someone changed since")
    _aws_options(u)
    u.set_defaults(func=lazy("fortress.cli.response_run", "cmd_undo"))
