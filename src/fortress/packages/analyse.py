"""One package in, its facts out: runs every analyser on a package's files.

Producers (the live downloader, the IaC local-code reader) hand over a list of
:class:`~fortress.packages.files.PackageFile`; this module calls the secret scanner, the
dependency inventory, the OSV matcher and the risky-code analyser, and returns one
:class:`~fortress.inventory.PackageAnalysis`. An analyser that fails on hostile input never
stops the others: its failure is recorded in ``skipped`` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from fortress.inventory import (
    PACKAGE_ANALYSED,
    PACKAGE_UNKNOWN,
    CodeRisk,
    Dependency,
    PackageAnalysis,
    PackageSecret,
    Vulnerability,
)
from fortress.packages import code_risk, deps, secrets_scan
from fortress.packages.files import PackageFile
from fortress.packages.osv import VulnDb

T = TypeVar("T")

NO_VULNDB = "no OSV database: run `fortress vulndb update` or pass --osv-db PATH"


def _guarded(skipped: dict[str, str], name: str, work: Callable[[], T], empty: T) -> T:
    try:
        return work()
    except (OSError, ValueError, RecursionError, MemoryError) as exc:
        skipped[name] = f"{name} analysis failed: {type(exc).__name__}: {exc}"[:300]
        return empty


def analyse(
    files: Sequence[PackageFile],
    *,
    location: str,
    handler: str | None = None,
    runtime: str | None = None,
    vulndb: VulnDb | None = None,
    sha256: str | None = None,
) -> PackageAnalysis:
    """Every fact Fortress reads inside one package (a function's code or a layer)."""
    skipped: dict[str, str] = {}
    no_secrets: tuple[list[PackageSecret], dict[str, str]] = ([], {})
    found, secret_skips = _guarded(skipped, "secrets", lambda: secrets_scan.scan(files), no_secrets)
    skipped.update(secret_skips)
    no_deps: list[Dependency] = []
    dependencies = _guarded(skipped, "dependencies", lambda: deps.inventory(files), no_deps)
    vulnerabilities: list[Vulnerability] = []
    if "dependencies" in skipped:
        skipped["vulnerabilities"] = skipped["dependencies"]
    elif vulndb is None:
        skipped["vulnerabilities"] = NO_VULNDB
    else:
        db = vulndb
        vulnerabilities = _guarded(
            skipped, "vulnerabilities", lambda: db.match(dependencies), vulnerabilities
        )
    no_risks: list[CodeRisk] = []
    risks = _guarded(
        skipped, "code", lambda: code_risk.scan(files, handler=handler, runtime=runtime), no_risks
    )
    return PackageAnalysis(
        status=PACKAGE_ANALYSED,
        location=location,
        sha256=sha256,
        files=len(files),
        unzipped_bytes=sum(f.size for f in files),
        secrets=found,
        dependencies=dependencies,
        vulnerabilities=vulnerabilities,
        code_risks=risks,
        vulndb=vulndb.label if vulndb is not None else None,
        skipped=skipped,
    )


def add_vulnerabilities(package: PackageAnalysis, vulndb: VulnDb | None) -> PackageAnalysis:
    """``package`` (analysed without a database, e.g. in a worker process) matched against
    ``vulndb`` here: the index stays in one process instead of being copied to each worker."""
    if vulndb is None or package.status != PACKAGE_ANALYSED:
        return package
    if "dependencies" in package.skipped or package.skipped.get("vulnerabilities") != NO_VULNDB:
        return package
    skipped = dict(package.skipped)
    del skipped["vulnerabilities"]
    none: list[Vulnerability] = []
    found = _guarded(skipped, "vulnerabilities", lambda: vulndb.match(package.dependencies), none)
    return replace(package, vulnerabilities=found, vulndb=vulndb.label, skipped=skipped)


def unreadable(location: str, reason: str) -> PackageAnalysis:
    """The facts of a package that was asked for and could not be read."""
    return PackageAnalysis(status=PACKAGE_UNKNOWN, location=location, reason=reason)
