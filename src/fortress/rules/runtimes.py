"""Lambda runtime lifecycle data: identifiers, deprecation and block dates.

Reads the packaged, dated data file ``fortress/data/runtimes.json`` (compiled from the AWS
Lambda runtimes documentation; its ``compiled`` field says when). Loaded once, then cached.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

from fortress.errors import FortressError

DATA_FILE = "runtimes.json"


@dataclass(frozen=True)
class RuntimeInfo:
    identifier: str  # e.g. "python3.12"
    name: str  # e.g. "Python 3.12"
    family: str  # nodejs | python | java | dotnet | ruby | go | provided
    deprecated: date | None  # phase 1: no more security patches (None = not announced)
    block_create: date | None  # creating functions with the runtime is rejected from this day
    block_update: date | None  # updating functions with the runtime is rejected from this day
    upgrade_to: str | None  # newest runtime of the family when the data was compiled

    def is_deprecated(self, as_of: date) -> bool:
        return self.deprecated is not None and as_of >= self.deprecated


@dataclass(frozen=True)
class RuntimeTable:
    compiled: date
    sources: tuple[str, ...]
    runtimes: dict[str, RuntimeInfo]


def _date(value: Any, where: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise FortressError(f"{DATA_FILE}: {where}: {value!r} is not a YYYY-MM-DD date") from None


def parse_table(doc: Any) -> RuntimeTable:
    """Validate and convert the JSON document (raises FortressError naming the bad entry)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("runtimes"), list):
        raise FortressError(f"{DATA_FILE}: expected an object with a 'runtimes' list")
    compiled = _date(doc.get("compiled"), "compiled")
    if compiled is None:
        raise FortressError(f"{DATA_FILE}: 'compiled' date is missing")
    table: dict[str, RuntimeInfo] = {}
    for i, entry in enumerate(doc["runtimes"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("identifier"), str):
            raise FortressError(f"{DATA_FILE}: runtimes[{i}] has no identifier")
        rid = entry["identifier"]
        table[rid] = RuntimeInfo(
            identifier=rid,
            name=str(entry.get("name") or rid),
            family=str(entry.get("family") or ""),
            deprecated=_date(entry.get("deprecated"), f"{rid}.deprecated"),
            block_create=_date(entry.get("block_create"), f"{rid}.block_create"),
            block_update=_date(entry.get("block_update"), f"{rid}.block_update"),
            upgrade_to=entry.get("upgrade_to")
            if isinstance(entry.get("upgrade_to"), str)
            else None,
        )
    return RuntimeTable(compiled, tuple(str(s) for s in doc.get("sources", [])), table)


@lru_cache(maxsize=1)
def runtime_table() -> RuntimeTable:
    try:
        text = resources.files("fortress.data").joinpath(DATA_FILE).read_text(encoding="utf-8")
        doc = json.loads(text)
    except (OSError, ValueError) as err:
        raise FortressError(f"{DATA_FILE}: cannot read packaged runtime data: {err}") from None
    return parse_table(doc)


def runtime_info(identifier: str) -> RuntimeInfo | None:
    """Lifecycle of a Lambda runtime identifier, or None when Fortress does not know it."""
    return runtime_table().runtimes.get(identifier.strip().lower())


__all__ = ["RuntimeInfo", "RuntimeTable", "parse_table", "runtime_info", "runtime_table"]
