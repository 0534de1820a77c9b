"""Ecosystem formats: OCSF Detection Finding, ASFF (and the Security Hub push), JUnit, CSV."""

from __future__ import annotations

import csv
import io
import json
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped
from py_ocsf_models.events.findings.detection_finding import DetectionFinding
from pydantic import BaseModel

from fortress.aws.client import AwsClient, AwsOptions
from fortress.aws.securityhub import push
from fortress.cli import main
from fortress.demo import cloudtrail as demo_trail
from fortress.report import asff

FIXTURES = Path(__file__).parents[1] / "iac" / "fixtures"
VULNERABLE = FIXTURES / "cloudformation" / "vulnerable.yaml"
SAM = FIXTURES / "sam" / "vulnerable.yaml"


def _run(args: list[str], capsys: Any) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _json_report(path: Path, capsys: Any) -> dict[str, Any]:
    _, out, _ = _run(["scan", str(path), "--no-config", "--format", "json"], capsys)
    report: dict[str, Any] = json.loads(out)
    return report


# --------------------------------------------------------------------------- OCSF


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models inside an annotation (Optional[X], list[X], X | None …)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list):
        for arg in typing.get_args(annotation):
            found.extend(_models(arg))
    return found


def _no_unknown_attributes(model: type[BaseModel], data: Any, where: str) -> None:
    """OCSF classes are closed (only ``unmapped`` is free-form): reject attributes the class
    does not define, which pydantic would silently ignore."""
    if isinstance(data, list):
        for i, item in enumerate(data):
            _no_unknown_attributes(model, item, f"{where}[{i}]")
        return
    assert isinstance(data, dict), where
    for key, value in data.items():
        assert key in model.model_fields, f"{where}.{key} is not an attribute of {model.__name__}"
        if key in ("unmapped", "data"):
            continue
        for sub in _models(model.model_fields[key].annotation):
            _no_unknown_attributes(sub, value, f"{where}.{key}")


def _validate_ocsf(events: list[dict[str, Any]]) -> None:
    """Validated with py-ocsf-models (Prowler's pydantic models of the OCSF 1.5 schema)."""
    assert events
    for i, event in enumerate(events):
        DetectionFinding.model_validate(event)
        _no_unknown_attributes(DetectionFinding, event, f"$[{i}]")
        assert event["class_uid"] == 2004 and event["type_uid"] == 200401


def test_ocsf_posture_findings_validate(capsys: Any) -> None:
    code, out, _ = _run(["scan", str(VULNERABLE), "--no-config", "--format", "ocsf"], capsys)
    assert code == 1
    events = json.loads(out)
    _validate_ocsf(events)
    report = _json_report(VULNERABLE, capsys)
    assert len(events) == len(report["findings"])
    codes = {e["status_code"] for e in events}
    assert {"FAIL", "PASS"} <= codes
    public = next(
        e
        for e in events
        if e["metadata"]["event_code"] == "FTR-IAM-007" and e["status_code"] == "FAIL"
    )
    assert public["severity_id"] == 5 and public["severity"] == "Critical"
    assert public["resources"][0]["type"] == "AWS::Lambda::Function"
    assert public["unmapped"]["controls"]["aws-fsbp"] == ["Lambda.1"]


def test_ocsf_hunt_detections_validate(tmp_path: Path, capsys: Any) -> None:
    trail = tmp_path / "cloudtrail"
    demo_trail.write(trail)
    code, out, _ = _run(["hunt", str(trail), "--format", "ocsf"], capsys)
    assert code == 1
    events = json.loads(out)
    _validate_ocsf(events)
    assert all(e["finding_info"]["data_sources"] == ["CloudTrail"] for e in events)
    assert any(e.get("resources") for e in events)


# --------------------------------------------------------------------------- ASFF


def test_asff_shape(capsys: Any) -> None:
    code, out, _ = _run(["scan", str(SAM), "--no-config", "--format", "asff"], capsys)
    assert code == 1
    findings = json.loads(out)["Findings"]
    report = _json_report(SAM, capsys)
    exported = [f for f in report["findings"] if f["status"] in ("fail", "unknown", "suppressed")]
    assert len(findings) == len(exported)
    ids = [f["Id"] for f in findings]
    assert len(ids) == len(set(ids))
    for f in findings:
        assert f["SchemaVersion"] == "2018-10-08"
        assert len(f["AwsAccountId"]) == 12 and f["ProductArn"].endswith("/default")
        assert f["Compliance"]["Status"] in ("FAILED", "WARNING")
        assert len(f["Title"]) <= 256 and len(f["Description"]) <= 1024
    assert {"AwsLambdaFunction", "AwsIamRole"} <= {f["Resources"][0]["Type"] for f in findings}


