"""Practice: compliance and governance (audit trail, ownership tags)."""

from __future__ import annotations

from typing import Any

from fortress.findings import Practice, Severity
from fortress.inventory import COLLECTION_TRAILS, PART_TAGS, Function, Trail, Unknown
from fortress.rules.engine import AccountTarget, Context, Verdict, rule


def _selector_logs_management(selector: dict[str, Any]) -> bool:
    """An advanced event selector that records management events (not read-only)."""
    category = False
    read_only_only = False
    for field in selector.get("FieldSelectors", []) or []:
        if not isinstance(field, dict):
            continue
        name = str(field.get("Field", ""))
        equals = [str(v) for v in field.get("Equals", []) or []]
        if name == "eventCategory" and "Management" in equals:
            category = True
        if name == "readOnly" and equals == ["true"]:
            read_only_only = True
    return category and not read_only_only


def management_events(trail: Trail) -> bool | Unknown:
    """Does the trail record (write) management events?

    Advanced selectors, when present, replace basic ones; basic selectors, when present,
    replace the trail-level flag. A selector recording only read events does not count.
    """
    if trail.advanced_event_selectors:
        return any(_selector_logs_management(s) for s in trail.advanced_event_selectors)
    if trail.event_selectors:
        return any(
            s.get("IncludeManagementEvents", True) is True
            and s.get("ReadWriteType", "All") != "ReadOnly"
            for s in trail.event_selectors
        )
    flag: object = trail.include_management_events
    if isinstance(flag, Unknown):
        return flag
    return flag is True


def _problems(trail: Trail) -> tuple[list[str], list[str]]:
    """(reasons the trail does not count, reasons it cannot be judged)."""
    bad: list[str] = []
    unknown: list[str] = []
    multi: object = trail.is_multi_region
    logging: object = trail.is_logging
    mgmt = management_events(trail)
    for value, what, field in (
        (multi, "single-region", "multi-region setting"),
        (logging, "logging stopped", "logging status"),
        (mgmt, "no management events", "event selection"),
    ):
        if isinstance(value, Unknown):
            unknown.append(f"{field}: {value.reason}")
        elif value is not True:
            bad.append(what)
    return bad, unknown


@rule(
    id="FTR-GOV-001",
    title="No multi-region CloudTrail trail records management events",
    target="account",
    practice=Practice.GOVERNANCE,
    severity=Severity.HIGH,
    rationale="""
        CloudTrail management events are the record of who changed which function, role, policy
        or trigger, and from where. Without a multi-region trail that is logging, the changes
        an attacker makes (UpdateFunctionCode, AddPermission, CreateFunctionUrlConfig, in any
        region) leave no durable trace beyond the 90-day event history, and incident
        response has nothing to reconstruct.
    """,
    remediation="""
        Create (or fix) a trail that is multi-region, is logging, and records read and write
        management events; prefer an organization trail delivered to a dedicated, locked-down
        log archive bucket, with log file validation and KMS encryption.
    """,
    snippets={
        "cli": (
            "aws cloudtrail create-trail --name org-trail --s3-bucket-name <bucket> "
            "--is-multi-region-trail --enable-log-file-validation\n"
            "aws cloudtrail start-logging --name org-trail"
        ),
        "cloudformation": (
            "Type: AWS::CloudTrail::Trail\nProperties:\n  IsLogging: true\n"
            "  IsMultiRegionTrail: true\n  IncludeGlobalServiceEvents: true\n"
            "  EnableLogFileValidation: true\n  S3BucketName: !Ref TrailBucket\n"
            "  EventSelectors:\n    - IncludeManagementEvents: true\n      ReadWriteType: All"
        ),
        "terraform": (
            'resource "aws_cloudtrail" "main" {\n  name                          = "main"\n'
            "  s3_bucket_name                = aws_s3_bucket.trail.id\n"
            "  is_multi_region_trail         = true\n"
            "  include_global_service_events = true\n"
            "  enable_log_file_validation    = true\n}"
        ),
    },
    references={
        "checkov": ["CKV_AWS_67"],
        "prowler": [
            "cloudtrail_multi_region_enabled_logging_management_events",
            "cloudtrail_multi_region_enabled",
        ],
        "securityhub": ["CloudTrail.1"],
    },
    controls={
        "aws-fsbp": ["CloudTrail.1"],
        "cis-aws": ["3.1"],
        "nist-800-53-r5": ["AU-2", "AU-3", "AU-12"],
        "pci-dss-4.0": ["10.2.1"],
    },
)
def multi_region_trail(target: AccountTarget, ctx: Context) -> Verdict:
    trails = ctx.trails_for(target.account)
    if not trails and ctx.not_collected(COLLECTION_TRAILS):
        return Verdict.unknown(f"the trails of account {target.account} could not be read")
    if not trails:
        return Verdict.fail(f"account {target.account} has no CloudTrail trail", trails=[])
    rejected: list[str] = []
    undecided: list[str] = []
    for trail in trails:
        bad, unknown = _problems(trail)
        if not bad and not unknown:
            return Verdict.passed(
                f"trail {trail.name} records management events in all regions",
                trail=trail.arn,
            )
        if bad:
            rejected.append(f"{trail.name}: {', '.join(bad)}")
        else:
            undecided.append(f"{trail.name} ({'; '.join(unknown)})")
    if undecided:
        return Verdict.unknown(
            f"cannot tell whether {', '.join(undecided)} records management events in all regions",
            trails=[t.arn for t in trails],
        )
    return Verdict.fail(
        f"no multi-region trail records management events in account {target.account} "
        f"({len(trails)} examined: {'; '.join(rejected)})",
        trails=rejected,
    )


