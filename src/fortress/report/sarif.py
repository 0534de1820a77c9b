"""SARIF 2.1.0 output, for GitHub code scanning and other SARIF consumers.

Failures become results of kind "fail"; unknown verdicts become "review" notes; in-code
suppressions are SARIF ``suppressions`` (kind "inSource") so code scanning shows them as
dismissed. Template findings carry file/line regions; live findings carry a logical location
(the resource ARN) only.
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO

from fortress.findings import Finding, ResourceRef, Severity, Status
from fortress.report.jsonreport import new_marker, stream_at
from fortress.safeio import sha256_hex

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/fortress-security/fortress"

# GitHub maps security-severity to critical (>= 9.0), high (7.0-8.9), medium (4.0-6.9), low.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}


def _rule_descriptor(f: Finding) -> dict[str, Any]:
    refs = "; ".join(f"{k}: {', '.join(v)}" for k, v in f.references.items() if v)
    help_text = f.remediation + (f"\nEquivalent checks: {refs}" if refs else "")
    return {
        "id": f.rule_id,
        "name": f.rule_id.replace("-", ""),
        "shortDescription": {"text": f.title},
        "fullDescription": {"text": f.title},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": LEVEL[f.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[f.severity],
            "tags": ["security", str(f.practice)],
            "precision": "high",
            "problem.severity": "error" if f.severity >= Severity.HIGH else "warning",
        },
    }


def _related(ref: ResourceRef, index: int) -> dict[str, Any]:
    """A function the finding exposes or affects (SARIF relatedLocations)."""
    location: dict[str, Any] = {
        "id": index,
        "message": {"text": f"affects {ref.name}"},
        "logicalLocations": [{"name": ref.name, "fullyQualifiedName": ref.id, "kind": "resource"}],
    }
    if ref.file:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": ref.file.replace("\\", "/")},
            "region": {"startLine": max(1, ref.line or 1)},
        }
    return location


def _result(f: Finding, index: int) -> dict[str, Any]:
    r = f.resource
    location: dict[str, Any] = {
        "logicalLocations": [
            {"name": r.logical_id or r.name, "fullyQualifiedName": r.id, "kind": "resource"}
        ]
    }
    if r.file:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": r.file.replace("\\", "/")},
            "region": {"startLine": max(1, r.line or 1)},
        }
    fingerprint = sha256_hex(f"{f.rule_id}|{r.id}|{r.file}|{r.logical_id}")
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "kind": "review" if f.status is Status.UNKNOWN else "fail",
        "level": "note" if f.status is Status.UNKNOWN else LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [location],
        "partialFingerprints": {"fortress/v1": fingerprint},
        "properties": {
            "severity": f.severity.label,
            "status": str(f.status),
            "resource_type": r.type,
        },
    }
    if r.account:  # live resources and snapshots: which account, which region
        result["properties"]["account"] = r.account
    if r.region:
        result["properties"]["region"] = r.region
    if f.related:
        result["relatedLocations"] = [_related(x, i) for i, x in enumerate(f.related)]
    if f.status is Status.SUPPRESSED:
        result["suppressions"] = [{"kind": "inSource", "justification": f.suppression or ""}]
    return result


def _reported(result: Any) -> list[Finding]:
    return [
        f for f in result.findings if f.status in (Status.FAIL, Status.UNKNOWN, Status.SUPPRESSED)
    ]


def _document(result: Any, descriptors: list[dict[str, Any]]) -> dict[str, Any]:
    """The SARIF log without its results (they are the last member of the run)."""
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "Fortress",
                        "version": result.version,
                        "semanticVersion": result.version,
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": not result.input_errors,
                        "startTimeUtc": result.started_at.isoformat().replace("+00:00", "Z"),
                        "endTimeUtc": result.finished_at.isoformat().replace("+00:00", "Z"),
                        "toolExecutionNotifications": [
                            {"level": "error", "message": {"text": str(e)}}
                            for e in result.input_errors
                        ],
                    }
                ],
            }
        ],
    }


def _rules(reported: list[Finding]) -> tuple[dict[str, int], list[dict[str, Any]]]:
    rules: dict[str, int] = {}
    descriptors: list[dict[str, Any]] = []
    for f in reported:
        if f.rule_id not in rules:
            rules[f.rule_id] = len(descriptors)
            descriptors.append(_rule_descriptor(f))
    return rules, descriptors


def build(result: Any) -> dict[str, Any]:
    reported = _reported(result)
    rules, descriptors = _rules(reported)
    document = _document(result, descriptors)
    document["runs"][0]["results"] = [_result(f, rules[f.rule_id]) for f in reported]
    return document


def write(out: BinaryIO, result: Any) -> None:
    """The SARIF log, streamed: results are serialized one by one, never all held."""
    reported = _reported(result)
    rules, descriptors = _rules(reported)
    document = _document(result, descriptors)
    marker = new_marker()
    document["runs"][0]["results"] = marker
    stream_at(out, document, marker, (_result(f, rules[f.rule_id]) for f in reported))


def render_bytes(result: Any) -> bytes:
    buffer = io.BytesIO()
    write(buffer, result)
    return buffer.getvalue()


def render(result: Any) -> str:
    return render_bytes(result).decode("utf-8")
