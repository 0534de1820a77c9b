"""The reader of CloudTrail delivery files for the prefiltered hunt (the default path).

Each file is decompressed (``isal`` when installed, else zlib) and split into its records by
``msgspec`` without building them: one pass gives each record's raw bytes (exact: msgspec
validates the JSON and decodes escapes), a second pass decodes only the few fields the filter
reads (source, error, user agent, address, a handful of ``userIdentity`` paths, the time when a
window is asked for) into small structs. A file holding none of the byte strings a kept event
must contain (a detection source's host name in quotes, ``"errorCode"``, ``AssumedRole``) and
no ``\\u`` escape is only counted. The filter applies the time window, counts every event and
keeps only the events some built-in detection may read, using a test that is a SUPERSET of
:func:`fortress.detection.sql.keep_predicate` (the exact predicate stays in SQL and runs on the
few kept events). It returns the kept events' original bytes as NDJSON, the access keys of
Lambda-runtime sessions, and the raw function identities of the service invocations it
dropped (the side tables ``lambda_ua_keys`` / ``lambda_function_names``).

A file the reader cannot handle (not gzip or plain JSON, not ``{"Records": [objects]}``, a
field of an unexpected type, too large, or ``msgspec`` missing) yields ``None``: the caller
loads it through the DuckDB path, which names it if it is unreadable.

This module must stay light to import: worker processes are spawned and import only it.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import re
import subprocess
import sys
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

try:  # optional accelerators
    from isal import igzip as _igzip
except ImportError:  # pragma: no cover - exercised only without isal
    _igzip = None  # type: ignore[assignment]
try:
    import msgspec as _msgspec
except ImportError:  # pragma: no cover - exercised only without msgspec
    _msgspec = None  # type: ignore[assignment]

MAX_BYTES = 128 * 1024 * 1024  # decompressed size of one delivery file
ONE_SHOT_BYTES = 1 << 20  # compressed size decompressed in one call
# one kept record (DuckDB's NDJSON reader sizes its buffers by it; larger: the DuckDB path)
MAX_RECORD_BYTES = 4 * 1024 * 1024

# Mirrors of fortress.detection.sql (kept here so that workers need not import duckdb);
# tests check that they match.
DETECTION_SOURCES = frozenset(
    (
        "lambda.amazonaws.com",
        "iam.amazonaws.com",
        "sts.amazonaws.com",
        "organizations.amazonaws.com",
        "cloudtrail.amazonaws.com",
        "logs.amazonaws.com",
    )
)
INVOKE_ACTIONS = frozenset(("Invoke", "InvokeAsync", "InvokeWithResponseStream"))
_SUFFIX = re.compile("[0-9]{8}(v[0-9]+)?$")
# A kept event's bytes contain one of these (the value of eventSource in quotes, the key of a
# failed call, the identity type of a session), unless a \u escape spells them otherwise.
# The likeliest first: a file's test stops at the first found.
NEEDLES = (
    b'"lambda.amazonaws.com"',
    b"AssumedRole",
    b'"errorCode"',
    *(f'"{s}"'.encode() for s in sorted(DETECTION_SOURCES - {"lambda.amazonaws.com"})),
    b"\\u",
)


class OddFile(Exception):
    """The fast reader cannot handle this file; the existing path must load it."""


@dataclass
class FileResult:
    """What a worker returns for one file."""

    path: str
    scanned: int = 0
    kept: int = 0
    ndjson: bytes = b""
    lambda_keys: set[str] = field(default_factory=set)
    function_raws: set[str] = field(default_factory=set)


def _decompress(data: bytes) -> bytes:
    """Gunzip ``data`` (multi-member too). Small files (up to :data:`ONE_SHOT_BYTES`
    compressed, i.e. every CloudTrail delivery file seen in practice) in one ``isal`` call,
    the fastest; larger ones streamed with a cap on the output, so memory stays bounded."""
    if data[:2] != b"\x1f\x8b":
        return data
    if _igzip is not None and len(data) <= ONE_SHOT_BYTES:
        try:
            out: bytes = _igzip.decompress(data)
        except Exception as exc:  # isal raises its own error types
            raise OddFile(f"corrupt gzip data ({exc})") from None
    else:
        out = _stream_gunzip(data)
    if len(out) > MAX_BYTES:
        raise OddFile("larger than the fast reader's limit")
    return out


def _stream_gunzip(data: bytes) -> bytes:
    parts: list[bytes] = []
    size = 0
    rest = data
    try:
        while rest[:2] == b"\x1f\x8b":  # one member after the other
            inflate = zlib.decompressobj(31)
            chunk = inflate.decompress(rest, MAX_BYTES + 1 - size)
            size += len(chunk)
            parts.append(chunk)
            if size > MAX_BYTES:
                raise OddFile("larger than the fast reader's limit")
            if not inflate.eof:
                raise OddFile("truncated gzip data")
            rest = inflate.unused_data
    except zlib.error as exc:
        raise OddFile(f"corrupt gzip data ({exc})") from None
    if rest.strip(b"\x00"):
        raise OddFile("trailing garbage after gzip data")
    return b"".join(parts)


def _bound(moment: datetime | None) -> str | None:
    """A window bound in the form the SQL compares (``YYYY-MM-DD HH:MM:SS``)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else None


