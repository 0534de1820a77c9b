"""Dependencies recorded inside binary files: Java jars and Go executables.

Each reader takes a :class:`~fortress.packages.files.PackageFile` and yields
``(ecosystem, name, version)`` triples; :mod:`fortress.packages.deps` turns them into
dependencies. Nothing here raises on hostile bytes: an unreadable, corrupt, encrypted or
oversized file yields nothing.

**Java** (ecosystem ``Maven``, name ``group:artifact``): a jar is opened with :mod:`zipfile`
and only its ``META-INF/maven/<group>/<artifact>/pom.properties`` members are read (a shaded
jar carries one per bundled artifact, and each is reported). Before :mod:`zipfile` parses the
central directory its size is read from the end record and refused over
:data:`ZIP_DIRECTORY_CAP` (that size is what the parse costs in memory); at most
:data:`JAR_ENTRIES` entries are examined, members over :data:`POM_CAP` bytes are skipped.
Jars nested inside a jar (Spring Boot ``BOOT-INF/lib``) are not opened: what they bundle is
not reported. A jar without Maven metadata (built by hand, or by Gradle without the Maven
plugin) shows nothing. Loose ``pom.properties`` files (an exploded jar) read the same way.

**Go** (ecosystem ``Go``): the module build info the Go linker embeds, in the format of Go's
``debug/buildinfo``: a 32-byte header at a 16-byte-aligned offset, starting with the 14-byte
magic ``\\xff Go buildinf:``, then the pointer size and a flags byte. When flags has bit 2 set
(Go 1.18 and later) two varint-length-prefixed strings follow the header: the toolchain version
(``go1.21.5``) and the module info, wrapped in two 16-byte sentinels; the module info holds
``path``, ``mod``, ``dep`` and ``=>`` (replacement of the line before) lines, tab-separated.
Each ``dep`` is reported (its replacement when it has one; a replacement by a local directory
has no version and is left out), plus the standard library as ``stdlib`` at the toolchain
version. Versions are written as OSV's Go data writes them: SemVer without the ``v``
(``v0.17.0`` -> ``0.17.0``; ``go1.21.5`` -> ``1.21.5``, ``go1.20`` -> ``1.20.0``,
``go1.21rc2`` -> ``1.21.0-rc.2``). Binaries from before Go 1.18 store two pointers instead,
which would need the executable's segment table to resolve: they are skipped. The magic is
searched with ``mmap`` (the file is never read into memory) in files up to :data:`GO_CAP`
bytes; the strings after the header are read from a bounded window.
"""

from __future__ import annotations

import mmap
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from fortress.packages.files import PackageFile

MAVEN, GO = "Maven", "Go"

ZIP_DIRECTORY_CAP = 16 * 1024 * 1024  # a central directory this big lists ~200k entries
JAR_ENTRIES = 100_000  # entries of one jar examined
POM_CAP = 64 * 1024  # one pom.properties member
POMS_PER_JAR = 2_000  # pom.properties members read from one jar
GO_CAP = 128 * 1024 * 1024  # a Go binary larger than this is not searched
GO_MODINFO_CAP = 4 * 1024 * 1024  # the module info string
_GO_CANDIDATES = 64  # aligned magic occurrences tried before giving up

Triple = tuple[str, str, str]

_POM_MEMBER = re.compile(r"^META-INF/maven/[^/]+/[^/]+/pom\.properties$")
_GO_MAGIC = b"\xff Go buildinf:"
_GO_HEADER = 32
_GO_TAG = re.compile(r"^go(\d+\.\d+)(\.\d+)?(?:(beta|rc)(\d+))?(?:[-+ ].*)?$")
_GO_VERSION = re.compile(r"^v(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)$")


# --------------------------------------------------------------------------- Java


def pom_properties(text: str) -> Triple | None:
    """``(Maven, group:artifact, version)`` from a pom.properties text, or None."""
    values: dict[str, str] = {}
    for raw in text.splitlines()[:200]:
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        match = re.match(r"([A-Za-z]+)\s*[=:]\s*(.*)$", line)
        if match:
            values[match.group(1)] = match.group(2).strip()
    group, artifact, version = (values.get(k, "") for k in ("groupId", "artifactId", "version"))
    if not group or not artifact or not version or any(c in version for c in " /$"):
        return None
    return MAVEN, f"{group}:{artifact}", version


def pom_file(file: PackageFile) -> Iterator[Triple]:
    """A ``pom.properties`` found loose in the tree."""
    data = file.read(POM_CAP)
    if data is not None:
        found = pom_properties(data.decode("utf-8", errors="replace"))
        if found:
            yield found