def _all_findings(sh: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in sh.get_paginator("get_findings").paginate():
        found.extend(page["Findings"])
    return found


def test_push_securityhub_in_batches_of_100(aws: str, client: Any) -> None:
    """Batches of 100, checked by importing 230 findings and reading them back."""
    template = {
        "SchemaVersion": "2018-10-08",
        "ProductArn": "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
        "GeneratorId": "fortress/FTR-NET-001",
        "AwsAccountId": "123456789012",
        "Types": [asff.FINDING_TYPE],
        "CreatedAt": "2026-12-02T00:00:00Z",
        "UpdatedAt": "2026-12-02T00:00:00Z",
        "Severity": {"Label": "LOW"},
        "Title": "FTR-NET-001 Function is not attached to a VPC",
        "Description": "not in a VPC",
        "Resources": [
            {"Type": "AwsLambdaFunction", "Id": "arn:aws:lambda:us-east-1:123456789012:function:f"}
        ],
    }
    findings = [{**template, "Id": f"fortress/FTR-NET-001/{i:04d}"} for i in range(230)]
    aws_client = AwsClient(AwsOptions(regions=["us-east-1"], endpoint_url=aws, max_attempts=1))
    pushed = push(aws_client, findings, "us-east-1")
    assert (pushed.batches, pushed.imported, pushed.failed) == (3, 230, 0)
    back = _all_findings(client("securityhub"))
    assert {f["Id"] for f in back} == {f["Id"] for f in findings}


def test_scan_push_securityhub(aws: str, client: Any, capsys: Any) -> None:
    code, _, err = _run(
        ["scan", str(SAM), "--no-config", "--push-securityhub", "--endpoint-url", aws], capsys
    )
    assert code == 1
    report = _json_report(SAM, capsys)
    exported = [f for f in report["findings"] if f["status"] in ("fail", "unknown", "suppressed")]
    back = _all_findings(client("securityhub"))
    assert len(back) == len(exported)
    assert {f["AwsAccountId"] for f in back} == {"123456789012"}
    assert {f["GeneratorId"] for f in back} == {f"fortress/{f['rule_id']}" for f in exported}
    assert f"{len(exported)} findings imported" in err


def test_scan_without_the_flag_writes_nothing(aws: str, client: Any, capsys: Any) -> None:
    _run(["scan", str(SAM), "--no-config", "--format", "asff", "--endpoint-url", aws], capsys)
    assert _all_findings(client("securityhub")) == []


# --------------------------------------------------------------------------- JUnit


def test_junit_one_case_per_rule_and_resource(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "fortress.xml"
    code, _, _ = _run(
        ["scan", str(VULNERABLE), "--no-config", "--format", "junit", "--output", str(out)],
        capsys,
    )
    assert code == 1
    report = _json_report(VULNERABLE, capsys)
    xml = JUnitXml.fromfile(str(out))
    cases = [(suite, case) for suite in xml for case in suite]
    assert len(cases) == len(report["findings"])
    assert len({(c.classname, c.name) for _, c in cases}) == len(cases)
    verdicts: dict[str, int] = {"fail": 0, "unknown": 0, "suppressed": 0}
    for _, case in cases:
        for result in case.result:
            if isinstance(result, Failure):
                verdicts["fail"] += 1
            elif isinstance(result, Error):
                verdicts["unknown"] += 1
            elif isinstance(result, Skipped):
                verdicts["suppressed"] += 1
    for status, count in verdicts.items():
        assert count == sum(1 for f in report["findings"] if f["status"] == status), status
    assert verdicts["fail"] > 0
    assert int(xml.failures) == verdicts["fail"]


# --------------------------------------------------------------------------- CSV

HOSTILE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  EvilFn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: "=HYPERLINK(\\"http://evil.example\\",\\"click\\")"
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/r
      Code: {ZipFile: "def handler(e, c): pass"}
      Tags:
        - {Key: owner, Value: "@SUM(1+1)"}
"""


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@"])
def test_csv_sanitizes_formula_cells(prefix: str) -> None:
    from fortress.report.csv import sanitize

    assert sanitize(f"{prefix}cmd|' /C calc'!A0") == f"'{prefix}cmd|' /C calc'!A0"
    assert sanitize("plain") == "plain" and sanitize(None) == "" and sanitize(3) == "3"


def test_csv_report_of_a_hostile_template(tmp_path: Path, capsys: Any) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(HOSTILE)
    code, out, _ = _run(["scan", str(template), "--no-config", "--format", "csv"], capsys)
    assert code in (0, 1)
    rows = list(csv.DictReader(io.StringIO(out)))
    report = _json_report(template, capsys)
    assert len(rows) == len(report["findings"])
    names = {row["resource_name"] for row in rows}
    # the function, and its role (defined elsewhere, judged by FTR-IAM-005 as named: "r")
    assert names == {'\'=HYPERLINK("http://evil.example","click")', "r"}
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value
