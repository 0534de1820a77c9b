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
