"""The per-account summary of an organization report: console (capped, worst first, failed
accounts first) and HTML (escaped), built by fortress.scan_org.merged from account results."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from reportdata import XSS, finding
from rich.console import Console

from fortress import scan_org
from fortress.aws.accounts import Account
from fortress.cli.sanitize import clean
from fortress.findings import CoverageGap, Practice, Severity, Status
from fortress.report import console as console_report
from fortress.report import html, jsonreport
from fortress.scan import ScanResult


def organization(count: int) -> ScanResult:
    results = []
    for i in range(count):
        account = f"{100000000000 + i:012d}"
        findings = [
            finding(
                "FTR-NET-001",
                Severity.LOW,
                Practice.NETWORK_ISOLATION,
                Status.FAIL,
                "f",
                account=account,
            )
        ]
        if i == 7:  # the worst account
            findings.append(
                finding(
                    "FTR-IAM-001",
                    Severity.CRITICAL,
                    Practice.LEAST_PRIVILEGE,
                    Status.FAIL,
                    "admin",
                    account=account,
                )
            )
        results.append(
            scan_org.AccountResult(
                Account(account, XSS if i == 3 else f"team-{i}"),
                scan_org.STATUS_SCANNED,
                findings=findings,
                counts={"functions": 1},
            )
        )
    denied = CoverageGap("sts", "assume_role", "AccessDenied", "cannot assume", "999999999999")
    results.append(
        scan_org.AccountResult(
            Account("999999999999", "locked"), scan_org.STATUS_FAILED, gaps=[denied]
        )
    )
    return scan_org.merged(results, 66, datetime(2026, 12, 3, tzinfo=UTC))


def rows(out: str) -> list[str]:
    """The lines of the accounts table: they start with a 12-digit account id."""
    return [
        ln
        for ln in out.splitlines()
        if ln.split()[:1] and len(ln.split()[0]) == 12 and ln.split()[0].isdigit()
    ]


def text(renderable: object) -> str:
    capture = Console(width=120, file=io.StringIO(), record=True)
    capture.print(renderable)
    return capture.export_text()


def test_console_lists_accounts_worst_first_and_caps_the_rows() -> None:
    result = organization(40)
    assert [a["id"] for a in result.accounts or []][:2] == ["100000000000", "100000000001"]
    out = text(console_report.render(result, clean=clean))
    assert "41 accounts (1 not read)" in out
    table = rows(out)
    assert table[0].split()[:3] == ["999999999999", "locked", "not"]  # not read: first
    assert table[1].split()[0] == "100000000007"  # the critical failure next
    assert len(table) == console_report.ROW_BUDGET
    assert "+11 more accounts (--details lists them all)" in out
    assert len(rows(text(console_report.render(result, details=True, clean=clean)))) == 41


def test_summary_and_html_carry_the_accounts_escaped() -> None:
    result = organization(4)
    summary = text(console_report.render_summary(result, clean=clean))
    assert "100000000003" in summary and "999999999999" in summary
    page = html.render(jsonreport.build(result))
    assert 'id="accounts"' in page
    assert XSS not in page  # the hostile account name is escaped
    assert "&lt;img src=x" in page
    document = jsonreport.build(result)
    assert [a["status"] for a in document["accounts"]] == ["scanned"] * 4 + ["failed"]
    assert document["accounts"][-1]["coverage_gaps"] == 1
