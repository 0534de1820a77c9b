"""FTR-PATCH-009: recursive loop detection set to Allow, judged against the function's own
triggers (SQS event source mappings, SNS and S3 invoke permissions) and its role."""

from __future__ import annotations

from typing import Any

from fortress.findings import Finding, Status
from fortress.inventory import (
    PART_RECURSION,
    EventSourceMapping,
    Function,
    Inventory,
    Origin,
    Policy,
    Role,
    Unknown,
)
from fortress.rules import engine

ACCOUNT, REGION = "123456789012", "us-east-1"
ORIGIN = Origin(source="aws", account=ACCOUNT, region=REGION)
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/fn"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:events"


def _role(*statements: dict[str, Any]) -> Role:
    doc = {"Version": "2012-10-17", "Statement": list(statements)}
    return Role(
        name="fn", arn=ROLE_ARN, origin=ORIGIN, inline_policies=[Policy("p", doc, inline=True)]
    )


def _fn(**kw: Any) -> Function:
    return Function(
        name="worker",
        arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:worker",
        origin=ORIGIN,
        role_arn=ROLE_ARN,
        **kw,
    )


def _one(fn: Function, role: Role | None) -> Finding:
    inv = Inventory(functions=[fn], roles=[role] if role else [])
    [finding] = engine.evaluate(inv, engine.select_rules(["FTR-PATCH-009"]))
    return finding


SQS_TRIGGER = [EventSourceMapping(uuid="u", event_source_arn=QUEUE)]
SEND = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": QUEUE}


def test_allow_with_a_queue_it_feeds_fails() -> None:
    f = _one(_fn(recursive_loop="Allow", event_source_mappings=SQS_TRIGGER), _role(SEND))
    assert f.status is Status.FAIL and f"sqs:SendMessage on {QUEUE}" in f.message


def test_allow_with_a_topic_it_publishes_to_fails() -> None:
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "lambda:InvokeFunction",
                "Condition": {"ArnLike": {"AWS:SourceArn": TOPIC}},
            }
        ]
    }
    publish = {"Effect": "Allow", "Action": "sns:*", "Resource": "*"}
    f = _one(_fn(recursive_loop="Allow", resource_policy=policy), _role(publish))
    assert f.status is Status.FAIL and TOPIC in f.message


def test_allow_without_a_loop_passes_and_says_so() -> None:
    read_only = {"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": QUEUE}
    f = _one(_fn(recursive_loop="Allow", event_source_mappings=SQS_TRIGGER), _role(read_only))
    assert f.status is Status.PASS and "RecursiveLoop=Allow" in f.message
    denied = {"Effect": "Deny", "Action": "sqs:SendMessage", "Resource": QUEUE}
    f = _one(_fn(recursive_loop="Allow", event_source_mappings=SQS_TRIGGER), _role(SEND, denied))
    assert f.status is Status.PASS


def test_terminate_passes_and_unknowns_stay_unknown() -> None:
    f = _one(_fn(event_source_mappings=SQS_TRIGGER), _role(SEND))
    assert f.status is Status.PASS and "Terminate" in f.message
    f = _one(_fn(recursive_loop=Unknown("404")), None)
    assert f.status is Status.UNKNOWN
    f = _one(_fn(uncollected={PART_RECURSION}), None)
    assert f.status is Status.UNKNOWN
    # Allow, with a trigger, but the role is not in the inventory: cannot tell.
    f = _one(_fn(recursive_loop="Allow", event_source_mappings=SQS_TRIGGER), None)
    assert f.status is Status.UNKNOWN
    broad = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    f = _one(_fn(recursive_loop="Allow", event_source_mappings=SQS_TRIGGER), _role(broad))
    assert f.status is Status.UNKNOWN
