"""Compliance as data: mappings consistent with the rules, and per-control status on the demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conftest import reset_emulator
from fortress.cli import main
from fortress.compliance import all_frameworks, get_framework, summarize
from fortress.demo import scan_demo
from fortress.demo.seed import seed
from fortress.findings import Finding, Practice, ResourceRef, Severity, Status
from fortress.rules.engine import all_rules
from fortress.scan import ScanResult

SCHEMA = Path(__file__).parents[2] / "src" / "fortress" / "data" / "report.schema.json"
EXPECTED = {"fsbp", "cis", "nist-800-53", "pci-dss", "soc2", "iso27001"}


def test_every_framework_ships_with_unique_controls() -> None:
    frameworks = {f.id: f for f in all_frameworks()}
    assert set(frameworks) == EXPECTED
    for fw in frameworks.values():
        ids = [c.id for c in fw.controls]
        assert len(ids) == len(set(ids)), fw.id
        assert all(c.title for c in fw.controls), fw.id


def test_mappings_and_rule_metadata_agree() -> None:
    """Every control a rule claims is in the data file with that rule; every rule id in the
    data files exists (so neither side can drift from the other)."""
    rules = {r.meta.id: r.meta for r in all_rules()}
    by_key = {f.metadata_key: f for f in all_frameworks()}
    for rid, meta in rules.items():
        for key, controls in meta.controls.items():
            assert key in by_key, f"{rid}: no framework file for {key}"
            mapped = {c.id: c.rules for c in by_key[key].controls}
            for control in controls:
                assert control in mapped, f"{rid}: {key} {control} missing from the data file"
                assert rid in mapped[control], f"{key} {control} does not list {rid}"
    for fw in all_frameworks():
        for control in fw.controls:
            unknown = set(control.rules) - set(rules)
            assert not unknown, f"{fw.id} {control.id}: no such rule {unknown}"


def test_fsbp_lists_the_lambda_controls() -> None:
    fsbp = {c.id: c for c in get_framework("aws-fsbp").controls}
    for control in ("Lambda.1", "Lambda.2", "Lambda.3", "Lambda.5", "Lambda.6", "Lambda.7"):
        assert control in fsbp
    assert fsbp["Lambda.1"].rules == ("FTR-IAM-007",)
    assert "GuardDuty.6" in fsbp and "Inspector.4" in fsbp and "SecretsManager.1" in fsbp


def _finding(rule_id: str, status: Status, resource: str = "arn:fn") -> Finding:
    return Finding(
        rule_id=rule_id,
        title="t",
        severity=Severity.HIGH,
        practice=Practice.LEAST_PRIVILEGE,
        status=status,
        resource=ResourceRef(resource, "AWS::Lambda::Function", resource),
        message="m",
    )


def test_unknown_verdicts_and_rules_not_run_are_not_assessed() -> None:
    fsbp = get_framework("fsbp")
    run = ["FTR-IAM-007", "FTR-PATCH-001", "FTR-PATCH-002"]
    findings = [
        _finding("FTR-IAM-007", Status.PASS, "a"),
        _finding("FTR-IAM-007", Status.UNKNOWN, "b"),  # one unknown: never a pass
        _finding("FTR-PATCH-001", Status.PASS),
        _finding("FTR-PATCH-002", Status.SUPPRESSED),
    ]
    controls = {c["id"]: c for c in summarize([fsbp], findings, run)["frameworks"][0]["controls"]}
    assert controls["Lambda.1"]["status"] == "not_assessed"
    assert controls["Lambda.1"]["resources"] == ["b"]
    assert controls["Lambda.2"]["status"] == "pass"  # a suppressed failure does not fail it
    assert controls["Lambda.3"]["status"] == "not_assessed"  # FTR-NET-001 did not run
    findings.append(_finding("FTR-PATCH-002", Status.FAIL, "old-runtime"))
    controls = {c["id"]: c for c in summarize([fsbp], findings, run)["frameworks"][0]["controls"]}
    assert controls["Lambda.2"] == {
        "id": "Lambda.2",
        "title": "Lambda functions should use supported runtimes",
        "status": "fail",
        "rules": ["FTR-PATCH-001", "FTR-PATCH-002"],
        "resources": ["old-runtime"],
    }


@pytest.fixture(scope="module")
def demo(emulator: str) -> tuple[str, ScanResult]:
    reset_emulator(emulator)
    seed(emulator)
    return emulator, scan_demo(emulator)


def test_compliance_on_the_demo_scan(demo: tuple[str, ScanResult]) -> None:
    _, result = demo
    ran = [r.meta.id for r in all_rules()]
    summary = summarize([get_framework("fsbp")], result.findings, ran)
    controls = {c["id"]: c for c in summary["frameworks"][0]["controls"]}
    public = controls["Lambda.1"]
    assert public["status"] == "fail"
    failing = {
        f.resource.id
        for f in result.findings
        if f.rule_id == "FTR-IAM-007" and f.status is Status.FAIL
    }
    assert failing and set(public["resources"]) == failing
    assert controls["CloudTrail.1"]["status"] == "pass"  # the demo has a multi-region trail
    assert controls["APIGateway.2"] == {
        "id": "APIGateway.2",
        "title": "API Gateway REST API stages should be configured to use SSL certificates "
        "for backend authentication",
        "status": "not_assessed",
        "rules": [],
        "resources": [],
    }
    skipped = summarize(
        [get_framework("fsbp")], result.findings, [r for r in ran if r != "FTR-GOV-001"]
    )
    assert {c["id"]: c["status"] for c in skipped["frameworks"][0]["controls"]}[
        "CloudTrail.1"
    ] == "not_assessed"


def test_scan_compliance_cli_json_and_console(demo: tuple[str, ScanResult], capsys: Any) -> None:
    endpoint, _ = demo
    base = ["scan", "--endpoint-url", endpoint, "--region", "us-east-1", "--region", "eu-west-1"]
    base += ["--as-of", "2026-11-27", "--no-config"]
    code = main([*base, "--compliance", "fsbp,cis", "--format", "json"])
    out = capsys.readouterr().out
    assert code == 1
    report = json.loads(out)
    jsonschema.validate(report, json.loads(SCHEMA.read_text(encoding="utf-8")))
    frameworks = {f["id"]: f for f in report["compliance"]["frameworks"]}
    assert set(frameworks) == {"fsbp", "cis"}
    status = {c["id"]: c["status"] for c in frameworks["fsbp"]["controls"]}
    assert status["Lambda.1"] == "fail" and status["CloudTrail.1"] == "pass"
    assert status["APIGateway.2"] == "not_assessed"

    main([*base, "--compliance", "fsbp"])
    console = capsys.readouterr().out
    assert "AWS Foundational Security Best Practices" in console
    assert "not assessed" in console and "Lambda.1" in console


def test_rules_compliance_lists_what_covers_each_control(capsys: Any) -> None:
    assert main(["rules", "--compliance", "fsbp", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    controls = {c["id"]: c for c in data["frameworks"][0]["controls"]}
    assert controls["Lambda.3"]["rules"] == ["FTR-NET-001"]
    assert controls["Inspector.3"]["rules"] == []
    assert main(["rules", "--compliance", "soc2"]) == 0
    text = capsys.readouterr().out
    assert "CC6.1" in text and "not covered" in text


def test_unknown_framework_is_an_error(capsys: Any) -> None:
    assert main(["rules", "--compliance", "hipaa"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown compliance framework 'hipaa'" in err[0]
