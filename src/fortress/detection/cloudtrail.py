"""CloudTrail readers: find and classify input files, fetch from S3 and LookupEvents.

The fast path hands files to DuckDB (see :mod:`fortress.detection.store`); this module only
classifies them by sniffing their first bytes, so a multi-GB export is never loaded in Python.
Odd files (pretty-printed single events, Athena-style lowercase keys, saved LookupEvents
output) are converted by :func:`convert_fallback` into JSON Lines, one record at a time where
the format allows it.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import tempfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from fortress import safeio
from fortress.cloudtrail import iter_file, loads, normalize_record
from fortress.errors import InputError
from fortress.findings import CoverageGap

if TYPE_CHECKING:  # boto3 is imported only by hunts that call AWS
    from fortress.aws.client import AwsClient

SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".gz")
SKIP_PARTS = ("CloudTrail-Digest", "CloudTrail-Insight")
SNIFF_BYTES = 65536
_RECORDS_RE = re.compile(rb'^\{\s*"Records"\s*:\s*\[')


@dataclass(frozen=True)
class InputFile:
    path: str
    kind: str  # records | array | jsonl | fallback


class Unreadable(Exception):
    """An input that cannot be read; the message names the problem."""


def discover(paths: Iterable[str]) -> tuple[list[InputFile], list[dict[str, str]]]:
    """Every CloudTrail file under ``paths`` (files or folders), classified; and the unreadable.

    A named input that is neither a folder nor a regular file (a FIFO, a device), a folder
    that cannot be listed, and a folder holding no CloudTrail file are listed as unreadable,
    never skipped in silence.
    """
    found: list[InputFile] = []
    unreadable: list[dict[str, str]] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            unreadable.append({"path": raw, "reason": "no such file or directory"})
            continue
        if not path.is_dir() and not path.is_file():
            reason = safeio.not_regular_reason(path) or "not a regular file"
            unreadable.append({"path": raw, "reason": reason})
            continue
        if path.is_file():
            candidates = [path]
        else:
            walk_errors: list[OSError] = []
            candidates = sorted(_walk(path, walk_errors.append))
            for err in walk_errors:
                where = err.filename or raw
                unreadable.append({"path": str(where), "reason": err.strerror or str(err)})
            if not candidates and not walk_errors:
                unreadable.append({"path": raw, "reason": "no CloudTrail files in this folder"})
        for file in candidates:
            try:
                found.append(InputFile(str(file), sniff(str(file))))
            except Unreadable as exc:
                unreadable.append({"path": str(file), "reason": str(exc)})
            except OSError as exc:
                unreadable.append({"path": str(file), "reason": exc.strerror or str(exc)})
    return found, unreadable


def _walk(root: Path, onerror: Any = None) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_PARTS)
        for name in filenames:
            if name.endswith(SUFFIXES) and not name.startswith("."):
                yield Path(dirpath) / name


def _head(path: str) -> bytes:
    """The first :data:`SNIFF_BYTES` of ``path``, gunzipped if it is gzip: inflated straight
    from the first compressed bytes (a buffered gzip stream would inflate a whole buffer, about
    the whole delivery file, for each file listed)."""
    try:
        with safeio.open_regular(path) as raw:
            data = raw.read(SNIFF_BYTES)
            if data[:2] != b"\x1f\x8b":
                return data
            head = b""
            inflate = zlib.decompressobj(31)
            while len(head) < SNIFF_BYTES:
                head += inflate.decompress(data, SNIFF_BYTES - len(head))
                data = inflate.unconsumed_tail
                if inflate.eof:
                    data = inflate.unused_data
                    if data[:2] != b"\x1f\x8b":  # the end, or not another member
                        break
                    inflate = zlib.decompressobj(31)
                elif not data:
                    data = raw.read(SNIFF_BYTES)
                    if not data:
                        raise EOFError("truncated gzip data")
            return head
    except InputError as exc:
        raise Unreadable(exc.message) from None


def sniff(path: str) -> str:
    """Classify a file by its first bytes: records, array, jsonl or fallback."""
    try:
        head = _head(path)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise Unreadable(f"corrupt gzip data ({exc})") from None
    except InputError as exc:
        raise Unreadable(exc.message) from None
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        raise Unreadable("empty file")
    if _RECORDS_RE.match(text):
        return "records"
    if text[:1] == b"[":
        return "array" if _looks_camel(text) else "fallback"
    if text[:1] != b"{":
        raise Unreadable("not CloudTrail JSON (expected an object, an array or JSON Lines)")
    first = text.split(b"\n", 1)[0].strip()
    try:
        obj = loads(first)
    except ValueError:
        return "fallback"  # pretty-printed document, or garbage: the fallback decides
    if not isinstance(obj, dict):
        raise Unreadable("not CloudTrail JSON")
    if "Records" in obj or "Events" in obj:
        return "fallback"
    if "eventName" in obj and not _needs_fixing(obj):
        return "jsonl"
    return "fallback"


def _looks_camel(text: bytes) -> bool:
    return b'"eventName"' in text or b'"eventname"' not in text


def _needs_fixing(obj: dict[str, Any]) -> bool:
    return any(isinstance(obj.get(f), str) for f in ("userIdentity", "requestParameters"))


# --------------------------------------------------------------------------- fallback


def iter_fallback(path: str) -> Iterator[dict[str, Any] | None]:
    """Records of an odd file (the shared reader, lenient); None for each unusable part."""
    try:
        yield from iter_file(Path(path), strict=False)
    except InputError as exc:
        raise Unreadable(exc.message) from None


FALLBACK_PART_BYTES = 8 * 1024 * 1024  # JSON Lines per DuckDB load of a converted file


def convert_fallback(
    path: str, out_dir: str, part_bytes: int = FALLBACK_PART_BYTES
) -> tuple[list[str], int, int]:
    """Write the records of an odd file as JSON Lines; (new paths, records, bad parts).

    The records go to parts of about ``part_bytes`` each, loaded one at a time: DuckDB
    holds a loaded part's kept rows in memory while it normalizes them, so one part of a
    large export (a SIEM's or CloudTrail Lake's JSON Lines) stays within ``--memory-limit``.
    """
    good = bad = 0
    parts: list[str] = []

    def new_part() -> IO[str]:
        fd, target = tempfile.mkstemp(suffix=".jsonl", dir=out_dir)
        parts.append(target)
        return os.fdopen(fd, "w", encoding="utf-8")

    out = new_part()
    try:
        written = 0
        for record in iter_fallback(path):
            if record is None:
                bad += 1
                continue
            try:
                line = json.dumps(record, separators=(",", ":"), default=str)
                if "\\ud" in line:  # maybe a lone surrogate, which DuckDB refuses
                    line = json.dumps(
                        safeio.unicode_safe(record), separators=(",", ":"), default=str
                    )
            except (RecursionError, ValueError):  # nested too deeply to write back
                bad += 1
                continue
            if written and written + len(line) > part_bytes:
                out.close()
                out, written = new_part(), 0
            out.write(line)
            out.write("\n")
            written += len(line) + 1
            good += 1
        out.close()
        if good == 0:
            raise Unreadable("no CloudTrail records found")
    except BaseException:
        out.close()
        for part in parts:
            os.unlink(part)
        raise
    return parts, good, bad


# --------------------------------------------------------------------------- S3


def parse_s3_url(url: str) -> tuple[str, str]:
    match = re.match(r"^s3://([^/]+)/?(.*)$", url)
    if not match:
        from fortress.errors import FortressError

        raise FortressError(f"{url}: not an S3 URL (expected s3://bucket/prefix)")
    return match.group(1), match.group(2)


_DATE_IN_KEY = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/")


def _key_in_range(key: str, since: datetime | None, until: datetime | None) -> bool:
    match = _DATE_IN_KEY.search(key)
    if not match or (since is None and until is None):
        return True
    day = "".join(match.groups())
    if since is not None and day < since.strftime("%Y%m%d"):
        return False
    return not (until is not None and day > until.strftime("%Y%m%d"))


def download_s3(
    aws: AwsClient,
    url: str,
    dest: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[str]:
    """Download the CloudTrail objects under an S3 prefix to ``dest`` (streamed to disk).

    Failed calls become coverage gaps on ``aws``; returns the local paths written.
    """
    bucket, prefix = parse_s3_url(url)
    paths: list[str] = []
    region = aws.default_region
    client = aws.client("s3", region)
    for page in aws.iter_pages("s3", region, "list_objects_v2", Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = str(obj["Key"])
            if not key.endswith(SUFFIXES) or any(p in key for p in SKIP_PARTS):
                continue
            if not _key_in_range(key, since, until):
                continue
            target = Path(dest) / bucket / key
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                client.download_file(bucket, key, str(target))
            except Exception as exc:
                aws.record(aws._gap_from(exc, "s3", region, "get_object", f"s3://{bucket}/{key}"))
                continue
            paths.append(str(target))
    return paths


# --------------------------------------------------------------------------- LookupEvents


def lookup_events(
    aws: AwsClient,
    dest: str,
    since: datetime | None = None,
    until: datetime | None = None,
    region: str | None = None,
    account: str = "",
) -> tuple[str, int]:
    """Page through CloudTrail LookupEvents into a JSON Lines file; (path, events)."""
    kwargs: dict[str, Any] = {}
    if since is not None:
        kwargs["StartTime"] = since
    if until is not None:
        kwargs["EndTime"] = until
    label = f"{account}-" if account else ""
    target = Path(dest) / f"lookup-events-{label}{region or aws.default_region}.jsonl"
    count = 0
    with open(target, "w", encoding="utf-8") as out:
        for page in aws.iter_pages("cloudtrail", region, "lookup_events", **kwargs):
            for event in page.get("Events", []):
                record = normalize_record(event)
                if record is None:
                    continue
                out.write(json.dumps(record, separators=(",", ":"), default=str))
                out.write("\n")
                count += 1
    return str(target), count


def lookup_fan_out(
    sources: Sequence[tuple[str, AwsClient | CoverageGap]],
    regions: Sequence[str],
    dest: str,
    since: datetime | None = None,
    until: datetime | None = None,
    workers: int = 4,
) -> tuple[list[InputFile], list[dict[str, Any]]]:
    """LookupEvents of every account and region into JSON Lines files; (files, coverage gaps).

    ``sources`` pairs an account id ("" for the caller's one) with its client, or with the
    gap saying why there is none (a role that could not be assumed): that account is a gap,
    the others are read. CloudTrail answers LookupEvents at about 2 calls per second per
    account and region, so pairs are read concurrently (``workers`` at once) and a failed
    pair is a gap of its own, never the end of the hunt.
    """
    gaps: list[dict[str, Any]] = []
    pairs: list[tuple[str, AwsClient, str | None]] = []
    for account, client in sources:
        if isinstance(client, CoverageGap):
            gaps.append(client.to_dict())
            continue
        for region in regions or (None,):
            pairs.append((account, client, region))

    def read(pair: tuple[str, AwsClient, str | None]) -> tuple[str, int]:
        account, client, region = pair
        return lookup_events(client, dest, since, until, region, account)

    files: list[InputFile] = []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(pairs) or 1))) as pool:
        for path, count in pool.map(read, pairs):
            if count:
                files.append(InputFile(path, "jsonl"))
    seen: set[int] = set()
    for _, client, _ in pairs:
        if id(client) not in seen:
            seen.add(id(client))
            gaps.extend(g.to_dict() for g in client.gaps)
    return files, gaps
