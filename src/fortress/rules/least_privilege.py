"""Practice: least privilege (FTR-IAM-001..010).

Execution roles (001-006) are judged by their policy documents, not by names; function
resource policies (007-010) by who they let in and which actions they grant, and so is each
IaC permission for a function the scanned files do not define, on the permission resource.
"""

from __future__ import annotations

import functools
from typing import Any

from fortress.findings import Practice, Severity
from fortress.iam import exposure
from fortress.iam.actions import catalogue
from fortress.iam.managed import get_managed_policy
from fortress.iam.policy import ParsedPolicy, located, parse_policies
from fortress.iam.privesc import (
    ADMIN_SHARE,
    SELF_GRANT_ACTIONS,
    PermissionSet,
    escalation_paths,
    permissions,
)
from fortress.iam.privesc import broad_actions as _broad_actions
from fortress.iam.privesc import role_documents as _documents
from fortress.inventory import PART_POLICY, ExternalPermission, Function, Role, Unknown
from fortress.rules.engine import OUTSIDE, Context, Verdict, rule

_LP = Practice.LEAST_PRIVILEGE
INVOKE_ACTIONS = frozenset({"lambda:InvokeFunction", "lambda:InvokeFunctionUrl"})
_MAX_LISTED = 5
# Access levels whose actions only read; a wildcard expanding to these alone is not IAM-002.
READ_ONLY_LEVELS = frozenset({"List", "Read"})


def _listing(items: list[str], limit: int = _MAX_LISTED) -> str:
    shown = ", ".join(items[:limit])
    return f"{shown} (+{len(items) - limit} more)" if len(items) > limit else shown


# --------------------------------------------------------------------------- role helpers


def _parsed(role: Role, ctx: Context) -> ParsedPolicy:
    """The role's policies, parsed once per scan (four rules read them).

    Roles holding the very same documents under the same names (AWS managed policies looked
    up offline, a document a template shares) share one parse.
    """

    def parse() -> ParsedPolicy:
        docs = _documents(role)
        key = tuple(part for pair in docs for part in pair)
        shared = ctx.memo("iam.parsed-documents", key, lambda: parse_policies(docs))
        return located(shared, role.policies)  # the same object when no statement has a line

    return ctx.memo("iam.parsed", role, parse)


def _self_arns(role: Role, ctx: Context) -> set[str]:
    return {fn.arn for fn in ctx.functions_by_role.get(role.arn, [])}


def _permissions(role: Role, ctx: Context) -> PermissionSet:
    """Effective permissions of the role, computed once per scan (three rules read them).

    :func:`permissions` reads the role's own function ARNs only through
    ``Statement.resource_is_only``; roles sharing a parse and those answers share the result.
    """

    def compute() -> PermissionSet:
        parsed = _parsed(role, ctx)
        own = _self_arns(role, ctx)
        only_own = tuple("own" if s.resource_is_only(own) else "" for s in parsed.allows)
        return ctx.memo(
            "iam.permissions-of-parse", (parsed, *only_own), lambda: permissions(parsed, own)
        )

    return ctx.memo("iam.permissions", role, compute)


def _analysis(fn: Function | ExternalPermission, ctx: Context) -> exposure.Exposure:
    """Who the function's resource policy lets in, analysed once per scan (four rules)."""
    return ctx.memo("iam.exposure", fn, lambda: exposure.analyse(fn.resource_policy, fn.account))


def _unknown_reason(parsed: ParsedPolicy) -> str | None:
    if parsed.unknown is not None:
        return f"a policy of the role is not resolvable: {parsed.unknown}"
    for stmt in parsed.statements:
        if stmt.unknown_reasons or stmt.effect_unknown:
            return f"{stmt.label} is not fully resolvable: {stmt.unknown_reasons[0]}"
    return None


@functools.lru_cache(maxsize=1)
def _lambda_runtime_actions() -> frozenset[str]:
    """Actions AWS's own Lambda execution policies grant on "*" (logs, VPC network interfaces).

    Taken from the managed policies AWSLambdaBasicExecutionRole and
    AWSLambdaVPCAccessExecutionRole, so the list follows AWS rather than a hand-written one.
    """
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


# --------------------------------------------------------------------------- 001 admin