_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?Z?$")


def _in_window(t: Any, since: str | None, until: str | None) -> bool:
    """The SQL's ``TRY_CAST(replace(replace(t, 'T', ' '), 'Z', '') AS TIMESTAMP)`` compared
    with the bounds; ISO times compare like their text once normalized."""
    if not isinstance(t, str) or not _TIME_RE.match(t):
        raise OddFile("event time in an unexpected form")
    norm = t.replace("T", " ").replace("Z", "")
    if since is not None and norm < since:
        return False
    return not (until is not None and norm > until)


# ------------------------------------------------------------------ the structs msgspec fills

if _msgspec is not None:
    _NULL = _msgspec.Raw(b"null")

    class _Issuer(_msgspec.Struct, gc=False):
        arn: Any = None

    class _Session(_msgspec.Struct, gc=False):
        sessionIssuer: _Issuer | None = None

    class _Identity(_msgspec.Struct, gc=False):
        type: Any = None
        arn: Any = None
        invokedBy: Any = None
        accessKeyId: Any = None
        # read only for the few service invocations (see _drop_service_invoke)
        sessionContext: _msgspec.Raw = _NULL

    class _Head(_msgspec.Struct, gc=False):
        """The fields the filter reads; every other field is skipped unparsed."""

        eventSource: Any = None
        eventName: Any = None
        errorCode: Any = None
        userAgent: Any = None
        sourceIPAddress: Any = None
        userIdentity: _Identity | None = None

    class _TimedHead(_Head):
        eventTime: Any = None

    class _Heads(_msgspec.Struct):
        Records: list[_Head]

    class _TimedHeads(_msgspec.Struct):
        Records: list[_TimedHead]

    class _Object(_msgspec.Struct, gc=False):
        pass

    class _Objects(_msgspec.Struct):
        Records: list[_Object]

    class _Raws(_msgspec.Struct):
        Records: list[_msgspec.Raw]

    class _Invoked(_msgspec.Struct, gc=False):
        requestParameters: Any = None
        responseElements: Any = None

    _DECODE_HEADS = _msgspec.json.Decoder(_Heads).decode
    _DECODE_TIMED = _msgspec.json.Decoder(_TimedHeads).decode
    _DECODE_OBJECTS = _msgspec.json.Decoder(_Objects).decode
    _DECODE_RAWS = _msgspec.json.Decoder(_Raws).decode
    _DECODE_INVOKED = _msgspec.json.Decoder(_Invoked).decode
    _DECODE_SESSION = _msgspec.json.Decoder(_Session | None).decode


