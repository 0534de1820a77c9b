"""Reading the files a Terraform configuration names, as hostile input.

``file()``, ``templatefile()`` and ``fileexists()`` name paths, and so does every ``.tf`` file a
module folder holds. A path must resolve (realpath: no ``..`` or symlink escape; an absolute path
elsewhere is refused) inside one of the folders the scan allows, only a regular file is opened
(never a FIFO, socket or device: ``stat`` before ``open``, ``fstat`` after, and the open does not
block), and at most a cap of bytes is read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

MAX_FILE_BYTES = 1024 * 1024  # file()/templatefile(): larger files are not read


def inside(path: Path, bases: Iterable[Path]) -> Path | None:
    """``path`` resolved, when it lies inside one of ``bases`` (all resolved), else None."""
    resolved = Path(os.path.realpath(path))
    for base in bases:
        root = Path(os.path.realpath(base))
        if resolved == root or root in resolved.parents:
            return resolved
    return None


def read_regular(path: Path, cap: int) -> bytes | str:
    """The bytes of ``path`` if it is a regular file of at most ``cap`` bytes, else why not."""
    try:
        info = os.stat(path)
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if info.st_size > cap:
        return f"larger than {cap} bytes"
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped between stat and open
            return "not a regular file"
        chunks: list[bytes] = []
        left = cap + 1
        while left > 0:
            chunk = os.read(fd, min(left, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > cap:
        return f"larger than {cap} bytes"
    return data


def is_regular(path: Path) -> bool | None:
    """True for a regular file, False when nothing is there, None for anything else."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return False
    except OSError:
        return None
    return True if stat.S_ISREG(info.st_mode) else None
