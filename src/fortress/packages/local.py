"""The files of code an IaC template deploys from the local disk: a folder, a zip, inline text.

Every path is held to the scanned root (``realpath`` inside it, so ``CodeUri: ../../etc`` or a
symlink pointing out is refused, not read); only regular files are listed (FIFOs, devices and
symlinks are skipped without being opened); ``.git`` is skipped; the file count and the total
size are capped at Lambda's own limits. A zip is extracted by
:func:`fortress.forensics.archive.safe_extract` into a temporary folder the caller owns, so a
hostile archive (``../`` members, bombs, corrupt or encrypted members) is refused with its reason.
Bad input never raises: :func:`files_of` returns the reason as a string.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from fortress.forensics.archive import ArchiveLimits, UnsafeArchive, safe_extract
from fortress.inventory import CODE_DIR, CODE_INLINE, CODE_ZIP, CodeSource
from fortress.packages.files import PackageFile
from fortress.safeio import within

SKIPPED_DIRS = frozenset({".git", ".hg", ".svn"})


@dataclass(frozen=True)
class LocalLimits:
    max_bytes: int = 250 * 1024 * 1024  # Lambda's unzipped package limit
    max_files: int = 20_000
    max_zip_bytes: int = 50 * 1024 * 1024 * 4  # a zip larger than this is not opened


def _inline_name(runtime: str | None) -> str:
    return "index.js" if runtime and runtime.startswith("nodejs") else "index.py"


def _included(rel: str, patterns: list[str]) -> bool:
    """Serverless ``package.patterns``: everything is in, then each pattern in order includes
    (``glob``) or excludes (``!glob``); the last pattern that matches decides."""
    keep = True
    for pattern in patterns:
        negate = pattern.startswith("!")
        glob = pattern[1:] if negate else pattern
        glob = glob.removeprefix("./")
        if fnmatch.fnmatchcase(rel, glob) or fnmatch.fnmatchcase(rel, glob.rstrip("/") + "/*"):
            keep = not negate
    return keep


def walk(
    folder: Path,
    root: Path,
    limits: LocalLimits,
    patterns: list[str] | None = None,
    layer: str | None = None,
) -> list[PackageFile] | str:
    """The regular files under ``folder`` (which must resolve inside ``root``), or why not."""
    if not within(root, folder):
        return f"{folder} is outside the scanned folder {root}; not read"
    try:
        mode = os.stat(folder).st_mode
    except OSError as exc:
        return f"{folder}: cannot read ({exc.strerror or exc})"
    if not stat.S_ISDIR(mode):
        return f"{folder} is not a folder"
    base = os.path.realpath(folder)
    out: list[PackageFile] = []
    total = 0
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        # os.walk yields paths under ``base`` as given: the relative path is a slice (no
        # relpath/Path per file, which cost more than reading a small file).
        prefix = dirpath[len(base) + 1 :].replace(os.sep, "/")
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            try:
                info = os.lstat(full)
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode):  # symlink, FIFO, socket, device: never opened
                continue
            rel = f"{prefix}/{name}" if prefix else name
            if patterns and not _included(rel, patterns):
                continue
            total += info.st_size
            if len(out) >= limits.max_files:
                return f"{folder}: more than {limits.max_files} files; not analysed"
            if total > limits.max_bytes:
                return f"{folder}: more than {limits.max_bytes} bytes; not analysed"
            out.append(PackageFile(rel, Path(full), info.st_size, layer))
    return out


def _encrypted(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return any(info.flag_bits & 0x1 for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError):
        return False  # safe_extract names the corruption


def unzip(
    archive: Path, root: Path, workdir: Path, limits: LocalLimits, layer: str | None = None
) -> list[PackageFile] | str:
    """Extract ``archive`` (inside ``root``) into a fresh folder under ``workdir``; its files."""
    if not within(root, archive):
        return f"{archive} is outside the scanned folder {root}; not read"
    try:
        info = os.stat(archive)
    except OSError as exc:
        return f"{archive}: cannot read ({exc.strerror or exc})"
    if not stat.S_ISREG(info.st_mode):
        return f"{archive} is not a regular file; not read"
    if info.st_size > limits.max_zip_bytes:
        return f"{archive}: {info.st_size} bytes, over the cap of {limits.max_zip_bytes}"
    real = Path(os.path.realpath(archive))
    if _encrypted(real):
        return f"{archive}: package refused: encrypted members cannot be read"
    target = Path(os.path.realpath(workdir)) / f"zip-{len(list(Path(workdir).iterdir()))}"
    try:
        safe_extract(
            real,
            target,
            ArchiveLimits(max_total_bytes=limits.max_bytes, max_files=limits.max_files),
        )
    except UnsafeArchive as exc:
        return f"{archive}: package refused: {exc.reason}"
    except (OSError, RuntimeError, ValueError, zipfile.BadZipFile) as exc:
        return f"{archive}: package refused: {type(exc).__name__}: {exc}"[:300]
    return walk(target, target, limits, layer=layer)


def files_of(
    code: CodeSource,
    root: Path,
    workdir: Path,
    limits: LocalLimits | None = None,
    *,
    runtime: str | None = None,
    layer: str | None = None,
) -> list[PackageFile] | str:
    """The files of ``code`` as Lambda would mount them, or the reason they cannot be read.

    ``root`` is the folder the scan is held to; ``workdir`` a temporary folder the caller
    owns and removes (zips are extracted and inline code written there).
    """
    limits = limits or LocalLimits()
    if code.kind == CODE_INLINE:
        text = code.inline or ""
        name = _inline_name(runtime)
        target = Path(workdir) / f"inline-{len(list(Path(workdir).iterdir()))}"
        target.mkdir(mode=0o700)
        data = text.encode("utf-8")
        (target / name).write_bytes(data)
        return [PackageFile(name, target / name, len(data), layer)]
    if code.path is None:
        return code.reason or f"no local code ({code.kind})"
    path = Path(code.path)
    if code.kind == CODE_DIR:
        return walk(path, root, limits, code.patterns, layer)
    if code.kind == CODE_ZIP:
        return unzip(path, root, workdir, limits, layer)
    return code.reason or f"no local code ({code.kind})"
