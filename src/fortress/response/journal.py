"""The journal: JSON Lines, append-only, each record fsync'd, each chained to the one before.

Records: ``start`` (who, where, the plan), then for each change an ``intent`` (written and
fsync'd *before* the call, with the prior state) and a ``result`` (after it); ``end``. Undo and
resume append their own records to the same file (``undo-start``, ``undo-intent``,
``undo-result``, ``undo-end``; ``resume``). A new journal is created with ``O_EXCL``: an existing
path is refused, never overwritten.

Every record carries ``digest`` (SHA-256 of its canonical JSON without ``digest``) and ``prev``
(the previous record's digest), so a record edited by hand, removed or reordered, and a last line
cut short, are detected when the journal is read back. (Someone who recomputes every digest can
forge a journal; the chain is for accidents and careless edits, not a signature.)
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fortress.response.model import JOURNAL_SCHEMA_VERSION, ResponseError, Step

MAX_JOURNAL_BYTES = 64 * 1024 * 1024


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _digest(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "digest"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class JournalWriter:
    """Appends records; each is on disk (fsync'd) when :meth:`write` returns."""

    def __init__(self, path: Path, *, seq: int = 0, prev: str | None = None, new: bool) -> None:
        self.path = path
        flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        if new:
            flags |= os.O_CREAT | os.O_EXCL
        try:
            self._fd = os.open(path, flags, 0o600)
        except FileExistsError:
            raise ResponseError(f"{path}: already exists; journals are never overwritten") from None
        except OSError as exc:
            raise ResponseError(f"{path}: cannot write the journal: {exc.strerror}") from None
        self.seq = seq
        self.prev = prev
        if new:
            self._sync_dir()

    def _sync_dir(self) -> None:
        try:
            fd = os.open(self.path.parent if str(self.path.parent) else Path("."), os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)

    def write(self, record_type: str, /, **fields: Any) -> dict[str, Any]:
        record: dict[str, Any] = {
            "schema_version": JOURNAL_SCHEMA_VERSION,
            "seq": self.seq,
            "type": record_type,
            "time": utc_now(),
            "prev": self.prev,
        }
        record.update(fields)
        record["digest"] = _digest(record)
        line = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str) + "\n"
        data = line.encode("utf-8")
        while data:
            written = os.write(self._fd, data)
            data = data[written:]
        os.fsync(self._fd)
        self.seq += 1
        self.prev = record["digest"]
        return record

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@dataclass
class Journal:
    path: Path
    records: list[dict[str, Any]]
    start: dict[str, Any]
    steps: list[Step] = field(default_factory=list)

    @property
    def account(self) -> str:
        return str(self.start.get("account"))

    @property
    def region(self) -> str:
        return str(self.start.get("region"))

    def last(self, kind: str, step: int) -> dict[str, Any] | None:
        found = None
        for record in self.records:
            if record.get("type") == kind and record.get("step") == step:
                found = record
        return found

    def appender(self) -> JournalWriter:
        """A writer that continues this journal's chain (for resume and undo)."""
        return JournalWriter(
            self.path, seq=len(self.records), prev=self.records[-1]["digest"], new=False
        )


def read_journal(path: Path) -> Journal:
    """Read and check a journal; any problem is one :class:`ResponseError` naming the line."""
    if not path.exists():
        raise ResponseError(f"{path}: no such journal")
    if not path.is_file():
        raise ResponseError(f"{path}: not a regular file")
    if path.stat().st_size > MAX_JOURNAL_BYTES:
        raise ResponseError(f"{path}: larger than {MAX_JOURNAL_BYTES} bytes; not a journal")
    raw = path.read_bytes()
    if not raw:
        raise ResponseError(f"{path}: empty; not a journal")
    if not raw.endswith(b"\n"):
        raise ResponseError(f"{path}: the last line is incomplete (the journal is truncated)")
    records: list[dict[str, Any]] = []
    prev: str | None = None
    for number, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1):
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except ValueError:
            raise ResponseError(
                f"{where}: not JSON (the journal is truncated or was edited)"
            ) from None
        if not isinstance(record, dict):
            raise ResponseError(f"{where}: not a journal record")
        if record.get("schema_version") != JOURNAL_SCHEMA_VERSION:
            raise ResponseError(
                f"{where}: schema_version {record.get('schema_version')!r} is not "
                f"{JOURNAL_SCHEMA_VERSION!r}"
            )
        if record.get("digest") != _digest(record):
            raise ResponseError(f"{where}: the record was edited (its digest does not match)")
        if record.get("seq") != number - 1 or record.get("prev") != prev:
            raise ResponseError(f"{where}: out of sequence (records were removed or reordered)")
        prev = str(record["digest"])
        records.append(record)
    start = records[0]
    if start.get("type") != "start":
        raise ResponseError(f"{path}:1: the journal does not begin with a start record")
    plan = start.get("plan")
    if not isinstance(plan, dict) or not isinstance(plan.get("steps"), list):
        raise ResponseError(f"{path}:1: the start record holds no plan")
    try:
        steps = [Step.from_dict(s) for s in plan["steps"]]
    except ValueError as exc:
        raise ResponseError(f"{path}:1: bad plan: {exc}") from None
    for number, record in enumerate(records[1:], 2):
        index = record.get("step")
        if index is not None and not (isinstance(index, int) and 0 <= index < len(steps)):
            raise ResponseError(f"{path}:{number}: names step {index!r}, not in the plan")
    return Journal(path=path, records=records, start=start, steps=steps)
