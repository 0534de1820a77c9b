"""Offline vulnerability matching against OSV data (contract; the matcher is being built).

``VulnDb.load(path)`` reads OSV exports (zips or folders of OSV JSON); ``default_db(cache_dir)``
finds what ``fortress vulndb update`` stored, or None; ``db.label`` names the data and its date
("osv 2026-11-30"); ``db.match(deps)`` returns the advisories affecting those dependencies.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fortress.inventory import Dependency, Vulnerability


class VulnDb:
    label = "osv (empty)"

    @classmethod
    def load(cls, path: Path) -> VulnDb:
        return cls()

    def match(self, deps: Sequence[Dependency]) -> list[Vulnerability]:
        return []


def default_db(cache_dir: Path | None = None) -> VulnDb | None:
    return None
