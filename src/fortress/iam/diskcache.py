"""Best-effort on-disk caches of offline datasets (the IAM action catalogue, AWS managed
policies): a marshal of ``(key, payload)`` under ``~/.cache/fortress``, keyed by the source
files (path, size, mtime) and the Fortress version, so any change gives a new file.

Reading a missing, truncated, corrupt or foreign file gives None (the caller rebuilds);
writing is atomic, and a read-only home or a full disk skips the cache.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/fortress`` or ``~/.cache/fortress``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fortress"


def key(cache_format: int, *paths: Path | None) -> tuple[object, ...]:
    """The key of a cache built from ``paths``: the cache's format, the Fortress version and
    each file's (resolved path, size, mtime), None for a file that is absent. Raises
    ``OSError`` when a file cannot be looked at."""
    from fortress import __version__

    parts: list[object] = [cache_format, __version__]
    for path in paths:
        if path is None or not path.exists():
            parts.append(None)
            continue
        stat = path.stat()
        parts.append((str(path.resolve()), stat.st_size, stat.st_mtime_ns))
    return tuple(parts)


def cache_file(name: str, key: tuple[object, ...]) -> Path:
    """``<cache_dir>/<name>-<digest of key>.marshal``."""
    digest = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
    return cache_dir() / f"{name}-{digest}.marshal"


def read(name: str, key: tuple[object, ...]) -> Any:
    """The payload stored under ``key``, or None."""
    try:
        stored_key, payload = marshal.loads(cache_file(name, key).read_bytes())
    except Exception:  # missing, truncated, corrupt or foreign
        return None
    return payload if stored_key == key else None


def write(name: str, key: tuple[object, ...], payload: Any) -> None:
    """Store ``payload`` (plain marshal-able data) under ``key``, atomically."""
    target = cache_file(name, key)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(marshal.dumps((key, payload)))  # type: ignore[arg-type]
            os.replace(tmp, target)  # atomic: readers see the old file or the new one
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return  # read-only home, full disk...: the cache is an optimisation only
