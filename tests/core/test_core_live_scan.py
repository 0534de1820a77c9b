"""The live source and every rule, against the seeded demo account in the emulator.

The ShopFast demo (fortress.demo.seed) is built so that every rule the emulator can represent
fails at least once and passes at least once; the few it cannot are listed in
fortress.demo.EMULATOR_LIMITS with the reason, and this test keeps that list honest.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conftest import reset_emulator
from fortress.cli import main
from fortress.demo import (
    DEMO_DEPLOYERS,
    EMULATOR_LIMITS,
    demo_config,
    package_mirror,
    scan_demo,
)
from fortress.demo import cloudtrail as demo_trail
from fortress.demo.seed import seed
from fortress.demo.shopfast import SEEDED_SECRETS, Seeded
from fortress.findings import Status
from fortress.rules.engine import all_rules
from fortress.scan import ScanResult

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "src/fortress/data/report.schema.json").read_text()
)


@pytest.fixture(scope="module")
def seeded(emulator: str) -> Seeded:
    reset_emulator(emulator)
    return seed(emulator)


@pytest.fixture(scope="module")
def result(seeded: Seeded) -> ScanResult:
    """As `make demo` scans: with every package read from the demo's loopback mirror."""
    with package_mirror(seeded.packages) as mirror:
        return scan_demo(seeded.endpoint, mirror=mirror)


def statuses(result: ScanResult) -> dict[str, set[Status]]:
    found: dict[str, set[Status]] = defaultdict(set)
    for f in result.findings:
        found[f.rule_id].add(f.status)
    return found


def test_every_rule_fails_and_passes_on_the_live_demo(result: ScanResult) -> None:
    found = statuses(result)
    missing = {}
    for r in all_rules():
        if not r.meta.live:  # IaC-only rules (FTR-IAM-012): tested on every template format
            continue
        wanted = {Status.FAIL, Status.PASS} - set(
            EMULATOR_LIMITS.get(r.meta.id, {}).get("cannot", ())
        )
        lacking = wanted - found[r.meta.id]
        if lacking:
            missing[r.meta.id] = sorted(lacking)
    assert missing == {}


def test_emulator_limits_are_real(result: ScanResult) -> None:
    """A rule listed as limited must really lack that status (else the list is stale)."""
    found = statuses(result)
    for rule_id, limit in EMULATOR_LIMITS.items():
        for status in limit["cannot"]:
            assert status not in found[rule_id], (
                f"{rule_id} is listed as unable to {status} but does"
            )


def by(result: ScanResult, rule_id: str, status: Status = Status.FAIL) -> set[str]:
    return {f.resource.name for f in result.findings if f.rule_id == rule_id and f.status is status}