def _zip_directory_size(path: Path) -> int | None:
    """The size in bytes of a zip's central directory, from its end record (zip64 too);
    None when there is no end record."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            tail_start = max(0, size - (22 + 65535))
            handle.seek(tail_start)
            tail = handle.read()
            at = tail.rfind(b"PK\x05\x06")
            if at < 0 or len(tail) - at < 22:
                return None
            entries, directory = struct.unpack("<HL", tail[at + 10 : at + 16])
            if entries != 0xFFFF and directory != 0xFFFFFFFF:
                return int(directory)
            locator = at - 20  # the zip64 end record locator sits just before the end record
            if locator < 0 or tail[locator : locator + 4] != b"PK\x06\x07":
                return None
            (record_at,) = struct.unpack("<Q", tail[locator + 8 : locator + 16])
            handle.seek(record_at)
            record = handle.read(56)
            if len(record) < 56 or record[:4] != b"PK\x06\x06":
                return None
            (directory64,) = struct.unpack("<Q", record[40:48])
            return int(directory64)
    except (OSError, struct.error, ValueError, OverflowError):
        return None


def jar(file: PackageFile) -> Iterator[Triple]:
    """The Maven artifacts a jar's ``pom.properties`` members name (nested jars unopened)."""
    directory = _zip_directory_size(file.real)
    if directory is None or directory > ZIP_DIRECTORY_CAP:
        return
    found: list[Triple] = []
    try:
        with zipfile.ZipFile(file.real) as archive:
            poms = 0
            for index, info in enumerate(archive.infolist()):
                if index >= JAR_ENTRIES or poms >= POMS_PER_JAR:
                    break
                if not _POM_MEMBER.match(info.filename) or info.file_size > POM_CAP:
                    continue
                poms += 1
                with archive.open(info) as member:
                    data = member.read(POM_CAP + 1)
                if len(data) > POM_CAP:
                    continue
                triple = pom_properties(data.decode("utf-8", errors="replace"))
                if triple:
                    found.append(triple)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError):
        return  # corrupt, truncated, or encrypted (RuntimeError: password required)
    except (NotImplementedError, zlib.error, ValueError, struct.error):
        return  # an unsupported compression method, or a broken stream
    yield from found


# --------------------------------------------------------------------------- Go


def is_elf(file: PackageFile) -> bool:
    data = _read_at(file.real, 0, 4)
    return data == b"\x7fELF"


def go_version(tag: str) -> str | None:
    """The OSV version of a Go toolchain tag (``go1.21.5`` -> ``1.21.5``), None for a
    development build or an unknown shape."""
    match = _GO_TAG.match(tag.strip())
    if not match:
        return None
    minor, patch, pre, number = match.groups()
    version = minor + (patch or ".0")
    return f"{version}-{pre}.{number}" if pre else version


def module_version(version: str) -> str | None:
    """A Go module version without its ``v`` (``v1.2.3`` -> ``1.2.3``); None otherwise
    (``(devel)``, an empty version of a directory replacement)."""
    match = _GO_VERSION.match(version)
    return match.group(1) if match else None


def parse_modinfo(modinfo: str) -> Iterator[tuple[str, str]]:
    """``(module path, version)`` of every ``dep`` line, replacements applied."""
    deps: list[tuple[str, str] | None] = []
    last: int | None = None  # index in deps of the dep a "=>" line may replace
    for line in modinfo.split("\n"):
        fields = line.split("\t")
        if fields[0] == "dep" and len(fields) in (3, 4):
            deps.append((fields[1], fields[2]))
            last = len(deps) - 1
        elif fields[0] == "=>" and len(fields) == 4 and last is not None:
            deps[last] = (fields[1], fields[2])
            last = None
        else:
            last = None
    for entry in deps:
        if entry is None:
            continue
        path, version = entry
        clean = module_version(version)
        if clean and path and " " not in path and not path.startswith((".", "/")):
            yield path, clean


def _uvarint(data: bytes, at: int) -> tuple[int, int] | None:
    """(value, next offset) of the unsigned varint at ``at``; None when malformed."""
    value = shift = 0
    for i in range(at, min(len(data), at + 10)):
        byte = data[i]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i + 1
        shift += 7
    return None


def _read_at(path: Path, offset: int, size: int) -> bytes | None:
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            return handle.read(size)
    except (OSError, ValueError, OverflowError):
        return None


def _go_strings(path: Path, at: int) -> tuple[str, bytes] | None:
    """(toolchain version, raw module info) of the Go 1.18+ header at ``at``."""
    window = _read_at(path, at, _GO_HEADER + 10 + 256)
    if window is None or len(window) < _GO_HEADER + 1 or not window[15] & 2:
        return None  # pre-1.18 pointer format, or truncated
    first = _uvarint(window, _GO_HEADER)
    if first is None or first[0] > 256 or first[1] + first[0] + 1 > len(window):
        return None
    length, start = first
    version = window[start : start + length].decode("ascii", errors="replace")
    if not version.startswith(("go", "devel")):
        return None
    rest = _read_at(path, at + start + length, 10)
    second = _uvarint(rest or b"", 0)
    if second is None or second[0] > GO_MODINFO_CAP:
        return None
    modinfo = _read_at(path, at + start + length + second[1], second[0])
    if modinfo is None or len(modinfo) != second[0]:
        return None
    return version, modinfo


def _go_header(path: Path, size: int) -> tuple[str, bytes] | None:
    try:
        with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m:
            at, tried = m.find(_GO_MAGIC), 0
            while at >= 0 and tried < _GO_CANDIDATES:
                if at % 16 == 0 and size - at >= _GO_HEADER:
                    tried += 1
                    found = _go_strings(path, at)
                    if found is not None:
                        return found
                at = m.find(_GO_MAGIC, at + 1)
    except (OSError, ValueError, OverflowError):
        return None
    return None


def go_binary(file: PackageFile) -> Iterator[Triple]:
    """The modules (and the standard library) a Go 1.18+ executable was built with."""
    if file.size < _GO_HEADER or file.size > GO_CAP:
        return
    found = _go_header(file.real, file.size)
    if found is None:
        return
    tag, modinfo = found
    stdlib = go_version(tag)
    if stdlib:
        yield GO, "stdlib", stdlib
    if len(modinfo) >= 33 and modinfo[-17:-16] == b"\n":  # framed by 16-byte sentinels
        for path, version in parse_modinfo(modinfo[16:-16].decode("utf-8", errors="replace")):
            yield GO, path, version
