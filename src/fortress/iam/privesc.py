"""Effective permissions of an identity policy set, and known privilege-escalation paths.

:func:`permissions` turns a role's policies into "which concrete actions are allowed, by which
statements, on which resources". :func:`escalation_paths` matches that against well documented
privilege-escalation combinations (Rhino Security Labs, "AWS IAM Privilege Escalation - Methods
and Mitigation", and later public research on Lambda, Glue, CloudFormation, SageMaker paths).

Approximations (the analysis is static; it cannot see SCPs, permission boundaries or session
policies, nor evaluate conditions):
- An Allow with a Condition still counts (reported as ``conditional``): conditions usually
  narrow, but the role may satisfy them.
- A Deny removes an action only when it applies to all resources (``Resource: "*"``) with no
  Condition. Narrower Denies are ignored, so a path may be reported that a Deny blocks.
- ``NotAction`` expands to every catalogued action except those listed; ``NotResource`` counts
  as "resources beyond the function itself".
- Resource ARNs are compared as written: "only itself" means every resource of the statement is
  one of the role's own function ARNs (optionally with ``:*`` for versions/aliases).
- Each path needs every step allowed somewhere in the policy set; that a step is allowed on the
  right resource (e.g. iam:PassRole on a privileged role) is not checked: PassRole on any role
  is reported, since roles to pass are usually available.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fortress.iam.actions import catalogue
from fortress.iam.managed import get_managed_policy, is_aws_managed_arn
from fortress.iam.policy import ParsedPolicy, Statement, parse_policies
from fortress.inventory import Role, Unknown

# An Allow on every resource that covers this share of all catalogued actions is admin-level
# (AdministratorAccess: 100 %; PowerUserAccess, everything but iam/organizations/account: ~99 %).
ADMIN_SHARE = 0.95
# Any one of these on every resource lets the holder give itself (or a principal it controls)
# any policy: attach AdministratorAccess, put an inline "*" policy, or rewrite a policy version
# attached to it. Such a role is administrator-equivalent whatever else it lacks.
SELF_GRANT_ACTIONS = frozenset(
    {
        "iam:AttachRolePolicy",
        "iam:AttachUserPolicy",
        "iam:AttachGroupPolicy",
        "iam:PutRolePolicy",
        "iam:PutUserPolicy",
        "iam:PutGroupPolicy",
        "iam:CreatePolicyVersion",
    }
)


@dataclass(frozen=True)
class ActionGrant:
    """One Allow statement granting an action."""

    statement: Statement
    pattern: str  # the Action/NotAction entry as written (or "NotAction" for NotAction grants)
    all_resources: bool  # Resource "*" (or NotResource)
    beyond_self: bool  # applies to resources other than the role's own functions
    conditional: bool


@dataclass
class PermissionSet:
    grants: dict[str, list[ActionGrant]] = field(default_factory=dict)  # canonical action ->
    denied: set[str] = field(default_factory=set)
    unknown: list[str] = field(default_factory=list)  # reasons some part could not be read

    def allowed(self, action: str, *, beyond_self: bool = False) -> list[ActionGrant]:
        found = self.grants.get(catalogue().canonical(action), [])
        return [g for g in found if g.beyond_self] if beyond_self else list(found)

    @property
    def actions(self) -> set[str]:
        return set(self.grants)


def _grant_patterns(stmt: Statement) -> list[tuple[str, frozenset[str]]]:
    cat = catalogue()
    if stmt.not_action:
        return [
            (
                "NotAction " + ",".join(stmt.known_actions),
                cat.expand_all(stmt.known_actions, not_action=True),
            )
        ]
    return [(p, cat.expand(p)) for p in stmt.known_actions]


def permissions(policy: Any, self_arns: Iterable[str] = ()) -> PermissionSet:
    """Allowed actions of a policy set (ParsedPolicy, one document, or (name, doc) pairs)."""
    if isinstance(policy, ParsedPolicy):
        parsed = policy
    elif isinstance(policy, list):
        parsed = parse_policies(policy)
    else:
        parsed = parse_policies([(None, policy)])
    own = set(self_arns)
    out = PermissionSet()
    out.unknown.extend(parsed.problems)
    for stmt in parsed.denies:
        if stmt.conditions or stmt.not_resource or "*" not in stmt.resources:
            continue
        for _, actions in _grant_patterns(stmt):
            out.denied |= actions
    for stmt in parsed.allows:
        all_resources = stmt.not_resource or stmt.all_resources or stmt.resources_unknown
        beyond_self = stmt.not_resource or not stmt.resource_is_only(own)
        for pattern, actions in _grant_patterns(stmt):
            grant = ActionGrant(stmt, pattern, all_resources, beyond_self, bool(stmt.conditions))
            for action in actions - out.denied:
                out.grants.setdefault(action, []).append(grant)
    return out


def role_documents(role: Role) -> list[tuple[str | None, Any]]:
    """(policy name, document) pairs; AWS managed policies known only by name are looked up."""
    out: list[tuple[str | None, Any]] = []
    for policy in role.policies:
        document: Any = policy.document
        if not document and not isinstance(document, Unknown):
            ref = policy.arn or policy.name
            if policy.aws_managed or (policy.arn and is_aws_managed_arn(policy.arn)):
                managed = get_managed_policy(ref)
                document = (
                    managed.document
                    if managed
                    else Unknown(f"AWS managed policy {ref} is not in the offline dataset")
                )
        out.append((policy.name, document))
    return out


def broad_actions(perms: PermissionSet) -> set[str]:
    """Actions allowed on every resource without a condition."""
    return {
        action
        for action, grants in perms.grants.items()
        if any(g.all_resources and not g.conditional for g in grants)
    }


def admin_level(perms: PermissionSet) -> str | None:
    """Why ``perms`` amount to administrator access, or None: an Allow on every resource
    covering nearly all catalogued actions, or one that lets the holder grant itself any
    policy (attach, put inline, rewrite a policy version on Resource "*")."""
    broad = broad_actions(perms)
    total = len(catalogue())
    self_grant = sorted(broad & SELF_GRANT_ACTIONS)
    if total and len(broad) / total >= ADMIN_SHARE:
        return f"allows {len(broad)} of {total} actions on every resource"
    if self_grant:
        return f"can grant itself any permission ({', '.join(self_grant[:3])} on every resource)"
    return None


# --------------------------------------------------------------------------- escalation paths


@dataclass(frozen=True)
class EscalationPath:
    id: str
    title: str
    # Every group must be satisfied; a group is satisfied by any one of its actions.
    requires: tuple[tuple[str, ...], ...]
    # Actions that count only when allowed on resources beyond the role's own functions.
    other_resources: frozenset[str] = frozenset()


PATHS: tuple[EscalationPath, ...] = (
    EscalationPath(
        "iam-create-policy-version",
        "create a new default version of a managed policy",
        (("iam:CreatePolicyVersion",),),
    ),
    EscalationPath(
        "iam-set-default-policy-version",
        "switch a managed policy to a more permissive version",
        (("iam:SetDefaultPolicyVersion",),),
    ),
    EscalationPath(
        "iam-put-inline-policy",
        "write an inline policy on a user, group or role",
        (("iam:PutUserPolicy", "iam:PutGroupPolicy", "iam:PutRolePolicy"),),
    ),
    EscalationPath(
        "iam-attach-policy",
        "attach any managed policy to a user, group or role",
        (("iam:AttachUserPolicy", "iam:AttachGroupPolicy", "iam:AttachRolePolicy"),),
    ),
    EscalationPath(
        "iam-add-user-to-group", "add a user to a more privileged group", (("iam:AddUserToGroup",),)
    ),
    EscalationPath(
        "iam-create-access-key", "create access keys for another user", (("iam:CreateAccessKey",),)
    ),
    EscalationPath(
        "iam-login-profile",
        "set a console password for another user",
        (("iam:CreateLoginProfile", "iam:UpdateLoginProfile"),),
    ),
    EscalationPath(
        "iam-update-assume-role-policy",
        "rewrite a role's trust policy to assume it",
        (("iam:UpdateAssumeRolePolicy",),),
    ),
    EscalationPath(
        "passrole-lambda",
        "create a function with a more privileged role and run it",
        (
            ("iam:PassRole",),
            ("lambda:CreateFunction",),
            (
                "lambda:InvokeFunction",
                "lambda:CreateEventSourceMapping",
                "lambda:CreateFunctionUrlConfig",
                "lambda:AddPermission",
            ),
        ),
    ),
    EscalationPath(
        "passrole-ec2",
        "launch an instance with a more privileged instance profile",
        (("iam:PassRole",), ("ec2:RunInstances",)),
    ),
    EscalationPath(
        "passrole-cloudformation",
        "create a stack that runs with a more privileged role",
        (("iam:PassRole",), ("cloudformation:CreateStack", "cloudformation:CreateStackSet")),
    ),
    EscalationPath(
        "passrole-glue",
        "create a Glue development endpoint or job with a privileged role",
        (("iam:PassRole",), ("glue:CreateDevEndpoint", "glue:CreateJob")),
    ),
    EscalationPath(
        "glue-update-dev-endpoint",
        "add an SSH key to an existing Glue dev endpoint",
        (("glue:UpdateDevEndpoint",),),
    ),
    EscalationPath(
        "passrole-datapipeline",
        "run a data pipeline with a more privileged role",
        (
            ("iam:PassRole",),
            ("datapipeline:CreatePipeline",),
            ("datapipeline:PutPipelineDefinition",),
        ),
    ),
    EscalationPath(
        "passrole-sagemaker",
        "open a SageMaker notebook running with a privileged role",
        (
            ("iam:PassRole",),
            ("sagemaker:CreateNotebookInstance",),
            ("sagemaker:CreatePresignedNotebookInstanceUrl",),
        ),
    ),
    EscalationPath(
        "lambda-update-code",
        "replace the code of other functions (and use their roles)",
        (("lambda:UpdateFunctionCode",),),
        frozenset({"lambda:UpdateFunctionCode"}),
    ),
    EscalationPath(
        "lambda-update-configuration",
        "change other functions' configuration (add a malicious layer or handler)",
        (("lambda:UpdateFunctionConfiguration",),),
        frozenset({"lambda:UpdateFunctionConfiguration"}),
    ),
)


@dataclass(frozen=True)
class PathMatch:
    path: EscalationPath
    actions: tuple[str, ...]  # the concrete actions that enable it, one per group
    statements: tuple[str, ...]  # labels of the statements granting them
    conditional: bool  # some step is granted only under a Condition

    def to_evidence(self) -> dict[str, Any]:
        return {
            "path": self.path.id,
            "title": self.path.title,
            "actions": list(self.actions),
            "statements": list(self.statements),
            "conditional": self.conditional,
        }


def escalation_paths(perms: PermissionSet) -> list[PathMatch]:
    """The known escalation paths every step of which ``perms`` allows."""
    matches: list[PathMatch] = []
    for path in PATHS:
        chosen: list[str] = []
        labels: list[str] = []
        conditional = False
        for group in path.requires:
            picked: tuple[str, list[ActionGrant]] | None = None
            for action in group:
                grants = perms.allowed(action, beyond_self=action in path.other_resources)
                if grants:
                    unconditional = [g for g in grants if not g.conditional]
                    picked = (action, unconditional or grants)
                    if unconditional:
                        break
            if picked is None:
                break
            action, grants = picked
            chosen.append(action)
            labels.extend(g.statement.label for g in grants[:2])
            conditional = conditional or all(g.conditional for g in grants)
        else:
            matches.append(
                PathMatch(path, tuple(chosen), tuple(dict.fromkeys(labels)), conditional)
            )
    return matches


__all__ = [
    "ADMIN_SHARE",
    "PATHS",
    "SELF_GRANT_ACTIONS",
    "ActionGrant",
    "EscalationPath",
    "PathMatch",
    "PermissionSet",
    "admin_level",
    "broad_actions",
    "escalation_paths",
    "permissions",
    "role_documents",
]