def test_seeded_misconfigurations_are_found_on_the_right_resources(result: ScanResult) -> None:
    assert by(result, "FTR-API-001") == {"payments-webhook"}
    assert "orders-api" in by(result, "FTR-API-001", Status.PASS)
    assert by(result, "FTR-IAM-001") == {"shopfast-payments"}
    assert {"admin-tools", "payments-webhook"} <= by(result, "FTR-IAM-007")
    assert by(result, "FTR-IAM-008") == {"admin-tools"}
    # granted versus used, from the demo's day of CloudTrail: the stolen admin role used three
    # actions; orders' unused grants are data events no trail records
    assert by(result, "FTR-IAM-015") == {"shopfast-payments", "shopfast-admin-tools"}
    assert "shopfast-orders" in by(result, "FTR-IAM-015", Status.UNKNOWN)
    assert "shopfast-audit-logger" in by(result, "FTR-IAM-015", Status.PASS)
    assert "shopfast-admin-tools" in by(result, "FTR-IAM-004")
    assert "shopfast-orders" in by(result, "FTR-IAM-005")
    assert by(result, "FTR-SEC-001") >= {"payments-webhook", "admin-tools", "reports-generator"}
    assert "auth-authorizer" not in by(result, "FTR-SEC-001")
    assert by(result, "FTR-SEC-002") == {"shopfast-rest/dev"}
    assert "image-resizer" in by(result, "FTR-IAM-009")
    assert "image-resizer" in by(result, "FTR-NET-002")
    assert "auth-authorizer" in by(result, "FTR-NET-002", Status.PASS)
    assert by(result, "FTR-NET-005") == {"image-resizer"}  # subnet_a2 routes to an IGW
    assert by(result, "FTR-NET-006") == {"image-resizer"}  # subnet_a2 has the default ACL
    assert "auth-authorizer" in by(result, "FTR-NET-005", Status.PASS)
    assert "auth-authorizer" in by(result, "FTR-NET-006", Status.PASS)
    assert by(result, "FTR-API-009") == {"shopfast-live"}
    assert by(result, "FTR-API-009", Status.PASS) == {"shopfast-support"}
    live = next(
        f for f in result.findings if f.rule_id == "FTR-API-009" and f.status is Status.FAIL
    )
    assert "$connect -> notifications has no authorizer" in live.message
    assert [r.name for r in live.related] == ["notifications"]
    assert by(result, "FTR-API-010") == {"shopfast-rest"}
    assert by(result, "FTR-API-010", Status.PASS) == {"shopfast-partners"}
    assert by(result, "FTR-API-011") == {"legacy.shopfast.example"}
    assert by(result, "FTR-API-011", Status.PASS) == {"api.shopfast.example"}
    assert by(result, "FTR-API-012") == {"shopfast-mobile"}  # https://* with credentials
    assert "shopfast-http" in by(result, "FTR-API-012", Status.PASS)
    assert by(result, "FTR-API-013") == {"legacy-export"}
    assert by(result, "FTR-API-013", Status.PASS) == {"admin-tools", "reports-generator"}
    (exposed,) = [
        f for f in result.findings if f.rule_id == "FTR-API-013" and f.status is Status.FAIL
    ]
    assert "shopfast-public listener HTTP:80 (default action)" in exposed.message
    assert exposed.evidence["load_balancers"] == ["shopfast-public"]
    # WebSocket routes are not HTTP API routes: FTR-API-004 does not judge them.
    assert not {"shopfast-live", "shopfast-support"} & {
        f.resource.name for f in result.findings if f.rule_id == "FTR-API-004"
    }
    assert by(result, "FTR-LOG-008") == {"eu-west-1"}
    assert by(result, "FTR-PATCH-003") == {"eu-west-1"}
    assert {"payments-webhook", "reports-generator", "legacy-export"} <= by(result, "FTR-PATCH-001")
    assert by(result, "FTR-PATCH-002") == {"loyalty-points"}


def test_live_collection_records_the_emulator_gaps(result: ScanResult) -> None:
    ops = {(g.service, g.operation, g.error_code) for g in result.gaps}
    assert ("lambda", "get_code_signing_config", "NotImplemented") in ops
    # The function whose code signing policy could not be read is unknown, not passed.
    unknown = by(result, "FTR-CODE-001", Status.UNKNOWN)
    assert unknown == {"auth-authorizer"}


def test_secrets_never_appear_in_any_output(seeded: Seeded, tmp_path: Path, capsys: Any) -> None:
    outputs = []
    for fmt in ("console", "json", "sarif"):
        out = tmp_path / f"report.{fmt}"
        code = main(
            [
                "scan",
                "--endpoint-url",
                seeded.endpoint,
                "--region",
                "us-east-1",
                "--region",
                "eu-west-1",
                "--format",
                fmt,
                "--output",
                str(out),
            ]
        )
        assert code == 1
        outputs.append(out.read_text())
    snapshot = tmp_path / "snap.json"
    assert main(["collect", "--endpoint-url", seeded.endpoint, "--output", str(snapshot)]) in (0, 3)
    outputs.append(snapshot.read_text())
    captured = capsys.readouterr()
    outputs += [captured.out, captured.err]
    for text in outputs:
        for secret in SEEDED_SECRETS:
            assert secret not in text
            assert secret[:12] not in text
    # ...while the findings still name the variables.
    report = json.loads(outputs[1])
    names = {
        v["name"]
        for f in report["findings"]
        if f["rule_id"] == "FTR-SEC-001" and f["status"] == "fail"
        for v in f["evidence"]["variables"]
    }
    assert {"STRIPE_SECRET_KEY", "DB_PASSWORD"} <= names


