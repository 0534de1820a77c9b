"""The dependency inventory on real package trees, and through the OSV matcher."""

from __future__ import annotations

import json
from pathlib import Path

from fortress.inventory import Dependency
from fortress.packages import analyse, deps, files, osv

DEMO_OSV = Path(osv.__file__).parent.parent / "demo" / "osv"


def write(root: Path, tree: dict[str, str]) -> Path:
    for rel, content in tree.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def found(root: Path, layer: str | None = None) -> list[Dependency]:
    return deps.inventory(list(files.from_directory(root, layer)))


def keyed(dependencies: list[Dependency]) -> set[tuple[str, str, str, bool]]:
    return {(d.ecosystem, d.name, d.version, d.pinned) for d in dependencies}


def test_installed_python_and_node_packages(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "PyYAML-5.3.dist-info/METADATA": "Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3\n",
            "old-1.0.egg-info/PKG-INFO": "Metadata-Version: 1.0\nName: old\nVersion: 1.0\n",
            "node_modules/lodash/package.json": '{"name": "lodash", "version": "4.17.15"}',
            "node_modules/@aws/sdk/package.json": '{"name": "@aws/sdk", "version": "3.1.0"}',
            "node_modules/a/node_modules/b/package.json": '{"name": "b", "version": "2.0.0"}',
        },
    )
    assert keyed(found(root)) == {
        ("PyPI", "PyYAML", "5.3", True),
        ("PyPI", "old", "1.0", True),
        ("npm", "lodash", "4.17.15", True),
        ("npm", "@aws/sdk", "3.1.0", True),
        ("npm", "b", "2.0.0", True),
    }
    by_name = {d.name: d for d in found(root)}
    assert by_name["lodash"].path == "node_modules/lodash/package.json"
    assert by_name["@aws/sdk"].purl == "pkg:npm/%40aws/sdk@3.1.0"
    assert by_name["PyYAML"].purl == "pkg:pypi/pyyaml@5.3"


def test_vendored_manifests_and_fixture_package_json_are_ignored(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "node_modules/x/test/package.json": '{"name": "evil", "version": "0.0.1"}',
            "node_modules/x/requirements.txt": "flask==0.1\n",
            "python/lib/python3.12/site-packages/y/package-lock.json": "{}",
            "node_modules/x/package.json": '{"name": "x", "version": "1.0.0"}',
        },
    )
    assert keyed(found(root)) == {("npm", "x", "1.0.0", True)}


def test_npm_lock_v3_leaves_out_dev_dependencies(tmp_path: Path) -> None:
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "app", "version": "1.0.0"},
            "node_modules/express": {"version": "4.17.1"},
            "node_modules/jest": {"version": "29.0.0", "dev": True},
            "node_modules/express/node_modules/qs": {"version": "6.7.0"},
        },
    }
    root = write(tmp_path, {"package-lock.json": json.dumps(lock)})
    assert keyed(found(root)) == {("npm", "express", "4.17.1", True), ("npm", "qs", "6.7.0", True)}


def test_npm_lock_v1_nested(tmp_path: Path) -> None:
    lock = {
        "lockfileVersion": 1,
        "dependencies": {
            "a": {"version": "1.0.0", "dependencies": {"b": {"version": "2.0.0"}}},
            "c": {"version": "3.0.0", "dev": True},
        },
    }
    root = write(tmp_path, {"npm-shrinkwrap.json": json.dumps(lock)})
    assert keyed(found(root)) == {("npm", "a", "1.0.0", True), ("npm", "b", "2.0.0", True)}


def test_python_lock_files(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "poetry.lock": '[[package]]\nname = "requests"\nversion = "2.19.0"\n'
            'category = "main"\n\n[[package]]\nname = "pytest"\nversion = "7.0"\n'
            'category = "dev"\n',
            "svc/Pipfile.lock": json.dumps(
                {"default": {"django": {"version": "==2.2.0"}}, "develop": {"x": {}}}
            ),
        },
    )
    assert keyed(found(root)) == {
        ("PyPI", "requests", "2.19.0", True),
        ("PyPI", "django", "2.2.0", True),
    }


