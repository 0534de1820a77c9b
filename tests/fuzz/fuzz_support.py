"""Shared pieces of the fuzz suite: settings, hostile values, the CLI runner, the read audit.

Every property runs with a fixed seed (``derandomize=True``) and a bounded number of examples
(``FORTRESS_FUZZ_EXAMPLES``, default small so that the suite stays under a minute in
``make test``; raise it for longer runs on demand). No example database is written and
failing examples are not shrunk in the default run (shrinking a slow CLI run costs minutes;
the seed makes a failure reproducible, and a longer run with ``FORTRESS_FUZZ_SHRINK=1``
shrinks it).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from fortress.cli import main

EXAMPLES = int(os.environ.get("FORTRESS_FUZZ_EXAMPLES", "6"))
_PHASES = [Phase.explicit, Phase.reuse, Phase.generate]
if os.environ.get("FORTRESS_FUZZ_SHRINK"):
    _PHASES.append(Phase.shrink)

FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=_PHASES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

EXIT_CODES = {0, 1, 2, 3}


def nested(depth: int, leaf: Any = 1) -> Any:
    value: Any = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


# Values a hostile author puts where a template expects something else.
hostile_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "\x1b[31mred\x1b[0m",
            "\u202eevil",
            "../../../../etc/passwd",
            "/dev/zero",
            "${file(/etc/passwd)}",
            "${self:nope}",
            "!Ref",
            "*",
            "arn:aws:iam::*:role/*",
            "1e30",
            "\x00",
        ]
    ),
)
hostile_values = st.one_of(
    hostile_scalars,
    st.lists(hostile_scalars, max_size=3),
    st.dictionaries(st.text(max_size=8), hostile_scalars, max_size=3),
    st.integers(min_value=20, max_value=60).map(nested),  # deeper: as text, see the users
    st.integers(min_value=1000, max_value=100_000).map(lambda n: "x" * n),
)


def paths_of(doc: Any, limit: int = 4000) -> list[tuple[Any, ...]]:
    """Every node's path in a JSON-like document (breadth first, bounded)."""
    out: list[tuple[Any, ...]] = []
    queue: list[tuple[tuple[Any, ...], Any]] = [((), doc)]
    while queue and len(out) < limit:
        path, node = queue.pop(0)
        out.append(path)
        if isinstance(node, dict):
            queue.extend(((*path, k), v) for k, v in node.items())
        elif isinstance(node, list):
            queue.extend(((*path, i), v) for i, v in enumerate(node))
    return out


def replace_at(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return doc


class ReadAudit:
    """Records every file opened for reading (``open`` audit events) while active."""

    _installed = False
    _lock = threading.Lock()
    _active: ReadAudit | None = None

    def __init__(self) -> None:
        self.paths: list[str] = []

    @classmethod
    def _hook(cls, event: str, args: tuple[Any, ...]) -> None:
        audit = cls._active
        if audit is None or event != "open" or not args:
            return
        path, mode, flags = [*args, None, None][:3]
        if isinstance(path, int) or path is None:
            return
        if isinstance(mode, str) and any(c in mode for c in "wax+"):
            return
        if isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR):
            return
        audit.paths.append(os.fsdecode(path))

    @contextlib.contextmanager
    def watching(self) -> Iterator[ReadAudit]:
        with ReadAudit._lock:
            if not ReadAudit._installed:
                sys.addaudithook(ReadAudit._hook)
                ReadAudit._installed = True
        ReadAudit._active = self
        try:
            yield self
        finally:
            ReadAudit._active = None

    def outside(self, root: Path, forbidden: Path) -> list[str]:
        """Paths read under ``forbidden`` but not under ``root`` (symlinks resolved)."""
        base = os.path.realpath(root)
        fence = os.path.realpath(forbidden)
        bad = []
        for p in self.paths:
            real = os.path.realpath(p)
            inside = real == base or real.startswith(base + os.sep)
            fenced = real == fence or real.startswith(fence + os.sep)
            if fenced and not inside:
                bad.append(p)
        return bad


def run_cli(argv: Sequence[str]) -> tuple[int, str, str]:
    """``fortress ARGV`` in process; (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0) if not isinstance(exc.code, str) else 2
    return code, out.getvalue(), err.getvalue()


def assert_input_error_path(code: int, err: str, what: str) -> None:
    """The CLI answered 0/1/2/3 and no exception escaped the input-error path."""
    assert "internal error" not in err, f"{what}: {err.strip()[-600:]}"
    assert "Traceback" not in err, f"{what}: {err.strip()[-600:]}"
    assert code in EXIT_CODES, f"{what}: exit {code}: {err.strip()[-600:]}"