_ROLE_CLI = (
    "aws iam detach-role-policy --role-name ROLE --policy-arn POLICY_ARN\n"
    "aws iam put-role-policy --role-name ROLE --policy-name least-privilege "
    "--policy-document file://policy.json"
)


@rule(
    id="FTR-IAM-001",
    title="Execution role has administrator-level access",
    target="role",
    practice=_LP,
    severity=Severity.CRITICAL,
    rationale="""A function whose role can do (almost) anything turns any code-injection bug,
        vulnerable dependency or leaked credential into a full account compromise. Admin-level
        access is judged from the documents: an Allow on every resource that covers nearly all
        actions (AdministratorAccess, PowerUserAccess, "Action": "*", broad NotAction).""",
    remediation="""Detach AdministratorAccess/PowerUserAccess (or remove the "*" statement) and
        grant only the actions and resources the function uses; IAM Access Analyzer policy
        generation from CloudTrail helps build that policy.""",
    snippets={
        "cli": _ROLE_CLI,
        "cloudformation": (
            "Policies:\n  - PolicyName: least-privilege\n    PolicyDocument:\n"
            "      Statement:\n        - Effect: Allow\n          Action: [dynamodb:GetItem]\n"
            "          Resource: !GetAtt Table.Arn"
        ),
        "terraform": (
            'data "aws_iam_policy_document" "fn" {\n  statement {\n'
            '    actions   = ["dynamodb:GetItem"]\n    resources = [aws_dynamodb_table.t.arn]\n  }\n}'
        ),
    },
    references={
        "checkov": ["CKV_AWS_62"],
        "prowler": [
            "iam_aws_attached_policy_no_administrative_privileges",
            "iam_inline_policy_no_administrative_privileges",
        ],
        "kics": ["2f37c4a3-58b9-4afe-8a87-d7f1d2286f84"],
        "securityhub": ["IAM.1"],
    },
    controls={
        "aws-fsbp": ["IAM.1"],
        "cis-aws": ["1.16"],
        "nist-800-53-r5": ["AC-2", "AC-3", "AC-6"],
        "pci-dss-4.0": ["7.2.1", "7.2.2"],
    },
)
def role_admin_access(role: Role, ctx: Context) -> Verdict:
    parsed = _parsed(role, ctx)
    perms = _permissions(role, ctx)
    broad = ctx.memo("iam.broad-actions", perms, lambda: _broad_actions(perms))
    total = len(catalogue())
    share = len(broad) / total if total else 0.0
    self_grant = sorted(broad & SELF_GRANT_ACTIONS)
    if share < ADMIN_SHARE and self_grant:
        granting = sorted(
            {g.statement.label for a in self_grant for g in perms.grants[a] if g.all_resources}
        )
        return Verdict.fail(
            f"role {role.name} is administrator-equivalent: {_listing(granting)} allow "
            f'{_listing(self_grant)} on Resource "*", so it can grant itself any permission',
            statements=granting,
            self_grant_actions=self_grant,
            allowed_actions=len(broad),
            catalogue_actions=total,
        )
    if share >= ADMIN_SHARE:
        labels: list[str] = []
        patterns: list[str] = []
        for stmt in parsed.allows:
            broad_stmt = stmt.all_resources or stmt.not_resource
            if broad_stmt and (stmt.not_action or "*" in stmt.actions):
                labels.append(stmt.label)
                patterns.append("NotAction" if stmt.not_action else "*")
        where = _listing(labels) or "its policies"
        return Verdict.fail(
            f"role {role.name} has administrator-level access: {where} "
            f"allow {len(broad)} of {total} actions on every resource",
            statements=labels,
            patterns=patterns,
            allowed_actions=len(broad),
            catalogue_actions=total,
        )
    reason = _unknown_reason(parsed)
    if reason:
        return Verdict.unknown(reason)
    return Verdict.passed(
        f"role {role.name} is not administrator-level: it allows {len(broad)} of {total} "
        "actions on every resource",
        allowed_actions=len(broad),
        catalogue_actions=total,
    )


# --------------------------------------------------------------------------- 002 wildcards


