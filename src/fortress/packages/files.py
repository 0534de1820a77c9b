"""PackageFile: one regular file of a package, the unit every package analyser reads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# A text file larger than this is not read by the text analysers (secrets, manifests, code):
# real source files and manifests are far smaller; large files are bundles or data.
MAX_TEXT_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class PackageFile:
    """A file of a function's package or of a layer.

    ``path`` is the POSIX path inside the package as Lambda would mount it (``handler.py``,
    ``python/lib/python3.12/site-packages/x/METADATA``); ``real`` is where the bytes are on disk
    (the extraction cache, or the scanned IaC root). Producers guarantee ``real`` is a regular
    file (no symlink, FIFO or device) inside their root, and ``size`` is its size in bytes.
    """

    path: str
    real: Path
    size: int
    layer: str | None = None  # the layer ARN or IaC id when the file comes from a layer

    def read(self, cap: int = MAX_TEXT_BYTES) -> bytes | None:
        """The file's bytes, or ``None`` when it is larger than ``cap`` or cannot be read."""
        if self.size > cap:
            return None
        try:
            with self.real.open("rb") as handle:
                data = handle.read(cap + 1)
        except OSError:
            return None
        return None if len(data) > cap else data

    def text(self, cap: int = MAX_TEXT_BYTES) -> str | None:
        """The file as UTF-8 text (invalid bytes replaced), or ``None`` (too big, unreadable,
        or binary: a NUL byte in the first 8 KiB)."""
        data = self.read(cap)
        if data is None or b"\x00" in data[:8192]:
            return None
        return data.decode("utf-8", errors="replace")


def from_directory(root: Path, layer: str | None = None) -> Iterator[PackageFile]:
    """Every regular file under ``root`` (symlinks and special files skipped), sorted.

    For tests and trusted trees (an extraction the cache wrote); IaC local code goes through
    the package reader, which also applies the scanned root's containment and caps.
    """
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        yield PackageFile(path.relative_to(root).as_posix(), path, path.stat().st_size, layer)


def by_path(files: Iterable[PackageFile]) -> dict[str, PackageFile]:
    return {f.path: f for f in files}
