"""AWS Security Finding Format (ASFF) for AWS Security Hub.

Failures, unknown verdicts and suppressed failures become findings (Compliance.Status FAILED,
WARNING, and FAILED with Workflow SUPPRESSED); passes are left out. ``AwsAccountId`` and
``ProductArn`` name the account the findings are imported into: the resource's own account
when it is known, else the one given (the caller's, when pushing with ``--push-securityhub``).
"""

from __future__ import annotations

import json
from typing import Any

from fortress.findings import Finding, Severity, Status
from fortress.safeio import sha256_hex

SCHEMA_VERSION = "2018-10-08"
FINDING_TYPE = "Software and Configuration Checks/AWS Security Best Practices"
UNKNOWN_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"
MAX_TITLE, MAX_DESCRIPTION, MAX_TEXT = 256, 1024, 512

RESOURCE_TYPES = {
    "AWS::Lambda::Function": "AwsLambdaFunction",
    "AWS::Lambda::LayerVersion": "AwsLambdaLayerVersion",
    "AWS::IAM::Role": "AwsIamRole",
    "AWS::ApiGateway::RestApi": "AwsApiGatewayRestApi",
    "AWS::ApiGateway::RestApi:Stage": "AwsApiGatewayStage",
    "AWS::ApiGatewayV2::Api": "AwsApiGatewayV2Api",
    "AWS::ApiGatewayV2::Api:Stage": "AwsApiGatewayV2Stage",
    "AWS::EC2::SecurityGroup": "AwsEc2SecurityGroup",
    "AWS::SecretsManager::Secret": "AwsSecretsManagerSecret",
    "AWS::Account": "AwsAccount",
}
LABEL = {
    Severity.CRITICAL: "CRITICAL",
    Severity.HIGH: "HIGH",
    Severity.MEDIUM: "MEDIUM",
    Severity.LOW: "LOW",
    Severity.INFO: "INFORMATIONAL",
}
EXPORTED = (Status.FAIL, Status.UNKNOWN, Status.SUPPRESSED)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_account(value: str | None) -> bool:
    return bool(value) and len(value or "") == 12 and (value or "").isdigit()


def finding(f: Finding, when: str, account: str, region: str) -> dict[str, Any]:
    r = f.resource
    acct = r.account if _is_account(r.account) else account
    where = r.region or region
    ident = sha256_hex(f"{f.rule_id}|{r.id}")[:32]
    controls = [f"{k}:{c}" for k, ids in f.controls.items() for c in ids]
    out: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": f"fortress/{f.rule_id}/{ident}",
        "ProductArn": f"arn:aws:securityhub:{where}:{acct}:product/{acct}/default",
        "GeneratorId": f"fortress/{f.rule_id}",
        "AwsAccountId": acct,
        "Region": where,
        "Types": [FINDING_TYPE],
        "CreatedAt": when,
        "UpdatedAt": when,
        "Severity": {"Label": LABEL[f.severity], "Original": f.severity.label},
        "Title": _cut(f"{f.rule_id} {f.title}", MAX_TITLE),
        "Description": _cut(f.message or f.title, MAX_DESCRIPTION),
        "Remediation": {"Recommendation": {"Text": _cut(f.remediation or f.title, MAX_TEXT)}},
        "ProductFields": {
            "fortress/RuleId": f.rule_id,
            "fortress/Practice": str(f.practice),
            "fortress/Status": str(f.status),
        },
        "Resources": [
            {
                "Type": RESOURCE_TYPES.get(r.type, "Other"),
                "Id": r.id,
                "Partition": "aws",
                "Region": where,
            }
        ],
        "Compliance": {
            "Status": "WARNING" if f.status is Status.UNKNOWN else "FAILED",
            "RelatedRequirements": controls[:32],
        },
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "SUPPRESSED" if f.status is Status.SUPPRESSED else "NEW"},
    }
    if r.file:
        out["ProductFields"]["fortress/Location"] = f"{r.file}:{r.line or 1}"
    return out


def build(
    result: Any, account: str | None = None, region: str | None = None
) -> list[dict[str, Any]]:
    when = result.finished_at.isoformat().replace("+00:00", "Z")
    acct = account or UNKNOWN_ACCOUNT
    return [
        finding(f, when, acct, region or DEFAULT_REGION)
        for f in result.findings
        if f.status in EXPORTED
    ]


def render(result: Any, account: str | None = None, region: str | None = None) -> str:
    return json.dumps({"Findings": build(result, account, region)}, indent=1) + "\n"
