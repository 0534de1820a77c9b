"""Secrets in the text files of a package or layer: file, line, kind and fingerprint, never the value.

The detectors are the ones Fortress uses everywhere (``fortress.secrets.detect``: the maintained
detect-secrets plugins plus our token formats), so a key reads the same in an environment
variable and in code. A package is mostly other people's code, so the scan is tuned for it:

- files that hold no secrets of the function's owner but match detectors all day are skipped:
  lock files, ``.deps.json``, ``RECORD``, minified bundles, source maps, test fixtures inside
  ``node_modules`` and ``site-packages``, binary files (a NUL byte), files over 4 MiB;
- vendored code (``node_modules``, ``site-packages``, ``*.dist-info``, layer runtime folders) is
  searched for token formats only (AWS keys, Stripe, GitHub, private keys, …); the keyword
  detector (``password = "…"``) runs on first-party code only; entropy alone never reports;
- a file in which no token pattern occurs anywhere is not scanned line by line (one C-speed
  search per pattern), which keeps vendored trees cheap.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence

from fortress.inventory import PackageSecret
from fortress.packages.files import PackageFile
from fortress.secrets.detect import has_token_candidate, scan_text

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
_SKIP_GLOBS = ("*.deps.json", "*.min.js", "*.min.mjs", "*.min.css", "*.map", "*.pyc", "*.pyi")
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
    if any(fnmatch.fnmatchcase(name, glob) for glob in _SKIP_GLOBS):
        return True
    return bool(_VENDORED_TESTS.search(path))


def vendored(path: str) -> bool:
    """Whether ``path`` is third-party code installed into the package."""
    return bool(_VENDORED.search(path))


def scan_file(file: PackageFile) -> list[PackageSecret] | None:
    """The secrets in one file, or ``None`` when the file is not text (binary, too big)."""
    if skipped_file(file.path):
        return []
    text = file.text()
    if text is None:
        return None
    if not has_token_candidate(text) and vendored(file.path):
        return []
    first_party = not vendored(file.path)
    if not first_party and max((len(line) for line in text.splitlines()), default=0) > _BUNDLE_LINE:
        return []
    hits = scan_text(file.path, text, keywords=first_party, entropy=False)
    return [
        PackageSecret(
            file=file.path, line=hit.line or 0, kind=hit.kind, fingerprint=hit.fingerprint
        )
        for hit in hits
    ]


def scan(files: Sequence[PackageFile]) -> tuple[list[PackageSecret], dict[str, str]]:
    """Every secret in the package's text files, in file order (binary files are not text)."""
    found: list[PackageSecret] = []
    for file in files:
        found.extend(scan_file(file) or [])
    return found, {}