def test_gemfile_lock(tmp_path: Path) -> None:
    text = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.0.1)\n      x (>= 1)\n\nPLATFORMS\n  ruby\n"
    root = write(tmp_path, {"Gemfile.lock": text})
    assert keyed(found(root)) == {("RubyGems", "rack", "2.0.1", True)}


def test_requirements_pins_ranges_and_noise(tmp_path: Path) -> None:
    text = (
        "# comment\n-r base.txt\n-e git+https://x/y.git#egg=y\n"
        "requests[security]==2.19.0  # pinned\nurllib3>=1.24,<2\nflask\n"
        "django==3.*\nnot a requirement !!\n"
    )
    root = write(tmp_path, {"requirements.txt": text})
    assert keyed(found(root)) == {
        ("PyPI", "requests", "2.19.0", True),
        ("PyPI", "urllib3", "<2,>=1.24", False),
        ("PyPI", "django", "==3.*", False),
    }


def test_a_range_is_dropped_when_the_installed_version_is_known(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "package.json": json.dumps(
                {"dependencies": {"lodash": "^4.17.0", "left-pad": "1.3.0", "local": "file:../x"}}
            ),
            "node_modules/lodash/package.json": '{"name": "lodash", "version": "4.17.15"}',
        },
    )
    assert keyed(found(root)) == {
        ("npm", "lodash", "4.17.15", True),
        ("npm", "left-pad", "1.3.0", True),
    }


def test_malformed_files_are_skipped(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "package-lock.json": "{not json",
            "poetry.lock": "[[package\n",
            "node_modules/x/package.json": '["not", "an", "object"]',
            "node_modules/y/package.json": '{"name": 5, "version": {"a": 1}}',
            "z-1.dist-info/METADATA": "garbage without headers",
        },
    )
    assert found(root) == []


def test_layer_dependencies_carry_the_layer(tmp_path: Path) -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:layer:sdk:1"
    root = write(
        tmp_path,
        {
            "python/lib/python3.12/site-packages/PyYAML-5.3.dist-info/METADATA": "Name: PyYAML\n"
            "Version: 5.3\n"
        },
    )
    [dep] = found(root, arn)
    assert dep.layer == arn and dep.path.endswith("METADATA")


def test_demo_packages_match_the_demo_advisories(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "PyYAML-5.3.dist-info/METADATA": "Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3\n",
            "node_modules/lodash/package.json": '{"name": "lodash", "version": "4.17.15"}',
        },
    )
    package = analyse.analyse(
        list(files.from_directory(root)), location="x", vulndb=osv.VulnDb.load(DEMO_OSV)
    )
    assert "vulnerabilities" not in package.skipped
    hit = {(v.package, v.ids[0]) for v in package.vulnerabilities}
    assert ("lodash", "GHSA-p6mc-m468-83gw") in hit
    assert any(name == "PyYAML" for name, _ in hit)


# --------------------------------------------------------------------------- yarn


YARN_V1 = """\
# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
  version "7.12.13"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz#dcfc82"
  integrity sha512-HV1Cm0Q3ZrpCR93tkWOYiuYIgLxZXZFVG2VgK+MBWjUqZTundupbfx2aXarXuw5Ko5aM==
  dependencies:
    "@babel/highlight" "^7.12.13"

lodash@^4.17.15, lodash@~4.17.20:
  version "4.17.21"
  resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.21.tgz"

my-alias@npm:left-pad@^1.3.0:
  version "1.3.0"

local-lib@file:../local-lib:
  version "0.0.1"

linked@link:../linked:
  version "0.0.0"
"""

YARN_BERRY = """\
# This file is generated by running "yarn install" inside your project.
# Manual changes might be lost - proceed with caution!

__metadata:
  version: 6
  cacheKey: 8

"@types/node@npm:*, @types/node@npm:^18.0.0":
  version: 18.11.9
  resolution: "@types/node@npm:18.11.9"
  checksum: 4b5de2fd3c1d2b
  languageName: node
  linkType: hard

"lodash@npm:^4.17.20":
  version: 4.17.20
  resolution: "lodash@npm:4.17.20"
  languageName: node
  linkType: hard

"pad@npm:left-pad@^1.3.0":
  version: 1.3.0
  resolution: "left-pad@npm:1.3.0"

"resolve@patch:resolve@^1.20.0#~builtin<compat/resolve>":
  version: 1.22.1
  resolution: "resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1"

"my-app@workspace:.":
  version: 0.0.0-use.local
  resolution: "my-app@workspace:."
  languageName: unknown
  linkType: soft

"shared@link:../shared::locator=my-app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "shared@link:../shared::locator=my-app%40workspace%3A."
  linkType: soft

"tool@portal:../tool::locator=my-app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "tool@portal:../tool::locator=my-app%40workspace%3A."
"""


