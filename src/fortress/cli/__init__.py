"""The command line. The only layer that prints.

Each command group lives in its own module with ``register(subparsers)``, which adds its
sub-commands and sets ``func`` (a callable taking the parsed args and returning an exit code).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from types import FrameType

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
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143, as a shell reports a SIGTERM death


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every ``finally`` and ``with`` cleans up (temp
    folders of hunts and acquisitions are removed) before the process exits 143."""


_terminated = threading.Event()


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Remembered as well as raised: a library may turn the exception into its own error
    # (DuckDB reports "Query interrupted"), and the exit code must still say SIGTERM.
    _terminated.set()
    raise Terminated()


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def lazy(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """A command function imported when the command runs, not when the parser is built (so
    that ``fortress scan`` does not pay for boto3, CycloneDX, … that other commands need)."""

    def command(args: argparse.Namespace) -> int:
        func: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module), name)
        return func(args)

    return command


COMMAND_MODULES = (
    "fortress.cli.posture",
    "fortress.cli.iam",
    "fortress.cli.forensics",
    "fortress.cli.hunt",
    "fortress.cli.response",
    "fortress.cli.sbom",
    "fortress.cli.vulndb",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        eprint(f"fortress: error: {message}")
        raise SystemExit(EXIT_ERROR)


# The module of each command (a test checks it against what the modules register): a run
# builds only its command's parser. Building them all imported every command's dependencies
# (forensics, detection, response, ...), ~0.15 s and ~5 MB before any work.
COMMANDS = {
    "scan": "fortress.cli.posture",
    "collect": "fortress.cli.posture",
    "merge": "fortress.cli.posture",
    "rules": "fortress.cli.posture",
    "demo": "fortress.cli.posture",
    "iam": "fortress.cli.iam",
    "acquire": "fortress.cli.forensics",
    "verify": "fortress.cli.forensics",
    "timeline": "fortress.cli.forensics",
    "diff": "fortress.cli.forensics",
    "hunt": "fortress.cli.hunt",
    "respond": "fortress.cli.response",
    "undo": "fortress.cli.response",
    "sbom": "fortress.cli.sbom",
    "vulndb": "fortress.cli.vulndb",
}


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv`` naming a known command, only that command's module is
    imported (anything else, help or a typo, builds every command for the usage)."""
    parser = _Parser(prog="fortress", description="Secure AWS Lambda workloads end to end.")
    parser.add_argument("--version", action="version", version=f"fortress {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    first = argv[0] if argv else None
    modules = (COMMANDS[first],) if first in COMMANDS else COMMAND_MODULES
    for name in modules:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    _terminated.clear()
    with _sigterm_as_interrupt():
        code = _run(args)
    if _terminated.is_set() and code != EXIT_TERMINATED:
        print("fortress: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    return code


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args))
    except FortressError as exc:
        eprint(f"fortress: error: {exc}")
        return EXIT_ERROR
    except Terminated:
        print("fortress: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("fortress: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a write that failed (full disk, closed pipe): one line, exit 2
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"fortress: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # a bug: one line for the user, the traceback on request
        if _terminated.is_set():
            return EXIT_TERMINATED  # a library's own error for the interrupt
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
