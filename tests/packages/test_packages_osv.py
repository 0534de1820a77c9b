"""OSV matcher (fortress.packages.osv), `fortress vulndb`, and FTR-PATCH-005/006.

OSV exports are written by each test (zip and folder layouts); the update command downloads
from a loopback HTTP server.
"""

from __future__ import annotations

import http.server
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import fortress.rules.package_vulns  # noqa: F401  (registers the rules)
from fortress.cli import main
from fortress.findings import Finding, Status
from fortress.inventory import (
    PACKAGE_ANALYSED,
    Dependency,
    Function,
    Inventory,
    LayerVersion,
    Origin,
    PackageAnalysis,
)
from fortress.packages import analyse, osv, osv_versions
from fortress.packages.files import from_directory
from fortress.rules import engine

ORIGIN = Origin(source="aws", account="123456789012", region="us-east-1")
DEMO = Path(osv.__file__).parent.parent / "demo" / "osv"


def record(
    rid: str,
    eco: str,
    name: str,
    *,
    ranges: list[dict[str, Any]] | None = None,
    versions: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    affected: dict[str, Any] = {"package": {"ecosystem": eco, "name": name}}
    if ranges is not None:
        affected["ranges"] = ranges
    if versions is not None:
        affected["versions"] = versions
    return {"id": rid, "modified": "2026-01-01T00:00:00Z", "affected": [affected], **extra}


def rng(kind: str, *events: tuple[str, str]) -> dict[str, Any]:
    return {"type": kind, "events": [{k: v} for k, v in events]}


RECORDS = [
    record(
        "PYSEC-1",
        "PyPI",
        "PyYAML",
        ranges=[rng("ECOSYSTEM", ("introduced", "0"), ("fixed", "5.4"))],
        aliases=["GHSA-aaaa-bbbb-cccc", "CVE-2020-14343"],
        summary="full_load runs code",
        severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    ),
    record(
        "GHSA-last",
        "PyPI",
        "zope.interface",
        ranges=[rng("ECOSYSTEM", ("introduced", "1.0"), ("last_affected", "2.0"))],
        database_specific={"severity": "MODERATE"},
    ),
    record("GHSA-list", "PyPI", "listed", versions=["1.0", "1.1"]),
    record(
        "GHSA-gone",
        "PyPI",
        "pyyaml",
        ranges=[rng("ECOSYSTEM", ("introduced", "0"))],
        withdrawn="2026-01-02T00:00:00Z",
    ),
    record(
        "GHSA-lodash",
        "npm",
        "Lodash",
        ranges=[rng("SEMVER", ("introduced", "3.7.0"), ("fixed", "4.17.19"))],
        severity=[
            {
                "type": "CVSS_V4",
                "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            }
        ],
        modified="2026-03-04T05:06:07Z",
    ),
]


def write_zip(path: Path, records: list[dict[str, Any]]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for r in records:
            archive.writestr(f"{r['id']}.json", json.dumps(r))
    return path


@pytest.fixture
def db(tmp_path: Path) -> osv.VulnDb:
    return osv.VulnDb.load(write_zip(tmp_path / "all.zip", RECORDS))


def dep(eco: str, name: str, version: str, **kw: Any) -> Dependency:
    return Dependency(ecosystem=eco, name=name, version=version, path="requirements.txt", **kw)


def ids(db: osv.VulnDb, *deps: Dependency) -> list[str]:
    return [v.ids[0] for v in db.match(list(deps))]


# --------------------------------------------------------------------------- loading


def test_zip_export_indexes_affected_entries_and_skips_withdrawn(db: osv.VulnDb) -> None:
    assert db.records == 5
    assert db.withdrawn == 1
    assert db.stats()["affected_entries"] == 4
    assert db.label == "osv 2026-03-04"


def test_folder_of_json_and_folder_of_zips(tmp_path: Path) -> None:
    folder = tmp_path / "json"
    folder.mkdir()
    for r in RECORDS:
        (folder / f"{r['id']}.json").write_text(json.dumps(r))
    (folder / "broken.json").write_text("{not json")
    loaded = osv.VulnDb.load(folder)
    assert loaded.records == 5 and loaded.rejected == 1
    assert ids(loaded, dep("PyPI", "pyyaml", "5.3.1")) == ["PYSEC-1"]

    zips = tmp_path / "zips"
    zips.mkdir()
    write_zip(zips / "PyPI.zip", RECORDS[:4])
    write_zip(zips / "npm.zip", RECORDS[4:])
    both = osv.VulnDb.load(zips)
    assert both.ecosystems == {"PyPI": 3, "npm": 1}


def test_corrupt_zip_is_a_value_error_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "all.zip"
    bad.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ValueError, match="not a readable OSV zip"):
        osv.VulnDb.load(bad)


# --------------------------------------------------------------------------- matching


def test_ecosystem_range_fixed_and_pep503_names(db: osv.VulnDb) -> None:
    (v,) = db.match([dep("PyPI", "PyYAML", "5.3.1")])
    assert v.ids == ["PYSEC-1", "GHSA-aaaa-bbbb-cccc", "CVE-2020-14343"]
    assert v.fixed == "5.4" and v.severity == "critical" and v.score == 9.8
    assert v.summary == "full_load runs code" and not v.may_be_affected
    assert ids(db, dep("PyPI", "py_yaml", "5.3")) == []  # another name
    assert ids(db, dep("PyPI", "pyyaml", "5.4")) == []
    assert ids(db, dep("PyPI", "pyyaml", "6.0.1")) == []


def test_last_affected_is_inclusive(db: osv.VulnDb) -> None:
    assert ids(db, dep("PyPI", "Zope_Interface", "2.0")) == ["GHSA-last"]
    assert ids(db, dep("PyPI", "zope-interface", "1.0")) == ["GHSA-last"]
    assert ids(db, dep("PyPI", "zope.interface", "2.0.1")) == []
    assert ids(db, dep("PyPI", "zope.interface", "0.9")) == []
    (v,) = db.match([dep("PyPI", "zope.interface", "1.5")])
    assert v.severity == "medium" and v.score is None and v.fixed is None


def test_versions_list(db: osv.VulnDb) -> None:
    assert ids(db, dep("PyPI", "listed", "1.1")) == ["GHSA-list"]
    assert ids(db, dep("PyPI", "listed", "1.2")) == []


def test_npm_semver_range_and_cvss4(db: osv.VulnDb) -> None:
    (v,) = db.match([dep("npm", "lodash", "4.17.15", layer="arn:layer:1")])
    assert v.fixed == "4.17.19" and v.layer == "arn:layer:1"
    assert v.severity == "critical" and v.score is not None and v.score >= 9.0
    assert ids(db, dep("npm", "lodash", "4.17.19")) == []
    assert ids(db, dep("npm", "lodash", "3.6.9")) == []
    assert ids(db, dep("npm", "lodash", "v4.0.0")) == ["GHSA-lodash"]


def test_unparseable_version_never_matches_but_is_counted(db: osv.VulnDb) -> None:
    assert ids(db, dep("npm", "lodash", "latest"), dep("PyPI", "pyyaml", "not a version")) == []
    assert db.unparseable == 2


def test_declared_ranges_may_be_affected(db: osv.VulnDb) -> None:
    (v,) = db.match([dep("npm", "lodash", "^4.17.0", pinned=False)])
    assert v.may_be_affected and v.fixed == "4.17.19"
    assert ids(db, dep("npm", "lodash", "^4.17.21", pinned=False)) == []
    (p,) = db.match([dep("PyPI", "pyyaml", ">=5.1,<6", pinned=False)])
    assert p.may_be_affected
    assert ids(db, dep("PyPI", "pyyaml", ">=5.4", pinned=False)) == []
    # a range that names no version: the advisory's own versions are tried
    assert ids(db, dep("PyPI", "zope.interface", "<3", pinned=False)) == ["GHSA-last"]


def test_version_ordering_per_ecosystem() -> None:
    assert osv_versions.parse("PyPI", "1.0rc1") < osv_versions.parse("PyPI", "1.0")
    assert osv_versions.parse("npm", "1.0.0-beta.2") < osv_versions.parse("npm", "1.0.0")
    assert osv_versions.parse("Go", "v1.10.0") > osv_versions.parse("Go", "v1.9.3")
    assert osv_versions.parse("Maven", "2.10.1") > osv_versions.parse("Maven", "2.9")
    assert osv_versions.parse("npm", "not-a-version") is None


def _go_bootstrap(go: str, modinfo: str) -> bytes:
    """A Go 1.18+ build info blob as debug/buildinfo reads it (synthesized: no toolchain)."""
    framed = (
        bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
        + modinfo.encode()
        + bytes.fromhex("f932433186182072008242104116d8f2")
    )
    assert len(go) < 128 and len(framed) < 128  # one-byte varints
    header = b"\xff Go buildinf:\x08\x02" + b"\x00" * 16
    return (
        b"\x7fELF"
        + b"\x00" * 60
        + header
        + bytes([len(go)])
        + go.encode()
        + bytes([len(framed)])
        + framed
    )


def _jar(path: Path, group: str, artifact: str, version: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            f"META-INF/maven/{group}/{artifact}/pom.properties",
            f"groupId={group}\nartifactId={artifact}\nversion={version}\n",
        )


GO_MAVEN_RECORDS = {
    "Go": [
        record(
            "GO-2023-2102",
            "Go",
            "golang.org/x/net",
            ranges=[rng("SEMVER", ("introduced", "0"), ("fixed", "0.17.0"))],
            aliases=["CVE-2023-39325", "GHSA-4374-p667-p6c8"],
        ),
        record(
            "GO-2024-2687",
            "Go",
            "stdlib",
            ranges=[
                rng(
                    "SEMVER",
                    ("introduced", "0"),
                    ("fixed", "1.21.9"),
                    ("introduced", "1.22.0-0"),
                    ("fixed", "1.22.2"),
                )
            ],
        ),
    ],
    "Maven": [
        record(
            "GHSA-jfh8-c2jp-5v3q",
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            ranges=[
                rng(
                    "ECOSYSTEM",
                    ("introduced", "2.0-beta9"),
                    ("fixed", "2.3.1"),
                    ("introduced", "2.4"),
                    ("fixed", "2.12.2"),
                    ("introduced", "2.13.0"),
                    ("fixed", "2.15.0"),
                )
            ],
            aliases=["CVE-2021-44228"],
        )
    ],
}


@pytest.mark.parametrize(
    ("go", "net", "log4j", "expected"),
    [
        (
            "go1.21.5",
            "v0.7.0",
            "2.14.1",
            {
                ("stdlib", "GO-2024-2687", "1.21.9"),
                ("golang.org/x/net", "GO-2023-2102", "0.17.0"),
                ("org.apache.logging.log4j:log4j-core", "GHSA-jfh8-c2jp-5v3q", "2.15.0"),
            },
        ),
        ("go1.22.2", "v0.17.0", "2.17.1", set()),
        ("go1.22.1", "v0.23.0", "2.12.2", {("stdlib", "GO-2024-2687", "1.22.2")}),
    ],
)
def test_go_and_maven_binaries_match_osv_records(
    tmp_path: Path, go: str, net: str, log4j: str, expected: set[tuple[str, str, str]]
) -> None:
    data = tmp_path / "osv"
    data.mkdir()
    for ecosystem, records in GO_MAVEN_RECORDS.items():  # the `fortress vulndb update` layout
        write_zip(data / f"{ecosystem}.zip", records)
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    modinfo = f"path\tx.com/fn\nmod\tx.com/fn\t(devel)\t\ndep\tgolang.org/x/net\t{net}\th1:x=\n"
    (pkg / "bootstrap").write_bytes(_go_bootstrap(go, modinfo))
    _jar(pkg / "lib" / "log4j-core.jar", "org.apache.logging.log4j", "log4j-core", log4j)
    package = analyse.analyse(list(from_directory(pkg)), location="x", vulndb=osv.VulnDb.load(data))
    assert {(d.ecosystem, d.name) for d in package.dependencies} == {
        ("Go", "stdlib"),
        ("Go", "golang.org/x/net"),
        ("Maven", "org.apache.logging.log4j:log4j-core"),
    }
    assert {(v.package, v.ids[0], v.fixed) for v in package.vulnerabilities} == expected


def test_cvss_scores() -> None:
    assert osv.cvss_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H") == 7.4
    assert osv.cvss_score("CVSS:3.1/garbage") is None
    assert osv.severity_of_score(7.4) == "high" and osv.severity_of_score(3.1) == "low"


def test_demo_dataset_loads_and_matches() -> None:
    demo = osv.VulnDb.load(DEMO)
    assert demo.records >= 3 and demo.rejected == 0
    found = {v.ids[0]: v for v in demo.match([dep("PyPI", "PyYAML", "5.3.1")])}
    assert found["GHSA-8q59-q68h-6hv4"].severity == "critical"
    assert "CVE-2020-14343" in found["GHSA-8q59-q68h-6hv4"].ids
    lodash = {v.ids[0] for v in demo.match([dep("npm", "lodash", "4.17.11")])}
    assert lodash == {"GHSA-p6mc-m468-83gw", "GHSA-jf85-cpcp-j695"}
    assert {v.ids[0] for v in demo.match([dep("npm", "lodash", "4.17.15")])} == {
        "GHSA-p6mc-m468-83gw"
    }


def test_default_db(tmp_path: Path) -> None:
    assert osv.default_db(tmp_path / "none") is None
    write_zip(tmp_path / "PyPI.zip", RECORDS[:1])
    found = osv.default_db(tmp_path)
    assert found is not None and found.records == 1


# --------------------------------------------------------------------------- rules


def run(inventory: Inventory, rule_id: str) -> list[Finding]:
    rules = [r for r in engine._REGISTRY.values() if r.meta.id == rule_id]
    return engine.evaluate(inventory, rules)


def analysed(db: osv.VulnDb, deps: list[Dependency]) -> PackageAnalysis:
    return PackageAnalysis(
        status=PACKAGE_ANALYSED,
        dependencies=deps,
        vulnerabilities=db.match(deps),
        vulndb=db.label,
    )


def function(package: PackageAnalysis | None) -> Inventory:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:api"
    return Inventory(functions=[Function(name="api", arn=arn, origin=ORIGIN, package=package)])


def layer(package: PackageAnalysis | None) -> Inventory:
    arn = "arn:aws:lambda:us-east-1:123456789012:layer:libs:3"
    return Inventory(
        layers=[LayerVersion(arn=arn, name="libs", version=3, origin=ORIGIN, package=package)]
    )


def test_function_rule_fails_on_a_vulnerable_dependency(db: osv.VulnDb) -> None:
    pkg = analysed(db, [dep("PyPI", "pyyaml", "5.3.1"), dep("PyPI", "requests", "2.32.0")])
    (f,) = run(function(pkg), "FTR-PATCH-005")
    assert f.status is Status.FAIL
    assert "worst critical" in f.message and "pyyaml@5.3.1 (requirements.txt)" in f.message
    assert "fixed in 5.4" in f.message and "PYSEC-1" in f.message
    assert f.evidence["vulnerabilities"][0]["fixed"] == "5.4"


def test_function_rule_passes_and_names_the_data(db: osv.VulnDb) -> None:
    (f,) = run(function(analysed(db, [dep("PyPI", "pyyaml", "6.0")])), "FTR-PATCH-005")
    assert f.status is Status.PASS
    assert f.message == "1 dependency checked against osv 2026-03-04"


def test_function_rule_unknown_without_a_database(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('hi')\n")
    pkg = analyse.analyse(list(from_directory(tmp_path)), location=str(tmp_path), vulndb=None)
    (f,) = run(function(pkg), "FTR-PATCH-005")
    assert f.status is Status.UNKNOWN and "fortress vulndb update" in f.message
    assert run(function(None), "FTR-PATCH-005") == []


def test_function_rule_with_the_real_analyser_and_a_db(tmp_path: Path, db: osv.VulnDb) -> None:
    (tmp_path / "app.py").write_text("print('hi')\n")
    pkg = analyse.analyse(list(from_directory(tmp_path)), location=str(tmp_path), vulndb=db)
    (f,) = run(function(pkg), "FTR-PATCH-005")
    assert f.status is Status.PASS and "osv 2026-03-04" in f.message


def test_layer_rule_fail_pass_unknown(db: osv.VulnDb) -> None:
    bad = analysed(db, [dep("npm", "lodash", "^4.17.0", pinned=False, layer="arn:l")])
    (f,) = run(layer(bad), "FTR-PATCH-006")
    assert f.status is Status.FAIL and "may be affected" in f.message
    assert f.evidence["may_be_affected_only"] is True
    (p,) = run(layer(analysed(db, [dep("npm", "lodash", "4.17.21")])), "FTR-PATCH-006")
    assert p.status is Status.PASS
    skipped = PackageAnalysis(status=PACKAGE_ANALYSED, skipped={"vulnerabilities": "no OSV db"})
    (u,) = run(layer(skipped), "FTR-PATCH-006")
    assert u.status is Status.UNKNOWN


# --------------------------------------------------------------------------- CLI


class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}

    def do_GET(self) -> None:
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    _Handler.files = {"/PyPI/all.zip": write_zip(tmp_path / "src.zip", RECORDS[:4]).read_bytes()}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_update_then_status(
    server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    args = ["vulndb", "update", "--ecosystem", "PyPI", "--cache-dir", str(cache)]
    assert main([*args, "--source", server]) == 0
    out = capsys.readouterr().out
    assert "stored PyPI: 4 records (1 withdrawn)" in out
    assert (cache / "PyPI.zip").is_file() and not list(cache.glob(".osv-*"))
    assert main(["vulndb", "status", "--cache-dir", str(cache)]) == 0
    assert "osv 2026-01-01: 4 records" in capsys.readouterr().out
    assert osv.default_db(cache) is not None


def test_update_404_is_a_one_line_error(
    server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    args = ["vulndb", "update", "--ecosystem", "npm", "--cache-dir", str(cache)]
    assert main([*args, "--source", server]) == 2
    err = capsys.readouterr().err.strip()
    assert "HTTP 404" in err and "\n" not in err
    assert not list(cache.iterdir())


def test_default_update_fetches_every_ecosystem_and_keeps_what_it_got(
    server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No --ecosystem: all six are asked for; the mirror has only PyPI, which is stored, and
    each missing one is one error line (exit 2)."""
    cache = tmp_path / "cache"
    assert main(["vulndb", "update", "--cache-dir", str(cache), "--source", server]) == 2
    out, err = capsys.readouterr()
    assert "stored PyPI" in out and (cache / "PyPI.zip").is_file()
    failed = {line.split(":")[2].strip() for line in err.strip().splitlines()}
    assert failed == {"npm", "Maven", "Go", "NuGet", "RubyGems"}


def test_update_unreachable_and_status_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    args = ["vulndb", "update", "--ecosystem", "PyPI", "--cache-dir", str(cache)]
    assert main([*args, "--source", "http://127.0.0.1:9"]) == 2
    assert "fortress: error: PyPI:" in capsys.readouterr().err
    assert main(["vulndb", "status", "--cache-dir", str(cache)]) == 2
