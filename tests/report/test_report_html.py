"""The HTML report: self-contained, filterable by URL, and inert against hostile names.

Rendered in headless Chromium (see report_browser.py); the page is built from the JSON report
document exactly as ``fortress scan --format html`` builds it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from report_browser import Dom, dump_dom, screenshot
from reportdata import BREAKOUT, XSS, sample_result

from fortress.cli import main
from fortress.report import html, jsonreport


@pytest.fixture(autouse=True)
def _piped_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Output is piped here: 100 columns, whatever $COLUMNS the test runner inherited."""
    monkeypatch.delenv("COLUMNS", raising=False)


COMPLIANCE = {
    "frameworks": [
        {
            "id": "fsbp",
            "name": "AWS Foundational Security Best Practices",
            "controls": [
                {
                    "id": "Lambda.1",
                    "title": "Lambda function policies should prohibit public access",
                    "status": "fail",
                    "rules": ["FTR-IAM-007"],
                    "resources": [XSS],
                },
                {
                    "id": "Lambda.2",
                    "title": "Lambda functions should use supported runtimes",
                    "status": "pass",
                    "rules": ["FTR-PATCH-001"],
                    "resources": [],
                },
                {
                    "id": "Lambda.3",
                    "title": "Lambda functions should be in a VPC",
                    "status": "not_assessed",
                    "rules": [],
                    "resources": [],
                },
            ],
        }
    ]
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return jsonreport.build(sample_result())


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, document: dict[str, Any]) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(html.render(document, {"FTR-SEC-001": {"cli": "aws lambda update-x"}}))
    return path


def shown(dom: Dom) -> list[dict[str, Any]]:
    return dom.find("details", "finding")


def test_the_page_is_self_contained(page: Path) -> None:
    text = page.read_text()
    # nothing fetched: no external script, style, image, font or frame
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "@import" not in text and "url(" not in text
    assert "default-src 'none'" in text  # CSP: the page may not load or connect anywhere


def test_embedded_data_cannot_break_out_of_its_script_element(document: dict[str, Any]) -> None:
    embedded = str(html.embed_json(document))
    assert "<" not in embedded and ">" not in embedded and "&" not in embedded
    assert json.loads(embedded) == json.loads(json.dumps(document, default=str))
    text = html.render(document)
    block = text.split('<script type="application/json" id="fortress-data">', 1)[1]
    block = block.split("</script>", 1)[0]  # where the browser ends the element
    assert json.loads(block)["findings"] == json.loads(json.dumps(document["findings"]))
    assert BREAKOUT not in text and XSS not in text


def test_the_page_renders_the_findings(page: Path, tmp_path: Path) -> None:
    dom = Dom(dump_dom(page))
    assert dom.title == "Fortress posture report"
    rows = shown(dom)
    # default view: everything but passed checks
    assert len(rows) == 8
    assert {r["data-status"] for r in rows} == {"fail", "unknown", "suppressed"}
    assert dom.find("body", data_ready="1")
    assert dom.find("svg", id="chart-practice") and dom.find("svg", id="chart-severity")
    count = dom.find("p", id="shown-count")[0]
    assert count["data-count"] == "8"
    shot = screenshot(page, tmp_path / "report.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"screenshot of the HTML report: {shot}")


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("severity=critical", {"FTR-IAM-001", "FTR-SEC-001"}),
        ("status=pass", {"FTR-NET-001", "FTR-EPH-003"}),
        ("practice=logging-monitoring&status=fail", {"FTR-LOG-001", "FTR-LOG-003"}),
        ("region=eu-west-1", {"FTR-API-001", "FTR-LOG-001"}),
        ("account=444455556666", {"FTR-LOG-001"}),
        ("q=orders-api&status=fail,pass", {"FTR-SEC-001", "FTR-NET-001"}),
        ("q=template.yaml", {"FTR-SEC-001"}),
    ],
)
def test_filters_change_what_is_shown(page: Path, fragment: str, expected: set[str]) -> None:
    dom = Dom(dump_dom(page, fragment))
    assert {r["data-rule"] for r in shown(dom)} == expected
    assert dom.find("p", id="shown-count")[0]["data-count"] == str(len(shown(dom))), (
        "the count follows the filter"
    )


