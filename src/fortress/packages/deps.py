"""Dependency inventory of a package or layer: every third-party package its files show.

What is read, most trusted first (a dependency seen installed is never also reported from a
manifest range):

- installed metadata — what Lambda actually runs: ``*.dist-info/METADATA`` and
  ``*.egg-info/PKG-INFO`` (PyPI), ``node_modules/<name>/package.json`` (npm);
- lock files of the function's own code — exact versions: ``package-lock.json`` /
  ``npm-shrinkwrap.json`` (v1 to v3, ``dev`` entries left out: they are not deployed),
  ``poetry.lock``, ``uv.lock``, ``Pipfile.lock`` (``default`` only), ``Gemfile.lock``;
- manifests — ``requirements*.txt`` (``==`` pins exact, other specifiers kept as a range) and
  the top-level ``package.json`` dependencies (ranges), matched as "may be affected".

Vendored manifests (a ``requirements.txt`` or lock file inside ``node_modules`` or
``site-packages``) describe how someone else built their library, not what is deployed, and are
ignored. Jars inside Java packages are not opened (a known gap). Malformed files are skipped;
nothing here raises on hostile content except what :mod:`fortress.packages.analyse` records.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Sequence
from email.parser import HeaderParser
from typing import Any
from urllib.parse import quote

from packaging.requirements import InvalidRequirement, Requirement

from fortress.inventory import Dependency
from fortress.packages.files import PackageFile
from fortress.packages.secrets_scan import vendored

PYPI, NPM, RUBYGEMS = "PyPI", "npm", "RubyGems"

_NODE_PACKAGE = re.compile(r"(?:^|/)node_modules/((?:@[^/]+/)?[^/@][^/]*)/package\.json$")
_PY_METADATA = re.compile(r"(?:^|/)[^/]+\.(?:dist-info/METADATA|egg-info/PKG-INFO)$")
_REQUIREMENTS = re.compile(r"(?:^|/)requirements[^/]*\.txt$", re.IGNORECASE)
_GEM_SPEC = re.compile(r"^    ([A-Za-z0-9_.\-]+) \(([^)\s]+)\)$")


def purl(ecosystem: str, name: str, version: str) -> str:
    """The package URL of a pinned dependency (``pkg:npm/%40scope/name@1.0.0``)."""
    kind = {PYPI: "pypi", NPM: "npm", RUBYGEMS: "gem"}[ecosystem]
    if ecosystem == PYPI:
        name = re.sub(r"[-_.]+", "-", name).lower()
    if ecosystem == NPM and name.startswith("@") and "/" in name:
        scope, _, base = name.partition("/")
        return f"pkg:npm/{quote(scope)}/{quote(base)}@{quote(version)}"
    return f"pkg:{kind}/{quote(name)}@{quote(version)}"


def _dep(
    ecosystem: str, name: Any, version: Any, file: PackageFile, pinned: bool = True
) -> Dependency | None:
    if not isinstance(name, str) or not isinstance(version, str):
        return None
    name, version = name.strip(), version.strip()
    if not name or not version or len(name) > 214 or len(version) > 200:
        return None
    return Dependency(
        ecosystem=ecosystem,
        name=name,
        version=version,
        pinned=pinned,
        path=file.path,
        layer=file.layer,
        purl=purl(ecosystem, name, version) if pinned else None,
    )


def _json(file: PackageFile) -> Any:
    text = file.text()
    if text is None:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _toml(file: PackageFile) -> dict[str, Any]:
    text = file.text()
    if text is None:
        return {}
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        return {}


# --------------------------------------------------------------------------- installed


def _python_metadata(file: PackageFile) -> Iterator[Dependency | None]:
    text = file.text(cap=1024 * 1024)
    if text is None:
        return
    headers = HeaderParser().parsestr(text.split("\n\n", 1)[0])
    yield _dep(PYPI, headers.get("Name"), headers.get("Version"), file)


def _node_package(file: PackageFile, folder: str) -> Iterator[Dependency | None]:
    data = _json(file)
    if isinstance(data, dict):
        name = data.get("name") if isinstance(data.get("name"), str) else folder
        yield _dep(NPM, name, data.get("version"), file)


# --------------------------------------------------------------------------- lock files


def _npm_lock(file: PackageFile) -> Iterator[Dependency | None]:
    data = _json(file)
    if not isinstance(data, dict):
        return
    packages = data.get("packages")
    if isinstance(packages, dict):  # lockfileVersion 2 and 3
        for key, entry in packages.items():
            if not key or not isinstance(entry, dict) or entry.get("dev") or entry.get("link"):
                continue
            name = entry.get("name") or key.rsplit("node_modules/", 1)[-1]
            yield _dep(NPM, name, entry.get("version"), file)
        return
    stack = [data.get("dependencies")]  # lockfileVersion 1: nested
    while stack:
        deps = stack.pop()
        if not isinstance(deps, dict):
            continue
        for name, entry in deps.items():
            if isinstance(entry, dict) and not entry.get("dev"):
                yield _dep(NPM, name, entry.get("version"), file)
                stack.append(entry.get("dependencies"))


def _toml_lock(file: PackageFile) -> Iterator[Dependency | None]:
    """poetry.lock and uv.lock: ``[[package]]`` tables with name and version."""
    for entry in _toml(file).get("package") or []:
        if isinstance(entry, dict) and entry.get("category", "main") == "main":
            source = entry.get("source")
            if isinstance(source, dict) and ("editable" in source or "virtual" in source):
                continue  # the project itself
            yield _dep(PYPI, entry.get("name"), entry.get("version"), file)


def _pipfile_lock(file: PackageFile) -> Iterator[Dependency | None]:
    data = _json(file)
    default = data.get("default") if isinstance(data, dict) else None
    if isinstance(default, dict):
        for name, entry in default.items():
            version = entry.get("version") if isinstance(entry, dict) else None
            if isinstance(version, str) and version.startswith("=="):
                yield _dep(PYPI, name, version[2:], file)


def _gemfile_lock(file: PackageFile) -> Iterator[Dependency | None]:
    text = file.text() or ""
    in_specs = False
    for line in text.splitlines():
        if line.strip() == "specs:":
            in_specs = True
            continue
        if in_specs and line and not line.startswith(" "):
            in_specs = False
        match = _GEM_SPEC.match(line) if in_specs else None
        if match:
            yield _dep(RUBYGEMS, match.group(1), match.group(2), file)


# --------------------------------------------------------------------------- manifests


def _requirements(file: PackageFile) -> Iterator[Dependency | None]:
    for raw in (file.text() or "").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-", "git+", "http:", "https:", "file:")):
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        specs = list(req.specifier)
        if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
            yield _dep(PYPI, req.name, specs[0].version, file)
        elif specs:
            yield _dep(PYPI, req.name, str(req.specifier), file, pinned=False)


def _package_json(file: PackageFile) -> Iterator[Dependency | None]:
    data = _json(file)
    deps = data.get("dependencies") if isinstance(data, dict) else None
    if isinstance(deps, dict):
        for name, spec in deps.items():
            exact = isinstance(spec, str) and re.fullmatch(r"=?v?\d+\.\d+\.\d+", spec.strip())
            if exact:
                yield _dep(NPM, name, spec.strip().lstrip("=v"), file)
            elif isinstance(spec, str) and not re.match(r"\w+:|[./~]|\w+/", spec):
                yield _dep(NPM, name, spec, file, pinned=False)  # a semver range


_LOCKS = {
    "package-lock.json": _npm_lock,
    "npm-shrinkwrap.json": _npm_lock,
    "poetry.lock": _toml_lock,
    "uv.lock": _toml_lock,
    "pipfile.lock": _pipfile_lock,
    "gemfile.lock": _gemfile_lock,
}


def _found(file: PackageFile) -> Iterator[Dependency | None]:
    path = file.path
    name = path.rsplit("/", 1)[-1].lower()
    node = _NODE_PACKAGE.search(path)
    if node and not node.group(1).startswith("."):
        return _node_package(file, node.group(1))
    if _PY_METADATA.search(path):
        return _python_metadata(file)
    if vendored(path):
        return iter(())
    if name in _LOCKS:
        return _LOCKS[name](file)
    if _REQUIREMENTS.search(path):
        return _requirements(file)
    if name == "package.json":
        return _package_json(file)
    return iter(())


def inventory(files: Sequence[PackageFile]) -> list[Dependency]:
    """Every third-party package the files show, once per (ecosystem, name, version, layer);
    a range is dropped when the same package is also seen at an exact version."""
    exact: dict[tuple[str, str, str, str | None], Dependency] = {}
    ranges: dict[tuple[str, str, str, str | None], Dependency] = {}
    for file in files:
        for dep in _found(file):
            if dep is None:
                continue
            key = (dep.ecosystem, _key(dep), dep.version, dep.layer)
            (exact if dep.pinned else ranges).setdefault(key, dep)
    pinned_names = {(eco, name, layer) for eco, name, _, layer in exact}
    kept = [d for k, d in ranges.items() if (k[0], k[1], k[3]) not in pinned_names]
    return [*exact.values(), *kept]


def _key(dep: Dependency) -> str:
    if dep.ecosystem == PYPI:
        return re.sub(r"[-_.]+", "-", dep.name).lower()
    return dep.name.lower() if dep.ecosystem == NPM else dep.name
