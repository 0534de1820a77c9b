"""IAM: roles, their inline and attached policies, managed policies, policy documents."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fortress.inventory import (
    IdentityPolicy,
    Policy,
    PolicyDocument,
    Role,
    Unknown,
)
from fortress.sources.cfn_intrinsics import first_unknown, show
from fortress.sources.cloudformation.model import (
    UNRESOLVED,
    Resource,
    as_list,
    key_lines,
)

if TYPE_CHECKING:
    from fortress.sources.cloudformation.builder import Builder


def build_roles(b: Builder) -> None:
    by_name: dict[str, Role] = {}
    for res in b.of_type("AWS::IAM::Role"):
        name = b.resolver.refs[res.logical_id]  # what Roles: [!Ref R] of a policy names
        trust = b.prop(res, "AssumeRolePolicyDocument", {})
        role = Role(
            name=b.name_of(res, "RoleName"),
            arn=b.resolver.attrs[(res.logical_id, "Arn")],
            origin=res.origin,
            trust_policy=policy_document(trust, f"{res.logical_id} trust policy"),
        )
        boundary = b.prop(res, "PermissionsBoundary")
        role.permissions_boundary_arn = boundary if isinstance(boundary, str) else None
        raw_policies = res.props.get("Policies")
        for i, pol in enumerate(as_list(b.prop(res, "Policies", []))):
            if isinstance(pol, Mapping):
                pname = pol.get("PolicyName")
                raw = raw_policies[i] if isinstance(raw_policies, list) else None
                document = policy_document(pol.get("PolicyDocument"), f"{res.logical_id} policy")
                role.inline_policies.append(
                    Policy(
                        name=pname if isinstance(pname, str) else f"{res.logical_id}-policy-{i}",
                        document=document,
                        inline=True,
                        file=res.origin.file,
                        lines=statement_lines(
                            raw.get("PolicyDocument") if isinstance(raw, Mapping) else None,
                            document,
                        ),
                    )
                )
        for arn in as_list(b.prop(res, "ManagedPolicyArns", [])):
            role.attached_policies.append(managed(b, arn))
        b.roles[res.logical_id] = role
        by_name[name] = role
    for res in b.of_type("AWS::IAM::Policy", "AWS::IAM::RolePolicy"):
        doc = policy_document(b.prop(res, "PolicyDocument"), res.logical_id)
        name = b.name_of(res, "PolicyName")
        lines = statement_lines(res.props.get("PolicyDocument"), doc)
        targets = as_list(b.prop(res, "Roles", [])) + as_list(b.prop(res, "RoleName", []))
        policy = Policy(name=name, document=doc, inline=True, file=res.origin.file, lines=lines)
        carried = False
        for target in targets:
            if isinstance(target, str) and target in by_name:
                by_name[target].inline_policies.append(policy)
                carried = True
        if not carried:
            _standalone(b, res, policy, by_name)
    attached_arns = {p.arn for role in b.roles.values() for p in role.attached_policies}
    for res in b.of_type("AWS::IAM::ManagedPolicy"):
        raw = res.props.get("PolicyDocument")
        document = policy_document(b.prop(res, "PolicyDocument"), res.logical_id)
        policy = Policy(
            name=b.name_of(res, "ManagedPolicyName"),
            document=document,
            arn=b.resolver.refs[res.logical_id],
            file=res.origin.file,
            lines=statement_lines(raw, document),
        )
        carried = policy.arn in attached_arns
        for target in as_list(b.prop(res, "Roles", [])):
            if isinstance(target, str) and target in by_name:
                carried = True
                role = by_name[target]
                if not any(p.arn == policy.arn for p in role.attached_policies):
                    role.attached_policies.append(policy)
        if not carried:
            _standalone(b, res, policy, by_name)


# The properties of a policy resource naming who holds it.
_HOLDERS = (
    ("Role", "Roles"),
    ("Role", "RoleName"),
    ("User", "Users"),
    ("User", "UserName"),
    ("Group", "Groups"),
    ("Group", "GroupName"),
)


def _standalone(b: Builder, res: Resource, policy: Policy, roles: Mapping[str, Role]) -> None:
    """A policy no role of the template carries: kept on its own for FTR-IAM-012, with the
    principals (defined elsewhere) it names."""
    attached = [
        f"{kind.lower()} {show(value)}"
        for kind, prop in _HOLDERS
        for value in as_list(b.prop(res, prop, []))
        if value not in roles
    ]
    b.inv.policies.append(
        IdentityPolicy(
            name=policy.name,
            origin=res.origin,
            policy=policy,
            arn=policy.arn,
            kind=res.type,
            attached=attached,
        )
    )


def managed(b: Builder, arn: Any) -> Policy:
    """A policy attached by ARN: AWS managed (real document), in-template, or unknown."""
    if isinstance(arn, Unknown):
        return Policy(name="(unresolved)", document=arn)
    text = str(arn)
    for res in b.of_type("AWS::IAM::ManagedPolicy"):
        if b.resolver.refs.get(res.logical_id) == text:
            return Policy(
                name=b.name_of(res, "ManagedPolicyName"),
                document=policy_document(b.prop(res, "PolicyDocument"), res.logical_id),
                arn=text,
            )
    return aws_managed_policy(text)


def statement_lines(raw: Any, document: Any) -> list[int]:
    """The template line of each statement of a policy document, when the written statements
    line up one for one with the resolved ones (no intrinsic function builds the list)."""
    if not isinstance(raw, Mapping) or not isinstance(document, Mapping):
        return []
    written = raw.get("Statement")
    items = [written] if isinstance(written, Mapping) else written
    resolved = document.get("Statement")
    count = 1 if isinstance(resolved, Mapping) else len(resolved or [])
    if not isinstance(items, list) or len(items) != count:
        return []
    out: list[int] = []
    for item in items:
        if not isinstance(item, Mapping) or any(str(k).startswith("Fn::") for k in item):
            return []
        lines = key_lines(item)
        if not lines:
            return []
        out.append(min(lines.values()))
    return out


# ------------------------------------------------------------------ Lambda


def policy_document(value: Any, what: str) -> PolicyDocument | Unknown:
    """A resolved policy document; Unknown if an effect/action/principal cannot be resolved.

    Unresolvable resources and condition values become the placeholder ``${unresolved}``,
    which never equals ``*`` nor a real ARN.
    """
    if isinstance(value, Unknown):
        return Unknown(f"{what}: {value.reason}")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return Unknown(f"{what}: policy is not JSON")
    if not isinstance(value, Mapping):
        return Unknown(f"{what}: no policy document")
    statements = value.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        return Unknown(f"{what}: {getattr(statements, 'reason', 'malformed Statement')}")
    out: list[dict[str, Any]] = []
    for st in statements:
        if not isinstance(st, Mapping):
            return Unknown(f"{what}: statement cannot be resolved")
        for key in ("Effect", "Action", "NotAction", "Principal", "NotPrincipal"):
            bad = first_unknown(st.get(key))
            if bad is not None:
                return Unknown(f"{what}: {key} of a statement cannot be resolved ({bad.reason})")
        out.append(_replace_unknown(dict(st)))
    doc = dict(value)
    doc["Statement"] = out
    return doc


def _replace_unknown(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, Unknown):
        return UNRESOLVED
    if isinstance(value, (dict, Mapping)):
        return {k: _replace_unknown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_unknown(v) for v in value]
    return value


def aws_managed_policy(arn_or_name: str) -> Policy:
    """An AWS managed policy judged by its real document (moto's bundled offline dataset)."""
    text = arn_or_name.strip()
    name = text.rsplit("/", 1)[-1]
    arn = text if text.startswith("arn:") else f"arn:aws:iam::aws:policy/{name}"
    if text.startswith("arn:") and ":iam::aws:policy/" not in text:
        return Policy(
            name=name, arn=arn, document=Unknown(f"policy {arn} is defined outside the template")
        )
    from fortress.iam.managed import get_managed_policy

    found = get_managed_policy(name)  # moto's offline dataset, a compact index per process
    if found is None:
        return Policy(
            name=name,
            arn=arn,
            aws_managed=True,
            document=Unknown(f"AWS managed policy {name} is not in the offline dataset"),
        )
    return Policy(
        name=name,
        arn=f"arn:aws:iam::aws:policy{found.path}{name}",
        aws_managed=True,
        document=found.document,
    )


def principal(value: Any) -> Any:
    if isinstance(value, Unknown) or value is None:
        return value if value is not None else Unknown("no Principal")
    text = str(value)
    if text == "*":
        return "*"
    if re.fullmatch(r"\d{12}", text):
        return {"AWS": f"arn:aws:iam::{text}:root"}
    if text.startswith("arn:"):
        return {"AWS": text}
    if text.endswith(".amazonaws.com") or text.endswith(".amazon.com"):
        return {"Service": text}
    return {"AWS": text}
