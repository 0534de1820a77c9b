"""Issue 13 item 4: read-only wildcards are not FTR-IAM-002 failures; self-granting IAM actions
on "*" are administrator-equivalent for FTR-IAM-001; messages name the statement."""

from __future__ import annotations

from typing import Any

import pytest

from fortress.findings import Finding, Status
from fortress.inventory import Function, Inventory, Origin, Policy, Role
from fortress.rules import engine
from fortress.rules import least_privilege as lp
from fortress.rules.engine import evaluate

ACCOUNT = "123456789012"
ORIGIN = Origin(source="aws", account=ACCOUNT, region="us-east-1")
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/fn-role"


def _run(rule_id: str, *statements: dict[str, Any]) -> Finding:
    assert lp  # registers the rules
    role = Role(
        name="fn-role",
        arn=ROLE_ARN,
        origin=ORIGIN,
        trust_policy={},
        inline_policies=[
            Policy(name="inline", document={"Statement": list(statements)}, inline=True)
        ],
    )
    fn = Function(
        name="fn",
        arn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn",
        origin=ORIGIN,
        role_arn=ROLE_ARN,
    )
    (finding,) = evaluate(Inventory(functions=[fn], roles=[role]), [engine._REGISTRY[rule_id]])
    return finding


def _allow(action: Any, resource: Any = "*", sid: str | None = None) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if sid:
        stmt["Sid"] = sid
    return stmt


@pytest.mark.parametrize("pattern", ["ec2:Describe*", "s3:Get*", "logs:Get*", "s3:List*"])
def test_read_only_wildcard_is_not_an_iam002_failure(pattern: str) -> None:
    f = _run("FTR-IAM-002", _allow(pattern, sid="Reads"))
    assert f.status is Status.PASS
    assert pattern in f.message and "read-only" in f.message and "Reads" in f.message


@pytest.mark.parametrize("pattern", ["s3:*", "dynamodb:Put*", "*", "ec2:*Instances"])
def test_wildcard_with_write_actions_fails_iam002(pattern: str) -> None:
    f = _run("FTR-IAM-002", _allow(pattern, sid="Broad"))
    assert f.status is Status.FAIL
    assert "Sid 'Broad'" in f.message and pattern in f.message


def test_read_only_and_write_wildcards_together_report_only_the_write_one() -> None:
    f = _run("FTR-IAM-002", _allow(["ec2:Describe*", "s3:Put*"]))
    assert f.status is Status.FAIL
    assert "s3:Put*" in f.message and "ec2:Describe*" not in f.message
    assert "statement #1" in f.message


def test_unknown_wildcard_pattern_is_not_called_read_only() -> None:
    # Matches nothing in the catalogue: it could match future write actions.
    assert not lp.is_read_only_wildcard("nosuchservice:Get*")
    assert lp.is_read_only_wildcard("ec2:Describe*")
    assert not lp.is_read_only_wildcard("s3:*")


@pytest.mark.parametrize(
    "actions",
    [
        ["iam:*"],
        ["iam:Put*Policy", "iam:Attach*Policy"],
        ["iam:AttachRolePolicy"],
        ["iam:CreatePolicyVersion"],
    ],
)
def test_self_granting_iam_actions_on_all_resources_are_admin_equivalent(
    actions: list[str],
) -> None:
    f = _run("FTR-IAM-001", _allow(actions, sid="Grant"))
    assert f.status is Status.FAIL
    assert "administrator-equivalent" in f.message and "Sid 'Grant'" in f.message


def test_self_granting_action_scoped_to_one_role_is_not_admin() -> None:
    other = f"arn:aws:iam::{ACCOUNT}:role/other"
    f = _run("FTR-IAM-001", _allow(["iam:PutRolePolicy", "iam:AttachRolePolicy"], other))
    assert f.status is Status.PASS


def test_read_only_iam_on_all_resources_is_not_admin() -> None:
    assert _run("FTR-IAM-001", _allow(["iam:Get*", "iam:List*"])).status is Status.PASS


def test_conditional_self_grant_is_not_admin_equivalent() -> None:
    stmt = _allow("iam:AttachRolePolicy")
    stmt["Condition"] = {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}
    assert _run("FTR-IAM-001", stmt).status is Status.PASS
