"""Reading files that come from people we do not trust.

Every reader of an input (templates, CloudTrail exports, evidence bundles, Sigma rules) opens
files through here, so that the same guarantees hold everywhere:

- only regular files are opened: the file is opened with ``O_NONBLOCK`` (a FIFO never blocks
  the open) and checked with ``fstat`` before a byte is read, so a FIFO, a device (a committed
  symlink to ``/dev/zero``) or a socket is refused with a clear :class:`InputError`;
  ``nofollow=True`` also refuses a symbolic link (``O_NOFOLLOW``);
- every read has a size cap (:func:`read_bytes`, :func:`read_template`), checked on the bytes
  actually read, not on what ``stat`` says;
- decompression is capped while it streams (:class:`CappedReader`, :func:`open_maybe_gzip`),
  so a small gzip of gigabytes stops at the cap instead of filling memory or disk;
- :func:`within` tells whether a path resolves inside a root (realpath, symlinks followed).

Caps have defaults that a user can raise with environment variables (``FORTRESS_MAX_*_MB``),
read at call time.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
from collections.abc import Callable
from typing import IO, Any

from fortress.errors import InputError

MB = 1024 * 1024

# Defaults of the caps (bytes); each can be changed with its environment variable (in MB).
TEMPLATE_MAX_BYTES = 20 * MB  # one IaC template (CloudFormation, SAM, Serverless, HCL file)
GUNZIP_MAX_BYTES = 1024 * MB  # the decompressed size of one gzip stream
JSON_VALUE_MAX_BYTES = 128 * MB  # one JSON value read whole (a line, a document, a manifest)
SIGMA_MAX_BYTES = 1 * MB  # one Sigma rule file
_ENV = {
    "template": ("FORTRESS_MAX_TEMPLATE_MB", TEMPLATE_MAX_BYTES),
    "gunzip": ("FORTRESS_MAX_GUNZIP_MB", GUNZIP_MAX_BYTES),
    "json": ("FORTRESS_MAX_JSON_MB", JSON_VALUE_MAX_BYTES),
    "sigma": ("FORTRESS_MAX_SIGMA_MB", SIGMA_MAX_BYTES),
}
_CHUNK = 1024 * 1024


def cap(kind: str) -> int:
    """The cap in bytes for ``kind`` (template, gunzip, json, sigma): env override or default."""
    name, default = _ENV[kind]
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        return default
    return int(value * MB) if value > 0 else default


def describe(size: int) -> str:
    """``20 MB`` / ``512 KB`` / ``10 bytes``: a cap as people read it."""
    if size >= MB and size % MB == 0:
        return f"{size // MB} MB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KB"
    return f"{size} bytes"


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def is_regular(path: str | os.PathLike[str]) -> bool:
    """True for a regular file (symlinks followed); never opens, so never blocks."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def not_regular_reason(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` is not a regular file (``None`` when it is one)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "no such file or directory"
    except (OSError, ValueError) as exc:
        return f"cannot read ({getattr(exc, 'strerror', None) or exc})"
    return None if stat.S_ISREG(mode) else f"{_kind_of(mode)}, not a regular file"


def open_regular(path: str | os.PathLike[str], *, nofollow: bool = False) -> IO[bytes]:
    """Open ``path`` for reading in binary mode, only if it is a regular file.

    ``O_NONBLOCK`` makes the open of a FIFO return at once; ``fstat`` on the open descriptor
    (not a second ``stat`` of the name, which could be swapped in between) decides.
    """
    label = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if nofollow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(label, flags)
    except OSError as exc:
        if nofollow and os.path.islink(label):
            raise InputError(label, "is a symbolic link; not followed") from None
        raise InputError(label, f"cannot read ({exc.strerror or exc})") from None
    except ValueError as exc:  # a NUL byte in the name
        raise InputError(label, f"cannot read ({exc})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(label, f"{_kind_of(mode)}, not a regular file; not read")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(
    path: str | os.PathLike[str], max_bytes: int, *, what: str = "file", nofollow: bool = False
) -> bytes:
    """The bytes of a regular file, refused with an :class:`InputError` past ``max_bytes``."""
    with open_regular(path, nofollow=nofollow) as handle:
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise InputError(os.fspath(path), f"cannot read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise InputError(
            os.fspath(path), f"{what} is larger than the {describe(max_bytes)} cap; not read"
        )
    return data


def read_template(path: str | os.PathLike[str]) -> str:
    """A template's text (UTF-8): regular file only, at most :func:`cap` ``("template")``.

    The one call every IaC source makes where it reads a file's bytes. Invalid UTF-8 raises
    ``UnicodeDecodeError`` (a ``ValueError``) as ``Path.read_text`` did, so callers keep their
    own handling of it.
    """
    return read_bytes(path, cap("template"), what="template").decode("utf-8")


