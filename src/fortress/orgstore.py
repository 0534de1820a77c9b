"""The folder an organization scan writes (``--output-dir``), resumes (``--resume``) and
``fortress merge`` reads: one file per account, each written atomically as it finishes.

* ``<account id>.json`` — a Fortress snapshot of the account (``fortress scan --snapshot``
  reads it alone too), with ``account: {id, name}``;
* ``<account id>.failed.json`` — an account that could not be read (its role could not be
  assumed): the coverage gaps saying why. ``--resume`` tries such an account again, and a
  success removes the file.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fortress import safeio
from fortress.aws.accounts import Account
from fortress.errors import FortressError, InputError
from fortress.findings import CoverageGap
from fortress.inventory import Inventory

FAILURE_FORMAT = "fortress-account-failure"
_SNAPSHOT = re.compile(r"^(\d{12})\.json$")
_FAILED = re.compile(r"^(\d{12})\.failed\.json$")


@dataclass
class Saved:
    account: Account
    inventory: Inventory
    gaps: list[CoverageGap]
    path: Path | None = None


@dataclass
class Entry:
    account: Account
    path: Path
    failed: bool
    gaps: list[CoverageGap]


class Store:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def snapshot_path(self, account_id: str) -> Path:
        return self.folder / f"{account_id}.json"

    def failure_path(self, account_id: str) -> Path:
        return self.folder / f"{account_id}.failed.json"

    def load(self, account_id: str) -> Saved | None:
        """The account's saved snapshot, or None when there is none (or it is unreadable:
        the account is then read again)."""
        path = self.snapshot_path(account_id)
        if not path.is_file():
            return None
        try:
            return read(Entry(Account(account_id), path, False, []))
        except InputError:
            return None

    def save(
        self, account: Account, inventory: Inventory, gaps: list[CoverageGap], started: datetime
    ) -> Path:
        from fortress.sources import snapshot

        path = self.snapshot_path(account.id)
        try:
            snapshot.save(path, inventory, gaps, started, {"id": account.id, "name": account.name})
            self.failure_path(account.id).unlink(missing_ok=True)
        except OSError as exc:
            raise FortressError(f"{path}: cannot write ({exc.strerror or exc})") from None
        return path

    def save_failure(self, account: Account, gaps: list[CoverageGap]) -> None:
        from fortress.sources import snapshot

        document = {
            "format": FAILURE_FORMAT,
            "version": 1,
            "account": {"id": account.id, "name": account.name},
            "coverage_gaps": [g.to_dict() for g in gaps],
        }
        path = self.failure_path(account.id)
        try:
            snapshot.write_atomic(path, json.dumps(document, indent=1, sort_keys=True) + "\n")
        except OSError as exc:
            raise FortressError(f"{path}: cannot write ({exc.strerror or exc})") from None


def read(entry: Entry) -> Saved:
    from fortress.sources import snapshot

    inventory, gaps, meta = snapshot.load_with_account(entry.path)
    name = (meta or {}).get("name") or entry.account.name
    return Saved(Account(entry.account.id, name), inventory, gaps, entry.path)


def entries(paths: list[Path]) -> list[Entry]:
    """The per-account files of each folder (or each snapshot file named directly)."""
    found: list[Entry] = []
    for path in paths:
        if path.is_dir():
            for file in sorted(path.iterdir()):
                entry = _entry(file)
                if entry is not None:
                    found.append(entry)
        elif path.is_file():
            entry = _entry(path)
            if entry is None:
                raise FortressError(
                    f"{path}: not a per-account file (<account id>.json or .failed.json)"
                )
            found.append(entry)
        else:
            raise FortressError(f"{path}: no such folder or file")
    return found


def _entry(path: Path) -> Entry | None:
    if not safeio.is_regular(path):
        return None
    snap = _SNAPSHOT.match(path.name)
    if snap:
        return Entry(Account(snap.group(1)), path, False, [])
    failed = _FAILED.match(path.name)
    if not failed:
        return None
    return _failure(path, failed.group(1))


def _failure(path: Path, account_id: str) -> Entry:
    document: object = None
    with contextlib.suppress(OSError, ValueError, RecursionError):
        document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or document.get("format") != FAILURE_FORMAT:
        raise FortressError(f"{path}: not a Fortress account failure record")
    meta = document.get("account") if isinstance(document.get("account"), dict) else {}
    try:
        gaps = [CoverageGap(**g) for g in document.get("coverage_gaps") or []]
    except TypeError as exc:
        raise FortressError(f"{path}: malformed account failure record ({exc})") from None
    name = str((meta or {}).get("name") or "")
    return Entry(Account(account_id, name), path, True, gaps)
