"""Reading exported CloudTrail files in Python, one record at a time.

The one Python reader of CloudTrail exports, used by forensics (``acquire --cloudtrail``,
``timeline --cloudtrail``) and by hunting for the files its DuckDB fast path does not take.
Reads S3 delivery folders (``.json.gz`` holding ``{"Records": [...]}``), plain JSON
(``{"Records": [...]}``, a JSON array, a saved LookupEvents answer ``{"Events": [...]}``, a
single pretty-printed event) and JSON Lines (one event, or one ``{"Records": [...]}`` object,
per line). Arrays are decoded element by element from a bounded buffer, so a large file is
never held whole in memory; every record is normalized (:func:`normalize_record`).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from fortress import safeio
from fortress.errors import InputError

CHUNK = 1024 * 1024
SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".gz")
_SEPARATORS = re.compile(r"[ \t\r\n,]*")
_ARRAY_HEAD = re.compile(r'\s*\{\s*"(Records|Events)"\s*:\s*\[')

# CloudTrail field names, for exports that lowercased them (Athena, some SIEM exports).
CLOUDTRAIL_FIELDS = (
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "requestID",
    "eventID",
    "readOnly",
    "resources",
    "eventType",
    "apiVersion",
    "managementEvent",
    "recipientAccountId",
    "sharedEventID",
    "vpcEndpointId",
    "eventCategory",
    "tlsDetails",
    "serviceEventDetails",
    "sessionCredentialFromConsole",
)
_FIELD_BY_LOWER = {f.lower(): f for f in CLOUDTRAIL_FIELDS}
# Fields some exports keep as JSON text; decoded back into objects.
JSON_FIELDS = (
    "userIdentity",
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "resources",
    "tlsDetails",
    "serviceEventDetails",
)


class TooDeep(ValueError):
    """JSON nested deeper than the decoder can follow."""


def loads(text: str | bytes) -> Any:
    """``json.loads`` whose nesting-depth failure is a ``ValueError`` like any bad JSON.

    The C decoder recurses once per nesting level; past Python's recursion limit it raises
    ``RecursionError``, which one hostile line must not turn into an aborted run.
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise TooDeep("JSON nested too deeply") from None


def normalize_record(obj: Any) -> dict[str, Any] | None:
    """A CloudTrail record with camelCase keys and nested JSON fields as objects, or None."""
    if isinstance(obj, dict) and isinstance(obj.get("CloudTrailEvent"), str):
        try:  # a LookupEvents item wraps the record as JSON text
            obj = loads(obj["CloudTrailEvent"])
        except ValueError:
            return None
    if not isinstance(obj, dict):
        return None
    out: dict[str, Any] = {}
    for key, value in obj.items():
        text = str(key)
        out[_FIELD_BY_LOWER.get(text.lower(), text)] = value
    for name in JSON_FIELDS:
        value = out.get(name)
        if isinstance(value, str) and value[:1] in ("{", "["):
            with contextlib.suppress(ValueError):  # else kept as the text it is
                out[name] = loads(value)
    if "eventName" not in out and "eventID" not in out:
        return None
    return out


def files_under(path: Path) -> Iterator[Path]:
    """The CloudTrail files of a file or folder (digest and insight files left out)."""
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            name = child.name
            if (
                child.is_file()
                and name.lower().endswith(SUFFIXES)
                and not name.startswith(".")
                and "CloudTrail-Digest" not in child.parts
                and "CloudTrail-Insight" not in child.parts
            ):
                yield child
    elif path.is_file():
        yield path
    elif path.exists():
        raise InputError(str(path), safeio.not_regular_reason(path) or "not a file or folder")
    else:
        raise InputError(str(path), "no such CloudTrail file or folder")


def _open_text(path: Path) -> IO[str]:
    """Regular files only (a FIFO never blocks); gzip is decompressed under a cap."""
    return io.TextIOWrapper(safeio.open_maybe_gzip(path), encoding="utf-8", errors="replace")


def _too_large(label: str) -> InputError:
    limit = safeio.cap("json")
    return InputError(label, f"a JSON value is larger than the {safeio.describe(limit)} cap")


