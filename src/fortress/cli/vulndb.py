"""`fortress vulndb`: fetch OSV exports for offline matching, and show what is stored.

``update`` downloads ``<source>/<Ecosystem>/all.zip`` for each ecosystem, streamed with a size
cap into a temporary file beside the cache, checks it is a zip of OSV records, then atomically
replaces ``<cache>/<Ecosystem>.zip``. ``status`` prints the label and the counts.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fortress.cli.validate import endpoint_url
from fortress.packages import osv

DEFAULT_SOURCE = "https://osv-vulnerabilities.storage.googleapis.com"
DEFAULT_ECOSYSTEMS = "PyPI,npm,Maven,Go,NuGet,RubyGems"  # what packages.deps reads
DOWNLOAD_CAP = 1024 * 1024 * 1024  # 1 GiB per ecosystem export
_CHUNK = 1024 * 1024


def register(sub: Any) -> None:
    parser = sub.add_parser("vulndb", help="OSV vulnerability data for offline package matching")
    actions = parser.add_subparsers(dest="vulndb_command", metavar="ACTION")
    update = actions.add_parser("update", help="download OSV exports into the cache")
    update.add_argument(
        "--ecosystem",
        default=DEFAULT_ECOSYSTEMS,
        help=f"comma-separated OSV ecosystems (default {DEFAULT_ECOSYSTEMS})",
    )
    update.add_argument(
        "--cache-dir", type=Path, default=None, help="default ~/.cache/fortress/osv"
    )
    update.add_argument(
        "--source", type=endpoint_url, default=DEFAULT_SOURCE, help="base URL of the exports"
    )
    update.set_defaults(func=_update)
    status = actions.add_parser("status", help="print what the cache holds")
    status.add_argument("--cache-dir", type=Path, default=None)
    status.set_defaults(func=_status)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _fail(message: str) -> int:
    from fortress.cli import eprint

    eprint(f"fortress: error: {message}")
    return 2


def _update(args: argparse.Namespace) -> int:
    ecosystems = [e.strip() for e in args.ecosystem.split(",") if e.strip()]
    if not ecosystems or any("/" in e or e.startswith(".") for e in ecosystems):
        return _fail(f"--ecosystem {args.ecosystem!r}: give OSV ecosystem names (PyPI,npm,...)")
    directory = osv.cache_path(args.cache_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fail(f"cannot create {directory}: {exc.strerror or exc}")
    failed = 0
    for eco in ecosystems:
        url = f"{args.source.rstrip('/')}/{quote(eco)}/all.zip"
        target = directory / f"{eco}.zip"
        try:
            tmp, nbytes = _download(url, directory)
        except _DownloadError as exc:
            _fail(f"{eco}: {exc}")  # the others are still fetched
            failed += 1
            continue
        try:
            db = osv.VulnDb.load(tmp)
        except (OSError, ValueError) as exc:
            tmp.unlink(missing_ok=True)
            _fail(f"{eco}: {url} is not an OSV export ({exc})")
            failed += 1
            continue
        os.replace(tmp, target)
        print(
            f"stored {eco}: {db.records} records ({db.withdrawn} withdrawn), "
            f"{nbytes / 1e6:.1f} MB, {db.label} -> {target}"
        )
    return 2 if failed else 0


class _DownloadError(Exception):
    pass


def _download(url: str, directory: Path) -> tuple[Path, int]:
    """Stream ``url`` into a temp file in ``directory``: (its path, bytes); _DownloadError."""
    fd, name = tempfile.mkstemp(prefix=".osv-", suffix=".part", dir=directory)
    tmp = Path(name)
    total = 0
    try:
        with os.fdopen(fd, "wb") as out:
            request = urllib.request.Request(url, headers={"User-Agent": "fortress-vulndb"})
            with urllib.request.urlopen(request, timeout=60) as response:
                while chunk := response.read(_CHUNK):
                    total += len(chunk)
                    if total > DOWNLOAD_CAP:
                        raise _DownloadError(f"{url}: larger than {DOWNLOAD_CAP // 2**20} MiB")
                    out.write(chunk)
        if not zipfile.is_zipfile(tmp):
            raise _DownloadError(f"{url}: the response is not a zip")
        return tmp, total
    except urllib.error.HTTPError as exc:
        tmp.unlink(missing_ok=True)
        raise _DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        tmp.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        raise _DownloadError(f"{url}: {reason}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _status(args: argparse.Namespace) -> int:
    directory = osv.cache_path(args.cache_dir)
    files = list(osv.stored_files(directory))
    if not files:
        return _fail(f"no OSV data in {directory}: run `fortress vulndb update`")
    try:
        db = osv.VulnDb.load(directory)
    except (OSError, ValueError) as exc:
        return _fail(str(exc))
    stats = db.stats()
    ecos = ", ".join(f"{k} {v}" for k, v in stats["ecosystems"].items())  # type: ignore[attr-defined]
    print(f"{db.label}: {db.records} records ({db.withdrawn} withdrawn, {db.rejected} unreadable)")
    print(f"affected entries: {stats['affected_entries']} ({ecos or 'none'})")
    print(f"files: {', '.join(f.name for f in files)} in {directory}")
    return 0