def test_yarn_v1_lock(tmp_path: Path) -> None:
    found_deps = found(write(tmp_path, {"yarn.lock": YARN_V1}))
    assert keyed(found_deps) == {
        ("npm", "@babel/code-frame", "7.12.13", True),
        ("npm", "lodash", "4.17.21", True),
        ("npm", "left-pad", "1.3.0", True),  # the alias names the real package
    }
    by_name = {d.name: d for d in found_deps}
    assert by_name["@babel/code-frame"].purl == "pkg:npm/%40babel/code-frame@7.12.13"
    assert by_name["lodash"].path == "yarn.lock"


def test_yarn_berry_lock_skips_the_project_and_local_code(tmp_path: Path) -> None:
    found_deps = found(write(tmp_path, {"svc/yarn.lock": YARN_BERRY}))
    assert keyed(found_deps) == {
        ("npm", "@types/node", "18.11.9", True),
        ("npm", "lodash", "4.17.20", True),
        ("npm", "left-pad", "1.3.0", True),
    }
    assert {d.purl for d in found_deps} >= {"pkg:npm/%40types/node@18.11.9"}


def test_vendored_yarn_and_pnpm_locks_are_ignored(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"node_modules/x/yarn.lock": YARN_V1, "node_modules/x/pnpm-lock.yaml": PNPM_V9},
    )
    assert found(root) == []


def test_malformed_and_hostile_yarn_locks_are_skipped(tmp_path: Path) -> None:
    pwned = tmp_path / "PWNED"
    hostile = (
        "__metadata:\n  version: 6\n"
        f'x@npm:1:\n  version: !!python/object/apply:os.system ["touch {pwned}"]\n'
    )
    bomb = "__metadata: {}\na: &a [x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(12)
    )
    cases = {
        "a/yarn.lock": hostile,
        "b/yarn.lock": '__metadata:\n  version: 6\n"unclosed: [\n',
        "c/yarn.lock": bomb,
        "d/yarn.lock": "__metadata: 1\n- a list\n",
        "e/yarn.lock": (
            '# yarn lockfile v1\n  version "1.0.0"\nno-at-sign:\n  version "1.0.0"\n'
            "ok@^1:\nstray line\n\x01:\n  version\n:\n"
        ),
        "f/yarn.lock": "\x00binary",
    }
    assert found(write(tmp_path, cases)) == []
    assert not pwned.exists()


# --------------------------------------------------------------------------- pnpm


PNPM_V5 = """\
lockfileVersion: 5.4

specifiers:
  lodash: ^4.17.21

dependencies:
  lodash: 4.17.21

packages:

  /lodash/4.17.21:
    resolution: {integrity: sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg==}
    dev: false

  /@babel/core/7.12.3_supports-color@5.5.0:
    resolution: {integrity: sha512-x}
    dev: false

  /@types/node/18.0.0:
    resolution: {integrity: sha512-x}
    dev: true

  github.com/user/repo/abc123:
    resolution: {tarball: https://codeload.github.com/user/repo/tar.gz/abc123}
    name: repo
    version: 1.0.0
    dev: false

  /short:
    dev: false
"""

PNPM_V6 = """\
lockfileVersion: '6.0'

packages:

  /lodash@4.17.21:
    resolution: {integrity: sha512-x}
    dev: false

  /@babel/core@7.12.3(supports-color@5.5.0):
    resolution: {integrity: sha512-x}
    dev: false

  /jest@29.0.0:
    resolution: {integrity: sha512-x}
    dev: true
"""

