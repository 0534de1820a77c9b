"""Import findings into AWS Security Hub (``scan --push-securityhub``).

This is the one account write a scan can make, and only with that explicit flag. Findings go
in batches of 100, the most ``BatchImportFindings`` accepts per call; a batch that fails as a
whole, and each finding Security Hub rejects, is recorded as a coverage gap (exit 3), and the
remaining batches are still sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fortress.aws.client import AwsClient
from fortress.findings import CoverageGap

BATCH = 100


@dataclass
class PushResult:
    imported: int = 0
    failed: int = 0
    batches: int = 0
    gaps: list[CoverageGap] = field(default_factory=list)


def push(client: AwsClient, findings: list[dict[str, Any]], region: str) -> PushResult:
    result = PushResult()
    for start in range(0, len(findings), BATCH):
        batch = findings[start : start + BATCH]
        result.batches += 1
        outcome = client.attempt("securityhub", region, "batch_import_findings", Findings=batch)
        if outcome.gap is not None or outcome.value is None:
            result.failed += len(batch)
            if outcome.gap is not None:
                result.gaps.append(outcome.gap)
            continue
        answer = outcome.value
        result.imported += int(answer.get("SuccessCount", 0))
        result.failed += int(answer.get("FailedCount", 0))
        for bad in answer.get("FailedFindings", []) or []:
            result.gaps.append(
                CoverageGap(
                    service="securityhub",
                    operation="batch_import_findings",
                    error_code=str(bad.get("ErrorCode", "Failed")),
                    message=str(bad.get("ErrorMessage", ""))[:300],
                    region=region,
                    resource=str(bad.get("Id", "")),
                )
            )
    return result