@rule(
    id="FTR-IAM-002",
    title="Execution role allows wildcard actions",
    target="role",
    practice=_LP,
    severity=Severity.HIGH,
    rationale="""Wildcard actions ("*", "s3:*", "dynamodb:Put*") grant every current and future
        action matching the pattern, including destructive and permission-changing ones the
        function never needs. NotAction in an Allow statement is a wildcard in disguise.""",
    remediation="""Replace each wildcard with the explicit list of actions the function calls
        (see the service's "Actions, resources, and condition keys" page, or generate the
        policy from CloudTrail activity with IAM Access Analyzer).""",
    snippets={"cli": _ROLE_CLI},
    references={
        "checkov": ["CKV_AWS_63"],
        "trivy": ["AVD-AWS-0057"],
        "securityhub": ["IAM.21"],
    },
    controls={
        "aws-fsbp": ["IAM.21"],
        "nist-800-53-r5": ["AC-3", "AC-6"],
        "pci-dss-4.0": ["7.2.1", "7.2.2"],
    },
)
def role_wildcard_actions(role: Role, ctx: Context) -> Verdict:
    parsed = _parsed(role, ctx)
    hits: list[dict[str, Any]] = []
    read_only: list[str] = []
    for stmt in parsed.allows:
        if stmt.not_action:
            wild = ["NotAction " + ",".join(stmt.known_actions)]
        else:
            wild = []
            for a in stmt.known_actions:
                if "*" not in a and "?" not in a:
                    continue
                if is_read_only_wildcard(a):
                    read_only.append(f"{a} ({stmt.label})")
                else:
                    wild.append(a)
        if wild:
            hits.append({"statement": stmt.label, "actions": wild})
    if hits:
        parts = [f"{h['statement']}: {_listing(h['actions'])}" for h in hits[:3]]
        more = f" (+{len(hits) - 3} more statements)" if len(hits) > 3 else ""
        return Verdict.fail(
            f"role {role.name} allows wildcard actions: {'; '.join(parts)}{more}",
            statements=hits,
        )
    reason = _unknown_reason(parsed)
    if reason:
        return Verdict.unknown(reason)
    if read_only:
        return Verdict.passed(
            f"role {role.name} has only read-only wildcard actions: {_listing(read_only)}",
            read_only_wildcards=read_only,
        )
    return Verdict.passed(f"role {role.name} allows no wildcard actions")


def is_read_only_wildcard(pattern: str) -> bool:
    """True when ``pattern`` expands, in the catalogue, to List/Read actions only.

    ``ec2:Describe*`` and ``s3:Get*`` qualify; ``s3:*``, ``*`` and a pattern that matches
    nothing known (it might match future write actions) do not.
    """
    cat = catalogue()
    matched = cat.expand(pattern)
    if not matched:
        return False
    return all(cat.access_level(a) in READ_ONLY_LEVELS for a in matched)


# --------------------------------------------------------------------------- 003 write on *


def _write_on_all(perms: PermissionSet) -> list[tuple[str, str, str]]:
    """(level, action, statement) of restrictable write/permissions actions on "*"."""
    cat = catalogue()
    exempt = _lambda_runtime_actions()
    found: list[tuple[str, str, str]] = []
    for action, grants in perms.grants.items():
        info = cat.info(action)
        if info is None or action in exempt or not info.restrictable:
            continue
        if info.access_level not in ("Write", "Permissions management"):
            continue
        broad = [g for g in grants if g.all_resources]
        if broad:
            found.append((info.access_level, action, broad[0].statement.label))
    # Permissions management first: it is the more dangerous kind.
    found.sort(key=lambda t: (t[0] != "Permissions management", t[1]))
    return found


@rule(
    id="FTR-IAM-003",
    title='Execution role allows write or permissions-management actions on Resource "*"',
    target="role",
    practice=_LP,
    severity=Severity.MEDIUM,
    rationale="""A write or permissions-management action granted on every resource lets the
        function modify, delete or re-permission resources it has no business with. Only
        actions that support resource-level permissions are reported, and the CloudWatch Logs
        and VPC network-interface actions of AWS's own Lambda execution policies are exempt.""",
    remediation="""Scope each write and permissions-management action to the ARNs the function
        works on (a table, a bucket prefix, a queue), or add conditions that pin them.""",
    snippets={"cli": _ROLE_CLI},
    references={
        "checkov": ["CKV_AWS_355", "CKV_AWS_290"],
        "trivy": ["AVD-AWS-0057"],
    },
    controls={"nist-800-53-r5": ["AC-3", "AC-6"], "pci-dss-4.0": ["7.2.2"]},
)
def role_write_on_all_resources(role: Role, ctx: Context) -> Verdict:
    parsed = _parsed(role, ctx)
    perms = _permissions(role, ctx)
    found = ctx.memo("iam.write-on-all", perms, lambda: _write_on_all(perms))
    if found:
        listed = [f"{a} ({s})" for _, a, s in found]
        pm = sum(1 for level, _, _ in found if level == "Permissions management")
        return Verdict.fail(
            f"role {role.name} allows {len(found)} write/permissions-management actions on "
            f'Resource "*" ({pm} permissions management): {_listing(listed)}',
            actions=[
                {"action": a, "access_level": lvl, "statement": s} for lvl, a, s in found[:100]
            ],
            count=len(found),
        )
    reason = _unknown_reason(parsed)
    if reason:
        return Verdict.unknown(reason)
    return Verdict.passed(
        f'role {role.name} allows no write or permissions-management action on Resource "*"'
    )


