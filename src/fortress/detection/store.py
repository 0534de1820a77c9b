"""The DuckDB event store: CloudTrail files in, one normalized ``events`` table out.

Delivery files (``{"Records": [...]}``, gzipped or not) take the fast path: Python threads
gunzip them (zlib releases the GIL) into a temporary folder, and DuckDB parses each file once
with ``read_text`` + ``json_transform`` into typed top-level columns, keeping
``userIdentity`` / ``requestParameters`` / ``responseElements`` as JSON so no key is dropped by
schema inference. (``read_json_objects`` costs about 4x more CPU on such files.) Two workers
load batches in parallel, each in its own DuckDB connection.

A hunt without Sigma rules reads delivery files with :mod:`fortress.detection.fastread`
instead (``fast_reader``; worker processes narrow each file to the events a detection can read
before DuckDB sees them); the path below serves Sigma hunts and the files that reader hands back.

With ``prefilter=True`` (a hunt without Sigma rules) only the events some built-in detection
can read are normalized and stored (:func:`fortress.detection.sql.keep_predicate`); the access
keys of Lambda-runtime sessions go to the small ``lambda_ua_keys`` table. Every event is still
counted (``scanned``).

Other formats (arrays, JSON Lines) go through ``read_json_objects``; a batch that fails is
retried file by file to name the bad file, and a file DuckDB cannot read goes through the
Python fallback before it is declared unreadable. Memory is bounded by DuckDB's
``memory_limit`` (beyond it the store spills to a temporary directory) and by the batch size.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import IO, Any

import duckdb

from fortress.detection import fastread, iamfacts
from fortress.detection.cloudtrail import InputFile, Unreadable, convert_fallback
from fortress.detection.sql import (
    DEFAULT_MEMORY_LIMIT,
    DUCKDB,
    EVENT_COLUMNS,
    FUNCTION_NAME_SQL,
    LAMBDA_FUNCTION_NAMES,
    LAMBDA_UA_KEYS,
    UI_PATHS,
    HuntSettings,
    function_raw_sql,
    keep_predicate,
    keep_superset,
    lambda_key_candidate,
    lambda_key_expr,
    lit,
    normalized_query,
    service_invoke_predicate,
)

# userIdentity paths of the service-invocation test (a subset of UI_PATHS)
SERVICE_PATHS = ("$.type", "$.arn", "$.sessionContext.sessionIssuer.arn", "$.invokedBy")

BATCH_FILES = 256
NDJSON_BATCH_FILES = 128  # fast-reader files per DuckDB load
NDJSON_BATCH_BYTES = 24 * 1024 * 1024
MIN_FILES_FOR_POOL = 4  # fewer files are read in process (spawning costs ~0.2 s)
FAST_BATCH_FILES = 64  # delivery files per fast-path batch (~2,000 events each)
WORKERS = 2
CHUNK = 1 << 20
RECORDS_MAX_BYTES = 128 * 1024 * 1024  # one delivery file is one JSON object
LINE_MAX_BYTES = 16 * 1024 * 1024

_TOP = (
    "eventVersion",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "eventID",
    "eventType",
    "eventCategory",
    "recipientAccountId",
    "readOnly",
)
_JSON = (
    "userIdentity",
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "resources",
)
RECORD_TYPES: dict[str, str] = {**{f: "VARCHAR" for f in _TOP}, **{f: "JSON" for f in _JSON}}

Progress = Callable[[int, int], None]


def _struct_type() -> str:
    return "STRUCT(" + ", ".join(f'"{k}" {v}' for k, v in RECORD_TYPES.items()) + ")"


def _time_expr(text: str) -> str:
    return f"TRY_CAST(replace(replace({text}, 'T', ' '), 'Z', '') AS TIMESTAMP)"


def _fix_json(expr: str) -> str:
    """A JSON value that some exports store as a JSON-encoded string, decoded."""
    return f"(CASE WHEN json_type({expr}) = 'VARCHAR' THEN json({expr} ->> '$') ELSE {expr} END)"


def _shape() -> str:
    return "{" + ", ".join(f'"{k}": "{v}"' for k, v in RECORD_TYPES.items()) + "}"


def _stage_raw() -> dict[str, str]:
    """Raw CloudTrail fields as columns of a stage table (see :meth:`EventStore._stage`)."""
    raw = {k: f'"{k}"' for k in RECORD_TYPES}
    raw["_time"] = "_time"
    for i, path in enumerate(UI_PATHS, start=1):
        raw["ui:" + path] = f"_u[{i}]"
    return raw


_UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}


def _part_bytes(con: duckdb.DuckDBPyConnection) -> int:
    """The size of one JSON Lines part of a converted file (see ``convert_fallback``).

    Measured: DuckDB needs about 48 MB plus 24 times a part's size to parse and normalize
    it (the limit as DuckDB reports it, ``244.1 MiB``); within 1-32 MB, since each part
    costs a few statements (~0.07 s)."""
    row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    number, _, unit = str(row[0] if row else "").partition(" ")
    try:
        limit = float(number) * _UNITS[unit]
    except (KeyError, ValueError):
        return 4 << 20
    return int(min(max((limit - (48 << 20)) // 24, 1 << 20), 32 << 20))


class _TooLarge(Exception):
    pass


def _gunzip(path: str, out_dir: str) -> tuple[str, bool]:
    """``path`` as plain text on disk: (path, is a temporary copy). Streams, capped."""
    with open(path, "rb") as fh:
        head = fh.read(2)
        if head != b"\x1f\x8b":
            if os.path.getsize(path) > RECORDS_MAX_BYTES:
                raise _TooLarge(path)
            return path, False
        fh.seek(0)
        fd, target = tempfile.mkstemp(suffix=".json", dir=out_dir)
        try:
            with os.fdopen(fd, "wb") as out:
                inflate = zlib.decompressobj(47)
                size = 0
                while chunk := fh.read(CHUNK):
                    data = inflate.decompress(chunk, CHUNK * 8)  # bounded: bombs inflate 1000x
                    while data:
                        size += len(data)
                        if size > RECORDS_MAX_BYTES:
                            raise _TooLarge(path)
                        out.write(data)
                        data = inflate.decompress(inflate.unconsumed_tail, CHUNK * 8)
                    if inflate.eof:
                        break
                out.write(inflate.flush())
        except BaseException:
            os.unlink(target)
            raise
    return target, True


class EventStore:
    """An in-process DuckDB database holding the normalized ``events`` table.

    ``prefilter``: store only the events the built-in detections can read (every event is
    still counted in ``scanned``). Leave it off when Sigma rules (or ad-hoc queries) must see
    every event. ``fast_reader`` (with ``prefilter``): read delivery files with the worker
    processes of :mod:`fortress.detection.fastread` instead of DuckDB's JSON reader.
    ``on_disk``: keep the database in a file of the temporary folder rather than in memory.
    """

    def __init__(
        self,
        settings: HuntSettings | None = None,
        *,
        memory_limit: str = DEFAULT_MEMORY_LIMIT,
        threads: int | None = None,
        temp_dir: str | None = None,
        prefilter: bool = False,
        fast_reader: bool = False,
        on_disk: bool = False,
    ) -> None:
        self.settings = settings or HuntSettings()
        self.prefilter = prefilter
        self.fast_reader = fast_reader
        self._own_temp = temp_dir is None
        self.temp_dir = temp_dir or tempfile.mkdtemp(prefix="fortress-hunt-")
        try:  # a SIGTERM (raised as an interrupt) here must not leave the folder behind
            # on disk (in the temporary folder): the tables are compressed and only the blocks
            # in use stay in memory, so a long trail does not grow the process
            where = os.path.join(self.temp_dir, "events.duckdb") if on_disk else ":memory:"
            self.con = duckdb.connect(where)
            if on_disk:  # thrown away on close: not worth a last checkpoint
                self.con.execute("PRAGMA disable_checkpoint_on_shutdown")
            self.con.execute(f"SET memory_limit = {lit(memory_limit)}")
            self.con.execute(f"SET temp_directory = {lit(os.path.join(self.temp_dir, 'spill'))}")
            self.con.execute("SET preserve_insertion_order = false")
            if threads:
                self.con.execute(f"SET threads = {int(threads)}")
            self.part_bytes = _part_bytes(self.con)
            self._create_tables()
        except BaseException:
            if self._own_temp:
                shutil.rmtree(self.temp_dir, ignore_errors=True)
            raise
        self.workers = max(1, min(WORKERS, int(threads) if threads else WORKERS))
        self.unreadable: list[dict[str, str]] = []
        self.scanned = 0
        self._lock = threading.Lock()
        self._stage_no = 0

    def _create_tables(self) -> None:
        sample = normalized_query(
            DUCKDB,
            self._raw("r", fix=False),
            self.settings,
            f"(SELECT NULL::{_struct_type()} AS r)",
        )
        self.con.execute(f"CREATE TABLE events AS {sample} LIMIT 0")
        self.con.execute(f"CREATE TABLE {LAMBDA_UA_KEYS} (k VARCHAR)")
        self.con.execute(f"CREATE TABLE {LAMBDA_FUNCTION_NAMES} (n VARCHAR)")
        for name, columns in iamfacts.TABLES.items():
            cols = ", ".join(f"{c} {t}" for c, t in columns)
            self.con.execute(f"CREATE TABLE {name} ({cols})")

    def load_facts(self, facts: iamfacts.IamFacts) -> None:
        """Fill the inventory tables (:mod:`fortress.detection.iamfacts`)."""
        for name, rows in facts.rows.items():
            if rows:
                marks = ", ".join("?" for _ in iamfacts.TABLES[name])
                self.con.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)

    def close(self) -> None:
        self.con.close()
        if self._own_temp:
            shutil.rmtree(self.temp_dir, ignore_errors=True)

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------- loading

    @staticmethod
    def _raw(prefix: str, fix: bool) -> dict[str, str]:
        def col(name: str) -> str:
            return f'{prefix}."{name}"' if prefix else f'"{name}"'

        raw = {k: col(k) for k in RECORD_TYPES}
        if fix:
            for name in _JSON:
                raw[name] = _fix_json(col(name))
        raw["_time"] = _time_expr(col("eventTime"))
        return raw

    def _where(self, since: datetime | None, until: datetime | None) -> str:
        parts = []
        if since is not None:
            parts.append(f"_time >= TIMESTAMP {lit(since.strftime('%Y-%m-%d %H:%M:%S'))}")
        if until is not None:
            parts.append(f"_time <= TIMESTAMP {lit(until.strftime('%Y-%m-%d %H:%M:%S'))}")
        return " AND ".join(parts)

    def _source(self, kind: str, files: Sequence[str]) -> tuple[str, dict[str, str]]:
        """The raw records of ``files`` as a struct column ``r`` (slow path, any format)."""
        listing = "[" + ", ".join(lit(f) for f in files) + "]"
        size = RECORDS_MAX_BYTES if kind == "records" else LINE_MAX_BYTES
        fmt = {"records": "auto", "array": "array"}.get(kind, "newline_delimited")
        objects = (
            f"read_json_objects({listing}, format = '{fmt}', maximum_object_size = {size}, "
            "compression = 'auto_detect')"
        )
        if kind == "records":
            recs = f"(SELECT unnest(json_extract(json, '$.Records[*]')) AS rec FROM {objects})"
        else:
            recs = f"(SELECT json AS rec FROM {objects})"
        src = f"(SELECT json_transform(rec, {lit(_shape())}) AS r, 1 AS _i, 1 AS _n FROM {recs})"
        return src, self._raw("r", fix=kind != "records")

    def _stage(
        self,
        con: duckdb.DuckDBPyConnection,
        source: str,
        raw: dict[str, str],
        since: datetime | None,
        until: datetime | None,
    ) -> int:
        """Parse ``source`` once and fill ``events``, ``lambda_ua_keys`` and (prefiltering)
        ``lambda_function_names`` from it. Returns the events added.

        Three steps, so that the costly work touches only the rows that need it:
        1. a stage table holding, for every event, only what is cheap: the raw columns of
           the events that pass :func:`keep_superset` (string tests, no JSON parsing), the
           ``userIdentity`` text of possible Lambda-runtime sessions, the time if a window
           is asked for;
        2. the distinct identities of Lambda-runtime sessions give their access keys;
        3. the candidates get their ``userIdentity`` parsed once, the exact predicates
           decide, and only the kept events are normalized into ``events``.
        """
        with self._lock:
            self._stage_no += 1
            stage, cand = f"stage_{self._stage_no}", f"cand_{self._stage_no}"
        flat = ", ".join(f'{raw[k]} AS "{k}"' for k in RECORD_TYPES)
        fraw = _stage_raw()
        where = self._where(since, until)
        window = f" AND {where}" if where else ""
        when = _time_expr('"eventTime"') if where else "NULL::TIMESTAMP"
        paths = "[" + ", ".join(lit(p) for p in UI_PATHS) + "]"
        if self.prefilter:
            # service invocations: a cheap test, then the exact one on the few candidates
            svc = {**fraw, **{"ui:" + p: f"_s[{i}]" for i, p in enumerate(SERVICE_PATHS, 1)}}
            pre = (
                '"eventSource" = \'lambda.amazonaws.com\' AND "errorCode" IS NULL '
                "AND starts_with(\"eventName\", 'Invoke') "
                'AND contains(CAST("userIdentity" AS VARCHAR), \'"AWSService"\')'
            )
            spaths = "[" + ", ".join(lit(p) for p in SERVICE_PATHS) + "]"
            probe = f'CASE WHEN {pre} THEN json_extract_string("userIdentity", {spaths}) END'
            drop = f"coalesce(_s IS NOT NULL AND {service_invoke_predicate(DUCKDB, svc)}, false)"
            keep = f"{keep_superset(fraw)} AND NOT _d"
        else:
            probe, drop, keep = "NULL::VARCHAR[]", "false", "true"
        lcand = lambda_key_candidate(fraw)
        # without a window, events nobody needs are not even stored: the first event of each
        # file carries the file's count (``_n``)
        useful = "" if where else " WHERE _k OR _lc OR _d OR _i = 1"
        cols = ", ".join(f'CASE WHEN _k THEN "{k}" END AS "{k}"' for k in RECORD_TYPES)
        con.execute(
            f"CREATE TEMP TABLE {stage} AS SELECT {cols}, "
            'CASE WHEN _lc THEN "userIdentity" END AS _lui, '
            'CASE WHEN _d THEN "requestParameters" END AS _frp, '
            'CASE WHEN _d THEN "responseElements" END AS _fre, '
            "CASE WHEN _i = 1 THEN _n END AS _n, _time, _k FROM ("
            f"SELECT *, {keep} AS _k, {lcand} AS _lc FROM ("
            f"SELECT *, {drop} AS _d FROM ("
            f"SELECT {flat}, _i, _n, {when} AS _time, {probe} AS _s FROM {source} f) a) b) c"
            f"{useful}"
        )
        try:
            count = "count(*)" if where else "sum(_n)"
            row = con.execute(f"SELECT {count} FROM {stage} WHERE true{window}").fetchone()
            con.execute(
                f"INSERT INTO {LAMBDA_UA_KEYS} SELECT DISTINCT k FROM (SELECT "
                "json_extract_string(u, '$.accessKeyId') AS k, json_extract_string(u, '$.type') "
                f"AS t FROM (SELECT DISTINCT _lui AS u FROM {stage} "
                f"WHERE _lui IS NOT NULL{window}) d) x WHERE t = 'AssumedRole' AND k IS NOT NULL"
            )
            if self.prefilter:
                fn = function_raw_sql(DUCKDB, "'lambda.amazonaws.com'", "_frp", "_fre")
                con.execute(
                    f"INSERT INTO {LAMBDA_FUNCTION_NAMES} SELECT DISTINCT n FROM (SELECT "
                    f"{FUNCTION_NAME_SQL} AS n FROM (SELECT {fn} AS _fraw FROM (SELECT DISTINCT "
                    f"_frp, _fre FROM {stage} WHERE (_frp IS NOT NULL OR _fre IS NOT NULL){window}"
                    ") d) f) x WHERE n IS NOT NULL"
                )
            timed = "_time, " if where else f"{_time_expr('eventTime')} AS _time, "
            con.execute(
                f"CREATE TEMP TABLE {cand} AS SELECT "
                "* EXCLUDE (_time, _lui, _frp, _fre, _n, _k), "
                f'{timed}json_extract_string("userIdentity", {paths}) AS _u '
                f"FROM {stage} WHERE _k{window}"
            )
            con.execute(f"DROP TABLE {stage}")
            kept = cand
            if self.prefilter:
                exact = keep_predicate(DUCKDB, fraw)
                kept = f"(SELECT * FROM {cand} WHERE {exact} AND NOT {service_invoke_predicate(DUCKDB, fraw)})"
            query = normalized_query(DUCKDB, fraw, self.settings, kept)
            added = con.execute(f"INSERT INTO events {query}").fetchone()
        finally:
            con.execute(f"DROP TABLE IF EXISTS {stage}")
            con.execute(f"DROP TABLE IF EXISTS {cand}")
        with self._lock:
            self.scanned += int(row[0] or 0) if row else 0
        return int(added[0]) if added else 0

    def _insert(
        self, kind: str, files: Sequence[str], since: datetime | None, until: datetime | None
    ) -> int:
        source, raw = self._source(kind, files)
        return self._stage(self.con, source, raw, since, until)

    def _insert_text(
        self,
        con: duckdb.DuckDBPyConnection,
        files: Sequence[str],
        since: datetime | None,
        until: datetime | None,
    ) -> int:
        """Fast path for delivery files: gunzip in Python, one JSON parse per file in DuckDB."""
        temps: list[str] = []
        try:
            plain = []
            for path in files:
                text, temp = _gunzip(path, self.temp_dir)
                plain.append(text)
                if temp:
                    temps.append(text)
            listing = "[" + ", ".join(lit(f) for f in plain) + "]"
            shape = lit('{"Records": [' + _shape() + "]}")
            source = (
                "(SELECT unnest(recs) AS r, generate_subscripts(recs, 1) AS _i, len(recs) AS _n "
                f"FROM (SELECT json_transform(content, {shape}).Records AS recs "
                f"FROM read_text({listing})) t)"
            )
            raw = self._raw("r", fix=False)
            return self._stage(con, source, raw, since, until)
        finally:
            for t in temps:
                os.unlink(t)

    def _fast_batch(
        self, batch: Sequence[str], since: datetime | None, until: datetime | None
    ) -> int | None:
        """One fast-path batch in its own connection; None when it must take the slow path."""
        con = self.con.cursor()
        try:
            return self._insert_text(con, batch, since, until)
        except (duckdb.Error, OSError, zlib.error, _TooLarge, EOFError):
            return None
        finally:
            con.close()

    def load(
        self,
        files: Sequence[InputFile],
        since: datetime | None = None,
        until: datetime | None = None,
        progress: Progress | None = None,
    ) -> int:
        """Load CloudTrail files; returns the number of events added. Bad files are listed
        in ``self.unreadable``, never raised."""
        added = 0
        done = 0
        total = len(files)
        by_kind: dict[str, list[str]] = {}
        for f in files:
            by_kind.setdefault(f.kind, []).append(f.path)
        records = by_kind.pop("records", [])
        if records and self.prefilter and self.fast_reader:
            records, added, done = self._load_fast_reader(records, since, until, progress, total)
        if records:
            batches = [
                records[i : i + FAST_BATCH_FILES] for i in range(0, len(records), FAST_BATCH_FILES)
            ]
            with ThreadPoolExecutor(self.workers) as pool:
                results = pool.map(lambda b: (b, self._fast_batch(b, since, until)), batches)
                for batch, got in results:
                    if got is None:  # a bad file in the batch: the slow path names it
                        got = self._load_batch("records", batch, since, until)
                    added += got
                    done += len(batch)
                    if progress:
                        progress(done, total)
        for kind, paths in by_kind.items():
            step = 1 if kind == "fallback" else BATCH_FILES
            for i in range(0, len(paths), step):
                batch = paths[i : i + step]
                added += self._load_batch(kind, batch, since, until)
                done += len(batch)
                if progress:
                    progress(done, total)
        return added

    def _load_fast_reader(
        self,
        paths: Sequence[str],
        since: datetime | None,
        until: datetime | None,
        progress: Progress | None,
        total: int,
    ) -> tuple[list[str], int, int]:
        """Prefiltered load of delivery files through :mod:`fortress.detection.fastread`:
        worker processes read, count and narrow each file; the kept events (a superset of
        :func:`keep_predicate`) are appended as NDJSON to a temporary file and loaded per
        batch by :meth:`_load_ndjson` (in a thread, while the next batch is read), which
        applies the exact predicates. Returns the files
        the reader could not handle (for the existing path), the events added, files done."""
        odd: list[str] = []
        added = done = 0
        keys: set[str] = set()
        raws: set[str] = set()
        batch_files = 0
        # DuckDB loads one batch in a thread (it releases the GIL) while this thread takes
        # the workers' next files into the other: reading and loading overlap
        loader = ThreadPoolExecutor(1)
        pending: Future[int] | None = None
        temps: list[str] = []

        def new_batch() -> IO[bytes]:
            fd, tmp = tempfile.mkstemp(suffix=".ndjson", dir=self.temp_dir)
            temps.append(tmp)
            return os.fdopen(fd, "wb")

        def flush(out: IO[bytes]) -> None:
            nonlocal pending, added
            out.close()
            if pending is not None:
                added += pending.result()
            pending = loader.submit(self._load_ndjson, temps[-1], True)

        out = new_batch()
        try:
            processes = self.workers if len(paths) >= MIN_FILES_FOR_POOL else 1
            for path, got in fastread.read_all(paths, since, until, processes=processes):
                if got is None:
                    odd.append(path)
                    continue
                with self._lock:
                    self.scanned += got.scanned
                keys |= got.lambda_keys
                raws |= got.function_raws
                if got.ndjson:
                    out.write(got.ndjson)
                    batch_files += 1
                done += 1
                if batch_files >= NDJSON_BATCH_FILES or out.tell() >= NDJSON_BATCH_BYTES:
                    flush(out)
                    out = new_batch()
                    batch_files = 0
                if progress:
                    progress(done, total)
            if out.tell():
                flush(out)
            if pending is not None:
                added += pending.result()
                pending = None
        finally:
            out.close()
            loader.shutdown(wait=True)
            for tmp in temps:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        if keys:
            self.con.execute(
                f"INSERT INTO {LAMBDA_UA_KEYS} SELECT unnest(?::VARCHAR[])", [sorted(keys)]
            )
        if raws:
            self.con.execute(
                f"INSERT INTO {LAMBDA_FUNCTION_NAMES} SELECT DISTINCT n FROM (SELECT "
                f"{FUNCTION_NAME_SQL} AS n FROM (SELECT unnest(?::VARCHAR[]) AS _fraw) f) x "
                "WHERE n IS NOT NULL",
                [sorted(raws)],
            )
        return odd, added, done

    def _load_ndjson(self, path: str, remove: bool = False) -> int:
        """Load the kept events of the fast reader (already counted and windowed): the exact
        predicates of :mod:`fortress.detection.sql` decide, as in :meth:`_stage`, and the
        side tables get what the kept events hold (Lambda-runtime keys, the functions of
        service invocations the reader left to SQL)."""
        with self._lock:
            self._stage_no += 1
            cand = f"ndjson_{self._stage_no}"
        fraw = _stage_raw()
        paths = "[" + ", ".join(lit(p) for p in UI_PATHS) + "]"
        # DuckDB's own NDJSON reader with the columns given: ~5x less CPU than
        # read_json_objects + json_transform, the same values (tests compare the paths)
        columns = "{" + ", ".join(f"{lit(k)}: {lit(v)}" for k, v in RECORD_TYPES.items()) + "}"
        self.con.execute(
            f"CREATE TEMP TABLE {cand} AS SELECT *, {_time_expr('eventTime')} AS _time, "
            f'json_extract_string("userIdentity", {paths}) AS _u FROM read_json('
            f"{lit(path)}, format = 'newline_delimited', columns = {columns}, "
            f"maximum_object_size = {fastread.MAX_RECORD_BYTES})"
        )
        try:
            self.con.execute(
                f"INSERT INTO {LAMBDA_UA_KEYS} SELECT DISTINCT k FROM (SELECT "
                f"{lambda_key_expr(DUCKDB, fraw)} AS k FROM {cand}) x WHERE k IS NOT NULL"
            )
            service = service_invoke_predicate(DUCKDB, fraw)
            fn = function_raw_sql(
                DUCKDB, '"eventSource"', '"requestParameters"', '"responseElements"'
            )
            self.con.execute(
                f"INSERT INTO {LAMBDA_FUNCTION_NAMES} SELECT DISTINCT n FROM (SELECT "
                f"{FUNCTION_NAME_SQL} AS n FROM (SELECT {fn} AS _fraw FROM {cand} "
                f"WHERE {service}) f) x WHERE n IS NOT NULL"
            )
            kept = f"(SELECT * FROM {cand} WHERE {keep_predicate(DUCKDB, fraw)} AND NOT {service})"
            query = normalized_query(DUCKDB, fraw, self.settings, kept)
            added = self.con.execute(f"INSERT INTO events {query}").fetchone()
        finally:
            self.con.execute(f"DROP TABLE IF EXISTS {cand}")
            if remove:
                os.unlink(path)
        return int(added[0]) if added else 0

    def _load_batch(
        self, kind: str, batch: Sequence[str], since: datetime | None, until: datetime | None
    ) -> int:
        if kind != "fallback":
            try:
                return self._insert(kind, batch, since, until)
            except duckdb.Error:
                if len(batch) > 1:
                    return sum(self._load_batch(kind, [p], since, until) for p in batch)
        added = 0
        for path in batch:
            added += self._load_fallback(path, since, until)
        return added

    def _load_fallback(self, path: str, since: datetime | None, until: datetime | None) -> int:
        try:
            parts, _good, bad = convert_fallback(path, self.temp_dir, self.part_bytes)
        except Unreadable as exc:
            self.unreadable.append({"path": path, "reason": str(exc)})
            return 0
        except (OSError, EOFError) as exc:
            self.unreadable.append({"path": path, "reason": f"cannot read ({exc})"})
            return 0
        added = 0
        try:
            for part in parts:
                added += self._insert("jsonl", [part], since, until)
                os.unlink(part)
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0][:200]
            loaded = f"; {added} event(s) before it were loaded" if added else ""
            self.unreadable.append({"path": path, "reason": f"cannot load ({first}){loaded}"})
            return added
        finally:
            for part in parts:
                if os.path.exists(part):
                    os.unlink(part)
        if bad:
            self.unreadable.append(
                {"path": path, "reason": f"{bad} part(s) are not CloudTrail records (skipped)"}
            )
        return added

    def load_records(self, records: Sequence[dict[str, Any]]) -> int:
        """Load records already in memory (tests, LookupEvents pages)."""
        import json

        fd, target = tempfile.mkstemp(suffix=".jsonl", dir=self.temp_dir)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, default=str) + "\n")
        try:
            return self._load_fallback(target, None, None)
        finally:
            if os.path.exists(target):
                os.unlink(target)

    # ------------------------------------------------------------------------- queries

    def count(self) -> int:
        row = self.con.execute("SELECT count(*) FROM events").fetchone()
        return int(row[0]) if row else 0

    def untimed(self) -> int:
        """Stored events whose ``eventTime`` did not parse as a time (``1e30``, garbage)."""
        row = self.con.execute("SELECT count(*) FROM events WHERE event_time IS NULL").fetchone()
        return int(row[0]) if row else 0

    def before(self, moment: datetime) -> int:
        """Stored events earlier than ``moment`` (a baseline's history)."""
        row = self.con.execute(
            "SELECT count(*) FROM events WHERE event_time < ?", [moment.replace(tzinfo=None)]
        ).fetchone()
        return int(row[0]) if row else 0

    def query(self, sql: str) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql)
        names = [c[0] for c in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


__all__ = ["EVENT_COLUMNS", "EventStore"]