def _issuer_arn(raw: Any) -> Any:
    """``sessionContext.sessionIssuer.arn`` of an identity (None when absent), from the raw
    ``sessionContext``. Raises :class:`OddFile` when it is not an object of objects."""
    try:
        sc = _DECODE_SESSION(raw)
    except _msgspec.ValidationError:
        raise OddFile("sessionContext of an unexpected type") from None
    issuer = sc.sessionIssuer if sc is not None else None
    return issuer.arn if issuer is not None else None


def _function_raw(rp: Any, re_: Any) -> tuple[bool, str | None]:
    """The raw function identity as SQL's ``function_raw_sql`` gives it: (known, value).
    ``known`` is False for shapes the SQL would render differently (non-text values)."""
    cands: list[Any] = []
    if isinstance(rp, dict):
        cands.append(rp.get("functionName"))
        fq = rp.get("fullyQualifiedArn")
        rel = fq.get("relativeId") if isinstance(fq, dict) else None
        cands.append(rel.get("functionName") if isinstance(rel, dict) else None)
    elif rp is not None:
        return False, None
    if isinstance(re_, dict):
        cands.append(re_.get("functionName"))
        cands.append(re_.get("functionArn"))
    elif re_ is not None:
        return False, None
    for value in cands:
        if value is None:
            continue
        return (True, value) if isinstance(value, str) else (False, None)
    return True, None


def _is_lambda_ua(ua: str) -> bool:
    ual = ua.lower()
    return "exec-env/aws_lambda" in ual or "aws_lambda_" in ual or "awslambda" in ual


def filter_records(
    heads: Sequence[Any],
    raws: Sequence[Any],
    since: str | None,
    until: str | None,
    out: FileResult,
) -> list[Any]:
    """Count the records in the window and return the raw bytes of the kept ones; fills the
    side tables of ``out``. ``heads`` are the decoded :class:`_Head` of the records, ``raws``
    their bytes. Raises :class:`OddFile` on shapes it does not handle.

    Kept: a superset of SQL's ``keep_predicate`` (an event of a detection source, a failed
    call, an assumed-role call neither from a Lambda runtime nor from an AWS address), minus
    the successful invocations by AWS service principals (``service_invoke_predicate``, on
    plain values only; their function identity is noted instead). Assumed-role calls from a
    Lambda runtime give their access key. Hot loop: checks are inlined on purpose."""
    kept: list[Any] = []
    windowed = since is not None or until is not None
    scanned = 0
    keys = out.lambda_keys
    fraws = out.function_raws
    sources = DETECTION_SOURCES
    invokes = INVOKE_ACTIONS
    lambda_ua: dict[str, bool] = {}  # user agent -> from a Lambda runtime (few distinct)
    for rec, raw in zip(heads, raws, strict=True):
        if windowed and not _in_window(rec.eventTime, since, until):
            continue
        scanned += 1
        src = rec.eventSource
        ui = rec.userIdentity
        ptype = ui.type if ui is not None else None
        if src in sources:
            if (
                rec.errorCode is None
                and ptype == "AWSService"
                and src == "lambda.amazonaws.com"
                and ((name := rec.eventName) in invokes or _invoke_name(name))
                and _drop_service_invoke(raw, ui, fraws)
            ):
                continue
            kept.append(raw)
            continue
        if src is not None and type(src) is not str:
            raise OddFile("eventSource of an unexpected type")
        if rec.errorCode is not None:
            kept.append(raw)
            continue
        if ptype != "AssumedRole":
            continue
        ua = rec.userAgent
        if ua is None:
            lam = False
        elif type(ua) is str:
            lam = lambda_ua.get(ua)  # type: ignore[assignment]
            if lam is None:
                lam = lambda_ua[ua] = _is_lambda_ua(ua)
        else:
            raise OddFile("userAgent of an unexpected type")
        if lam:
            key = ui.accessKeyId  # type: ignore[union-attr]
            if type(key) is str:
                keys.add(key)
            elif key is not None:
                kept.append(raw)  # an odd key: SQL reads it
            continue
        ip = rec.sourceIPAddress
        if type(ip) is str:
            if ip.endswith(".amazonaws.com"):
                continue
        elif ip is not None:
            raise OddFile("sourceIPAddress of an unexpected type")
        kept.append(raw)
    if any(len(r) > MAX_RECORD_BYTES for r in kept):
        raise OddFile("a record larger than the fast reader's limit")
    out.scanned += scanned
    out.kept += len(kept)
    return kept


