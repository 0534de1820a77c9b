"""Practice: least privilege, granted versus used (FTR-IAM-015).

The usage facts come from CloudTrail (``scan --cloudtrail``), computed before the rules run
(:mod:`fortress.detection.usage`); this rule only compares them with the role's policies
(:mod:`fortress.iam.usage`). Without usage facts it does not run: it never passes for lack
of data.
"""

from __future__ import annotations

from typing import Any

from fortress.findings import Practice, Severity
from fortress.iam.policy import parse_policies
from fortress.iam.privesc import role_documents
from fortress.iam.usage import (
    SERVICE,
    UNKNOWN,
    UNUSED,
    USED,
    Comparison,
    compare,
    lambda_service_actions,
    listing,
    unused_summary,
)
from fortress.inventory import COLLECTION_TRAILS, Role, UsageFacts, arn_parts
from fortress.rules.engine import Context, Verdict, rule

# Evidence lists stop here (a role with "*" has some 17,000 unused actions).
_EVIDENCE_LIMIT = 200


def _window(facts: UsageFacts) -> str:
    start = facts.since or facts.first_event
    end = facts.until or facts.last_event
    if start is None and end is None:
        return "in the CloudTrail read"
    left = start.strftime("%Y-%m-%d") if start else "the first event"
    right = end.strftime("%Y-%m-%d") if end else "now"
    return f"from {left} to {right}"


def _role_account(role: Role) -> str | None:
    if role.origin.account and not role.origin.account.startswith("${"):
        return role.origin.account
    parts = arn_parts(role.arn)
    return parts[4] if len(parts) > 4 and parts[4].isdigit() else None


def _usage_arn(role: Role, facts: UsageFacts) -> str:
    """The ARN the events name: the role's own, or for a template role (``${AWS::AccountId}``
    in its ARN) the one role of that name the trail shows."""
    if facts.role(role.arn) is not None or "${" not in role.arn:
        return role.arn
    matches = [u.role_arn for u in facts.roles if u.role_arn.rsplit("/", 1)[-1] == role.name]
    return matches[0] if len(matches) == 1 else role.arn


def _comparison(role: Role, ctx: Context, facts: UsageFacts) -> Comparison:
    def compute() -> Comparison:
        parsed = parse_policies(role_documents(role))
        return compare(
            _usage_arn(role, facts),
            parsed,
            facts,
            ctx.inventory.trails,
            lambda_service_actions(),
        )

    return ctx.memo("iam.usage", role, compute)


@rule(
    id="FTR-IAM-015",
    title="Execution role grants actions its sessions have not used",
    target="role",
    practice=Practice.LEAST_PRIVILEGE,
    severity=Severity.MEDIUM,
    rationale="""A role that keeps permissions its function never calls widens what a code
        injection, a vulnerable dependency or a leaked session can do, for no benefit. The
        role's policies are compared with what CloudTrail shows its sessions called in the
        window (scan --cloudtrail, --since, default 90 days). Actions CloudTrail cannot show —
        data events no trail in the inventory records (S3 objects, Lambda Invoke, DynamoDB
        items), actions it never records, services absent from the trail — are unknown, never
        unused; the logging and network-interface actions the Lambda service calls with the
        role are not judged.""",
    remediation="""Replace the role's policies with the minimal one `fortress iam suggest
        FUNCTION --cloudtrail PATH` writes (used actions on the resources seen, conditions
        kept), after checking the actions it lists as not observed; re-run over a window that
        covers the function's rare paths (month-end jobs, error handling).""",
    snippets={
        "cli": "fortress iam suggest FUNCTION --cloudtrail ./cloudtrail --since 90d",
    },
    controls={"nist-800-53-r5": ["AC-6"], "pci-dss-4.0": ["7.2.2"]},
)
def role_grants_unused(role: Role, ctx: Context) -> Verdict:
    facts = ctx.inventory.usage
    if facts is None:
        return Verdict.not_applicable()  # no CloudTrail read: the rule does not run
    account = _role_account(role)
    if facts.accounts and account is not None and account not in facts.accounts:
        return Verdict.unknown(
            f"the CloudTrail read holds no event of account {account}, the role's account"
        )
    if "${" in role.arn and facts.role(_usage_arn(role, facts)) is None:
        return Verdict.unknown(
            f"the CloudTrail read shows no session of a role named {role.name}: a template's "
            "role is matched by name, and this one's deployed name may be generated"
        )
    parsed = parse_policies(role_documents(role))
    if parsed.unknown is not None:
        return Verdict.unknown(f"a policy of the role is not resolvable: {parsed.unknown}")
    result = _comparison(role, ctx, facts)
    used = result.by_status(USED)
    unused = result.by_status(UNUSED)
    unknown = result.by_status(UNKNOWN)
    service = result.by_status(SERVICE)
    window = _window(facts)
    reasons = sorted({g.reason for g in unknown})
    unknown_note = (
        f"; {len(unknown)} granted action(s) not observable ({listing(reasons, 3)})"
        if unknown
        else ""
    )
    trails_note = (
        " (the trails could not be read: data-event coverage unknown)"
        if ctx.not_collected(COLLECTION_TRAILS)
        else ""
    )
    evidence: dict[str, Any] = {
        "window": window,
        "events": result.usage.events if result.usage else 0,
        "used": [g.action for g in used][:_EVIDENCE_LIMIT],
        "unused": [{"action": g.action, "statements": g.labels} for g in unused[:_EVIDENCE_LIMIT]],
        "unused_count": len(unused),
        "unused_services": result.unused_services(),
        "unknown": [{"action": g.action, "reason": g.reason} for g in unknown[:_EVIDENCE_LIMIT]],
        "unknown_count": len(unknown),
        "service_actions": [g.action for g in service],
        "denied": list(result.usage.denied) if result.usage else [],
    }
    if unused:
        return Verdict.fail(
            f"role {role.name} used {len(used)} of {len(result.granted)} granted actions "
            f"{window}; {len(unused)} unused — {unused_summary(result)}{unknown_note}"
            f"{trails_note}",
            **evidence,
        )
    if unknown:
        return Verdict.unknown(
            f"role {role.name} used {len(used)} granted actions {window} and no observable "
            f"one went unused, but {len(unknown)} cannot be judged: {listing(reasons, 3)}"
            f"{trails_note}",
            **evidence,
        )
    if not used:
        return Verdict.passed(
            f"role {role.name} grants only what the Lambda service calls with it (logs, "
            f"network interfaces): nothing to trim {window}",
            **evidence,
        )
    return Verdict.passed(
        f"role {role.name} used every granted action CloudTrail can show {window}",
        **evidence,
    )
