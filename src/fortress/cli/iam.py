"""``fortress iam``: least privilege in depth (``suggest``; see :mod:`fortress.cli.iam_suggest`)."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("iam", help="least privilege in depth: granted versus used")
    iam_sub = p.add_subparsers(dest="iam_command", metavar="COMMAND", parser_class=type(p))
    from fortress.cli import iam_suggest

    iam_suggest.register(iam_sub)