def _invoke_name(name: Any) -> bool:
    return (
        type(name) is str and name.startswith("Invoke") and _SUFFIX.sub("", name) in INVOKE_ACTIONS
    )


def _drop_service_invoke(raw: Any, ui: Any, fraws: set[str]) -> bool:
    """True (and the function's raw identity noted) for a successful invocation (checked by
    the caller) by an AWS service principal: SQL's ``service_invoke_predicate``, on plain
    values only."""
    invoked = ui.invokedBy
    if type(invoked) is not str or not invoked.endswith(".amazonaws.com"):
        return False
    if ui.arn is not None or _issuer_arn(ui.sessionContext) is not None:
        return False
    rec = _DECODE_INVOKED(raw)
    rp = rec.requestParameters
    fn = rp.get("functionName") if type(rp) is dict else None
    if type(fn) is not str:  # the general case: SQL's coalesce of three places
        known, fn = _function_raw(rp, rec.responseElements)
        if not known:
            return False  # SQL decides and names the function
    if fn is not None:
        fraws.add(fn)
    return True


def parse(data: bytes, since: str | None, until: str | None, out: FileResult) -> list[Any]:
    """The kept records of one decompressed delivery file (see :func:`filter_records`)."""
    if _msgspec is None:
        raise OddFile("msgspec is not installed")
    windowed = since is not None or until is not None
    try:
        if not windowed and not any(n in data for n in NEEDLES):
            # nothing a detection reads: only counted (each record still checked to be an
            # object, as the DuckDB path requires)
            out.scanned += len(_DECODE_OBJECTS(data).Records)
            return []
        heads = (_DECODE_TIMED if windowed else _DECODE_HEADS)(data).Records
        raws = _DECODE_RAWS(data).Records
    except (_msgspec.DecodeError, _msgspec.ValidationError, RecursionError) as exc:
        raise OddFile(f"not a CloudTrail delivery file ({exc})") from None
    try:
        return filter_records(heads, raws, since, until, out)
    except TypeError:  # a field of a type the hot loop does not test for (a list eventSource)
        raise OddFile("a field of an unexpected type") from None


def read_file(path: str, since: str | None = None, until: str | None = None) -> FileResult:
    """Read one delivery file (see the module doc). Raises :class:`OddFile` or ``OSError``."""
    with open(path, "rb") as fh:
        data = fh.read()
    data = _decompress(data)
    out = FileResult(path)
    kept = parse(data, since, until, out)
    if kept:
        if b"\n" in data or b"\r" in data:  # whitespace between tokens: one record a line
            kept = [bytes(r).replace(b"\n", b" ").replace(b"\r", b" ") for r in kept]
        kept.append(b"")
        out.ndjson = b"\n".join(kept)
    return out


def worker_init() -> None:
    # the parsed documents hold no cycles: the cyclic GC would only rescan them
    gc.disable()


def worker_read(args: tuple[str, str | None, str | None]) -> FileResult | None:
    """Pool entry point: a result, or None when the file must take the existing path."""
    path, since, until = args
    try:
        return read_file(path, since, until)
    except (OddFile, OSError, EOFError, zlib.error, MemoryError):
        return None


