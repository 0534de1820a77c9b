"""revoke-sessions: deny everything to role sessions issued before now.

This is the inline policy the IAM console's "Revoke active sessions" writes,
``AWSRevokeOlderSessions``: Deny ``*`` when ``aws:TokenIssueTime`` is before the revocation time
(ISO 8601 UTC). Stolen temporary credentials stop working; sessions the function starts
afterwards are unaffected. If the role already has such a policy the step is a no-op, so a
second apply changes nothing; ``--refresh-sessions`` moves the time to now, as the console does
on every click.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fortress.response import role_policy
from fortress.response.context import PlanContext
from fortress.response.model import Step

POLICY_NAME = "AWSRevokeOlderSessions"


def document(when: datetime) -> dict[str, Any]:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": ["*"],
                "Resource": ["*"],
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": stamp}},
            }
        ],
    }


def revocation_time(doc: Any) -> str | None:
    try:
        return str(doc["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"])
    except (KeyError, IndexError, TypeError):
        return None


def plan(ctx: PlanContext) -> list[Step]:
    if not ctx.target.role_name:
        ctx.notes.append(f"{ctx.target.name}: no execution role")
        return []
    current = role_policy.read(ctx.ops, {"role": ctx.target.role_name, "policy": POLICY_NAME})
    existing = revocation_time(current["document"])
    if existing and not ctx.options.refresh_sessions:
        ctx.notes.append(
            f"role {ctx.target.role_name}: sessions issued before {existing} are already revoked "
            "(--refresh-sessions moves the time to now)"
        )
        return []
    doc = document(ctx.options.now)
    step, _ = role_policy.put_step(
        ctx,
        "revoke-sessions",
        POLICY_NAME,
        doc,
        f"deny sessions issued before {revocation_time(doc)}",
    )
    return [step] if step else []
