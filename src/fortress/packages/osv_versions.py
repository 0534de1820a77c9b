"""Version ordering per OSV ecosystem, and the OSV range walk.

PyPI uses PEP 440 (``packaging.version``); npm, Go and OSV ``SEMVER`` ranges use SemVer 2.0
(``semantic_version``). Maven, NuGet, RubyGems and the rest are best effort: PEP 440 when the
string parses as one, else a dotted numeric/alpha key. A version that none of these parse
yields ``None``: it never matches, and the caller counts it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import total_ordering
from typing import Any

import semantic_version
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

_SEMVER_ECOSYSTEMS = frozenset({"npm", "go", "crates.io", "hex", "pub"})
_TOKEN = re.compile(r"\d+|[A-Za-z]+")
# Version-looking tokens inside a declared range (">=4.17.0 <5", "^1.2", "~=2.0").
_RANGE_VERSION = re.compile(r"v?\d+(?:\.[0-9A-Za-z*x]+)*(?:[-+][0-9A-Za-z.-]+)?")

# An event: ("introduced" | "fixed" | "last_affected" | "limit", version string)
Event = tuple[str, str]


@total_ordering
class _Generic:
    """Dotted key for ecosystems without a library here: numbers compare as numbers and
    sort after letters at the same place (so ``1.0-beta`` < ``1.0``-ish is not promised)."""

    def __init__(self, text: str) -> None:
        self.key = tuple(
            (1, int(t), "") if t.isdigit() else (0, 0, t.lower()) for t in _TOKEN.findall(text)
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Generic) and self.key == other.key

    def __lt__(self, other: _Generic) -> bool:
        return self.key < other.key

    def __hash__(self) -> int:
        return hash(self.key)


def parse(ecosystem: str, text: str) -> Any:
    """A comparable version for ``ecosystem``, or None when it does not parse."""
    eco = ecosystem.split(":", 1)[0].lower()
    text = text.strip()
    if not text:
        return None
    if eco == "pypi":
        try:
            return Version(text)
        except InvalidVersion:
            return None
    if eco in _SEMVER_ECOSYSTEMS or eco == "semver":
        try:
            return semantic_version.Version(text[1:] if text[:1] in "vV" else text)
        except ValueError:
            return None
    try:
        return Version(text)
    except InvalidVersion:
        pass
    if not _TOKEN.search(text) or not text[0].isalnum():
        return None
    return _Generic(text)


def parse_for_range(range_type: str, ecosystem: str, text: str) -> Any:
    """SEMVER ranges are SemVer whatever the ecosystem; ECOSYSTEM ranges use the ecosystem."""
    return parse("semver" if range_type == "SEMVER" else ecosystem, text)


def in_range(range_type: str, ecosystem: str, version: str, events: Sequence[Event]) -> bool | None:
    """Whether ``version`` falls in the range ``events`` describe (OSV schema evaluation).

    None when the version or an event does not parse: the answer is not known.
    """
    v = parse_for_range(range_type, ecosystem, version)
    if v is None:
        return None
    parsed: list[tuple[int, Any, str]] = []
    for kind, value in events:
        if kind == "introduced" and value == "0":
            parsed.append((0, None, kind))
            continue
        p = parse_for_range(range_type, ecosystem, value)
        if p is None:
            return None
        parsed.append((1, p, kind))
    parsed.sort(key=lambda e: (e[0], e[1]) if e[1] is not None else (0, 0))
    affected = False
    for _, point, kind in parsed:
        if kind == "introduced":
            if point is None or v >= point:
                affected = True
        elif kind == "fixed":
            if point is not None and v >= point:
                affected = False
        elif kind == "last_affected" and point is not None and v > point:
            affected = False
    return affected


def first_fixed(
    range_type: str, ecosystem: str, version: str, events: Sequence[Event]
) -> str | None:
    """The lowest ``fixed`` event above ``version`` (or the first fixed when not comparable)."""
    v = parse_for_range(range_type, ecosystem, version)
    fixes = [value for kind, value in events if kind == "fixed"]
    best: tuple[Any, str] | None = None
    for value in fixes:
        p = parse_for_range(range_type, ecosystem, value)
        if p is None or v is None or p <= v:
            continue
        if best is None or p < best[0]:
            best = (p, value)
    if best is not None:
        return best[1]
    return fixes[0] if fixes else None


def range_candidates(ecosystem: str, declared: str) -> list[str] | None:
    """Versions that a declared range admits, among the version-looking tokens it names.

    The approximation behind ``may_be_affected``: a range may be affected when one of these
    candidates, or a version the advisory names (see :func:`satisfies`), is affected. Returns
    None when the range cannot be read at all.
    """
    tokens = [t.lstrip("vV") for t in _RANGE_VERSION.findall(declared)]
    tokens = [t.replace(".*", ".0").replace(".x", ".0").replace(".X", ".0") for t in tokens]
    out: list[str] = []
    for token in tokens:
        # pad "1.2" to "1.2.0" for SemVer
        parts = token.split("-", 1)
        nums = parts[0].split(".")
        while len(nums) < 3:
            nums.append("0")
        full = ".".join(nums) + (f"-{parts[1]}" if len(parts) > 1 else "")
        for cand in (token, full):
            if satisfies(ecosystem, declared, cand) and cand not in out:
                out.append(cand)
    return out


def satisfies(ecosystem: str, declared: str, version: str) -> bool:
    """Whether ``version`` is inside the declared range (PEP 440 specifiers for PyPI, npm
    ranges for npm; elsewhere only an exact pin is understood)."""
    eco = ecosystem.split(":", 1)[0].lower()
    if eco == "pypi":
        try:
            spec = SpecifierSet(declared.strip() or ">=0")
            return spec.contains(Version(version), prereleases=True)
        except (InvalidSpecifier, InvalidVersion):
            return False
    if eco == "npm":
        try:
            npm = semantic_version.NpmSpec(declared.strip() or "*")
            return npm.match(semantic_version.Version(version))
        except ValueError:
            return False
    return declared.strip().lstrip("=v ") == version
