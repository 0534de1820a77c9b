"""Evidence bundles: write-once artifacts with SHA-256 hashes, a manifest, and verification.

A bundle is a directory (or a zip of that directory) holding the artifacts, ``manifest.json``
listing every artifact as ``{path, size, sha256, source, collected_at}``, and
``manifest.sha256`` holding the manifest's own hash (``sha256sum`` format).

Files are created with ``O_EXCL`` (never overwritten) and owner-only permissions (0600 for
files, 0700 for directories).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from fortress import safeio
from fortress.errors import FortressError, InputError

MANIFEST = "manifest.json"
MANIFEST_HASH = "manifest.sha256"
FORMAT = "fortress-evidence-bundle"
FORMAT_VERSION = 1
FILE_MODE = 0o600
DIR_MODE = 0o700
_CHUNK = 1024 * 1024


def utcnow() -> str:
    """Current UTC time, ISO 8601 with a ``Z`` suffix."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def to_json(data: Any) -> bytes:
    """Canonical, readable JSON bytes for an artifact (sorted keys, UTC datetimes)."""
    return (json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n").encode()


def safe_relpath(path: str) -> str:
    """Validate a bundle-relative POSIX path (no absolute paths, no ``..``)."""
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or ".." in pure.parts or "\\" in path or "\x00" in path:
        raise FortressError(f"unsafe artifact path in bundle: {path!r}")
    return pure.as_posix()


def safe_name(text: str) -> str:
    """A single, harmless path component derived from account data (names can be hostile)."""
    cleaned = re.sub(r"[^A-Za-z0-9._+=,@-]", "_", text) or "_"
    return "_" if set(cleaned) <= {"."} else cleaned


def version_dir(version: str) -> str:
    """Folder of a version in the bundle: ``versions/LATEST``, ``versions/3``."""
    return "LATEST" if version == "$LATEST" else safe_name(version)


@dataclass
class Artifact:
    path: str
    size: int
    sha256: str
    source: str
    collected_at: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path,
            "size": self.size,
            "sha256": self.sha256,
            "source": self.source,
            "collected_at": self.collected_at,
        }
        data.update(self.extra)
        return data


