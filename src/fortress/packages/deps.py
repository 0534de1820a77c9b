"""Dependency inventory of a package or layer: every third-party package its files show.

What is read, most trusted first (a dependency seen installed is never also reported from a
manifest range):

- installed metadata — what Lambda actually runs: ``*.dist-info/METADATA`` and
  ``*.egg-info/PKG-INFO`` (PyPI), ``node_modules/<name>/package.json`` (npm), .NET
  ``*.deps.json`` (NuGet ``package`` libraries; ``project`` entries are the app itself);
- binaries (:mod:`fortress.packages.binaries`): ``*.jar`` files and loose ``pom.properties``
  (Maven, from ``META-INF/maven/…/pom.properties``; jars nested in a jar are not opened), and
  Go executables — ``bootstrap``, any ELF file at the package root or in a layer's
  ``extensions/`` — whose embedded module build info (Go 1.18+) names each module and the
  toolchain (``stdlib``);
- lock files of the function's own code — exact versions: ``package-lock.json`` /
  ``npm-shrinkwrap.json`` (v1 to v3, ``dev`` entries left out: they are not deployed),
  ``yarn.lock`` (v1 and berry; ``workspace:``/``link:``/``portal:``/``file:`` resolutions are
  local code, ``patch:`` ones repeat their base package), ``pnpm-lock.yaml`` (lockfile 5.x,
  6.x and 9.x; ``dev: true`` entries left out), ``poetry.lock``, ``uv.lock``, ``Pipfile.lock``
  (``default`` only), ``Gemfile.lock``. A yarn lock and a pnpm 9 lock do not say which entries
  are development-only: all of theirs are reported;
- manifests — ``requirements*.txt`` (``==`` pins exact, other specifiers kept as a range) and
  the top-level ``package.json`` dependencies (ranges), matched as "may be affected".

Vendored manifests (a ``requirements.txt`` or lock file inside ``node_modules`` or
``site-packages``) describe how someone else built their library, not what is deployed, and are
ignored; jars and Go binaries are deployed wherever they sit and are always read. Every read is
capped; malformed files and entries are skipped, and nothing here raises on hostile content
except what :mod:`fortress.packages.analyse` records.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from email.parser import HeaderParser
from typing import Any
from urllib.parse import quote

import yaml
from packaging.requirements import InvalidRequirement, Requirement

from fortress.inventory import Dependency
from fortress.packages import binaries
from fortress.packages.files import PackageFile
from fortress.packages.secrets_scan import vendored

PYPI, NPM, RUBYGEMS, NUGET = "PyPI", "npm", "RubyGems", "NuGet"
MAVEN, GO = binaries.MAVEN, binaries.GO
_KINDS = {PYPI: "pypi", NPM: "npm", RUBYGEMS: "gem", NUGET: "nuget", MAVEN: "maven", GO: "golang"}

_NODE_PACKAGE = re.compile(r"(?:^|/)node_modules/((?:@[^/]+/)?[^/@][^/]*)/package\.json$")
_PY_METADATA = re.compile(r"(?:^|/)[^/]+\.(?:dist-info/METADATA|egg-info/PKG-INFO)$")
_REQUIREMENTS = re.compile(r"(?:^|/)requirements[^/]*\.txt$", re.IGNORECASE)
_GEM_SPEC = re.compile(r"^    ([A-Za-z0-9_.\-]+) \(([^)\s]+)\)$")
_POM_PROPERTIES = re.compile(r"(?:^|/)META-INF/maven/[^/]+/[^/]+/pom\.properties$")
_GO_EXECUTABLE = re.compile(r"^(?:[^/]+|extensions/[^/]+)$")
# yarn/pnpm resolutions that are the project's own code, or repeat another entry (patch:).
_LOCAL_PROTOCOLS = ("workspace:", "link:", "portal:", "file:", "patch:", "exec:")


def purl(ecosystem: str, name: str, version: str) -> str:
    """The package URL of a pinned dependency (``pkg:npm/%40scope/name@1.0.0``).

    Maven names ``group:artifact`` become ``pkg:maven/group/artifact@v``; a Go module path
    keeps its slashes and its case (``pkg:golang/github.com/x/y@v1.2.3``: the version gets the
    ``v`` Go writes and OSV leaves out; the toolchain is ``pkg:golang/stdlib@v1.21.5``).
    """
    kind = _KINDS[ecosystem]
    if ecosystem == PYPI:
        name = re.sub(r"[-_.]+", "-", name).lower()
    if ecosystem == NPM and name.startswith("@") and "/" in name:
        scope, _, base = name.partition("/")
        return f"pkg:npm/{quote(scope)}/{quote(base)}@{quote(version)}"
    if ecosystem == MAVEN and ":" in name:
        group, _, artifact = name.partition(":")
        return f"pkg:maven/{quote(group, safe='')}/{quote(artifact, safe='')}@{quote(version)}"
    if ecosystem == GO:
        path = "/".join(quote(part, safe="") for part in name.split("/"))
        return f"pkg:golang/{path}@{quote('v' + version)}"
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


def _yaml(file: PackageFile) -> Any:
    """A YAML file through the safe loader (libyaml's when present), or None."""
    text = file.text()
    if text is None:
        return None
    try:
        return yaml.load(text, Loader=_SAFE_LOADER)  # SafeLoader or CSafeLoader: no objects
    except (yaml.YAMLError, RecursionError, ValueError, TypeError):
        return None


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def _spec_name(spec: str) -> tuple[str, str] | None:
    """``(name, range)`` of a ``name@range`` descriptor (``@scope/x@^1`` keeps its scope);
    an npm alias (``alias@npm:real@^1``) gives the real package."""
    spec = spec.strip().strip('"').strip()
    at = spec.find("@", 1)
    if at <= 0:
        return None
    name, rng = spec[:at], spec[at + 1 :]
    if rng.startswith("npm:") and rng.find("@", 5) > 0:
        return _spec_name(rng[4:])
    return name, rng


def _yarn_lock(file: PackageFile) -> Iterator[Dependency | None]:
    text = file.text() or ""
    if re.search(r"^\"?__metadata\"?:", text, re.MULTILINE):
        yield from _yarn_berry(file)
        return
    current: tuple[str, str] | None = None  # yarn v1: "a@^1", a@~1.1: then "  version ..."
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if not line[0].isspace():  # a header: the entry's descriptors, the first names it
            header = line.rstrip()
            current = _spec_name(header[:-1].split(",", 1)[0]) if header[-1] == ":" else None
            continue
        match = re.match(r"  version:? \"?([^\"\s]+)\"?\s*$", line)
        if match and current is not None:
            name, rng = current
            if not rng.startswith(_LOCAL_PROTOCOLS):
                yield _dep(NPM, name, match.group(1), file)
            current = None


def _yarn_berry(file: PackageFile) -> Iterator[Dependency | None]:
    data = _yaml(file)
    if not isinstance(data, dict):
        return
    for key, entry in data.items():
        if key == "__metadata" or not isinstance(key, str) or not isinstance(entry, dict):
            continue
        resolution = entry.get("resolution")
        parsed = _spec_name(resolution if isinstance(resolution, str) else key.split(",", 1)[0])
        if parsed is None or parsed[1].startswith(_LOCAL_PROTOCOLS):
            continue
        yield _dep(NPM, parsed[0], entry.get("version"), file)


def _pnpm_key(key: str, major: int) -> tuple[str, str] | None:
    """``(name, version)`` of a pnpm ``packages`` key: ``/name/1.2.3_peers`` (lockfile 5),
    ``/name@1.2.3(peer@1)`` (6), ``name@1.2.3`` (9); scoped names keep their scope."""
    key = key.removeprefix("/")
    if major < 6:
        parts = key.split("/")
        scoped = key.startswith("@")
        if len(parts) < (3 if scoped else 2):
            return None
        name = "/".join(parts[:2]) if scoped else parts[0]
        version = parts[2 if scoped else 1].split("_", 1)[0]
    else:
        parsed = _spec_name(key.split("(", 1)[0])
        if parsed is None:
            return None
        name, version = parsed
    if not re.fullmatch(r"\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?", version):
        return None  # a tarball, git or local source: no registry version
    return name, version


def _pnpm_lock(file: PackageFile) -> Iterator[Dependency | None]:
    data = _yaml(file)
    if not isinstance(data, dict) or not isinstance(data.get("packages"), dict):
        return
    try:
        major = int(float(str(data.get("lockfileVersion", "6")).split(".", 1)[0]))
    except (ValueError, OverflowError):
        return
    for key, entry in data["packages"].items():
        entry = entry if isinstance(entry, dict) else {}
        if not isinstance(key, str) or entry.get("dev") is True:
            continue
        if isinstance(entry.get("name"), str) and isinstance(entry.get("version"), str):
            yield _dep(NPM, entry["name"], entry["version"], file)  # a tarball or git source
            continue
        parsed = _pnpm_key(key, major)
        if parsed:
            yield _dep(NPM, parsed[0], parsed[1], file)


def _deps_json(file: PackageFile) -> Iterator[Dependency | None]:
    """.NET ``*.deps.json``: ``libraries`` entries ``"Name/Version": {"type": "package"}``."""
    data = _json(file)
    libraries = data.get("libraries") if isinstance(data, dict) else None
    if isinstance(libraries, dict):
        for key, entry in libraries.items():
            if isinstance(entry, dict) and entry.get("type") == "package" and "/" in key:
                name, _, version = key.partition("/")
                yield _dep(NUGET, name, version, file)


def _binary(
    file: PackageFile, triples: Iterable[tuple[str, str, str]]
) -> Iterator[Dependency | None]:
    for ecosystem, name, version in triples:
        yield _dep(ecosystem, name, version, file)


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
    "yarn.lock": _yarn_lock,
    "pnpm-lock.yaml": _pnpm_lock,
}


def _found(file: PackageFile) -> Iterator[Dependency | None]:
    path = file.path
    name = path.rsplit("/", 1)[-1].lower()
    node = _NODE_PACKAGE.search(path)
    if node and not node.group(1).startswith("."):
        return _node_package(file, node.group(1))
    if _PY_METADATA.search(path):
        return _python_metadata(file)
    if name.endswith(".jar"):
        return _binary(file, binaries.jar(file))
    if _POM_PROPERTIES.search(path):
        return _binary(file, binaries.pom_file(file))
    if name == "bootstrap" or (_GO_EXECUTABLE.match(path) and binaries.is_elf(file)):
        return _binary(file, binaries.go_binary(file))
    if vendored(path):
        return iter(())
    if name.endswith(".deps.json"):
        return _deps_json(file)
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
    return dep.name.lower() if dep.ecosystem in (NPM, NUGET) else dep.name