# --------------------------------------------------------------------------- 004 privesc


@rule(
    id="FTR-IAM-004",
    title="Execution role allows a known privilege-escalation path",
    target="role",
    practice=_LP,
    severity=Severity.HIGH,
    rationale="""Some permission combinations let whoever controls the function obtain more
        privileges than the role has (iam:PassRole with lambda:CreateFunction or
        ec2:RunInstances, iam:CreatePolicyVersion, iam:Attach*Policy, iam:Put*Policy,
        lambda:UpdateFunctionCode on other functions, ...), as documented by public research
        such as Rhino Security Labs' list of IAM privilege-escalation methods.""",
    remediation="""Remove the escalation permissions, or scope them: iam:PassRole to the exact
        role ARNs with an iam:PassedToService condition, lambda:Update* to the function's own
        ARN, IAM write actions not at all for a workload role.""",
    snippets={"cli": _ROLE_CLI},
    references={
        "checkov": ["CKV_AWS_286"],
        "prowler": ["iam_policy_allows_privilege_escalation"],
        "kics": ["1b3af2f9-af8c-4dfc-a0f1-a03adb70deb2"],
        "trivy": ["AVD-AWS-0348"],
    },
    controls={"nist-800-53-r5": ["AC-6", "AC-6(10)"], "pci-dss-4.0": ["7.2.2"]},
)
def role_privilege_escalation(role: Role, ctx: Context) -> Verdict:
    parsed = _parsed(role, ctx)
    perms = _permissions(role, ctx)
    matches = ctx.memo("iam.escalation", perms, lambda: escalation_paths(perms))
    if matches:
        described = [f"{'+'.join(m.actions)} ({m.path.title})" for m in matches]
        return Verdict.fail(
            f"role {role.name} allows privilege escalation via {_listing(described, 3)}",
            paths=[m.to_evidence() for m in matches],
        )
    reason = _unknown_reason(parsed)
    if reason:
        return Verdict.unknown(reason)
    return Verdict.passed(f"role {role.name} allows none of the known privilege-escalation paths")


# --------------------------------------------------------------------------- 005 shared


@rule(
    id="FTR-IAM-005",
    title="Execution role is shared by several functions",
    target="execution_role",
    practice=_LP,
    severity=Severity.LOW,
    rationale="""A role shared by several functions holds the union of their permissions, so
        each function gets more than it needs, and a compromise of one reaches the data of
        all. A role defined outside the scanned files counts too: functions naming the same role
        ARN, or the same import or variable, share it.""",
    remediation="Give each function its own execution role with only the permissions it uses.",
    references={
        "kics": ["4ba74f01-aba5-4be2-83bc-be79ff1a3b92"],
    },
    controls={"nist-800-53-r5": ["AC-6"], "pci-dss-4.0": ["7.2.2"]},
)
def role_shared(role: Role, ctx: Context) -> Verdict:
    users = ctx.functions_by_role.get(role.arn, [])
    outside = "" if role.arn in ctx.roles else f" ({OUTSIDE})"
    if len(users) > 1:
        names = sorted(fn.name for fn in users)
        return Verdict.fail(
            f"role {role.name}{outside} is used by {len(names)} functions: {_listing(names)}",
            functions=names,
        )
    if not users:
        return Verdict.passed(f"role {role.name} is used by no function")
    return Verdict.passed(
        f"role {role.name}{outside} is used by one function only ({users[0].name})"
    )


