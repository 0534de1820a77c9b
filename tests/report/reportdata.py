"""A ScanResult built by hand for report tests: every status, several practices, two accounts
and regions, a template finding, hostile names, a coverage gap."""

from __future__ import annotations

from datetime import UTC, datetime

from fortress.findings import CoverageGap, Finding, Practice, ResourceRef, Severity, Status
from fortress.scan import ScanResult, SourceInfo

XSS = "<img src=x onerror=document.title='pwned'>"
BREAKOUT = "</script><script>document.title='pwned'</script><!--"


def finding(
    rule: str,
    severity: Severity,
    practice: Practice,
    status: Status,
    name: str,
    *,
    account: str = "111122223333",
    region: str = "us-east-1",
    message: str = "",
    evidence: dict[str, object] | None = None,
) -> Finding:
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return Finding(
        rule_id=rule,
        title=f"title of {rule}",
        severity=severity,
        practice=practice,
        status=status,
        resource=ResourceRef(arn, "AWS::Lambda::Function", name, account, region),
        message=message or f"{rule} on {name}",
        evidence=evidence or {},
        remediation=f"fix {rule}",
        references={"checkov": ["CKV_AWS_1"]},
        controls={"nist-800-53-r5": ["AC-3"]},
    )


def sample_result() -> ScanResult:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    findings = [
        finding(
            "FTR-IAM-001", Severity.CRITICAL, Practice.LEAST_PRIVILEGE, Status.FAIL, "payments"
        ),
        finding("FTR-SEC-001", Severity.CRITICAL, Practice.SECRETS, Status.FAIL, "orders-api"),
        finding(
            "FTR-API-001",
            Severity.HIGH,
            Practice.API_SECURITY,
            Status.FAIL,
            XSS,
            region="eu-west-1",
            message=f"{BREAKOUT} accepts anonymous requests",
            evidence={"note": BREAKOUT, "name": XSS},
        ),
        finding(
            "FTR-LOG-001",
            Severity.MEDIUM,
            Practice.LOGGING_MONITORING,
            Status.FAIL,
            "reports",
            account="444455556666",
            region="eu-west-1",
        ),
        finding("FTR-LOG-003", Severity.LOW, Practice.LOGGING_MONITORING, Status.FAIL, "reports"),
        finding("FTR-CODE-001", Severity.MEDIUM, Practice.CODE_INTEGRITY, Status.UNKNOWN, "auth"),
        finding("FTR-NET-001", Severity.LOW, Practice.NETWORK_ISOLATION, Status.PASS, "orders-api"),
        finding("FTR-EPH-003", Severity.LOW, Practice.EPHEMERALITY, Status.PASS, "payments"),
    ]
    suppressed = finding(
        "FTR-API-008", Severity.LOW, Practice.API_SECURITY, Status.SUPPRESSED, "batch"
    )
    suppressed.suppression = "bursty by design"
    findings.append(suppressed)
    template = Finding(
        rule_id="FTR-SEC-001",
        title="title of FTR-SEC-001",
        severity=Severity.CRITICAL,
        practice=Practice.SECRETS,
        status=Status.FAIL,
        resource=ResourceRef(
            "template.yaml#Fn",
            "AWS::Serverless::Function",
            "Fn",
            file="template.yaml",
            line=12,
            logical_id="Fn",
        ),
        message="DB_PASSWORD looks like a password",
    )
    findings.append(template)
    gaps = [
        CoverageGap(
            "lambda",
            "get_code_signing_config",
            "NotImplemented",
            "not here",
            "111122223333",
            "us-east-1",
            "auth",
        ),
    ]
    return ScanResult(
        findings=findings,
        gaps=gaps,
        sources=[SourceInfo("aws", "account 111122223333 (us-east-1, eu-west-1)")],
        started_at=now,
        finished_at=now,
        rules_run=46,
        inventory_counts={"functions": 6},
    )