def read_all(
    paths: Sequence[str],
    since: datetime | None = None,
    until: datetime | None = None,
    processes: int = 2,
    in_flight: int = 4,
) -> Iterator[tuple[str, FileResult | None]]:
    """Results for ``paths`` in order. With ``processes > 1`` the files are dealt round robin
    to that many worker processes (``python -m fortress.detection.fastread``: a fresh
    interpreter, so nothing depends on the caller's ``__main__`` or on fork safety), each
    with at most ``in_flight`` files queued or done-but-unconsumed: memory stays bounded.
    A worker that dies hands its files back as None (the existing path reads them)."""
    lo, hi = _bound(since), _bound(until)
    if processes <= 1 or len(paths) <= 1:
        yield from _read_here(paths, lo, hi)
        return
    workers = [_Worker() for _ in range(min(processes, len(paths)))]
    try:
        queues: list[deque[str]] = [deque() for _ in workers]
        nxt = 0

        def feed(w: int) -> None:
            nonlocal nxt
            while nxt < len(paths) and len(queues[w]) < in_flight and workers[w].alive:
                if nxt % len(workers) != w:
                    return
                workers[w].send(paths[nxt], lo, hi)
                queues[w].append(paths[nxt])
                nxt += 1

        for _ in range(in_flight):
            for w in range(len(workers)):
                feed(w)
        done = 0
        while done < len(paths):
            w = done % len(workers)
            if not queues[w]:  # the worker died before this file was sent
                yield from _read_here([paths[done]], lo, hi)
                done += 1
                nxt = max(nxt, done)
                continue
            path = queues[w].popleft()
            yield path, workers[w].receive(path)
            done += 1
            feed(w)
            feed((w + 1) % len(workers))
    finally:
        for worker in workers:
            worker.close()


def _read_here(
    paths: Sequence[str], lo: str | None, hi: str | None
) -> Iterator[tuple[str, FileResult | None]]:
    was = gc.isenabled()
    gc.disable()
    try:
        for p in paths:
            yield p, worker_read((p, lo, hi))
    finally:
        if was:
            gc.enable()


_MALLOC_ENV = {"MALLOC_TRIM_THRESHOLD_": str(1 << 30), "MALLOC_TOP_PAD_": str(64 << 20)}


class _Worker:
    """One worker process: requests are JSON lines on its stdin, answers are length-prefixed
    pickles of plain tuples on its stdout (a private pipe between two processes of this
    program; no class of this module crosses it, the child runs it as ``__main__``)."""

    def __init__(self) -> None:
        import fortress

        root = os.path.dirname(os.path.dirname(os.path.abspath(fortress.__file__)))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        # glibc: keep freed heap instead of returning it to the system after every file; a
        # worker allocates and frees about the same megabytes per file, and re-faulting them
        # cost ~30% of its time (the peak is unchanged: it is the largest file's)
        for name, value in _MALLOC_ENV.items():
            env.setdefault(name, value)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fortress.detection.fastread"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self.alive = True

    def send(self, path: str, lo: str | None, hi: str | None) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps([path, lo, hi]).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            self.alive = False

    def receive(self, path: str) -> FileResult | None:
        assert self.proc.stdout is not None
        if not self.alive:
            return None
        head = self.proc.stdout.read(8)
        if len(head) < 8:
            self.alive = False
            return None
        size = int.from_bytes(head, "little")
        body = self.proc.stdout.read(size)
        if len(body) < size:
            self.alive = False
            return None
        plain = pickle.loads(body)
        if plain is None:
            return None
        scanned, kept, ndjson, keys, raws = plain
        return FileResult(path, scanned, kept, ndjson, set(keys), set(raws))

    def close(self) -> None:
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The worker loop: one JSON request line in, one length-prefixed pickle out."""
    worker_init()
    for line in stdin:
        path, lo, hi = json.loads(line)
        got = worker_read((path, lo, hi))
        plain = (
            None
            if got is None
            else (got.scanned, got.kept, got.ndjson, list(got.lambda_keys), list(got.function_raws))
        )
        body = pickle.dumps(plain, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.write(len(body).to_bytes(8, "little"))
        stdout.write(body)
        stdout.flush()


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
