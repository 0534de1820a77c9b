"""The RE2 prefilter of ``scan_text``: it may only skip lines on which no detector matches.

Each case runs the detectors twice, once on the lines the prefilter selects and once on every
line, and the hits must be the same: a prefilter that drops a line with a secret fails here.
"""

from __future__ import annotations

from pathlib import Path

import detect_secrets
import pytest

from fortress.packages import secrets_scan
from fortress.packages.files import PackageFile
from fortress.secrets.detect import candidate_lines, scan_text

# Fake tokens in each detector's format, assembled so no scanner flags this file.
TOKENS = [
    "AKIA" + "Z7QX3JH2LKD9PVWM",
    'aws_secret_key = "' + "Xq3vR8tLm2Pz9Kw4" + "Nb7Yc1Hd6Fj0Gs5Ue8Ai2Ox/" + '"',
    "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "glpat-" + "a1B2c3D4e5F6g7H8i9J0",
    "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "SG." + "a" * 22 + "." + "b" * 43,
    "-----BEGIN " + "RSA PRIVATE KEY-----",
    "eyJhbGciOiJIUzI1NiJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIn0." + "abcDEF123_-",
    "https://user:" + "s3cr3tPassw0rd" + "@db.example.com/x",
    "//registry.npmjs.org/:_authToken=" + "npm_" + "a" * 36,
    "AccountKey=" + "A" * 86 + "==",
    "123456789" + ":" + "AAH" + "x" * 32,
    "M" + "a" * 23 + "." + "b" * 6 + "." + "c" * 27,
    "0123456789abcdef0123456789abcdef" + "-us12",
    "AC" + "0123456789abcdef0123456789abcdef",
    "AKC" + "abcdefghij12",
    'cloudant_password = "' + "abcdefghijklmnopqrstuvwx" + '"',
    'ibm_cloud_iam_api_key = "' + "a" * 44 + '"',
    "https://hooks.slack.com/services/T" + "0000/B0000/" + "x" * 24,
]
# Python's \\s, \\d and \\w are Unicode; RE2's are ASCII: the widened classes must keep these.
SPACES = [" ", "\t", "\u00a0", "\u2003", "\u3000", "\x1c", "\x85"]
KEYWORD_LINES = [
    'password = "hunter2hunter2"',
    'DB_PASS: "correct-horse-battery"',
    "const apiKey = 'k3y-v4lue-long-enough';",
    'CONTRASEÑA = "unaclave-larga"',
]


def both_ways(text: str, keywords: bool) -> tuple[list[object], list[object]]:
    lines = text.splitlines()
    selected = candidate_lines([lines], keywords=keywords)[0]
    fast = scan_text("f.py", text, keywords=keywords, entropy=False, candidates=selected)
    every = set(range(len(lines)))
    slow = scan_text("f.py", text, keywords=keywords, entropy=False, candidates=every)
    return fast, slow


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("space", SPACES)
def test_every_token_format_survives_the_prefilter(token: str, space: str) -> None:
    text = f"x = 1\nv{space}{token}{space}w\n# tail\n"  # the space is the only boundary
    fast, slow = both_ways(text, keywords=False)
    assert fast == slow


def test_the_token_cases_are_real_detections() -> None:
    """Guard for the test above: most of its cases must be found at all, or it proves nothing."""
    for space in SPACES:
        text = f"v{space}" + "AKC" + f"abcdefghij12{space}w\n"
        assert both_ways(text, keywords=False)[1], repr(space)
    found = sum(bool(both_ways(f"{token}\n", keywords=False)[1]) for token in TOKENS)
    assert found >= len(TOKENS) - 3


@pytest.mark.parametrize("line", KEYWORD_LINES)
def test_keyword_lines_survive_the_prefilter(line: str) -> None:
    fast, slow = both_ways(f"import os\n{line}\n", keywords=True)
    assert slow, "the keyword detector should fire on this line"
    assert fast == slow


def test_line_numbers_hold_across_files_and_odd_line_breaks() -> None:
    """Several files prefiltered in one pass (empty ones, \\r, form feeds, NEL) keep their own
    line numbers."""
    token = TOKENS[0]
    texts = [
        "",
        f"a\r\nb\rc\x0c{token}\n",
        "\n\n",
        f"one\u2028two\x85{token}",
        f"{token}",
    ]
    split = [t.splitlines() for t in texts]
    per_file = candidate_lines(split, keywords=False)
    expected = [{i for i, line in enumerate(lines) if token in line} for lines in split]
    for got, want in zip(per_file, expected, strict=True):
        assert want <= got


def test_real_library_code_gives_the_same_hits() -> None:
    """detect-secrets' own sources are full of detector examples: a real-code regression."""
    root = Path(detect_secrets.__file__).parent
    files = sorted(root.rglob("*.py"))
    assert len(files) > 20
    hits = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for keywords in (False, True):
            fast, slow = both_ways(text, keywords=keywords)
            assert fast == slow, path
            hits += len(slow)
    assert hits > 10


def test_libraries_pip_installed_at_the_root_are_vendored(tmp_path: Path) -> None:
    """``pip install -t .`` puts libraries beside the handler; their RECORD says so, and the
    keyword detector (first-party only) then leaves their test values alone."""
    lib = tmp_path / "somelib"
    lib.mkdir()
    (lib / "conf.py").write_text('password = "library-default-pw"\n', encoding="utf-8")
    info = tmp_path / "somelib-1.0.dist-info"
    info.mkdir()
    (info / "RECORD").write_text(
        "somelib/conf.py,sha256=x,30\nsomelib-1.0.dist-info/RECORD,,\n", encoding="utf-8"
    )
    (tmp_path / "app.py").write_text('password = "owner-hardcoded-pw"\n', encoding="utf-8")
    files = [
        PackageFile(p.relative_to(tmp_path).as_posix(), p, p.stat().st_size)
        for p in sorted(tmp_path.rglob("*"))
        if p.is_file()
    ]
    found, _ = secrets_scan.scan(files)
    assert [(s.file, s.line) for s in found] == [("app.py", 1)]
    assert secrets_scan.vendored("somelib/conf.py", secrets_scan.installed_paths(files))
    assert not secrets_scan.vendored("app.py", secrets_scan.installed_paths(files))
