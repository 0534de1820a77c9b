"""The command line. The only layer that prints.

Each command group lives in its own module with ``register(subparsers)``, which adds its
sub-commands and sets ``func`` (a callable taking the parsed args and returning an exit code).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from fortress import __version__
from fortress.errors import FortressError


def eprint(message: str) -> None:
    """One sanitized line on stderr (errors can quote hostile names and paths)."""
    from fortress.cli.sanitize import eprint as _eprint

    _eprint(message)


# Exit codes shared by every command.
EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
EXIT_INCOMPLETE = 3

COMMAND_MODULES = (
    "fortress.cli.posture",
    "fortress.cli.forensics",
    "fortress.cli.hunt",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        eprint(f"fortress: error: {message}")
        raise SystemExit(EXIT_ERROR)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fortress", description="Secure AWS Lambda workloads end to end.")
    parser.add_argument("--version", action="version", version=f"fortress {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return int(args.func(args))
    except FortressError as exc:
        eprint(f"fortress: error: {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("fortress: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line for the user, the traceback on request
        if os.environ.get("FORTRESS_DEBUG"):
            raise
        eprint(
            f"fortress: internal error: {type(exc).__name__}: {exc} "
            "(set FORTRESS_DEBUG=1 for the traceback, and please report it)"
        )
        return EXIT_ERROR


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
