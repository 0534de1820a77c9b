"""OCSF 1.x Detection Finding (class_uid 2004) events, for Amazon Security Lake and other OCSF
consumers — the shape Prowler writes.

Posture findings and hunt detections both become Detection Findings: a JSON array of events.
The verdict is in ``status_code`` (FAIL / PASS / UNKNOWN / SUPPRESSED, as Prowler does);
``status_id`` is the reviewer's workflow state (New, or Suppressed for accepted failures).
Fortress-specific detail (framework controls, evidence, template location) goes in
``unmapped``, the place OCSF keeps for attributes outside the schema.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from fortress.findings import Finding, Severity, Status
from fortress.safeio import sha256_hex

OCSF_VERSION = "1.5.0"
CLASS_UID = 2004  # Detection Finding
CATEGORY_UID = 2  # Findings
ACTIVITY_CREATE = 1
TYPE_UID = CLASS_UID * 100 + ACTIVITY_CREATE

SEVERITY_ID = {
    Severity.INFO: 1,
    Severity.LOW: 2,
    Severity.MEDIUM: 3,
    Severity.HIGH: 4,
    Severity.CRITICAL: 5,
}
STATUS_NEW, STATUS_SUPPRESSED = 1, 3
ACCOUNT_TYPE_AWS = 10


class DetectionLike(Protocol):
    """What a hunt detection offers (fortress.detection.model.Detection); no import needed."""

    rule_id: str
    title: str
    severity: Severity
    technique: str
    time: str | None
    principal: str | None
    source_ip: str | None
    user_agent: str | None
    function: str | None
    event_ids: list[str]
    message: str
    account: str | None
    region: str | None
    event_name: str | None


def _millis(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _base(
    *, severity: Severity, when: datetime, version: str, rule_id: str, message: str
) -> dict[str, Any]:
    return {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "type_uid": TYPE_UID,
        "type_name": "Detection Finding: Create",
        "severity_id": SEVERITY_ID[severity],
        "severity": severity.label.capitalize()
        if severity is not Severity.INFO
        else "Informational",
        "time": _millis(when),
        "time_dt": when.isoformat(),
        "message": message,
        "metadata": {
            "version": OCSF_VERSION,
            "event_code": rule_id,
            "product": {
                "name": "Fortress",
                "uid": "fortress",
                "vendor_name": "Fortress",
                "version": version,
            },
            "profiles": ["cloud"],
        },
    }


def _cloud(account: str | None, region: str | None) -> dict[str, Any]:
    cloud: dict[str, Any] = {"provider": "AWS"}
    if account and len(account) == 12 and account.isdigit():
        cloud["account"] = {
            "uid": account,
            "name": account,
            "type_id": ACCOUNT_TYPE_AWS,
            "type": "AWS Account",
        }
    if region:
        cloud["region"] = region
    return cloud


def finding_event(f: Finding, when: datetime, version: str) -> dict[str, Any]:
    r = f.resource
    uid = sha256_hex(f"{f.rule_id}|{r.id}")
    event = _base(
        severity=f.severity, when=when, version=version, rule_id=f.rule_id, message=f.message
    )
    resource: dict[str, Any] = {
        "uid": r.id,
        "name": r.name,
        "type": r.type,
        "cloud_partition": "aws",
    }
    if r.region:
        resource["region"] = r.region
    if r.file:
        resource["data"] = {"file": r.file, "line": r.line, "logical_id": r.logical_id}
    references = [f"{k}: {', '.join(v)}" for k, v in f.references.items() if v]
    event.update(
        {
            "status_id": STATUS_SUPPRESSED if f.status is Status.SUPPRESSED else STATUS_NEW,
            "status": "Suppressed" if f.status is Status.SUPPRESSED else "New",
            "status_code": str(f.status).upper(),
            "status_detail": f.suppression or f.message,
            "finding_info": {
                "uid": uid,
                "title": f.title,
                "desc": f.message,
                "types": [str(f.practice)],
                "created_time": _millis(when),
                "created_time_dt": when.isoformat(),
                "analytic": {"uid": f.rule_id, "name": f.title, "type_id": 1, "type": "Rule"},
            },
            "resources": [resource],
            "cloud": _cloud(r.account, r.region),
            "remediation": {"desc": f.remediation or f.title, "references": references},
            "unmapped": {"controls": f.controls, "evidence": f.evidence},
        }
    )
    return event


def detection_event(d: DetectionLike, when: datetime, version: str) -> dict[str, Any]:
    seen = _parse_time(d.time) or when
    uid = sha256_hex(f"{d.rule_id}|{'|'.join(sorted(d.event_ids))}")
    event = _base(
        severity=d.severity, when=seen, version=version, rule_id=d.rule_id, message=d.message
    )
    event.update(
        {
            "status_id": STATUS_NEW,
            "status": "New",
            "finding_info": {
                "uid": uid,
                "title": d.title,
                "desc": d.message or d.title,
                "types": ["CloudTrail detection", *([d.technique] if d.technique else [])],
                "created_time": _millis(when),
                "created_time_dt": when.isoformat(),
                "first_seen_time": _millis(seen),
                "first_seen_time_dt": seen.isoformat(),
                "analytic": {"uid": d.rule_id, "name": d.title, "type_id": 1, "type": "Rule"},
                "data_sources": ["CloudTrail"],
            },
            "cloud": _cloud(d.account, d.region),
            "unmapped": {
                "technique": d.technique,
                "principal": d.principal,
                "source_ip": d.source_ip,
                "user_agent": d.user_agent,
                "event_name": d.event_name,
                "event_ids": list(d.event_ids),
            },
        }
    )
    if d.function:
        event["resources"] = [
            {
                "uid": d.function,
                "name": d.function,
                "type": "AWS::Lambda::Function",
                "cloud_partition": "aws",
            }
        ]
    return event


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def build(result: Any) -> list[dict[str, Any]]:
    when = result.finished_at
    return [finding_event(f, when, result.version) for f in result.findings]


def render(result: Any) -> str:
    return json.dumps(build(result), indent=1, default=str) + "\n"


def render_detections(detections: list[Any], when: datetime, version: str) -> str:
    return json.dumps([detection_event(d, when, version) for d in detections], indent=1) + "\n"