PNPM_V9 = """\
lockfileVersion: '9.0'

importers:
  .:
    dependencies:
      express:
        specifier: ^4.18.0
        version: 4.18.2

packages:

  express@4.18.2:
    resolution: {integrity: sha512-x}
    engines: {node: '>= 0.10.0'}

  '@aws-sdk/client-s3@3.400.0':
    resolution: {integrity: sha512-x}

  local-thing@file:../thing:
    resolution: {directory: ../thing, type: directory}

snapshots:

  express@4.18.2: {}
"""


def test_pnpm_lock_v5_leaves_out_dev_entries(tmp_path: Path) -> None:
    assert keyed(found(write(tmp_path, {"pnpm-lock.yaml": PNPM_V5}))) == {
        ("npm", "lodash", "4.17.21", True),
        ("npm", "@babel/core", "7.12.3", True),
        ("npm", "repo", "1.0.0", True),
    }


def test_pnpm_lock_v6_strips_peer_suffixes(tmp_path: Path) -> None:
    assert keyed(found(write(tmp_path, {"pnpm-lock.yaml": PNPM_V6}))) == {
        ("npm", "lodash", "4.17.21", True),
        ("npm", "@babel/core", "7.12.3", True),
    }


def test_pnpm_lock_v9(tmp_path: Path) -> None:
    found_deps = found(write(tmp_path, {"pnpm-lock.yaml": PNPM_V9}))
    assert keyed(found_deps) == {
        ("npm", "express", "4.18.2", True),
        ("npm", "@aws-sdk/client-s3", "3.400.0", True),
    }
    assert "pkg:npm/%40aws-sdk/client-s3@3.400.0" in {d.purl for d in found_deps}


def test_malformed_pnpm_locks_are_skipped(tmp_path: Path) -> None:
    cases = {
        "a/pnpm-lock.yaml": "lockfileVersion: '9.0'\npackages: [express@4.18.2]\n",
        "b/pnpm-lock.yaml": "lockfileVersion: nine\npackages:\n  express@4.18.2: {}\n",
        "c/pnpm-lock.yaml": "lockfileVersion: '9.0'\npackages:\n  ? [a, b]\n  : {}\n",
        "d/pnpm-lock.yaml": (
            "lockfileVersion: '9.0'\npackages:\n  123: {}\n  noversion: {}\n"
            "  x@: {}\n  y@latest: {}\n  z@1.0.0: {name: 5, version: [1]}\n"
        ),
        "e/pnpm-lock.yaml": "{{{{",
        "f/pnpm-lock.yaml": "[" * 5000,
        "g/pnpm-lock.yaml": "lockfileVersion: .inf\npackages:\n  express@4.18.2: {}\n",
        "h/pnpm-lock.yaml": "lockfileVersion: .nan\npackages:\n  express@4.18.2: {}\n",
    }
    assert keyed(found(write(tmp_path, cases))) == {("npm", "z", "1.0.0", True)}


# --------------------------------------------------------------------------- .NET


def test_dotnet_deps_json(tmp_path: Path) -> None:
    deps_json = {
        "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0"},
        "libraries": {
            "MyFunction/1.0.0": {"type": "project", "serviceable": False, "sha512": ""},
            "Newtonsoft.Json/13.0.1": {"type": "package", "serviceable": True, "sha512": "x"},
            "Amazon.Lambda.Core/2.2.0": {"type": "package"},
            "System.Runtime/4.3.0": {"type": "reference"},
        },
    }
    found_deps = found(write(tmp_path, {"MyFunction.deps.json": json.dumps(deps_json)}))
    assert keyed(found_deps) == {
        ("NuGet", "Newtonsoft.Json", "13.0.1", True),
        ("NuGet", "Amazon.Lambda.Core", "2.2.0", True),
    }
    assert "pkg:nuget/Newtonsoft.Json@13.0.1" in {d.purl for d in found_deps}


def test_malformed_deps_json_is_skipped(tmp_path: Path) -> None:
    cases = {
        "a.deps.json": '{"libraries": ["Newtonsoft.Json/13.0.1"]}',
        "b.deps.json": '{"libraries": {"NoSlash": {"type": "package"}, "/1.0": {"type": "package"}'
        ', "X/": {"type": "package"}, "Y/1.0": "package", "Z/1.0": {"type": ["package"]}}}',
        "c.deps.json": "{not json",
        "d.deps.json": "[" * 100000,
    }
    assert found(write(tmp_path, cases)) == []
