"""Terminal safety: the one sanitizer for every string the command line prints.

Function names, tags, log-group names, CloudTrail fields and file names come from people we
do not trust. Printed raw, an ESC sequence can recolour, move the cursor, rewrite the screen
or set the window title, and a bidi override (U+202E) can make ``evil.exe`` read as
``exe.live``. :func:`clean` makes every such character visible as an escape (``\\x1b``,
``\\u202e``) instead: the text stays readable and nothing reaches the terminal as a control.

What counts as unsafe: C0 and C1 control characters and DEL (category ``Cc``), line and
paragraph separators, and the invisible format characters that reorder or hide text (bidi
embeddings, overrides and isolates, the Arabic letter mark, zero-width characters, the BOM,
interlinear annotation marks, Unicode tag characters). Newlines and tabs are kept only where
the caller asks for multi-line text (``keep_newlines=True``).
"""

from __future__ import annotations

import re
import sys
from typing import Any, TextIO

_UNSAFE_CLASS = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 (except tab, newline), DEL, C1 (incl. CSI U+009B)
    "\u00ad\u061c\u180e"  # soft hyphen, Arabic letter mark, Mongolian vowel separator
    "\u200b-\u200f"  # zero-width space/joiners, LRM, RLM
    "\u2028-\u202e"  # line/paragraph separators, bidi embeddings and overrides
    "\u2060-\u206f"  # word joiner, invisible operators, bidi isolates, deprecated formats
    "\ufeff\ufff9-\ufffb"  # BOM / zero-width no-break space, interlinear annotations
    "\U000e0000-\U000e007f"  # tag characters
    "\ud800-\udfff"  # lone surrogates (from \\u escapes in JSON or HCL): no terminal prints them
)
_UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]")
_UNSAFE_LINES = re.compile(f"[{_UNSAFE_CLASS}\t\n]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def clean(value: Any, *, keep_newlines: bool = False) -> str:
    """``value`` as text with every control, ESC and bidi character shown as an escape.

    Single-line by default (names, ids, table cells): newlines and tabs are escaped too, so a
    value cannot forge an extra line of output. ``keep_newlines=True`` keeps ``\\n`` and
    ``\\t`` for text that is multi-line by nature (a code diff).
    """
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    pattern = _UNSAFE if keep_newlines else _UNSAFE_LINES
    if pattern.search(text) is None:  # the common case: nothing to do, no copy
        return text
    return pattern.sub(_escape, text)


def clean_multiline(value: Any) -> str:
    return clean(value, keep_newlines=True)


def eprint(message: str, file: TextIO | None = None) -> None:
    """Print one line of diagnostics (errors, warnings) to stderr, sanitized."""
    print(clean(message), file=file if file is not None else sys.stderr)


def clean_data(value: Any) -> Any:
    """Every string inside plain data (dicts, lists) sanitized; other values unchanged."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k) if isinstance(k, str) else k: clean_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_data(v) for v in value]
    return value


def clean_row(values: list[Any]) -> list[str]:
    """A CSV/table row: every cell sanitized (a spreadsheet or ``column -t`` is a terminal too)."""
    return [clean(v) for v in values]


# Widest box drawing when the output is not a terminal (a pipe, a file, a CI log).
PIPED_WIDTH = 100


def terminal(stderr: bool = False) -> Any:
    """The Rich console the CLI prints through: the terminal's width, or at most 100 columns
    when piped (``$COLUMNS`` may narrow it). Highlighting is off: account data is never
    markup, and Rich's highlighter would colour parts of hostile names."""
    import os

    from rich.console import Console

    console = Console(stderr=stderr, highlight=False)
    if console.is_terminal:
        return console
    columns = os.environ.get("COLUMNS", "")
    width = min(int(columns), PIPED_WIDTH) if columns.isdigit() and int(columns) else PIPED_WIDTH
    return Console(stderr=stderr, highlight=False, width=width)


__all__ = [
    "PIPED_WIDTH",
    "clean",
    "clean_data",
    "clean_multiline",
    "clean_row",
    "eprint",
    "terminal",
]


def stdout_bytes() -> Any:
    """A binary stream onto stdout: its buffer, or (when stdout was replaced by a text stream,
    as by ``contextlib.redirect_stdout``) an adapter that decodes into it."""
    import io

    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        return buffer

    class _Text(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            sys.stdout.write(bytes(data).decode("utf-8", errors="replace"))
            return len(data)

    return _Text()