@rule(
    id="FTR-GOV-002",
    title="Function is missing required tags",
    target="function",
    practice=Practice.GOVERNANCE,
    severity=Severity.LOW,
    rationale="""
        Tags tie a function to an owner, an application, an environment and a data
        classification. Untagged functions are the ones nobody claims during an incident, that
        escape tag-based access control (ABAC) and cost reports, and that linger after the
        project ends.
    """,
    remediation="""
        Tag every function with the organization's required keys (for example owner,
        application, environment, data-classification), enforce them with tag policies or an
        SCP / IaC check, and propagate tags from the stack.
    """,
    snippets={
        "cli": "aws lambda tag-resource --resource <function-arn> --tags owner=<team>,environment=prod",
        "cloudformation": "Tags:\n  - Key: owner\n    Value: payments-team",
        "terraform": 'tags = {\n  owner = "payments-team"\n}',
    },
    references={
        "kics": ["a71ecabe-03b6-456a-b3bc-d1a39aa20c98"],
        "securityhub": ["Lambda.6"],
    },
    controls={"aws-fsbp": ["Lambda.6"], "nist-800-53-r5": ["CM-8"]},
)
def required_tags(fn: Function, ctx: Context) -> Verdict:
    tags: object = fn.tags
    if PART_TAGS in fn.uncollected:
        return Verdict.unknown("tags could not be read")
    if isinstance(tags, Unknown):
        return Verdict.unknown(f"tags are not resolvable ({tags.reason})")
    if not isinstance(tags, dict):
        return Verdict.unknown("tags are not a key/value map")
    user = {k: v for k, v in tags.items() if isinstance(k, str) and not k.startswith("aws:")}
    required = ctx.config.required_tags
    if not required:
        if not user:
            return Verdict.fail("function has no tags (aws:* tags do not count)")
        return Verdict.passed(f"function has {len(user)} tag{'s' if len(user) > 1 else ''}")
    missing = [key for key in required if key not in user or user[key] in (None, "")]
    if missing:
        return Verdict.fail(f"missing required tags: {', '.join(missing)}", missing=missing)
    return Verdict.passed(f"carries all required tags ({', '.join(required)})")


__all__ = ["management_events", "multi_region_trail", "required_tags"]
