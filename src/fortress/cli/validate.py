"""Checks of command-line values, run by argparse before any work starts.

Each function is an argparse ``type=``: it returns the value (converted) or raises
``argparse.ArgumentTypeError``, which the parser prints as one line naming the option, and the
command exits 2 before reading an input or calling AWS.
"""

from __future__ import annotations

import argparse
import os
import re
import stat
from pathlib import Path

_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB|%)\s*$", re.I)


def endpoint_url(text: str) -> str:
    """An AWS endpoint: ``http(s)://host[:port][/path]``; ``file://`` and garbage refused."""
    from fortress.aws.client import endpoint_problem

    problem = endpoint_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text.strip()


def memory_limit(text: str) -> str:
    """A DuckDB memory limit: a positive number and a unit (``2GB``, ``512MiB``, ``50%``)."""
    match = _MEMORY.match(text)
    if not match or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a memory size (use a number and a unit: 2GB, 512MiB, 50%)"
        )
    return f"{match.group(1)}{match.group(2)}"


def output_file(text: str) -> Path:
    """A file the command may create or overwrite: not a directory, in a writable place."""
    path = Path(text)
    if not text.strip():
        raise argparse.ArgumentTypeError("the output path is empty")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"{text}: {exc.strerror or exc}") from None
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise argparse.ArgumentTypeError(f"{text}: is a directory (give a file name)")
        if not os.access(path, os.W_OK):
            raise argparse.ArgumentTypeError(f"{text}: not writable")
        return path
    parent = _existing_parent(path)
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot create a file in {parent}")
    return path


def output_dir(text: str) -> Path:
    """A folder the command may create or write into: not a file, in a writable place."""
    path = Path(text)
    if not text.strip():
        raise argparse.ArgumentTypeError("the output folder is empty")
    if path.exists():
        if not path.is_dir():
            raise argparse.ArgumentTypeError(f"{text}: exists and is not a folder")
        if not os.access(path, os.W_OK | os.X_OK):
            raise argparse.ArgumentTypeError(f"{text}: not writable")
        return path
    parent = _existing_parent(path / "x")
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot create a folder in {parent}")
    return path


def _existing_parent(path: Path) -> Path:
    current = path.absolute().parent
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def input_file(text: str) -> Path:
    """A file to read: it must exist and be a regular file (no FIFO, device or folder)."""
    from fortress.safeio import not_regular_reason

    reason = not_regular_reason(text)
    if reason:
        raise argparse.ArgumentTypeError(f"{text}: {reason}")
    return Path(text)
