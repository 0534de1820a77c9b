"""Every template rule on Terraform: fails on the vulnerable configuration, passes on the
hardened one, with the resource address and the line where its block starts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from iac_findings import at, package_rules, seen

from fortress.config import ScanConfig
from fortress.findings import Finding, Status
from fortress.rules import engine
from fortress.sources import terraform

FIXTURES = Path(__file__).parent / "fixtures" / "terraform"

BAD_FN = ("aws_lambda_function.bad", 62)
# Rules whose resources live in another file of the fixture folder than main.tf.
OTHER_FILES = {
    "FTR-API-009": "websocket.tf",
    "FTR-API-011": "rest_policy.tf",
    "FTR-API-012": "alb.tf",
}
# rule id -> (address, line) in vulnerable/main.tf (or the file OTHER_FILES names)
VULNERABLE = {
    "FTR-IAM-001": ("aws_iam_role.admin", 7),
    "FTR-IAM-002": ("aws_iam_role.admin", 7),
    "FTR-IAM-003": ("aws_iam_role.admin", 7),
    "FTR-IAM-004": ("aws_iam_role.admin", 7),
    "FTR-IAM-005": ("aws_iam_role.admin", 7),
    "FTR-IAM-006": ("aws_iam_role.admin", 7),
    "FTR-IAM-012": ("aws_iam_role.admin", 7),
    "FTR-IAM-007": BAD_FN,
    "FTR-IAM-008": BAD_FN,
    "FTR-IAM-009": BAD_FN,
    "FTR-IAM-010": BAD_FN,
    "FTR-CODE-001": BAD_FN,
    "FTR-CODE-002": BAD_FN,
    "FTR-CODE-003": BAD_FN,
    "FTR-CODE-004": ("aws_lambda_layer_version.shared", 31),
    "FTR-NET-001": BAD_FN,
    "FTR-NET-002": ("aws_lambda_function.vpc_one_az", 88),
    "FTR-NET-005": ("aws_lambda_function.vpc_one_az", 88),
    "FTR-NET-006": ("aws_lambda_function.vpc_one_az", 88),
    "FTR-NET-003": ("aws_security_group.open", 45),
    "FTR-NET-004": ("aws_security_group.open", 45),
    "FTR-API-001": BAD_FN,
    "FTR-API-002": BAD_FN,
    "FTR-API-003": ("aws_api_gateway_rest_api.api", 148),
    "FTR-API-004": ("aws_apigatewayv2_api.http", 183),
    "FTR-API-009": ("aws_apigatewayv2_api.live", 3),
    "FTR-API-010": ("aws_api_gateway_rest_api.api", 148),
    "FTR-API-012": ("aws_apigatewayv2_api.cors", 1),
    "FTR-API-013": BAD_FN,
    "FTR-API-011": ("aws_api_gateway_domain_name.legacy", 11),
    "FTR-API-005": ("aws_api_gateway_stage.prod", 174),
    "FTR-API-006": ("aws_api_gateway_rest_api.api", 148),
    "FTR-API-007": ("aws_api_gateway_stage.prod", 174),
    "FTR-API-008": BAD_FN,
    "FTR-LOG-001": BAD_FN,
    "FTR-LOG-002": BAD_FN,
    "FTR-LOG-003": BAD_FN,
    "FTR-LOG-004": BAD_FN,
    "FTR-LOG-006": ("aws_api_gateway_stage.prod", 174),
    "FTR-SEC-001": BAD_FN,
    "FTR-SEC-002": ("aws_api_gateway_stage.prod", 174),
    "FTR-SEC-003": ("aws_secretsmanager_secret.db", 144),
    "FTR-EPH-001": BAD_FN,
    "FTR-EPH-002": BAD_FN,
    "FTR-EPH-003": BAD_FN,
    "FTR-PATCH-001": BAD_FN,
    "FTR-GOV-002": BAD_FN,
    "FTR-CODE-006": BAD_FN,
}
# On a template, a missing trail/alarm may live in another stack: unknown, never a pass.
UNKNOWN_ON_TEMPLATE = {"FTR-LOG-005": BAD_FN, "FTR-LOG-007": BAD_FN}

GOOD_FN = ("aws_lambda_function.good", 77)
GOOD_ROLE = ("aws_iam_role.good", 20)
HARDENED = {
    **{
        rid: GOOD_FN
        for rid, (addr, _) in VULNERABLE.items()
        if addr.startswith("aws_lambda_function")
    },
    **{rid: GOOD_ROLE for rid, (addr, _) in VULNERABLE.items() if addr.startswith("aws_iam_role")},
    "FTR-CODE-004": ("aws_lambda_layer_version.shared", 44),
    "FTR-NET-003": ("aws_security_group.fn", 50),
    "FTR-NET-004": ("aws_security_group.fn", 50),
    "FTR-API-003": ("aws_api_gateway_rest_api.api", 175),
    "FTR-API-004": ("aws_apigatewayv2_api.http", 243),
    "FTR-API-009": ("aws_apigatewayv2_api.live", 275),
    "FTR-API-010": ("aws_api_gateway_rest_api.api", 175),
    "FTR-API-011": ("aws_apigatewayv2_domain_name.api", 303),
    "FTR-API-012": ("aws_apigatewayv2_api.cors", 1),
    "FTR-API-005": ("aws_api_gateway_stage.prod", 213),
    "FTR-API-006": ("aws_api_gateway_rest_api.api", 175),
    "FTR-API-007": ("aws_api_gateway_stage.prod", 213),
    "FTR-LOG-005": GOOD_FN,
    "FTR-LOG-006": ("aws_api_gateway_stage.prod", 213),
    "FTR-LOG-007": GOOD_FN,
    "FTR-SEC-002": ("aws_api_gateway_stage.prod", 213),
    "FTR-SEC-003": ("aws_secretsmanager_secret.db", 163),
    "FTR-PATCH-002": GOOD_FN,
    "FTR-PATCH-007": GOOD_FN,
    "FTR-LOG-009": GOOD_FN,
    "FTR-PATCH-009": GOOD_FN,
}


def _findings(name: str, config: ScanConfig | None = None) -> list[Finding]:
    inventory = terraform.load(FIXTURES / name)
    return engine.evaluate(inventory, engine.all_rules(), config)


@pytest.fixture(scope="module")
def vulnerable() -> list[Finding]:
    return _findings("vulnerable")


@pytest.fixture(scope="module")
def hardened() -> list[Finding]:
    return _findings("hardened")


def _one(findings: list[Finding], rule_id: str, address: str) -> Finding:
    matches = [f for f in findings if f.rule_id == rule_id and f.resource.logical_id == address]
    seen = [(f.rule_id, f.resource.logical_id) for f in findings if f.rule_id == rule_id]
    assert len(matches) == 1, f"{rule_id} on {address}: {seen}"
    return matches[0]


@pytest.mark.parametrize("rule_id", sorted(VULNERABLE))
def test_rule_fails_on_vulnerable(vulnerable: list[Finding], rule_id: str) -> None:
    address, line = VULNERABLE[rule_id]
    finding = _one(vulnerable, rule_id, address)
    assert finding.status is Status.FAIL, finding.message
    assert finding.resource.line == line
    assert finding.resource.file is not None
    assert finding.resource.file.endswith(f"vulnerable/{OTHER_FILES.get(rule_id, 'main.tf')}")


@pytest.mark.parametrize("rule_id", sorted(UNKNOWN_ON_TEMPLATE))
def test_rule_is_unknown_not_pass_on_vulnerable(vulnerable: list[Finding], rule_id: str) -> None:
    address, line = UNKNOWN_ON_TEMPLATE[rule_id]
    finding = _one(vulnerable, rule_id, address)
    assert finding.status is Status.UNKNOWN
    assert finding.resource.line == line


@pytest.mark.parametrize("rule_id", sorted(HARDENED))
def test_rule_passes_on_hardened(hardened: list[Finding], rule_id: str) -> None:
    address, line = HARDENED[rule_id]
    finding = _one(hardened, rule_id, address)
    assert finding.status is Status.PASS, finding.message
    assert finding.resource.line == line


def test_no_failure_at_all_on_hardened(hardened: list[Finding]) -> None:
    assert [(f.rule_id, f.message) for f in hardened if f.status is not Status.PASS] == []


def test_every_template_rule_is_covered() -> None:
    template_rules = {r.meta.id for r in engine.all_rules() if r.meta.template} - package_rules()
    # FTR-CODE-007 (S3 package buckets) is tested on every format in test_iac_package_bucket.py.
    # FTR-PATCH-007 and FTR-LOG-009 fail on every format in test_iac_function_settings.py.
    covered = set(VULNERABLE) | set(UNKNOWN_ON_TEMPLATE)
    covered |= {"FTR-PATCH-002", "FTR-CODE-007", "FTR-PATCH-007", "FTR-LOG-009", "FTR-SEC-006"}
    covered |= {"FTR-PATCH-009"}  # fails on every format in test_iac_function_settings.py
    # FTR-PATCH-004/008 judge code age, which a template does not have (not applicable).
    # FTR-IAM-015 needs CloudTrail read with the scan (tests/iam/test_iam_usage.py).
    assert template_rules - covered == {"FTR-PATCH-004", "FTR-PATCH-008", "FTR-IAM-015"}


def test_runtime_deprecated_soon_fails_near_its_date() -> None:
    config = ScanConfig(as_of=date(2028, 9, 15))
    finding = _one(_findings("hardened", config), "FTR-PATCH-002", "aws_lambda_function.good")
    assert finding.status is Status.FAIL
    assert finding.resource.line == 77


def test_account_wide_rules_are_skipped_on_templates(vulnerable: list[Finding]) -> None:
    assert not {"FTR-LOG-008", "FTR-PATCH-003", "FTR-GOV-001"} & {f.rule_id for f in vulnerable}


def test_suppression_comment(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_lambda_function" "f" {\n'
        "  # fortress:skip=FTR-LOG-003 traced by the sidecar\n"
        '  function_name = "f"\n  runtime = "python3.12"\n}\n'
    )
    findings = engine.evaluate(terraform.load(tmp_path), engine.all_rules())
    tracing = _one(findings, "FTR-LOG-003", "aws_lambda_function.f")
    assert tracing.status is Status.SUPPRESSED
    assert tracing.suppression == "traced by the sidecar"


def test_goat_style_configuration() -> None:
    findings = _findings("goat")
    failed = {f.rule_id: f for f in findings if f.status is Status.FAIL}
    # TerraGoat's hard-coded keys are AWS's documented example keys: never working keys,
    # but credentials in the configuration all the same (its labelled finding): named, not
    # printed.
    secret = next(f for f in findings if f.rule_id == "FTR-SEC-001")
    assert secret.status is Status.FAIL
    assert "access_key (AWS access key ID, AWS's documented example)" in secret.message
    assert secret.resource.logical_id == "aws_lambda_function.analysis_lambda"
    assert secret.resource.line == 30
    assert secret.resource.file is not None and secret.resource.file.endswith("goat/lambda.tf")
    assert "wJalrXUtnFEMI" not in secret.message
    expected = {"FTR-PATCH-001", "FTR-LOG-003", "FTR-CODE-001", "FTR-CODE-002", "FTR-NET-001"}
    assert expected <= set(failed)


def test_suppression_comment_without_reason_is_reported(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_lambda_function" "f" {\n'
        "  # fortress:skip=FTR-LOG-003\n"
        '  function_name = "f"\n  runtime = "python3.12"\n}\n'
    )
    findings = engine.evaluate(terraform.load(tmp_path), engine.all_rules())
    tracing = _one(findings, "FTR-LOG-003", "aws_lambda_function.f")
    assert tracing.status is Status.FAIL and tracing.suppression is None
    assert "in-code suppression ignored: it gives no reason" in tracing.message
    assert tracing.evidence["ignored_suppression"] == "no reason given"
    assert tracing.resource.line == 1


# --------------------------------------------------------------------------- expressions

EXPR_AS_OF = ScanConfig(as_of=date(2026, 12, 1))


@pytest.fixture(scope="module")
def expressions() -> list[Finding]:
    return _findings("expressions", EXPR_AS_OF)


@pytest.mark.parametrize(
    ("where", "status"),
    [
        (("aws_lambda_function.eq_legacy", 32), Status.FAIL),  # == picks nodejs14.x
        (("aws_lambda_function.ne_modern", 40), Status.PASS),  # != picks nodejs22.x
        (("aws_lambda_function.not_legacy", 48), Status.FAIL),  # !local picks nodejs14.x
        (("aws_lambda_function.not_modern", 55), Status.PASS),  # !var || == picks nodejs22.x
        (('aws_lambda_function.each["a"]', 86), Status.PASS),
    ],
)
def test_conditionals_select_the_runtime(
    expressions: list[Finding], where: tuple[str, int], status: Status
) -> None:
    found = at(expressions, "FTR-PATCH-001", where)
    assert [f.status for f in found] == [status], seen(expressions, "FTR-PATCH-001")


def test_count_zero_url_does_not_exist(expressions: list[Finding]) -> None:
    # public_off has count = 0: its function has no URL, so FTR-API-001 does not apply there.
    assert at(expressions, "FTR-API-001", ("aws_lambda_function.eq_legacy", 32)) == []
    # public_on has count = 1: the function it serves is reported.
    found = at(expressions, "FTR-API-001", ("aws_lambda_function.ne_modern", 40))
    assert [f.status for f in found] == [Status.FAIL], seen(expressions, "FTR-API-001")


def test_count_and_for_each_from_expressions(expressions: list[Finding]) -> None:
    addresses = {f.resource.logical_id for f in expressions if f.rule_id == "FTR-PATCH-001"}
    assert {a for a in addresses if a and ("counted" in a or "each" in a)} == {
        "aws_lambda_function.counted[0]",
        "aws_lambda_function.counted[1]",
        'aws_lambda_function.each["a"]',
        'aws_lambda_function.each["c"]',
    }