def read_template_bytes(path: str | os.PathLike[str]) -> bytes:
    """A template's bytes (for parsers that take bytes, such as HCL), which must be UTF-8 as
    the language requires: anything else is an :class:`InputError` naming the offset."""
    data = read_bytes(path, cap("template"), what="template")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(os.fspath(path), f"not UTF-8 text (byte 0x{bad})", line) from None
    return data


def check_template(path: str | os.PathLike[str]) -> None:
    """Refuse a non-regular or over-cap template before a library opens it by name."""
    label = os.fspath(path)
    with open_regular(label) as handle:
        size = os.fstat(handle.fileno()).st_size
    limit = cap("template")
    if size > limit:
        raise InputError(label, f"template is larger than the {describe(limit)} cap; not read")


def within(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> bool:
    """True when ``path`` (relative paths taken from ``root``) resolves inside ``root``.

    Both sides go through ``realpath``, so a symlink that points outside counts as outside.
    """
    base = os.path.realpath(root)
    target = os.path.realpath(os.path.join(base, os.fspath(path)))
    return target == base or target.startswith(base.rstrip(os.sep) + os.sep)


class TooLarge(InputError):
    """A stream produced more bytes than its cap."""


class CappedReader(io.RawIOBase):
    """A binary stream that raises :class:`TooLarge` once more than ``limit`` bytes were read.

    Wrap a decompressing stream with it: the check runs on the bytes actually produced, while
    streaming, so memory and time stay bounded whatever the archive claims.
    """

    def __init__(
        self,
        inner: IO[bytes],
        limit: int,
        label: str,
        what: str = "data",
        underlying: IO[bytes] | None = None,
    ) -> None:
        super().__init__()
        self._inner = inner
        self._underlying = underlying  # closed too (GzipFile leaves its fileobj open)
        self.limit = limit
        self.label = label
        self.what = what
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        want = min(len(view), self.limit + 1 - self.produced)
        if want <= 0:
            self._too_large()
        data = self._inner.read(want)
        n = len(data)
        view[:n] = data
        self.produced += n
        if self.produced > self.limit:
            self._too_large()
        return n

    def _too_large(self) -> None:
        raise TooLarge(
            self.label, f"{self.what} is larger than the {describe(self.limit)} cap; not read"
        )

    def close(self) -> None:
        try:
            self._inner.close()
            if self._underlying is not None:
                self._underlying.close()
        finally:
            super().close()


def capped(
    inner: IO[bytes],
    limit: int,
    label: str,
    what: str = "data",
    underlying: IO[bytes] | None = None,
) -> IO[bytes]:
    """``inner`` behind a :class:`CappedReader`, buffered."""
    reader = CappedReader(inner, limit, label, what, underlying)
    return io.BufferedReader(reader, _CHUNK)  # type: ignore[return-value]


def open_maybe_gzip(
    path: str | os.PathLike[str], *, gzip_limit: int | None = None, nofollow: bool = False
) -> IO[bytes]:
    """A regular file as a binary stream, gunzipped (capped while streaming) if it is gzip."""
    label = os.fspath(path)
    raw = open_regular(label, nofollow=nofollow)
    try:
        magic = raw.read(2)
        raw.seek(0)
    except OSError as exc:
        raw.close()
        raise InputError(label, f"cannot read ({exc.strerror or exc})") from None
    if magic != b"\x1f\x8b":
        return raw
    limit = gzip_limit if gzip_limit is not None else cap("gunzip")
    return capped(
        gzip.GzipFile(fileobj=raw, mode="rb"),  # type: ignore[arg-type]
        limit,
        label,
        "decompressed gzip data",
        raw,
    )


def sha256_hex(text: str) -> str:
    """The SHA-256 hex digest of a text's UTF-8 bytes, for ids and fingerprints; a lone
    surrogate (see :func:`unicode_safe`) is hashed as its code unit instead of raising."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def unicode_safe(value: Any, default: Callable[[Any], Any] = str) -> Any:
    """``value`` (plain data) with every lone surrogate of its strings replaced by U+FFFD (a
    valid surrogate pair becomes its character); other objects go through ``default``.

    Python's ``json`` and HCL ``\\u`` escapes accept ``"\\ud800"``, which no UTF-8 encoder
    (orjson, DuckDB, a report file) takes: writers call this when an encoder refuses a value.
    """
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {unicode_safe(k, default): unicode_safe(v, default) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [unicode_safe(v, default) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    if hasattr(value, "isoformat"):  # dates and times: the encoder's own format
        return value
    return unicode_safe(default(value), default)
