"""The shared safe reader: regular files only (no blocking on FIFOs), size and gunzip caps."""

from __future__ import annotations

import gzip
import os
import threading
from pathlib import Path

import pytest

from fortress import safeio
from fortress.errors import InputError


def _no_hang(fn: object, *args: object) -> object:
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it blocks."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = fn(*args)  # type: ignore[operator]
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(20)
    assert not thread.is_alive(), "the read blocked"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box.get("value")


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="FIFO"):
        _no_hang(safeio.open_regular, fifo)
    assert safeio.not_regular_reason(fifo) == "a FIFO (named pipe), not a regular file"
    assert not safeio.is_regular(fifo)


def test_a_symlink_to_dev_zero_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "x.yaml"
    link.symlink_to("/dev/zero")
    with pytest.raises(InputError, match="character device"):
        safeio.read_bytes(link, 1024)


def test_nofollow_refuses_a_symlink_to_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "real.json").write_text("{}")
    (tmp_path / "link.json").symlink_to(tmp_path / "real.json")
    assert safeio.read_bytes(tmp_path / "link.json", 10) == b"{}"
    with pytest.raises(InputError, match="symbolic link"):
        safeio.open_regular(tmp_path / "link.json", nofollow=True)


def test_size_cap_on_the_bytes_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.yaml"
    path.write_bytes(b"a" * 2048)
    assert len(safeio.read_bytes(path, 2048)) == 2048
    with pytest.raises(InputError, match="larger than the 2047 bytes cap"):
        safeio.read_bytes(path, 2047)
    monkeypatch.setenv("FORTRESS_MAX_TEMPLATE_MB", "0.001")  # 1,048 bytes
    with pytest.raises(InputError, match="template is larger than"):
        safeio.read_template(path)
    with pytest.raises(InputError, match="template is larger than"):
        safeio.check_template(path)
    monkeypatch.delenv("FORTRESS_MAX_TEMPLATE_MB")
    assert safeio.read_template(path) == "a" * 2048
    assert safeio.cap("template") == 20 * safeio.MB


def test_gzip_bomb_stops_at_the_cap_while_streaming(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(b" " * (8 * safeio.MB)))  # ~8 KB on disk
    with safeio.open_maybe_gzip(bomb, gzip_limit=safeio.MB) as handle:
        read = 0
        with pytest.raises(InputError, match="decompressed gzip data is larger than the 1 MB"):
            while chunk := handle.read(64 * 1024):
                read += len(chunk)
    assert read <= safeio.MB
    with safeio.open_maybe_gzip(bomb, gzip_limit=16 * safeio.MB) as handle:
        assert len(handle.read()) == 8 * safeio.MB


def test_plain_files_pass_through_open_maybe_gzip(tmp_path: Path) -> None:
    plain = tmp_path / "a.json"
    plain.write_bytes(b'{"a": 1}')
    with safeio.open_maybe_gzip(plain) as handle:
        assert handle.read() == b'{"a": 1}'


def test_within_resolves_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "escape").symlink_to("/etc")
    assert safeio.within(root, "sub/file.txt")
    assert safeio.within(root, root / "sub")
    assert not safeio.within(root, "../outside.txt")
    assert not safeio.within(root, "/etc/passwd")
    assert not safeio.within(root, "escape/passwd")
    assert not safeio.within(root, str(tmp_path / "rootx"))  # a sibling sharing the prefix


def test_template_bytes_must_be_utf8(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_bytes(b'locals {\n  a = "caf\xe9"\n}\n')
    with pytest.raises(InputError, match=r"main\.tf:2: not UTF-8 text \(byte 0xe9\)"):
        safeio.read_template_bytes(path)
    path.write_bytes('locals {\n  a = "café"\n}\n'.encode())
    assert safeio.read_template_bytes(path).startswith(b"locals")