class StreamWriter:
    """A write-once artifact being streamed to disk, hashed and counted as it is written."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._hash.update(data)
        self.size += len(data)
        self._handle.write(data)

    def write_line(self, record: Any) -> None:
        """Write one JSON Lines record."""
        self.write(json.dumps(record, sort_keys=True, default=_json_default).encode() + b"\n")

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class BundleWriter:
    """Writes artifacts into a fresh bundle directory and builds the manifest."""

    def __init__(self, root: Path) -> None:
        self.root = root
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise FortressError(f"{root}: output exists and is not an empty directory")
        try:
            root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            os.chmod(root, DIR_MODE)
        except OSError as exc:
            raise FortressError(f"{root}: cannot create the bundle directory: {exc}") from exc
        self.artifacts: list[Artifact] = []
        self._paths: set[str] = set()
        self._finalized = False

    def _open(self, path: str) -> tuple[str, IO[bytes]]:
        if self._finalized:
            raise FortressError("bundle already finalized")
        rel = safe_relpath(path)
        if rel in self._paths or rel in (MANIFEST, MANIFEST_HASH):
            raise FortressError(f"artifact written twice: {rel}")
        target = self.root / rel
        parent = target.parent
        if not parent.exists():
            parent.mkdir(mode=DIR_MODE, parents=True)
            # mkdir's mode is masked by umask and parents get defaults: fix every level.
            current = parent
            while current != self.root:
                os.chmod(current, DIR_MODE)
                current = current.parent
        fd = os.open(
            target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), FILE_MODE
        )
        os.fchmod(fd, FILE_MODE)
        self._paths.add(rel)
        return rel, os.fdopen(fd, "wb")

    def add_bytes(self, path: str, data: bytes, source: str, **extra: Any) -> Artifact:
        rel, handle = self._open(path)
        with handle:
            handle.write(data)
        return self._record(rel, len(data), hashlib.sha256(data).hexdigest(), source, extra)

    def add_json(self, path: str, data: Any, source: str, **extra: Any) -> Artifact:
        return self.add_bytes(path, to_json(data), source, **extra)

    def add_stream(self, path: str, chunks: Iterable[bytes], source: str, **extra: Any) -> Artifact:
        with self.stream(path, source, **extra) as writer:
            for chunk in chunks:
                writer.write(chunk)
        return self.artifacts[-1]

    def stream(self, path: str, source: str, **extra: Any) -> _StreamContext:
        """``with bundle.stream(path, source) as w: w.write(...)`` — recorded on exit."""
        rel, handle = self._open(path)
        return _StreamContext(self, rel, handle, source, extra)

    def _record(
        self, rel: str, size: int, sha: str, source: str, extra: dict[str, Any]
    ) -> Artifact:
        artifact = Artifact(rel, size, sha, source, utcnow(), dict(extra))
        self.artifacts.append(artifact)
        return artifact

    def finalize(self, manifest: dict[str, Any]) -> str:
        """Write ``manifest.json`` (with the artifact list) and ``manifest.sha256``.

        Returns the manifest's hex SHA-256.
        """
        document = dict(manifest)
        document["format"] = FORMAT
        document["format_version"] = FORMAT_VERSION
        document["artifacts"] = [a.to_dict() for a in self.artifacts]
        data = to_json(document)
        digest = hashlib.sha256(data).hexdigest()
        for name, payload in (
            (MANIFEST, data),
            (MANIFEST_HASH, f"{digest}  {MANIFEST}\n".encode()),
        ):
            fd = os.open(self.root / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            os.fchmod(fd, FILE_MODE)
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
        self._finalized = True
        return digest


class _StreamContext:
    def __init__(
        self, bundle: BundleWriter, rel: str, handle: IO[bytes], source: str, extra: dict[str, Any]
    ) -> None:
        self._bundle = bundle
        self._rel = rel
        self._handle = handle
        self._source = source
        self.extra = extra
        self.writer = StreamWriter(handle)

    def __enter__(self) -> StreamWriter:
        return self.writer

    def __exit__(self, *exc: object) -> None:
        self._handle.close()
        self._bundle._record(
            self._rel, self.writer.size, self.writer.sha256, self._source, self.extra
        )


def zip_bundle(directory: Path, target: Path) -> None:
    """Pack a finalized bundle directory into a zip written once with mode 0600."""
    if target.exists():
        raise FortressError(f"{target}: already exists; bundles are never overwritten")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo.from_file(path, path.relative_to(directory).as_posix())
                info.external_attr = (stat.S_IFREG | FILE_MODE) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with path.open("rb") as src, zf.open(info, "w") as dst:
                    while chunk := src.read(_CHUNK):
                        dst.write(chunk)


# --------------------------------------------------------------------------- reading

# A bundle comes from someone we may not trust: every member read is capped while it streams
# (a zip member that unpacks to gigabytes stops at the cap), JSON documents and JSON Lines
# lines have a size cap and a nesting limit, and a folder bundle's files are opened only if
# they are regular files (no symlink, FIFO or device).
MEMBER_MAX_BYTES = 2048 * safeio.MB


def member_cap() -> int:
    """The cap on one member's (decompressed) size: ``FORTRESS_MAX_BUNDLE_MEMBER_MB``."""
    raw = os.environ.get("FORTRESS_MAX_BUNDLE_MEMBER_MB", "").strip()
    try:
        value = float(raw) if raw else 0.0
    except ValueError:
        value = 0.0
    return int(value * safeio.MB) if value > 0 else MEMBER_MAX_BYTES


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else ``{}`` (bundle files can hold anything)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else ``[]``."""
    return value if isinstance(value, list) else []


def _readline(handle: IO[bytes], size: int, label: str) -> bytes:
    try:
        return handle.readline(size)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise FortressError(f"{label}: cannot read ({exc})") from None


class BundleReader:
    """Read access to a bundle directory or a bundle zip."""

    def __init__(self, location: str | Path) -> None:
        self.location = Path(location)
        self._zip: zipfile.ZipFile | None = None
        if self.location.is_dir():
            pass
        elif self.location.is_file():
            try:
                self._zip = zipfile.ZipFile(self.location)
            except (zipfile.BadZipFile, OSError) as exc:
                raise FortressError(
                    f"{self.location}: not a bundle directory or zip ({exc})"
                ) from exc
        else:
            raise FortressError(f"{self.location}: no such bundle")
        if not self.exists(MANIFEST):
            raise FortressError(f"{self.location}: not an evidence bundle (no {MANIFEST})")

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> BundleReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def files(self) -> list[str]:
        """Every regular file in the bundle, as relative POSIX paths."""
        if self._zip is not None:
            return sorted(i.filename for i in self._zip.infolist() if not i.is_dir())
        out = []
        for path in self.location.rglob("*"):
            if path.is_file() or path.is_symlink():
                out.append(path.relative_to(self.location).as_posix())
        return sorted(out)

    def exists(self, path: str) -> bool:
        if self._zip is not None:
            try:
                self._zip.getinfo(path)
            except KeyError:
                return False
            return True
        target = self.location / safe_relpath(path)
        return target.is_file() and not target.is_symlink()

    def open(self, path: str) -> IO[bytes]:
        """A member as a stream, capped at :func:`member_cap` bytes while it is read."""
        rel = safe_relpath(path)
        label = f"{self.location}: {rel}"
        if self._zip is not None:
            try:
                inner: IO[bytes] = self._zip.open(rel)
            except (KeyError, zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
                raise FortressError(f"{label}: cannot read ({exc})") from None
            return safeio.capped(inner, member_cap(), label, "bundle member")
        target = self.location / rel
        if target.is_symlink():
            raise FortressError(f"{self.location}: {rel} is a symbolic link")
        try:
            handle = safeio.open_regular(target, nofollow=True)
        except InputError as exc:
            raise FortressError(f"{label}: {exc.message}") from None
        return safeio.capped(handle, member_cap(), label, "bundle member")

    def read_bytes(self, path: str, max_bytes: int | None = None) -> bytes:
        limit = max_bytes if max_bytes is not None else member_cap()
        with self.open(path) as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise FortressError(
                f"{self.location}: {path} is larger than the {safeio.describe(limit)} cap"
            )
        return data

    def read_json(self, path: str) -> Any:
        try:
            return json.loads(self.read_bytes(path, safeio.cap("json")))
        except RecursionError:
            raise FortressError(f"{self.location}: cannot read {path}: nested too deeply") from None
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise FortressError(f"{self.location}: cannot read {path}: {exc}") from exc

    def iter_jsonl(self, path: str) -> Iterator[dict[str, Any]]:
        """The JSON objects of a JSON Lines member; a bad, huge or deep line is an error
        naming the member and line (lines that are not objects are skipped)."""
        limit = safeio.cap("json")
        with self.open(path) as handle:
            number = 0
            while line := _readline(handle, limit + 1, f"{self.location}: {path}"):
                number += 1
                if len(line) > limit and not line.endswith(b"\n"):
                    raise FortressError(
                        f"{self.location}: {path}:{number}: line larger than the "
                        f"{safeio.describe(limit)} cap"
                    )
                if line.strip():
                    try:
                        value = json.loads(line)
                    except (ValueError, RecursionError) as exc:
                        raise FortressError(
                            f"{self.location}: {path}:{number}: bad JSON line"
                        ) from exc
                    if isinstance(value, dict):
                        yield value

    def hash_file(self, path: str) -> tuple[int, str]:
        digest = hashlib.sha256()
        size = 0
        with self.open(path) as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
        return size, digest.hexdigest()

    @contextlib.contextmanager
    def local_path(self, path: str) -> Iterator[Path]:
        """A filesystem path to an artifact (a private temporary copy for zip bundles)."""
        rel = safe_relpath(path)
        if self._zip is None:
            target = self.location / rel
            if target.is_symlink() or not target.is_file():
                raise FortressError(f"{self.location}: {rel} is missing")
            yield target
            return
        with tempfile.TemporaryDirectory(prefix="fortress-") as tmp:
            copy = Path(tmp) / "artifact"
            with self.open(rel) as src, copy.open("wb") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)
            yield copy

    def manifest(self) -> dict[str, Any]:
        data = self.read_json(MANIFEST)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise FortressError(f"{self.location}: {MANIFEST} is not a Fortress bundle manifest")
        if not isinstance(data.get("function", {}), dict):
            raise FortressError(f"{self.location}: {MANIFEST}: 'function' is not an object")
        return data


# --------------------------------------------------------------------------- verify


@dataclass
class VerifyResult:
    bundle: str
    manifest_ok: bool
    manifest_problem: str | None = None
    checked: int = 0
    modified: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.manifest_ok and not (self.modified or self.missing or self.unexpected)

    def to_dict(self) -> dict[str, Any]:
        return {
            "bundle": self.bundle,
            "intact": self.intact,
            "manifest_ok": self.manifest_ok,
            "manifest_problem": self.manifest_problem,
            "checked": self.checked,
            "modified": self.modified,
            "missing": self.missing,
            "unexpected": self.unexpected,
        }


def verify_bundle(location: str | Path) -> VerifyResult:
    """Recompute every hash; report modified, missing and unexpected files."""
    with BundleReader(location) as reader:
        result = VerifyResult(bundle=str(location), manifest_ok=True)
        manifest_bytes = reader.read_bytes(MANIFEST, safeio.cap("json"))
        actual = hashlib.sha256(manifest_bytes).hexdigest()
        if not reader.exists(MANIFEST_HASH):
            result.manifest_ok = False
            result.manifest_problem = f"{MANIFEST_HASH} is missing"
            result.missing.append(MANIFEST_HASH)
        else:
            recorded = reader.read_bytes(MANIFEST_HASH, 4096).decode("utf-8", "replace").split()
            if not recorded or recorded[0].lower() != actual:
                result.manifest_ok = False
                result.manifest_problem = f"{MANIFEST} does not match {MANIFEST_HASH}"
                result.modified.append(MANIFEST)
        manifest = reader.manifest()
        listed: dict[str, dict[str, Any]] = {}
        for entry in as_list(manifest.get("artifacts")):
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                listed[entry["path"]] = entry
        present = set(reader.files())
        for path, entry in sorted(listed.items()):
            try:
                safe_relpath(path)
            except FortressError:
                result.modified.append(path)
                continue
            if path not in present:
                result.missing.append(path)
                continue
            try:
                size, sha = reader.hash_file(path)
            except (FortressError, OSError, EOFError, zipfile.BadZipFile, zlib.error):
                # over the cap, corrupt, unreadable, not a regular file: not intact
                result.modified.append(path)
                continue
            result.checked += 1
            if sha != entry.get("sha256") or size != entry.get("size"):
                result.modified.append(path)
        for path in sorted(present - set(listed) - {MANIFEST, MANIFEST_HASH}):
            result.unexpected.append(path)
        return result