# --------------------------------------------------------------------------- 006 trust


@rule(
    id="FTR-IAM-006",
    title="Execution role can be assumed by principals other than the Lambda service",
    target="role",
    practice=_LP,
    severity=Severity.HIGH,
    rationale="""An execution role should trust only lambda.amazonaws.com (and
        edgelambda.amazonaws.com for Lambda@Edge). Any other principal in its trust policy
        (another service, an account, a federated identity, "*") can obtain the function's
        credentials directly, outside the function.""",
    remediation="""Remove every principal but lambda.amazonaws.com from the role's trust policy;
        give other callers their own roles.""",
    snippets={
        "cli": (
            "aws iam update-assume-role-policy --role-name ROLE --policy-document "
            '\'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
            '{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}\''
        ),
    },
    references={"checkov": ["CKV_AWS_60"]},
    controls={"nist-800-53-r5": ["AC-3", "AC-6"], "pci-dss-4.0": ["7.2.1"]},
)
def role_trust_beyond_lambda(role: Role, ctx: Context) -> Verdict:
    if isinstance(role.trust_policy, Unknown):
        return Verdict.unknown(f"trust policy is not resolvable: {role.trust_policy.reason}")
    odd, unknown = exposure.unexpected_trust(role.trust_policy, role.origin.account)
    if odd:
        described = []
        for g in odd:
            note = f" if {', '.join(g.restriction_keys)} match" if g.restricted else ""
            described.append(f"{g.principal_text} ({g.kind}, {g.statement.label}){note}")
        return Verdict.fail(
            f"role {role.name} can be assumed by {_listing(described, 3)}",
            principals=[g.to_evidence() for g in odd],
        )
    if unknown:
        return Verdict.unknown(f"trust policy of {role.name}: {unknown[0]}")
    return Verdict.passed(f"role {role.name} can be assumed only by the Lambda service")


# --------------------------------------------------------------------------- resource policy


# Functions and the IaC permissions for functions the files do not define (judged alike).
PolicyHolder = Function | ExternalPermission


def _fn(fn: PolicyHolder) -> str:
    """How a message names the function: its name, or for a permission on a function the
    files do not define, that function as written and the permission resource."""
    if isinstance(fn, ExternalPermission):
        return f"{fn.function} ({OUTSIDE}; permission {fn.origin.logical_id})"
    return fn.name


def _policy_unknown(fn: PolicyHolder) -> Verdict | None:
    if PART_POLICY in fn.uncollected:
        return Verdict.unknown("the function's resource policy could not be read")
    if isinstance(fn.resource_policy, Unknown):
        return Verdict.unknown(f"resource policy is not resolvable: {fn.resource_policy.reason}")
    return None


_REMOVE_PERMISSION = "aws lambda remove-permission --function-name FUNCTION --statement-id SID"


