"""Practice: continuous patching / governance — recursive loop detection (FTR-PATCH-009)."""

from __future__ import annotations

import fnmatch
from typing import Any

from fortress.findings import Practice, Severity
from fortress.iam.policy import parse_policies
from fortress.iam.privesc import role_documents
from fortress.inventory import PART_RECURSION, Function, Unknown
from fortress.rules.engine import Context, Verdict, rule

# Triggers Lambda's loop detection covers, and the write that feeds each back.
_WRITES = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "s3": "s3:PutObject"}


def _source_arn(statement: dict[str, Any]) -> str | None:
    for op, block in (statement.get("Condition") or {}).items():
        if not isinstance(block, dict) or op.lower() not in ("arnlike", "arnequals"):
            continue
        for key, value in block.items():
            if key.lower() == "aws:sourcearn" and isinstance(value, str):
                return value
    return None


def triggers(fn: Function) -> list[tuple[str, str]]:
    """(write action, resource ARN) for each SQS/SNS/S3 trigger of the function."""
    found: list[tuple[str, str]] = []
    for mapping in fn.event_source_mappings:
        arn = mapping.event_source_arn
        if isinstance(arn, str) and arn.startswith("arn:aws:sqs:"):
            found.append((_WRITES["sqs"], arn))
    policy = fn.resource_policy
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    for stmt in statements if isinstance(statements, list) else []:
        if not isinstance(stmt, dict):
            continue
        principal = stmt.get("Principal")
        service = principal.get("Service") if isinstance(principal, dict) else None
        source = _source_arn(stmt)
        if source is None or not isinstance(service, str):
            continue
        if service == "sns.amazonaws.com" and source.startswith("arn:aws:sns:"):
            found.append((_WRITES["sns"], source))
        elif service == "s3.amazonaws.com" and source.startswith("arn:aws:s3:::"):
            found.append((_WRITES["s3"], source + "/example-object"))
    return found


def _role_writes(fn: Function, ctx: Context, action: str, resource: str) -> bool | None:
    """Whether the execution role allows ``action`` on ``resource`` (None: cannot tell)."""
    role = ctx.role_of(fn)
    if role is None:
        return None
    parsed = parse_policies(role_documents(role))
    if parsed.unknown is not None:
        return None
    allowed = False
    for stmt in parsed.allows:
        if stmt.not_action or stmt.not_resource or stmt.resources_unknown:
            return None  # too broad or unresolved to tell without a full evaluation
        if stmt.conditions:
            continue
        acts = [a for a in stmt.known_actions if isinstance(a, str)]
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in acts):
            continue
        if any(isinstance(r, str) and fnmatch.fnmatchcase(resource, r) for r in stmt.resources):
            allowed = True
    for stmt in parsed.denies:
        if stmt.not_action or stmt.not_resource or stmt.conditions:
            continue
        acts = [a for a in stmt.known_actions if isinstance(a, str)]
        if any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in acts) and any(
            isinstance(r, str) and fnmatch.fnmatchcase(resource, r) for r in stmt.resources
        ):
            return False
    return allowed


@rule(
    id="FTR-PATCH-009",
    title="Recursive loop detection is off for a function that writes to its own trigger",
    target="function",
    practice=Practice.PATCHING,
    severity=Severity.MEDIUM,
    rationale="""Lambda stops a function after about 16 invocations of a loop through SQS, SNS or
        S3 (a function that writes to the queue, topic or bucket that invokes it) unless its
        recursive loop detection is set to Allow. With Allow and a role that can write to its
        own trigger, one bad event can invoke the function without end: the bill grows, the
        concurrency of the account is exhausted and other functions are throttled. Allow without
        such a loop in view is reported as a pass that names the setting.""",
    remediation="""Set the function's recursive loop detection back to Terminate, or, when the
        loop is intended, bound it in code (a hop counter in the message) and cap the function's
        reserved concurrency.""",
    snippets={
        "cli": (
            "aws lambda put-function-recursion-config --function-name FUNCTION "
            "--recursive-loop Terminate"
        ),
        "cloudformation": "RecursiveLoop: Terminate",
        "terraform": (
            'resource "aws_lambda_function_recursion_config" "fn" {\n'
            "  function_name  = aws_lambda_function.fn.function_name\n"
            '  recursive_loop = "Terminate"\n}'
        ),
    },
    controls={"nist-800-53-r5": ["SC-5"]},
)
def recursion_allowed(fn: Function, ctx: Context) -> Verdict:
    mode: object = fn.recursive_loop
    if isinstance(mode, Unknown):
        return Verdict.unknown(f"recursive loop detection is not known ({mode.reason})")
    if PART_RECURSION in fn.uncollected:
        return Verdict.unknown("the recursion configuration could not be read")
    if not isinstance(mode, str):
        return Verdict.unknown(f"RecursiveLoop {mode!r} is not Allow or Terminate")
    if mode.lower() != "allow":
        return Verdict.passed(f"recursive loop detection of {fn.name} is {mode}")
    loops: list[str] = []
    undecided: list[str] = []
    for action, resource in triggers(fn):
        writes = _role_writes(fn, ctx, action, resource)
        target = resource.removesuffix("/example-object")
        if writes is None:
            undecided.append(f"whether its role may {action} on {target}")
        elif writes:
            loops.append(f"{action} on {target}, which triggers it")
    if loops:
        return Verdict.fail(
            f"{fn.name} allows recursive loops (RecursiveLoop=Allow) and its role may "
            + "; ".join(loops),
            recursive_loop="Allow",
            loops=loops,
        )
    if undecided:
        return Verdict.unknown(f"{fn.name} allows recursive loops; cannot tell {undecided[0]}")
    return Verdict.passed(
        f"{fn.name} allows recursive loops (RecursiveLoop=Allow), but its role cannot write to "
        "any queue, topic or bucket that triggers it",
        recursive_loop="Allow",
    )
