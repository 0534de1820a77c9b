"""The live source, IAM side: every user, group and role of the account, and the service
control policies in effect for it, for "who can take over this function" (FTR-IAM-011).

Read-only: ``get_account_authorization_details`` (users, groups, roles, customer managed
policies), ``get_policy``/``get_policy_version`` for AWS managed policies in use, and
Organizations (``describe_organization``, ``list_parents``, ``list_policies_for_target``,
``describe_policy``). IAM failures are coverage gaps; Organizations answers that only say
"no organization" or "not allowed from this account" are recorded on the result
(``IamAccount.scp_note``), not as gaps: most member accounts cannot read their SCPs.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from fortress.aws.client import AwsClient
from fortress.inventory import (
    IamAccount,
    IamGroup,
    IamUser,
    Origin,
    Policy,
    Role,
    ScpLevel,
    Unknown,
)

SOURCE = "aws"
_MAX_DEPTH = 8  # an organization has at most 5 levels of OUs below the root


def json_document(value: Any) -> Any:
    """Policy documents arrive as dicts, JSON strings or URL-encoded JSON strings."""
    if value is None or isinstance(value, dict):
        return value
    if isinstance(value, str):
        for text in (value, urllib.parse.unquote(value)):
            try:
                return json.loads(text)
            except ValueError:
                continue
    return Unknown("unreadable policy document")


def managed_document(client: AwsClient, arn: str) -> dict[str, Any] | Unknown:
    """The default version of a managed policy."""
    meta = client.call("iam", None, "get_policy", resource=arn, PolicyArn=arn)
    if meta is None:
        return Unknown(f"get_policy failed for {arn}")
    version = (meta.get("Policy") or {}).get("DefaultVersionId")
    answer = client.call(
        "iam", None, "get_policy_version", resource=arn, PolicyArn=arn, VersionId=version
    )
    if answer is None:
        return Unknown(f"get_policy_version failed for {arn}")
    doc = json_document((answer.get("PolicyVersion") or {}).get("Document"))
    return doc if isinstance(doc, dict) else Unknown(f"unreadable document for {arn}")


def is_aws_managed(arn: str) -> bool:
    return ":iam::aws:policy/" in arn


class _Policies:
    """Documents of managed policies: customer managed from the listing, AWS managed fetched
    once each."""

    def __init__(self, client: AwsClient, local: dict[str, Any], cache: dict[str, Any]) -> None:
        self.client = client
        self.local = local
        self.cache = cache

    def document(self, arn: str) -> Any:
        if is_aws_managed(arn):
            if arn not in self.cache:
                self.cache[arn] = managed_document(self.client, arn)
            return self.cache[arn]
        return self.local.get(arn) or Unknown(f"policy {arn} not returned")

    def inline(self, items: list[dict[str, Any]], name_key: str = "PolicyName") -> list[Policy]:
        return [
            Policy(
                name=p.get(name_key, ""),
                document=json_document(p.get("PolicyDocument")) or {},
                inline=True,
            )
            for p in items
        ]

    def attached(self, items: list[dict[str, Any]]) -> list[Policy]:
        out = []
        for p in items:
            arn = p.get("PolicyArn", "")
            out.append(
                Policy(
                    name=p.get("PolicyName", ""),
                    arn=arn,
                    document=self.document(arn),
                    aws_managed=is_aws_managed(arn),
                )
            )
        return out


def local_policy_documents(items: list[dict[str, Any]]) -> dict[str, Any]:
    docs: dict[str, Any] = {}
    for p in items:
        for v in p.get("PolicyVersionList") or []:
            if v.get("IsDefaultVersion"):
                docs[p["Arn"]] = json_document(v.get("Document"))
    return docs


class Listings:
    """``get_account_authorization_details`` per filter, read once per account scan.

    The execution roles (:func:`collect_execution_roles`) and the account's principals
    (:func:`collect_account`, for FTR-IAM-011) need the same roles and local managed policies:
    the largest IAM listing of an account was paged twice. A failed listing is None, its gap
    recorded once."""

    def __init__(self, client: AwsClient) -> None:
        self.client = client
        self._got: dict[str, list[Any] | None] = {}

    def get(self, key: str, kind: str) -> list[Any] | None:
        if key not in self._got:
            self._got[key] = self.client.paginate(
                "iam", None, "get_account_authorization_details", key, Filter=[kind]
            )
        return self._got[key]


def collect_account(
    client: AwsClient,
    account: str,
    aws_docs: dict[str, Any] | None = None,
    org_client: AwsClient | None = None,
    listings: Listings | None = None,
) -> IamAccount | None:
    """Every principal of the account; None (with a gap recorded) when IAM could not be read.

    Service control policies are read through ``org_client`` (credentials of the management
    account or a delegated administrator; member accounts usually cannot read them), by
    default the account's own client.
    """
    reader = listings or Listings(client)
    listed: dict[str, list[Any]] = {}
    for key, kind in (
        ("UserDetailList", "User"),
        ("GroupDetailList", "Group"),
        ("RoleDetailList", "Role"),
        ("Policies", "LocalManagedPolicy"),
    ):
        items = reader.get(key, kind)
        if items is None:
            return None
        listed[key] = items
    local = local_policy_documents(listed["Policies"])
    docs = _Policies(client, local, aws_docs if aws_docs is not None else {})
    result = IamAccount(account=account)
    boundaries: set[str] = set()
    for u in listed["UserDetailList"]:
        boundary = (u.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if boundary:
            boundaries.add(boundary)
        result.users.append(
            IamUser(
                name=u.get("UserName", ""),
                arn=u.get("Arn", ""),
                origin=Origin(source=SOURCE, account=account, arn=u.get("Arn")),
                inline_policies=docs.inline(u.get("UserPolicyList") or []),
                attached_policies=docs.attached(u.get("AttachedManagedPolicies") or []),
                groups=[str(g) for g in u.get("GroupList") or []],
                permissions_boundary_arn=boundary,
            )
        )
    for g in listed["GroupDetailList"]:
        result.groups.append(
            IamGroup(
                name=g.get("GroupName", ""),
                arn=g.get("Arn", ""),
                inline_policies=docs.inline(g.get("GroupPolicyList") or []),
                attached_policies=docs.attached(g.get("AttachedManagedPolicies") or []),
            )
        )
    for r in listed["RoleDetailList"]:
        boundary = (r.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if boundary:
            boundaries.add(boundary)
        result.roles.append(
            Role(
                name=r.get("RoleName", ""),
                arn=r.get("Arn", ""),
                origin=Origin(source=SOURCE, account=account, arn=r.get("Arn")),
                trust_policy=json_document(r.get("AssumeRolePolicyDocument")) or {},
                inline_policies=docs.inline(r.get("RolePolicyList") or []),
                attached_policies=docs.attached(r.get("AttachedManagedPolicies") or []),
                permissions_boundary_arn=boundary,
            )
        )
    names = {p.get("Arn"): p.get("PolicyName", "") for p in listed["Policies"]}
    for arn, document in sorted(local.items()):
        result.managed_policies.append(
            Policy(name=names.get(arn) or arn.rsplit("/", 1)[-1], document=document, arn=arn)
        )
    for arn in sorted(boundaries - set(local)):
        result.managed_policies.append(
            Policy(
                name=arn.rsplit("/", 1)[-1],
                document=docs.document(arn),
                arn=arn,
                aws_managed=is_aws_managed(arn),
            )
        )
    result.scps, result.scp_note = collect_scps(org_client or client, account)
    return result


_NO_ORGANIZATION = {"AWSOrganizationsNotInUseException"}


def collect_scps(client: AwsClient, account: str) -> tuple[list[ScpLevel] | None, str | None]:
    """The SCP levels (root first, the account last) in effect for ``account``, read with
    ``client`` (which may belong to the management account).

    ``([], note)`` when none apply (no organization; the management account), ``(None,
    reason)`` when they could not be read.
    """
    org = client.attempt("organizations", None, "describe_organization")
    if org.gap is not None:
        if org.gap.error_code in _NO_ORGANIZATION:
            return [], None
        return None, f"describe_organization: {org.gap.error_code}"
    info = (org.value or {}).get("Organization") or {}
    if not info:
        return [], None
    if info.get("MasterAccountId") == account:
        return [], "the account is its organization's management account: SCPs do not apply"
    chain = [account]
    child = account
    for _ in range(_MAX_DEPTH):
        parents, gap = client.attempt_pages(
            "organizations", None, "list_parents", "Parents", ChildId=child
        )
        if gap is not None:
            return None, f"list_parents: {gap.error_code}"
        if not parents:
            break
        parent = parents[0]
        chain.append(str(parent.get("Id", "")))
        if parent.get("Type") == "ROOT":
            break
        child = str(parent.get("Id", ""))
    levels: list[ScpLevel] = []
    for target in reversed(chain):
        found, gap = client.attempt_pages(
            "organizations",
            None,
            "list_policies_for_target",
            "Policies",
            TargetId=target,
            Filter="SERVICE_CONTROL_POLICY",
        )
        if gap is not None:
            return None, f"list_policies_for_target: {gap.error_code}"
        level = ScpLevel(target=target)
        for summary in found or []:
            pid = summary.get("Id", "")
            answer = client.attempt("organizations", None, "describe_policy", PolicyId=pid)
            if answer.gap is not None:
                return None, f"describe_policy: {answer.gap.error_code}"
            policy = (answer.value or {}).get("Policy") or {}
            content = json_document(policy.get("Content"))
            summary_info = policy.get("PolicySummary") or summary
            level.policies.append(
                Policy(
                    name=str(summary_info.get("Name") or pid),
                    document=content if content is not None else {},
                    arn=summary_info.get("Arn"),
                )
            )
        levels.append(level)
    return levels, None


def collect_execution_roles(
    client: AwsClient,
    account: str,
    wanted: set[str],
    aws_docs: dict[str, Any],
    listings: Listings | None = None,
) -> list[Role] | None:
    """Execution roles of the collected functions, with every policy document (AWS managed
    ones fetched once into ``aws_docs``, and the listings read once into ``listings``, which
    :func:`collect_account` then reuses)."""
    if not wanted:
        return []
    reader = listings or Listings(client)
    details = reader.get("RoleDetailList", "Role")
    if details is None:
        return None
    local = reader.get("Policies", "LocalManagedPolicy")
    policies = _Policies(client, local_policy_documents(local or []), aws_docs)
    roles = []
    for r in details:
        if r.get("Arn") not in wanted:
            continue
        role = Role(
            name=r.get("RoleName", ""),
            arn=r["Arn"],
            origin=Origin(source=SOURCE, account=account, arn=r["Arn"]),
            trust_policy=json_document(r.get("AssumeRolePolicyDocument")) or {},
            permissions_boundary_arn=(r.get("PermissionsBoundary") or {}).get(
                "PermissionsBoundaryArn"
            ),
        )
        role.inline_policies.extend(policies.inline(r.get("RolePolicyList") or []))
        role.attached_policies.extend(policies.attached(r.get("AttachedManagedPolicies") or []))
        roles.append(role)
    return roles


__all__ = [
    "Listings",
    "collect_account",
    "collect_execution_roles",
    "collect_scps",
    "json_document",
    "managed_document",
]