@rule(
    id="FTR-IAM-007",
    title="Function resource policy allows public invocation",
    target="function_policy",
    practice=_LP,
    severity=Severity.CRITICAL,
    rationale="""A resource policy statement with Principal "*" and no condition that pins the
        caller (aws:SourceArn, aws:SourceAccount, aws:PrincipalOrgID, ...) lets anyone on the
        internet with AWS credentials invoke or manage the function. A
        lambda:FunctionUrlAuthType NONE condition does not restrict anything: it is what an
        unauthenticated function URL looks like.""",
    remediation="""Remove the public statement, or replace Principal "*" with the account,
        role or service that needs access and add aws:SourceArn/aws:SourceAccount conditions.""",
    snippets={
        "cli": _REMOVE_PERMISSION,
        "cloudformation": (
            "Permission:\n  Type: AWS::Lambda::Permission\n  Properties:\n"
            "    Action: lambda:InvokeFunction\n    FunctionName: !Ref Function\n"
            "    Principal: s3.amazonaws.com\n    SourceAccount: !Ref AWS::AccountId\n"
            "    SourceArn: !GetAtt Bucket.Arn"
        ),
        "terraform": (
            'resource "aws_lambda_permission" "s3" {\n  action         = "lambda:InvokeFunction"\n'
            "  function_name  = aws_lambda_function.fn.function_name\n"
            '  principal      = "s3.amazonaws.com"\n  source_arn     = aws_s3_bucket.b.arn\n'
            "  source_account = data.aws_caller_identity.current.account_id\n}"
        ),
    },
    references={
        "checkov": ["CKV_AWS_301"],
        "prowler": ["awslambda_function_not_publicly_accessible"],
        "kics": ["e08ed7eb-f3ef-494d-9d22-2e3db756a347", "1d6e16f1-5d8a-4379-bfb3-2dadd38ed5a7"],
        "securityhub": ["Lambda.1"],
    },
    controls={
        "aws-fsbp": ["Lambda.1"],
        "nist-800-53-r5": ["AC-3", "AC-21", "SC-7"],
        "pci-dss-4.0": ["1.4.1", "7.2.1"],
    },
)
def function_public_policy(fn: PolicyHolder, ctx: Context) -> Verdict:
    blocked = _policy_unknown(fn)
    if blocked:
        return blocked
    if fn.resource_policy is None:
        return Verdict.passed(f"function {_fn(fn)} has no resource policy")
    result = _analysis(fn, ctx)
    public = result.public
    if public:
        described = [f"{g.statement.label} ({_listing(list(g.actions), 3)})" for g in public]
        return Verdict.fail(
            f"function {_fn(fn)} can be invoked by anyone (Principal *): {_listing(described, 3)}",
            grants=[g.to_evidence() for g in public],
        )
    undecided = [g for g in result.grants if g.kind == exposure.PUBLIC and g.restriction_unknown]
    if undecided:
        return Verdict.unknown(
            f"{undecided[0].statement.label} grants Principal * under a condition that is not "
            f"resolvable: {undecided[0].restriction_unknown[0]}"
        )
    if result.unknown:
        return Verdict.unknown(result.unknown[0])
    return Verdict.passed(f"resource policy of {_fn(fn)} allows no anonymous (Principal *) access")


@rule(
    id="FTR-IAM-008",
    title="Function resource policy grants access to an untrusted account",
    target="function_policy",
    practice=_LP,
    severity=Severity.HIGH,
    rationale="""A statement naming another AWS account (or a role in it) lets that account
        invoke or manage the function. Accounts that are neither the function's own nor listed
        as trusted in the scan configuration are flagged.""",
    remediation="""Remove the permission, or add the account to the trusted accounts of the scan
        configuration if the access is intended.""",
    snippets={"cli": _REMOVE_PERMISSION},
    controls={"nist-800-53-r5": ["AC-3", "AC-21"], "pci-dss-4.0": ["7.2.1"]},
)
def function_untrusted_account(fn: PolicyHolder, ctx: Context) -> Verdict:
    blocked = _policy_unknown(fn)
    if blocked:
        return blocked
    if fn.resource_policy is None:
        return Verdict.passed(f"function {_fn(fn)} has no resource policy")
    result = _analysis(fn, ctx)
    foreign = [
        g
        for g in result.grants
        if g.kind == exposure.ACCOUNT
        and g.account is not None
        and not ctx.is_trusted_account(g.account, fn.account)
    ]
    if foreign:
        described = [
            f"account {g.account} ({g.principal_text}, {g.statement.label})" for g in foreign
        ]
        return Verdict.fail(
            f"function {_fn(fn)} grants {_listing(described, 3)}",
            grants=[g.to_evidence() for g in foreign],
            accounts=sorted({g.account for g in foreign if g.account}),
        )
    unresolved = [g for g in result.grants if g.kind == exposure.ACCOUNT and g.account is None]
    if unresolved:
        return Verdict.unknown(
            f"{unresolved[0].statement.label}: account of principal "
            f"{unresolved[0].principal_text} is not resolvable"
        )
    if result.unknown:
        return Verdict.unknown(result.unknown[0])
    return Verdict.passed(f"resource policy of {_fn(fn)} grants no untrusted account")