def test_a_hostile_resource_name_runs_no_script(page: Path) -> None:
    text = dump_dom(page, "region=eu-west-1&tab=findings")
    dom = Dom(text)
    assert dom.title == "Fortress posture report"  # onerror= would have set it to 'pwned'
    assert not dom.find("img")
    assert "pwned" not in dom.title
    # the name is shown as text
    assert "&lt;img src=x onerror=document.title='pwned'&gt;" in text


def test_compliance_tab_with_and_without_a_summary(
    tmp_path: Path, document: dict[str, Any]
) -> None:
    without = tmp_path / "plain.html"
    without.write_text(html.render(document))
    dom = Dom(dump_dom(without, "tab=compliance"))
    assert dom.find("p", id="no-compliance")
    assert "--compliance NAME" in without.read_text()

    with_key = tmp_path / "compliance.html"
    with_key.write_text(html.render({**document, "compliance": COMPLIANCE}))
    text = dump_dom(with_key, "tab=compliance")
    dom = Dom(text)
    assert {c["data-status"] for c in dom.find("tr", "control")} == {"pass", "fail", "not_assessed"}
    assert not dom.find("img") and dom.title == "Fortress posture report"
    section = dom.find("section", id="tab-compliance")[0]
    assert "hidden" not in section
    assert "hidden" in dom.find("section", id="tab-findings")[0]


def test_coverage_gaps_tab(page: Path) -> None:
    dom = Dom(dump_dom(page, "tab=gaps"))
    assert len(dom.find("tr", "gap")) == 1
    assert "hidden" not in dom.find("section", id="tab-gaps")[0]


def test_scan_writes_html_and_hunt_writes_a_timeline(tmp_path: Path, capsys: Any) -> None:
    fixture = Path(__file__).parents[1] / "iac" / "fixtures"
    template = next(p for p in sorted(fixture.rglob("*.yaml")) if "sam" in p.name.lower())
    out = tmp_path / "scan.html"
    main(["scan", str(template), "--format", "html", "--output", str(out)])
    printed = capsys.readouterr().out
    assert f"Report written to {out}" in printed
    dom = Dom(dump_dom(out, "status=fail,unknown,suppressed,pass"))
    report = json.loads(
        jsonreport.render(_rescan(template))
    )  # the same scan as JSON: the page shows every finding of it
    assert len(dom.find("details", "finding")) == len(report["findings"]) > 0

    trail = tmp_path / "trail.json"
    trail.write_text(json.dumps({"Records": [_hostile_backdoor()]}))
    hunt_page = tmp_path / "hunt.html"
    assert main(["hunt", str(trail), "--format", "html", "--output", str(hunt_page)]) == 1
    text = dump_dom(hunt_page)
    dom = Dom(text)
    assert dom.title == "Fortress hunt report"
    assert [d["data-rule"] for d in dom.find("li", "detection")] == ["FTR-DET-001"]
    assert dom.find("svg", id="chart-timeline")
    assert not dom.find("img")


def _rescan(template: Path) -> Any:
    from datetime import UTC, datetime

    from fortress.config import ScanConfig
    from fortress.scan import iac_inputs, load_iac, run_rules
    from fortress.sources.base import IacOptions

    loaded = load_iac(iac_inputs([template], None), IacOptions())
    return run_rules(
        loaded.inventory, None, ScanConfig(), loaded.gaps, loaded.sources, datetime.now(UTC)
    )


def _hostile_backdoor() -> dict[str, Any]:
    account = "111122223333"
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": f"arn:aws:iam::{account}:user/{XSS}",
            "accountId": account,
            "accessKeyId": "AKIAEXAMPLE000000001",
            "userName": XSS,
        },
        "eventTime": "2024-08-01T13:00:00Z",
        "eventSource": "lambda.amazonaws.com",
        "eventName": "AddPermission20150331v2",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.10",
        "userAgent": "aws-cli/2.15.30",
        "requestParameters": {
            "action": "lambda:InvokeFunction",
            "functionName": "orders",
            "principal": "*",
            "statementId": "b",
        },
        "responseElements": None,
        "requestID": "r1",
        "eventID": "e1",
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
