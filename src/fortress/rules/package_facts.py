"""What a package rule says when the package was not read: one answer for every package rule.

Rules on package facts call :func:`unread` first: ``None`` means the facts are there to judge.
"""

from __future__ import annotations

from fortress.inventory import PACKAGE_NOT_RUN, PACKAGE_UNKNOWN, PackageAnalysis
from fortress.rules.engine import Verdict


def unread(package: PackageAnalysis | None, analysis: str) -> Verdict | None:
    """The verdict for a package whose ``analysis`` ("secrets", "dependencies",
    "vulnerabilities", "code") cannot be judged, or ``None`` when it can.

    No package at all (the source offers none) or analysis not asked for (a live scan without
    ``--packages``): not applicable here — the scan lists such rules as not run, never as passed.
    Asked for but unreadable, or that one analysis skipped: unknown with the reason.
    """
    if package is None or package.status == PACKAGE_NOT_RUN:
        return Verdict.not_applicable()
    if package.image_uri:
        return Verdict.unknown(f"container image {package.image_uri}: the package is not read")
    if package.status == PACKAGE_UNKNOWN:
        return Verdict.unknown(package.reason or "the package could not be read")
    if analysis in package.skipped:
        return Verdict.unknown(package.skipped[analysis])
    return None