def _stream_array(handle: IO[str], buffer: str, label: str) -> Iterator[Any]:
    """Decode the elements of a JSON array whose ``[`` has just been consumed."""
    decoder = json.JSONDecoder()
    pos = 0
    eof = False
    limit = safeio.cap("json")
    while True:
        pos = _SEPARATORS.match(buffer, pos).end()  # type: ignore[union-attr]  # always matches
        if pos >= len(buffer):
            if eof:
                raise InputError(label, "unterminated JSON array")
            buffer = handle.read(CHUNK)
            pos = 0
            eof = not buffer
            continue
        if buffer[pos] == "]":
            return
        try:
            value, end = decoder.raw_decode(buffer, pos)
        except RecursionError:
            raise InputError(label, "bad JSON: nested too deeply") from None
        except json.JSONDecodeError as exc:
            more = "" if eof else handle.read(CHUNK)
            if not more:
                raise InputError(label, f"bad JSON: {exc.msg}") from exc
            if len(buffer) - pos > limit:
                raise _too_large(label) from None
            buffer = buffer[pos:] + more
            pos = 0
            continue
        yield value
        pos = end
        if pos > CHUNK:
            buffer = buffer[pos:]
            pos = 0


def _items(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for key in ("Records", "Events"):
            if isinstance(value.get(key), list):
                yield from value[key]
                return
        yield value
    elif isinstance(value, list):
        yield from value
    else:
        yield value


def iter_file(path: Path, *, strict: bool = True) -> Iterator[dict[str, Any] | None]:
    """Normalized records of one file.

    A part that is not a CloudTrail record (a bad JSON line, an object without event fields)
    raises :class:`InputError` naming the file and line when ``strict``; otherwise it is
    yielded as None so that the caller can count it. A file that cannot be decoded at all
    always raises.
    """
    label = str(path)

    def bad(message: str, line: int | None = None) -> Iterator[None]:
        if strict:
            raise InputError(label, message, line)
        yield None

    try:
        with _open_text(path) as handle:
            head = handle.read(CHUNK)
            stripped = head.lstrip("\ufeff \t\r\n")
            if not stripped:
                return
            match = _ARRAY_HEAD.match(stripped)
            if match or stripped.startswith("["):
                start = stripped[match.end() :] if match else stripped[1:]
                for item in _stream_array(handle, start, label):
                    record = normalize_record(item)
                    if record is None:
                        yield from bad("an array element is not a CloudTrail record")
                    else:
                        yield record
                return
            first = stripped.split("\n", 1)[0]
            try:
                loads(first)
            except TooDeep:
                pass  # a whole line, only too deep: JSON Lines, where that line counts bad
            except ValueError:
                # One pretty-printed document (a single event): decode it whole, capped.
                limit = safeio.cap("json")
                text = stripped + handle.read(limit + 1)
                if len(text) > limit:
                    raise _too_large(label) from None
                try:
                    document = loads(text)
                except ValueError as exc:
                    raise InputError(label, f"bad JSON ({exc})") from None
                for item in _items(document):
                    record = normalize_record(item)
                    if record is None:
                        yield from bad("not a CloudTrail record")
                    else:
                        yield record
                return
            # JSON Lines: one JSON value per line.
            rest = stripped
            number = 0
            limit = safeio.cap("json")
            while True:
                lines = rest.split("\n")
                more = handle.read(CHUNK)
                if more:  # keep a partial last line for the next round
                    tail = lines.pop()
                    if len(tail) > limit:
                        raise _too_large(label)
                    rest = tail + more
                for line in lines:
                    number += 1
                    if not line.strip():
                        continue
                    try:
                        value = loads(line)
                    except ValueError as exc:
                        yield from bad(f"bad JSON ({getattr(exc, 'msg', exc)})", number)
                        continue
                    for item in _items(value):
                        record = normalize_record(item)
                        if record is None:
                            yield from bad("not a CloudTrail record", number)
                        else:
                            yield record
                if not more:
                    return
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(label, f"cannot read CloudTrail file: {exc}") from exc


def iter_events(path: str | Path) -> Iterator[dict[str, Any]]:
    """Every CloudTrail record under ``path`` (a file or a folder), streamed; strict."""
    for file in files_under(Path(path)):
        for record in iter_file(file):
            if record is not None:
                yield record