def test_scan_with_endpoint_url_writes_schema_valid_json(seeded: Seeded, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    code = main(
        [
            "scan",
            "--endpoint-url",
            seeded.endpoint,
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "--format",
            "json",
            "--output",
            str(out),
            "--as-of",
            "2026-11-27",
            "--deprecation-window",
            "180",
        ]
    )
    assert code == 1
    report = json.loads(out.read_text())
    jsonschema.validate(report, SCHEMA)
    assert report["summary"]["resources"]["functions"] == len(seeded.functions) == 15
    assert any(g["operation"] == "get_code_signing_config" for g in report["coverage_gaps"])
    practices = {f["practice"] for f in report["findings"] if f["status"] == "fail"}
    assert len(practices) == 9


def test_snapshot_gives_the_same_findings_offline(
    seeded: Seeded, result: ScanResult, tmp_path: Path
) -> None:
    snapshot = tmp_path / "snap.json"
    assert (
        main(
            [
                "collect",
                "--endpoint-url",
                seeded.endpoint,
                "--region",
                "us-east-1",
                "--region",
                "eu-west-1",
                "--output",
                str(snapshot),
            ]
        )
        == 3
    )  # the emulator lacks get_code_signing_config
    offline = tmp_path / "offline.json"
    trail = tmp_path / "cloudtrail"
    demo_trail.write(trail)  # the demo scan reads this day for granted versus used
    # The demo's deployers (FTR-IAM-011), as a config file gives them to `scan`.
    config = tmp_path / ".fortress.yaml"
    config.write_text("version: 1\ndeployers:\n" + "".join(f"  - '{d}'\n" for d in DEMO_DEPLOYERS))
    code = main(
        [
            "scan",
            "--snapshot",
            str(snapshot),
            "--cloudtrail",
            str(trail),
            "--since",
            "2026-11-01",
            "--format",
            "json",
            "--output",
            str(offline),
            "--as-of",
            demo_config().as_of.isoformat(),
            "--deprecation-window",
            "180",
            "--config",
            str(config),
        ]
    )
    assert code == 1
    report = json.loads(offline.read_text())
    offline_keys = {(f["rule_id"], f["resource"]["id"], f["status"]) for f in report["findings"]}
    # A snapshot holds the account's configuration, not its code packages: the package rules
    # (run live with --packages) give no finding offline.
    package = {
        r.meta.id for r in all_rules() if r.func.__module__.startswith("fortress.rules.package_")
    }
    live_keys = {
        (f.rule_id, f.resource.id, str(f.status))
        for f in result.findings
        if f.rule_id not in package
    }
    assert offline_keys == live_keys
    assert package and not {k[0] for k in offline_keys} & package
    assert report["coverage_gaps"], "gaps of the collection travel with the snapshot"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--fail-on", "critical"], 1),
        (["--rules", "FTR-EPH-002", "--fail-on", "critical"], 3),  # no critical; gaps remain
        (["--rules", "FTR-EPH-002", "--fail-on", "low"], 1),
        (["--fail-on", "bogus"], 2),
        (["--rules", "FTR-NOPE-999"], 2),
    ],
)
def test_exit_codes(seeded: Seeded, args: list[str], expected: int, capsys: Any) -> None:
    code = main(["scan", "--endpoint-url", seeded.endpoint, "--format", "json", *args])
    assert code == expected
    if expected == 2:
        err = capsys.readouterr().err
        assert "fortress: error:" in err
        assert "Traceback" not in err
