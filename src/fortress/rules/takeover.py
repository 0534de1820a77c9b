"""Practice: least privilege — who can take over a function (FTR-IAM-011, FTR-IAM-012).

FTR-IAM-011: the account's users and roles are judged with IAM's evaluation logic (identity
policies, permissions boundaries, service control policies; see :mod:`fortress.iam.takeover`).
Needs the whole account's IAM, so it runs on live scans and snapshots only.

FTR-IAM-012 is its template counterpart: every role and identity policy the scanned files
declare, used by a function of the files or by none, is judged by what it lets its holder do
to any function (``*`` or function ARNs).
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from fortress.findings import Practice, Severity
from fortress.iam import match
from fortress.iam import takeover as tk
from fortress.iam.policy import ParsedPolicy, located, parse_policies
from fortress.iam.privesc import role_documents
from fortress.inventory import TEMPLATE_ACCOUNT, Function, IamAccount, IdentityPolicy, Role
from fortress.rules.engine import Context, Verdict, rule

_MAX_LISTED = 4
_MAX_EVIDENCE = 50


def account_iam(fn: Function, ctx: Context) -> IamAccount | None:
    for account in ctx.inventory.iam:
        if account.account == fn.account:
            return account
    return None


def _principals(account: IamAccount, ctx: Context) -> tuple[list[tk.Principal], list[str]]:
    return ctx.memo("iam.takeover-principals", account, lambda: tk.principals(account))


def describe(taker: tk.Taker, limit: int = 2) -> str:
    """``user alice: lambda:UpdateFunctionCode (dev Sid 'Deploy'), ...``"""
    parts = []
    for way in taker.ways[:limit]:
        granted = ", ".join(way.statements[:2]) or "an unreadable policy"
        flag = "" if way.level == match.ALLOWED else f", {way.level}"
        parts.append(f"{'+'.join(way.actions)} ({granted}{flag})")
    more = f" (+{len(taker.ways) - limit} more)" if len(taker.ways) > limit else ""
    return f"{taker.kind} {taker.name}: {'; '.join(parts)}{more}"


def _listing(takers: list[tk.Taker]) -> str:
    shown = " | ".join(describe(t) for t in takers[:_MAX_LISTED])
    extra = len(takers) - _MAX_LISTED
    return f"{shown} (+{extra} more principals)" if extra > 0 else shown


@rule(
    id="FTR-IAM-011",
    title="Principals other than the deployers can take over the function",
    target="function",
    practice=Practice.LEAST_PRIVILEGE,
    severity=Severity.HIGH,
    rationale="""Whoever can change a function's code or configuration (layers, environment,
        role), add a permission or a public URL to it, move its alias, publish a new version
        of a layer it uses, write to its execution role, or pass that role to a function of
        their own, controls what the function does and holds its credentials. Outside the
        deployment pipeline nobody should. Users (with their groups) and roles are judged
        with IAM's evaluation logic: an explicit Deny wins, permissions boundaries and service
        control policies (when Organizations is readable) must also allow, and a condition
        that cannot be evaluated makes the answer "conditional" (reported as unknown).""",
    remediation="""Remove lambda:Update*, lambda:AddPermission, lambda:*FunctionUrlConfig,
        lambda:UpdateAlias, lambda:PublishLayerVersion, iam:PassRole and IAM write actions on
        the function, its layers and its role from everyone but the deployment roles, or fence
        them with a permissions boundary or an SCP; list the deployment roles under
        `deployers:` in .fortress.yaml. `fortress iam who-can FUNCTION` shows every principal
        and the statements that grant it.""",
    snippets={
        "cli": (
            "fortress iam who-can FUNCTION\n"
            "aws iam detach-user-policy --user-name USER --policy-arn POLICY_ARN"
        ),
    },
    references={"prowler": ["iam_policy_allows_privilege_escalation"]},
    controls={"nist-800-53-r5": ["AC-6"], "pci-dss-4.0": ["7.2.2"]},
    template=False,
)
def function_takeover(fn: Function, ctx: Context) -> Verdict:
    account = account_iam(fn, ctx)
    if account is None:
        return Verdict.unknown(
            "the account's IAM users, groups and roles were not collected (IAM could not be "
            "read, or the snapshot predates this rule)"
        )
    answer = ctx.memo(
        "iam.takeover",
        fn,
        lambda: tk.who_can(
            fn,
            account,
            ctx.config.deployers,
            parsed=_principals(account, ctx),
            roles=ctx.roles,
        ),
    )
    others = [t for t in answer.takers if not t.deployer]
    sure = [t for t in others if t.level == match.ALLOWED]
    evidence = {
        "principals": [t.to_dict() for t in others[:_MAX_EVIDENCE]],
        "principals_checked": answer.principals,
        "deployers": sum(1 for t in answer.takers if t.deployer),
        "notes": answer.notes,
    }
    if sure:
        return Verdict.fail(
            f"function {fn.name} can be taken over by {len(sure)} principals that are not "
            f"configured deployers: {_listing(sure)}",
            related=[t.arn for t in sure],
            **evidence,
        )
    if others:
        return Verdict.unknown(
            f"function {fn.name} can be taken over by {len(others)} principals that are not "
            f"configured deployers if conditions hold (conditional): {_listing(others)}",
            related=[t.arn for t in others],
            **evidence,
        )
    deployers = evidence["deployers"]
    return Verdict.passed(
        f"no principal of {answer.principals} judged can take over function {fn.name}"
        + (f" besides {deployers} configured deployers" if deployers else ""),
        **evidence,
    )


# --------------------------------------------------------------------------- 012 (IaC)

_ROLE_ACCOUNT = re.compile(r"^(arn:[^:]*:iam::)[^:]*(:)")


def is_deployer(role: Role, patterns: list[str]) -> bool:
    """Whether a template role is a configured deployer: a pattern matches its ARN or name. A
    template's account is known only at deployment, so the pattern's account is not compared."""
    arn = role.arn
    for pattern in patterns:
        if not pattern:
            continue
        if fnmatch.fnmatchcase(arn, pattern) or fnmatch.fnmatchcase(role.name, pattern):
            return True
        if TEMPLATE_ACCOUNT in arn and fnmatch.fnmatchcase(
            arn, _ROLE_ACCOUNT.sub(r"\g<1>*\g<2>", pattern)
        ):
            return True
    return False


def _statements(holder: Role | IdentityPolicy, ctx: Context) -> ParsedPolicy:
    def parse() -> ParsedPolicy:
        docs: list[tuple[str | None, Any]] = (
            role_documents(holder)
            if isinstance(holder, Role)
            else [(p.name, p.document) for p in holder.policies]
        )
        return located(parse_policies(docs), holder.policies)

    return ctx.memo("iam.parsed-holder", holder, parse)


def _ways(ways: list[tk.Way], limit: int = 3) -> str:
    shown = []
    for way in ways[:limit]:
        granted = ", ".join(way.statements[:2]) or "an unreadable policy"
        shown.append(f"{'+'.join(way.actions)} on {way.resource} ({granted})")
    more = f" (+{len(ways) - limit} more)" if len(ways) > limit else ""
    return "; ".join(shown) + more


@rule(
    id="FTR-IAM-012",
    title="Role or policy in the template can take over Lambda functions",
    target="identity",
    practice=Practice.LEAST_PRIVILEGE,
    severity=Severity.HIGH,
    rationale="""A role or identity policy that allows lambda:UpdateFunctionCode,
        UpdateFunctionConfiguration, AddPermission, Create/UpdateFunctionUrlConfig,
        UpdateAlias or PublishLayerVersion on "*" or on function (layer) ARNs, or iam:PassRole
        to Lambda with lambda:CreateFunction, lets whoever holds it replace a function's code,
        open it to the world or run its role's permissions, whether or not a function of the
        same files uses it. Templates are judged on what they declare: every role and every
        policy no role of the files carries (the live counterpart, FTR-IAM-011, judges the
        whole account).""",
    remediation="""Keep these actions for the deployment roles (list them under `deployers:`
        in .fortress.yaml), or scope them to the ARNs of the functions the role must manage
        and add conditions; give workload roles no Lambda write actions.""",
    snippets={
        "cloudformation": (
            "- Effect: Allow\n  Action: lambda:UpdateFunctionCode\n"
            "  Resource: !GetAtt OwnFunction.Arn"
        ),
        "terraform": (
            'statement {\n  actions   = ["lambda:UpdateFunctionCode"]\n'
            "  resources = [aws_lambda_function.own.arn]\n}"
        ),
    },
    references={
        "kics": ["c583f0f9-7dfd-476b-a056-f47c62b47b46", "fa62ac4f-f5b9-45b9-97c1-625c8b6253ca"]
    },
    controls={"nist-800-53-r5": ["AC-6"], "pci-dss-4.0": ["7.2.2"]},
    live=False,
)
def template_takeover(holder: Role | IdentityPolicy, ctx: Context) -> Verdict:
    kind = "role" if isinstance(holder, Role) else "policy"
    what = f"{kind} {holder.name}"
    if isinstance(holder, Role) and is_deployer(holder, ctx.config.deployers):
        return Verdict.passed(f"{what} is a configured deployer", deployer=True)
    parsed = _statements(holder, ctx)
    ways = ctx.memo("iam.template-reach", parsed, lambda: tk.reach(parsed))
    sure = [w for w in ways if w.level == match.ALLOWED]
    evidence: dict[str, Any] = {"ways": [w.to_dict() for w in ways]}
    if isinstance(holder, IdentityPolicy) and holder.attached:
        evidence["attached"] = list(holder.attached)
    if sure:
        return Verdict.fail(f"{what} can take over Lambda functions: {_ways(sure)}", **evidence)
    if ways:
        return Verdict.unknown(
            f"{what} may take over Lambda functions (conditions or unreadable parts decide): "
            f"{_ways(ways)}; " + "; ".join(dict.fromkeys(n for w in ways for n in w.notes[:1])),
            **evidence,
        )
    return Verdict.passed(f"{what} allows no Lambda takeover action on any function")
