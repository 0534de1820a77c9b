"""Hostile packages: path traversal, absolute paths, symlinks, zip bombs, too many files."""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from pathlib import Path

import pytest

from fortress.forensics.archive import ArchiveLimits, UnsafeArchive, list_archive, safe_extract


def write_zip(path: Path, members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            zf.writestr(info, data)
    return path


def test_safe_extract_writes_files_inside_target(tmp_path: Path) -> None:
    package = write_zip(
        tmp_path / "ok.zip", [("app.py", b"print(1)\n"), ("lib/util.py", b"X = 2\n")]
    )
    listing = safe_extract(package, tmp_path / "out")
    assert (tmp_path / "out/app.py").read_bytes() == b"print(1)\n"
    assert (tmp_path / "out/lib/util.py").read_bytes() == b"X = 2\n"
    assert {m.name: m.sha256 for m in listing.members}["app.py"] == hashlib.sha256(
        b"print(1)\n"
    ).hexdigest()
    assert stat.S_IMODE((tmp_path / "out/app.py").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../../escape.py", "path traversal"),
        ("lib/../../escape.py", "path traversal"),
        ("/tmp/escape.py", "absolute path"),
        ("C:/escape.py", "absolute path"),
        ("..\\escape.py", "backslash"),
    ],
)
def test_path_traversal_is_refused_before_writing(tmp_path: Path, name: str, reason: str) -> None:
    package = write_zip(tmp_path / "evil.zip", [("first.py", b"ok"), (name, b"pwned")])
    target = tmp_path / "a" / "b" / "out"
    with pytest.raises(UnsafeArchive) as caught:
        safe_extract(package, target)
    assert reason in caught.value.reason
    assert not list(tmp_path.rglob("escape.py"))
    assert not (target / "first.py").exists()  # names are checked before anything is written
    with pytest.raises(UnsafeArchive):
        list_archive(package)


def test_symlink_member_is_refused(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("config")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    package = write_zip(tmp_path / "link.zip", [(link, b"/etc/passwd")])
    with pytest.raises(UnsafeArchive, match="symbolic link"):
        safe_extract(package, tmp_path / "out")
    assert not (tmp_path / "out" / "config").exists()


def test_zip_bomb_is_refused_by_ratio(tmp_path: Path) -> None:
    package = write_zip(tmp_path / "bomb.zip", [("zeros.bin", b"\0" * (20 * 1024 * 1024))])
    assert package.stat().st_size < 100_000
    with pytest.raises(UnsafeArchive, match="compression ratio"):
        safe_extract(package, tmp_path / "out")
    assert not (tmp_path / "out" / "zeros.bin").exists()
    # A higher ratio cap lets the same package through, so the cap is what refused it.
    listing = list_archive(package, ArchiveLimits(max_ratio=100_000))
    assert listing.total_bytes == 20 * 1024 * 1024


def test_total_size_and_file_count_caps(tmp_path: Path) -> None:
    package = write_zip(
        tmp_path / "many.zip", [(f"f{i}.txt", bytes(range(256)) * 8) for i in range(5)]
    )
    with pytest.raises(UnsafeArchive, match="5 files exceed the cap of 3"):
        list_archive(package, ArchiveLimits(max_files=3))
    with pytest.raises(UnsafeArchive, match="exceeds the cap of 4096"):
        safe_extract(package, tmp_path / "out", ArchiveLimits(max_total_bytes=4096))
    assert len(list_archive(package).members) == 5


def test_not_a_zip_is_refused_cleanly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"this is not a zip" + io.BytesIO(b"x" * 100).getvalue())
    with pytest.raises(UnsafeArchive, match="not a readable zip"):
        list_archive(bad)
