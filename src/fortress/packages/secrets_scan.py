"""Secrets in the text files of a package or layer: file, line, kind and fingerprint, never the value.

The detectors are the ones Fortress uses everywhere (``fortress.secrets.detect``: the maintained
detect-secrets plugins plus our token formats), so a key reads the same in an environment
variable and in code. A package is mostly other people's code, so the scan is tuned for it:

- files that hold no secrets of the function's owner but match detectors all day are skipped:
  lock files, ``.deps.json``, ``RECORD``, minified bundles, source maps, test fixtures inside
  ``node_modules`` and ``site-packages``, binary files (a NUL byte), files over 4 MiB;
- vendored code (``node_modules``, ``site-packages``, ``*.dist-info``, layer runtime folders,
  and the libraries ``pip install -t .`` puts at the package root, known from the ``RECORD`` of
  each ``*.dist-info`` beside them) is searched for token formats only (AWS keys, Stripe, GitHub, private keys, …); the keyword
  detector (``password = "…"``) runs on first-party code only; entropy alone never reports;
- only the lines on which a detector could match are run through the detectors (one RE2 pass
  over the file finds them, see ``fortress.secrets.detect``), which keeps large trees cheap.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from fortress.inventory import PackageSecret
from fortress.packages.files import PackageFile
from fortress.secrets.detect import candidate_lines, scan_text

# Files whose content is data about dependencies (hashes, integrity strings, URLs).
_SKIP_NAMES = frozenset(
    {
        "package-lock.json",
        ".package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "poetry.lock",
        "pipfile.lock",
        "uv.lock",
        "gemfile.lock",
        "composer.lock",
        "go.sum",
        "record",
        "installed-files.txt",
        "license",
        "license.txt",
        "license.md",
    }
)
_SKIP_SUFFIXES = (".deps.json", ".min.js", ".min.mjs", ".min.css", ".map", ".pyc", ".pyi")
# Test fixtures of vendored packages (node_modules/x/test/…, site-packages/x/tests/…).
_VENDORED_TESTS = re.compile(
    r"(?:^|/)(?:node_modules|site-packages)/(?:.+/)?(?:tests?|__tests__|fixtures?|spec)/"
)
_VENDORED = re.compile(
    r"(?:^|/)(?:node_modules|site-packages|dist-packages|vendor|bower_components)/"
    r"|\.dist-info/|\.egg-info/|^(?:python|nodejs|java|ruby)/(?:lib|node_modules|gems)/"
)
# A line this long is generated code (a bundle), not a hand-written assignment.
_BUNDLE_LINE = 5000


def skipped_file(path: str) -> bool:
    """Whether ``path`` (inside the package) is a known false-positive source."""
    name = path.rsplit("/", 1)[-1].lower()
    if name in _SKIP_NAMES:
        return True
    if name.endswith(_SKIP_SUFFIXES):
        return True
    return bool(_VENDORED_TESTS.search(path))


def vendored(path: str, installed: frozenset[str] = frozenset()) -> bool:
    """Whether ``path`` is third-party code installed into the package.

    ``installed`` holds the paths (``requests``, ``six.py``, ``vendor/idna``) that the package's
    ``*.dist-info`` records list as installed by pip; see :func:`installed_paths`.
    """
    if _VENDORED.search(path):
        return True
    if not installed:
        return False
    if path in installed:
        return True
    cut = path.find("/")
    while cut != -1:
        if path[:cut] in installed:
            return True
        cut = path.find("/", cut + 1)
    return False


def installed_paths(files: Sequence[PackageFile]) -> frozenset[str]:
    """The top-level files and folders that pip installed beside each ``*.dist-info``.

    A Lambda package built with ``pip install -t .`` has its libraries at the root, next to the
    handler, with nothing in their path saying they are third-party; the ``RECORD`` (or, for
    eggs, ``top_level.txt``) of each distribution lists what it installed.
    """
    found: set[str] = set()
    for file in files:
        folder, _, name = file.path.rpartition("/")
        if name not in ("RECORD", "top_level.txt"):
            continue
        parent, _, dist = folder.rpartition("/")
        if not dist.endswith((".dist-info", ".egg-info")):
            continue
        text = file.text(cap=4 * 1024 * 1024)
        if text is None:
            continue
        prefix = parent + "/" if parent else ""
        for line in text.splitlines():
            entry = line.split(",", 1)[0].strip().strip('"') if name == "RECORD" else line.strip()
            top = entry.split("/", 1)[0]
            if not top or top.startswith(".") or top == "__pycache__" or top == dist:
                continue
            if name == "top_level.txt" and "/" not in entry and not top.endswith(".py"):
                found.add(prefix + top + ".py")
            found.add(prefix + top)
    return frozenset(found)


# Files are prefiltered together, this many characters at a time: memory stays bounded (a
# batch is held as text, lines and UTF-8 bytes at once), and the RE2 calls stay few.
_BATCH_CHARS = 2 * 1024 * 1024


@dataclass(frozen=True)
class _Text:
    path: str
    lines: list[str]
    first_party: bool
    size: int


def _prepare(file: PackageFile, installed: frozenset[str]) -> _Text | None:
    """The file's lines, or ``None`` when it is not scanned (skipped, binary, a bundle)."""
    if skipped_file(file.path):
        return None
    text = file.text()
    if text is None:
        return None
    first_party = not vendored(file.path, installed)
    lines = text.splitlines()
    if not first_party and max(map(len, lines), default=0) > _BUNDLE_LINE:
        return None
    return _Text(file.path, lines, first_party, len(text))


def _scan_batch(batch: list[_Text]) -> list[PackageSecret]:
    candidates = candidate_lines([t.lines for t in batch], keywords=False)
    own = [i for i, t in enumerate(batch) if t.first_party]
    if own:
        words = candidate_lines([batch[i].lines for i in own], keywords=True, tokens=False)
        for i, extra in zip(own, words, strict=True):
            candidates[i] |= extra
    found: list[PackageSecret] = []
    for text, lines in zip(batch, candidates, strict=True):
        if not lines:
            continue
        hits = scan_text(
            text.path,
            "",
            keywords=text.first_party,
            entropy=False,
            lines=text.lines,
            candidates=lines,
        )
        found.extend(
            PackageSecret(file=text.path, line=h.line or 0, kind=h.kind, fingerprint=h.fingerprint)
            for h in hits
        )
    return found


def scan(files: Sequence[PackageFile]) -> tuple[list[PackageSecret], dict[str, str]]:
    """Every secret in the package's text files, in file order (binary files are not text)."""
    found: list[PackageSecret] = []
    installed = installed_paths(files)
    batch: list[_Text] = []
    size = 0
    for file in files:
        text = _prepare(file, installed)
        if text is None:
            continue
        batch.append(text)
        size += text.size
        if size >= _BATCH_CHARS:
            found.extend(_scan_batch(batch))
            batch, size = [], 0
    if batch:
        found.extend(_scan_batch(batch))
    return found, {}
