"""Tried as a new user would, on templates modelled on well-known deliberately vulnerable
serverless apps (our own equivalents, not copies): OWASP ServerlessGoat (SAM), OWASP DVSA
(Serverless Framework) and TerraGoat's Lambda (Terraform, tests/iac/fixtures/terraform/goat).
Every Lambda misconfiguration they document is reported with file and line."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from fortress.config import ScanConfig
from fortress.findings import Finding, Status
from fortress.rules import engine
from fortress.sources import cloudformation, serverless, terraform
from fortress.sources.base import IacOptions

FIXTURES = Path(__file__).parent / "fixtures"
GOAT = FIXTURES / "realworld" / "goat-sam" / "template.yaml"
DVSA = FIXTURES / "realworld" / "dvsa" / "serverless.yml"
TERRAGOAT = FIXTURES / "terraform" / "goat"
CONFIG = ScanConfig(as_of=date(2026, 3, 1))


def _failed(findings: list[Finding]) -> dict[tuple[str, str | None], Finding]:
    return {(f.rule_id, f.resource.logical_id): f for f in findings if f.status is Status.FAIL}


@pytest.fixture(scope="module")
def goat() -> dict[tuple[str, str | None], Finding]:
    inv = cloudformation.load(GOAT, IacOptions())
    return _failed(engine.evaluate(inv, engine.all_rules(), CONFIG))


@pytest.fixture(scope="module")
def dvsa() -> dict[tuple[str, str | None], Finding]:
    inv = serverless.load(DVSA, IacOptions())
    return _failed(engine.evaluate(inv, engine.all_rules(), CONFIG))


GOAT_FN, GOAT_API = "ConvertFunction", "ServerlessRestApi"
GOAT_DOCUMENTED = {
    ("FTR-API-003", GOAT_API): "unauthenticated /api/convert route",
    ("FTR-API-005", GOAT_API): "no throttling (denial of wallet)",
    ("FTR-API-008", GOAT_FN): "no concurrency limit (denial of wallet)",
    ("FTR-PATCH-001", GOAT_FN): "outdated runtime nodejs8.10",
    ("FTR-IAM-002", GOAT_FN): "over-privileged role (managed policy, policy templates)",
    ("FTR-IAM-003", GOAT_FN): "write access on every resource",
    ("FTR-SEC-001", GOAT_FN): "an API key's value in the environment",
    ("FTR-EPH-003", GOAT_FN): "maximum timeout",
    ("FTR-LOG-003", GOAT_FN): "no tracing",
}


@pytest.mark.parametrize("key", sorted(GOAT_DOCUMENTED))
def test_serverless_goat_misconfigurations(
    goat: dict[tuple[str, str | None], Finding], key: tuple[str, str]
) -> None:
    finding = goat.get(key)
    assert finding is not None, f"{GOAT_DOCUMENTED[key]} not reported: {sorted(goat)}"
    assert (finding.resource.file, finding.resource.line) == (str(GOAT), 7)


def test_goat_managed_policy_by_name_judged_by_document(
    goat: dict[tuple[str, str | None], Finding],
) -> None:
    message = goat[("FTR-IAM-003", GOAT_FN)].message
    assert "AmazonS3FullAccess" in message  # s3 writes on "*" come from the real document
    assert "s3:*" in goat[("FTR-IAM-002", GOAT_FN)].message


def test_goat_policy_templates_judged_by_expansion(
    goat: dict[tuple[str, str | None], Finding],
) -> None:
    inv = cloudformation.load(GOAT, IacOptions())
    role = next(r for r in inv.roles if r.name == "ConvertFunctionRole")
    docs = {p.name: p.document for p in role.inline_policies}
    crud = docs["ConvertFunctionRolePolicy2DynamoDBCrudPolicy"]
    assert isinstance(crud, dict)
    statement = crud["Statement"][0]
    assert "dynamodb:DeleteItem" in statement["Action"]  # CRUD really grants delete
    assert re.search(r":table/Table-[0-9a-f]{6}$", statement["Resource"][0])  # stack-named
    # SQSSendMessagePolicy expands to the wildcard action sqs:SendMessage*.
    assert "SQSSendMessagePolicy statement #1: sqs:SendMessage*" in (
        goat[("FTR-IAM-002", GOAT_FN)].message
    )


def test_goat_api_key_value_reference(goat: dict[tuple[str, str | None], Finding]) -> None:
    message = goat[("FTR-SEC-001", GOAT_FN)].message
    assert "PARTNER_API_KEY" in message and "API key" in message
    assert "BUCKET_URL" not in message  # a plain reference to a bucket is no secret


ORDER_FN, ADMIN_FN = "OrderDashmanagerLambdaFunction", "AdminDashupdateDashordersLambdaFunction"
DVSA_DOCUMENTED = {
    ("FTR-API-003", "ApiGatewayRestApi"): ("routes without authorizer", 6),
    ("FTR-API-006", "ApiGatewayRestApi"): ("no input validation", 6),
    ("FTR-PATCH-001", ORDER_FN): ("outdated runtime python3.7", 15),
    ("FTR-PATCH-001", ADMIN_FN): ("outdated runtime python3.7", 23),
    ("FTR-IAM-002", "dvsaOrderRole"): ("wildcard actions", 36),
    ("FTR-IAM-003", "dvsaOrderRole"): ("writes on every resource", 36),
    ("FTR-IAM-004", "dvsaAdminRole"): ("privilege escalation via PassRole", 49),
    ("FTR-SEC-001", ADMIN_FN): ("IAM secret key and password in the environment", 23),
    ("FTR-SEC-001", ORDER_FN): ("password-named variable", 15),
    ("FTR-API-008", ORDER_FN): ("no concurrency limit", 15),
}


@pytest.mark.parametrize("key", sorted(DVSA_DOCUMENTED))
def test_dvsa_misconfigurations(
    dvsa: dict[tuple[str, str | None], Finding], key: tuple[str, str]
) -> None:
    what, line = DVSA_DOCUMENTED[key]
    finding = dvsa.get(key)
    assert finding is not None, f"{what} not reported: {sorted(dvsa)}"
    assert (finding.resource.file, finding.resource.line) == (str(DVSA), line)


def test_dvsa_secrets_through_references_are_named_not_printed(
    dvsa: dict[tuple[str, str | None], Finding],
) -> None:
    message = dvsa[("FTR-SEC-001", ADMIN_FN)].message
    assert "AWS_SECRET (AWS secret access key" in message  # !GetAtt Key.SecretAccessKey
    assert "ADMIN_PASSWORD (secret-named variable)" in message  # ${env:..., default}
    assert "AWS_KEY_ID" not in message  # the key id alone is not the secret
    assert "dvsa-Adm1n-2019" not in str(dvsa[("FTR-SEC-001", ADMIN_FN)].to_dict())


def test_terragoat_lambda_misconfigurations() -> None:
    findings = engine.evaluate(terraform.load(TERRAGOAT), engine.all_rules(), CONFIG)
    failed = _failed(findings)
    address = "aws_lambda_function.analysis_lambda"
    documented = [  # Checkov's TerraGoat findings on this function, as Fortress rules
        "FTR-PATCH-001",  # nodejs12.x
        "FTR-LOG-003",  # CKV_AWS_50 no X-Ray
        "FTR-NET-001",  # CKV_AWS_117 not in a VPC
        "FTR-API-008",  # CKV_AWS_115 no concurrency limit
        "FTR-CODE-001",  # CKV_AWS_272 no code signing
        "FTR-CODE-002",  # CKV_AWS_173 environment not encrypted with a CMK
        "FTR-SEC-001",  # CKV_AWS_45 hard-coded keys (AWS's documented examples, named so)
    ]
    for rule_id in documented:
        finding = failed[(rule_id, address)]
        assert finding.resource.file == str(TERRAGOAT / "lambda.tf")
        assert finding.resource.line == 30