@rule(
    id="FTR-IAM-009",
    title="Service permission without aws:SourceArn or aws:SourceAccount (confused deputy)",
    target="function_policy",
    practice=_LP,
    severity=Severity.MEDIUM,
    rationale="""A permission for a service principal (s3.amazonaws.com, sns.amazonaws.com, ...)
        without aws:SourceArn or aws:SourceAccount lets that service invoke the function on
        behalf of any customer's resource, including resources in other accounts: the
        confused-deputy problem.""",
    remediation="""Re-add the permission with --source-arn (the bucket, topic, rule or API ARN)
        and --source-account.""",
    snippets={
        "cli": (
            f"{_REMOVE_PERMISSION}\naws lambda add-permission --function-name FUNCTION "
            "--statement-id SID --action lambda:InvokeFunction --principal s3.amazonaws.com "
            "--source-arn arn:aws:s3:::BUCKET --source-account ACCOUNT"
        ),
    },
    references={
        "checkov": ["CKV_AWS_364"],
        "trivy": ["AVD-AWS-0067"],
    },
    controls={"nist-800-53-r5": ["AC-3", "AC-6"], "pci-dss-4.0": ["7.2.1"]},
)
def function_confused_deputy(fn: PolicyHolder, ctx: Context) -> Verdict:
    blocked = _policy_unknown(fn)
    if blocked:
        return blocked
    if fn.resource_policy is None:
        return Verdict.passed(f"function {_fn(fn)} has no resource policy")
    result = _analysis(fn, ctx)
    services = [g for g in result.grants if g.kind == exposure.SERVICE]
    loose = [g for g in services if not g.source_restricted and not g.restriction_unknown]
    if loose:
        described = [f"{g.principal_text} ({g.statement.label})" for g in loose]
        return Verdict.fail(
            f"function {_fn(fn)} lets {_listing(described, 3)} invoke it without "
            "aws:SourceArn or aws:SourceAccount",
            grants=[g.to_evidence() for g in loose],
        )
    undecided = [g for g in services if not g.source_restricted and g.restriction_unknown]
    if undecided:
        return Verdict.unknown(
            f"{undecided[0].statement.label}: condition is not resolvable "
            f"({undecided[0].restriction_unknown[0]})"
        )
    if result.unknown:
        return Verdict.unknown(result.unknown[0])
    return Verdict.passed(
        f"every service permission of {_fn(fn)} is pinned by aws:SourceArn or aws:SourceAccount"
        if services
        else f"resource policy of {_fn(fn)} grants no service principal"
    )


@rule(
    id="FTR-IAM-010",
    title="Function resource policy grants more than invocation",
    target="function_policy",
    practice=_LP,
    severity=Severity.HIGH,
    rationale="""Other principals need at most lambda:InvokeFunction or
        lambda:InvokeFunctionUrl. A resource policy granting lambda:* or management actions
        (UpdateFunctionCode, AddPermission, GetFunction) lets them replace the code, read the
        package and configuration, or open the function to others.""",
    remediation="""Replace the statement by one granting only lambda:InvokeFunction (or
        lambda:InvokeFunctionUrl for a function URL).""",
    snippets={"cli": _REMOVE_PERMISSION},
    references={
        "kics": [
            "75ec6890-83af-4bf1-9f16-e83726df0bd0",
            "ad9dabc7-7839-4bae-a957-aa9120013f39",
            "9b83114b-b2a1-4534-990d-06da015e47aa",
        ],
    },
    controls={"nist-800-53-r5": ["AC-3", "AC-6"], "pci-dss-4.0": ["7.2.2"]},
)
def function_policy_beyond_invoke(fn: PolicyHolder, ctx: Context) -> Verdict:
    blocked = _policy_unknown(fn)
    if blocked:
        return blocked
    if fn.resource_policy is None:
        return Verdict.passed(f"function {_fn(fn)} has no resource policy")
    result = _analysis(fn, ctx)
    cat = catalogue()
    offending: dict[str, list[str]] = {}
    for g in result.grants:
        label = g.statement.label
        patterns = (
            [f"NotAction {','.join(g.actions)}"]
            if g.not_action
            else [p for p in g.actions if cat.expand(p) - INVOKE_ACTIONS]
        )
        if g.not_action or patterns:
            offending.setdefault(label, [])
            for p in patterns:
                if p not in offending[label]:
                    offending[label].append(p)
    if offending:
        described = [f"{label}: {_listing(pats, 3)}" for label, pats in offending.items()]
        return Verdict.fail(
            f"function {_fn(fn)} resource policy grants more than invoke: {'; '.join(described[:3])}",
            statements=[{"statement": k, "actions": v} for k, v in offending.items()],
        )
    if result.unknown:
        return Verdict.unknown(result.unknown[0])
    return Verdict.passed(f"resource policy of {_fn(fn)} grants only invocation")
