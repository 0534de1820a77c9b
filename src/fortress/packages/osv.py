"""Offline vulnerability matching against OSV data.

``VulnDb.load(path)`` reads OSV exports: one ``all.zip`` as
https://osv-vulnerabilities.storage.googleapis.com/<Ecosystem>/all.zip serves it, a folder of
OSV JSON records, or a folder holding several such zips (what ``fortress vulndb update``
stores). ``default_db(cache_dir)`` finds that stored data, or None. ``db.label`` names the data
and its date ("osv 2026-11-30": the newest ``modified`` in the records); ``db.match(deps)``
returns the advisories affecting those dependencies.

Memory stays modest: only the ``affected`` entries are indexed, keyed by (ecosystem,
normalized name), with the few advisory fields a finding shows; whole records are dropped.

A dependency whose version is a declared range (``pinned=False``) is reported with
``may_be_affected=True`` when an affected version may satisfy the range. The approximation:
the versions tried are the version-looking bounds the range itself names (``^4.17.0`` tries
4.17.0) and every version the advisory names (listed ``versions``, ``introduced`` and
``last_affected`` events); the range may be affected when one of them both satisfies the range
and is affected. A range lying wholly inside an affected interval without touching one of those
points is missed — rare, since the lower bound is tried.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from fortress.inventory import Dependency, Vulnerability
from fortress.packages import osv_versions

RECORD_CAP = 4 * 1024 * 1024  # one OSV record; bigger ones are skipped and counted
DEFAULT_CACHE = Path("~/.cache/fortress/osv")
_SEVERITY_WORDS = {
    "critical": "critical",
    "high": "high",
    "moderate": "medium",
    "medium": "medium",
    "low": "low",
}


def normalize_name(ecosystem: str, name: str) -> str:
    """The index key of a package name: PEP 503 for PyPI, lowercase where names are
    case-insensitive (npm, NuGet, Maven coordinates as OSV writes them), as-is elsewhere."""
    eco = ecosystem.split(":", 1)[0].lower()
    if eco == "pypi":
        return re.sub(r"[-_.]+", "-", name).lower()
    if eco in ("npm", "nuget", "maven", "packagist"):
        return name.lower()
    return name


@dataclass(frozen=True)
class _Range:
    type: str  # ECOSYSTEM | SEMVER
    events: tuple[osv_versions.Event, ...]


@dataclass(frozen=True)
class _Advisory:
    ids: tuple[str, ...]
    summary: str
    severity: str
    score: float | None


@dataclass(frozen=True)
class _Entry:
    advisory: _Advisory
    ecosystem: str
    versions: frozenset[str]
    ranges: tuple[_Range, ...]


def cvss_score(vector: str) -> float | None:
    """The CVSS base score of a v2/v3.x/v4 vector (``cvss`` library), None when invalid."""
    try:
        if vector.startswith("CVSS:4"):
            from cvss import CVSS4

            return float(CVSS4(vector).base_score)
        if vector.startswith("CVSS:3"):
            from cvss import CVSS3

            return float(CVSS3(vector).scores()[0])
        from cvss import CVSS2

        return float(CVSS2(vector).scores()[0])
    except Exception:  # the library raises its own CVSSError family and ValueError/KeyError
        return None


def severity_of_score(score: float) -> str:
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    return "low"


def _severity(record: dict[str, object]) -> tuple[str, float | None]:
    best: float | None = None
    rank = {"CVSS_V4": 3, "CVSS_V3": 2, "CVSS_V2": 1}
    chosen = 0
    for item in record.get("severity") or []:  # type: ignore[attr-defined]
        if not isinstance(item, dict):
            continue
        kind, vector = item.get("type"), item.get("score")
        if kind not in rank or not isinstance(vector, str):
            continue
        score = cvss_score(vector)
        if score is not None and rank[kind] > chosen:
            best, chosen = score, rank[kind]
    if best is not None:
        return severity_of_score(best), best
    specific = record.get("database_specific")
    if isinstance(specific, dict) and isinstance(specific.get("severity"), str):
        return _SEVERITY_WORDS.get(specific["severity"].lower(), "unknown"), None
    return "unknown", None


class VulnDb:
    """An index of OSV ``affected`` entries; see the module docstring."""

    def __init__(self) -> None:
        self.index: dict[tuple[str, str], list[_Entry]] = {}
        self.records = 0
        self.withdrawn = 0
        self.rejected = 0  # unreadable, oversized or malformed records
        self.ecosystems: dict[str, int] = {}
        self.newest: str | None = None
        self.mtime: float | None = None
        self.unparseable = 0  # dependency versions the last match could not compare

    @property
    def label(self) -> str:
        if self.newest:
            return f"osv {self.newest[:10]}"
        if self.mtime is not None:
            return f"osv {datetime.fromtimestamp(self.mtime, UTC).date().isoformat()}"
        return "osv (empty)"

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, path: Path) -> VulnDb:
        """Read a zip export, a folder of OSV JSON, or a folder of zips (OSError when absent)."""
        db = cls()
        path = Path(path)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if not child.is_file() or child.is_symlink():
                    continue
                if child.suffix == ".zip":
                    db._load_zip(child)
                elif child.suffix == ".json":
                    db._note_mtime(child)
                    db._add_blob(_read_capped(child))
        elif path.is_file():
            db._load_zip(path)
        else:
            raise FileNotFoundError(f"no OSV data at {path}")
        return db

    def _note_mtime(self, path: Path) -> None:
        with contextlib.suppress(OSError):
            m = path.stat().st_mtime
            self.mtime = m if self.mtime is None else max(self.mtime, m)

    def _load_zip(self, path: Path) -> None:
        self._note_mtime(path)
        try:
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if info.is_dir() or not info.filename.endswith(".json"):
                        continue
                    if info.file_size > RECORD_CAP:
                        self.rejected += 1
                        continue
                    with archive.open(info) as handle:
                        self._add_blob(handle.read(RECORD_CAP + 1))
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ValueError(f"{path.name}: not a readable OSV zip ({exc})") from None

    def _add_blob(self, blob: bytes | None) -> None:
        if blob is None or len(blob) > RECORD_CAP:
            self.rejected += 1
            return
        try:
            record = json.loads(blob)
        except (ValueError, RecursionError):
            self.rejected += 1
            return
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            self.rejected += 1
            return
        self.add(record)

    def add(self, record: dict[str, object]) -> None:
        """Index one OSV record (withdrawn ones are counted and skipped)."""
        self.records += 1
        modified = record.get("modified")
        if isinstance(modified, str) and (self.newest is None or modified > self.newest):
            self.newest = modified
        if record.get("withdrawn"):
            self.withdrawn += 1
            return
        aliases = [a for a in record.get("aliases") or [] if isinstance(a, str)]  # type: ignore[attr-defined]
        severity, score = _severity(record)
        summary = record.get("summary") or record.get("details") or ""
        advisory = _Advisory(
            ids=(str(record["id"]), *aliases),
            summary=str(summary).strip().splitlines()[0][:200] if summary else "",
            severity=severity,
            score=score,
        )
        for affected in record.get("affected") or []:  # type: ignore[attr-defined]
            entry = _entry(advisory, affected)
            if entry is None:
                continue
            eco, name = entry
            self.index.setdefault(name, []).append(eco)
            self.ecosystems[eco.ecosystem] = self.ecosystems.get(eco.ecosystem, 0) + 1

    # ------------------------------------------------------------------ matching

    def match(self, deps: Sequence[Dependency]) -> list[Vulnerability]:
        """The advisories affecting ``deps`` (one Vulnerability per dependency and advisory)."""
        self.unparseable = 0
        found: list[Vulnerability] = []
        for dep in deps:
            key = (_eco_key(dep.ecosystem), normalize_name(dep.ecosystem, dep.name))
            seen: set[str] = set()
            for entry in self.index.get(key, []):
                if entry.advisory.ids[0] in seen:
                    continue
                hit = _match_entry(entry, dep)
                if hit is None:
                    self.unparseable += 1
                    continue
                if hit is False:
                    continue
                seen.add(entry.advisory.ids[0])
                may, fixed = hit
                adv = entry.advisory
                found.append(
                    Vulnerability(
                        ids=list(adv.ids),
                        ecosystem=dep.ecosystem,
                        package=dep.name,
                        version=dep.version,
                        path=dep.path,
                        layer=dep.layer,
                        severity=adv.severity,
                        score=adv.score,
                        fixed=fixed,
                        summary=adv.summary,
                        may_be_affected=may,
                    )
                )
        return found

    def stats(self) -> dict[str, object]:
        return {
            "label": self.label,
            "records": self.records,
            "withdrawn": self.withdrawn,
            "rejected": self.rejected,
            "affected_entries": sum(len(v) for v in self.index.values()),
            "ecosystems": dict(sorted(self.ecosystems.items())),
        }


def _eco_key(ecosystem: str) -> str:
    return ecosystem.strip().lower()


def _entry(advisory: _Advisory, affected: object) -> tuple[_Entry, tuple[str, str]] | None:
    if not isinstance(affected, dict):
        return None
    package = affected.get("package")
    if not isinstance(package, dict):
        return None
    eco, name = package.get("ecosystem"), package.get("name")
    if not isinstance(eco, str) or not isinstance(name, str):
        return None
    ranges: list[_Range] = []
    for r in affected.get("ranges") or []:
        if not isinstance(r, dict) or r.get("type") not in ("ECOSYSTEM", "SEMVER"):
            continue  # GIT ranges name commits, not versions
        events = tuple(_events(r.get("events")))
        if events:
            ranges.append(_Range(str(r["type"]), events))
    versions = frozenset(v for v in affected.get("versions") or [] if isinstance(v, str))
    if not ranges and not versions:
        return None
    entry = _Entry(advisory, eco, versions, tuple(ranges))
    return entry, (_eco_key(eco), normalize_name(eco, name))


def _events(raw: object) -> Iterator[osv_versions.Event]:
    if not isinstance(raw, list):
        return
    for event in raw:
        if not isinstance(event, dict):
            continue
        for kind in ("introduced", "fixed", "last_affected"):
            value = event.get(kind)
            if isinstance(value, str):
                yield kind, value


def _affected(entry: _Entry, version: str) -> tuple[bool, str | None] | None:
    """(affected, first fixed) for one exact version; None when nothing could compare it."""
    if version in entry.versions:
        return True, _fixed_for(entry, version)
    answered = bool(entry.versions) and osv_versions.parse(entry.ecosystem, version) is not None
    for r in entry.ranges:
        inside = osv_versions.in_range(r.type, entry.ecosystem, version, r.events)
        if inside is None:
            continue
        answered = True
        if inside:
            return True, osv_versions.first_fixed(r.type, entry.ecosystem, version, r.events)
    return (False, None) if answered else None


def _fixed_for(entry: _Entry, version: str) -> str | None:
    for r in entry.ranges:
        if osv_versions.in_range(r.type, entry.ecosystem, version, r.events):
            return osv_versions.first_fixed(r.type, entry.ecosystem, version, r.events)
    return None


def _match_entry(entry: _Entry, dep: Dependency) -> tuple[bool, str | None] | Literal[False] | None:
    """(may_be_affected, fixed) on a match, False on none, None when not comparable."""
    if dep.pinned:
        result = _affected(entry, dep.version)
        if result is None:
            return None
        return (False, result[1]) if result[0] else False
    candidates = osv_versions.range_candidates(dep.ecosystem, dep.version) or []
    named = set(entry.versions)
    for r in entry.ranges:
        named.update(v for k, v in r.events if k in ("introduced", "last_affected") and v != "0")
    candidates += [
        v for v in sorted(named) if osv_versions.satisfies(dep.ecosystem, dep.version, v)
    ]
    answered = False
    for cand in candidates:
        result = _affected(entry, cand)
        if result is None:
            continue
        answered = True
        if result[0]:
            return True, result[1]
    return False if answered or candidates else None


def _read_capped(path: Path) -> bytes | None:
    try:
        with path.open("rb") as handle:
            return handle.read(RECORD_CAP + 1)
    except OSError:
        return None


def cache_path(path: Path | None = None) -> Path:
    """Where ``fortress vulndb update`` stores the exports."""
    env = os.environ.get("FORTRESS_OSV_CACHE")
    chosen = path or (Path(env) if env else DEFAULT_CACHE)
    return chosen.expanduser()


def stored_files(directory: Path) -> Iterable[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix == ".zip" and p.is_file())


def default_db(cache_dir: Path | None = None) -> VulnDb | None:
    """The data ``fortress vulndb update`` stored (``cache_dir`` or ~/.cache/fortress/osv/);
    None when there is none (or it cannot be read)."""
    directory = cache_path(cache_dir)
    if not list(stored_files(directory)):
        return None
    try:
        return VulnDb.load(directory)
    except (OSError, ValueError):
        return None


def scan_db(path: Path | None) -> VulnDb | None:
    """The OSV data a scan uses: ``path`` (``--osv-db``) or the cache; None when there is
    none. A ``path`` that cannot be read is a one-line FortressError."""
    from fortress.errors import FortressError

    if path is None:
        return default_db()
    try:
        return VulnDb.load(path)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise FortressError(f"--osv-db {path}: {reason}") from None
