"""Safe reading and extraction of (possibly hostile) zip packages.

Nothing is ever written outside the target directory: absolute paths, ``..`` components,
drive letters, backslashes and symbolic links are refused. Reading stops at caps on the total
uncompressed size, the number of files and the compression ratio (zip bombs), and the caps are
enforced on the bytes actually inflated, not on the sizes the archive declares.
"""

from __future__ import annotations

import hashlib
import os
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from fortress.errors import FortressError

_CHUNK = 256 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    max_total_bytes: int = 1024 * 1024 * 1024  # Lambda allows 250 MB unzipped
    max_files: int = 100_000
    max_ratio: float = 200.0  # uncompressed / compressed, per member (>1 MiB) and overall
    ratio_floor_bytes: int = 1024 * 1024  # members smaller than this skip the ratio check


class UnsafeArchive(FortressError):
    """The package was refused; ``reason`` says why (recorded in the manifest)."""

    def __init__(self, archive: str, reason: str) -> None:
        self.archive = archive
        self.reason = reason
        super().__init__(f"{archive}: package refused: {reason}")


@dataclass
class Member:
    name: str
    size: int
    sha256: str
    mode: int | None = None


@dataclass
class ArchiveListing:
    members: list[Member] = field(default_factory=list)
    total_bytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"files": len(self.members), "uncompressed_bytes": self.total_bytes}


def _unsafe_name(name: str) -> str | None:
    if "\x00" in name:
        return "NUL byte in name"
    if "\\" in name:
        return "backslash in name"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    parts = PurePosixPath(name).parts
    if ".." in parts:
        return "path traversal (..)"
    if not parts:
        return "empty name"
    return None


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return bool(mode) and stat.S_ISLNK(mode)


def _check_directory(
    label: str, zf: zipfile.ZipFile, archive_size: int, limits: ArchiveLimits
) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    files = [i for i in infos if not i.is_dir()]
    if len(files) > limits.max_files:
        raise UnsafeArchive(label, f"{len(files)} files exceed the cap of {limits.max_files}")
    declared = 0
    for info in infos:
        problem = _unsafe_name(info.filename)
        if problem:
            raise UnsafeArchive(label, f"{problem}: {info.filename!r}")
        if _is_symlink(info):
            raise UnsafeArchive(label, f"symbolic link: {info.filename!r}")
        declared += info.file_size
        if info.file_size >= limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise UnsafeArchive(
                label, f"compression ratio of {info.filename!r} exceeds {limits.max_ratio:g}"
            )
    if declared > limits.max_total_bytes:
        raise UnsafeArchive(
            label, f"declared size {declared} bytes exceeds the cap of {limits.max_total_bytes}"
        )
    if declared >= limits.ratio_floor_bytes and declared > limits.max_ratio * max(archive_size, 1):
        raise UnsafeArchive(label, f"overall compression ratio exceeds {limits.max_ratio:g}")
    return files


def _inflate(
    label: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, limits: ArchiveLimits
) -> Iterator[bytes]:
    """Yield the member's bytes, enforcing caps on what is actually inflated."""
    produced = 0
    with zf.open(info) as handle:
        while chunk := handle.read(_CHUNK):
            produced += len(chunk)
            if produced > budget:
                raise UnsafeArchive(
                    label, f"uncompressed size exceeds the cap of {limits.max_total_bytes}"
                )
            if produced >= limits.ratio_floor_bytes and produced > limits.max_ratio * max(
                info.compress_size, 1
            ):
                raise UnsafeArchive(
                    label, f"compression ratio of {info.filename!r} exceeds {limits.max_ratio:g}"
                )
            yield chunk


def _open_zip(source: str | Path | IO[bytes], label: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsafeArchive(label, f"not a readable zip archive ({exc})") from exc


def _archive_size(source: str | Path) -> int:
    return os.path.getsize(source)


def iter_members(
    path: str | Path, limits: ArchiveLimits | None = None, *, keep_content_below: int = 0
) -> Iterator[tuple[Member, bytes | None]]:
    """Yield each file member (name, size, SHA-256) safely, without writing anything.

    Members whose size is below ``keep_content_below`` also come with their bytes (for diffs).
    Raises :class:`UnsafeArchive` on a hostile or malformed package.
    """
    limits = limits or ArchiveLimits()
    label = str(path)
    with _open_zip(path, label) as zf:
        files = _check_directory(label, zf, _archive_size(path), limits)
        remaining = limits.max_total_bytes
        try:
            for info in files:
                digest = hashlib.sha256()
                kept: list[bytes] | None = [] if info.file_size < keep_content_below else None
                size = 0
                for chunk in _inflate(label, zf, info, remaining, limits):
                    digest.update(chunk)
                    size += len(chunk)
                    if kept is not None:
                        if size < max(keep_content_below, 1):
                            kept.append(chunk)
                        else:
                            kept = None
                remaining -= size
                mode = (info.external_attr >> 16) or None
                content = b"".join(kept) if kept is not None else None
                yield Member(info.filename, size, digest.hexdigest(), mode), content
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            OSError,
            EOFError,
            ValueError,
            NotImplementedError,
        ) as exc:
            raise UnsafeArchive(label, f"corrupt member ({exc})") from exc


def list_archive(path: str | Path, limits: ArchiveLimits | None = None) -> ArchiveListing:
    listing = ArchiveListing()
    for member, _ in iter_members(path, limits):
        listing.members.append(member)
        listing.total_bytes += member.size
    return listing


def safe_extract(
    path: str | Path, target: str | Path, limits: ArchiveLimits | None = None
) -> ArchiveListing:
    """Extract ``path`` into ``target`` (created, 0700). Never writes outside ``target``.

    Every name is checked before anything is written; sizes and ratios are checked while
    inflating. On refusal :class:`UnsafeArchive` is raised and nothing outside ``target`` has
    been touched (files extracted so far stay inside ``target``).
    """
    limits = limits or ArchiveLimits()
    label = str(path)
    root = Path(target)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    root_real = root.resolve()
    listing = ArchiveListing()
    with _open_zip(path, label) as zf:
        files = _check_directory(label, zf, _archive_size(path), limits)
        remaining = limits.max_total_bytes
        for info in files:
            destination = (root_real / info.filename).resolve()
            if root_real not in destination.parents:
                raise UnsafeArchive(label, f"member escapes the target: {info.filename!r}")
            current = destination.parent
            current.mkdir(mode=0o700, parents=True, exist_ok=True)
            if current.resolve() != current or root_real not in (current / "x").resolve().parents:
                raise UnsafeArchive(label, f"member escapes the target: {info.filename!r}")
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            try:
                fd = os.open(destination, flags, 0o600)
            except FileExistsError as exc:
                raise UnsafeArchive(label, f"duplicate member: {info.filename!r}") from exc
            digest = hashlib.sha256()
            size = 0
            try:
                with os.fdopen(fd, "wb") as out:
                    for chunk in _inflate(label, zf, info, remaining, limits):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
                raise UnsafeArchive(label, f"corrupt member ({exc})") from exc
            remaining -= size
            listing.members.append(Member(info.filename, size, digest.hexdigest()))
            listing.total_bytes += size
    return listing
