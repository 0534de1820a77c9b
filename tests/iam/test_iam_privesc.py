"""iam.privesc: effective permissions and escalation paths."""

from __future__ import annotations

from typing import Any

from fortress.iam.privesc import escalation_paths, permissions

FN = "arn:aws:lambda:us-east-1:123456789012:function:self"


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Statement": list(statements)}


def _allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _paths(doc: Any, self_arns: tuple[str, ...] = ()) -> set[str]:
    return {m.path.id for m in escalation_paths(permissions(doc, self_arns))}


def test_passrole_lambda_needs_all_steps() -> None:
    assert "passrole-lambda" in _paths(
        _doc(_allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]))
    )
    assert "passrole-lambda" in _paths(
        _doc(
            _allow("iam:PassRole"),
            _allow(["lambda:CreateFunction", "lambda:CreateEventSourceMapping"]),
        )
    )
    assert "passrole-lambda" not in _paths(
        _doc(_allow(["lambda:CreateFunction", "lambda:InvokeFunction"]))
    )
    assert _paths(_doc(_allow(["iam:PassRole"]))) == set()


def test_single_action_paths() -> None:
    assert "iam-create-policy-version" in _paths(_doc(_allow("iam:CreatePolicyVersion")))
    assert "iam-attach-policy" in _paths(_doc(_allow("iam:AttachRolePolicy")))
    assert "iam-put-inline-policy" in _paths(_doc(_allow("iam:Put*Policy")))
    assert "iam-login-profile" in _paths(_doc(_allow("iam:UpdateLoginProfile")))
    assert "passrole-ec2" in _paths(_doc(_allow(["iam:PassRole", "ec2:RunInstances"])))


def test_harmless_policy_has_no_path() -> None:
    basic = _doc(_allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]))
    assert _paths(basic) == set()
    assert _paths(_doc(_allow(["s3:GetObject", "dynamodb:Query"], "arn:aws:s3:::b/*"))) == set()


def test_update_function_code_only_counts_beyond_itself() -> None:
    own = _doc(_allow("lambda:UpdateFunctionCode", FN))
    assert "lambda-update-code" not in _paths(own, (FN,))
    assert "lambda-update-code" in _paths(own, ())  # not its own function: another one
    assert "lambda-update-code" in _paths(_doc(_allow("lambda:UpdateFunctionCode")), (FN,))
    assert "lambda-update-configuration" in _paths(_doc(_allow("lambda:Update*")), (FN,))


def test_deny_on_all_resources_removes_path() -> None:
    doc = _doc(_allow("*"), {"Effect": "Deny", "Action": "iam:*", "Resource": "*"})
    paths = _paths(doc)
    assert not any(p.startswith("iam-") for p in paths)
    assert "passrole-lambda" not in paths  # iam:PassRole is denied
    conditional_deny = _doc(
        _allow("iam:CreatePolicyVersion"),
        {
            "Effect": "Deny",
            "Action": "iam:*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
        },
    )
    assert "iam-create-policy-version" in _paths(conditional_deny)  # documented approximation


def test_not_action_allow_grants_everything_else() -> None:
    doc = _doc({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"})
    paths = _paths(doc)
    assert "lambda-update-code" in paths
    assert not any(p.startswith("iam-") or p.startswith("passrole") for p in paths)


def test_conditional_grants_are_flagged() -> None:
    doc = _doc(
        _allow("iam:CreateAccessKey", Condition={"StringEquals": {"aws:ResourceTag/x": "y"}})
    )
    matches = escalation_paths(permissions(doc))
    assert [m.path.id for m in matches] == ["iam-create-access-key"]
    assert matches[0].conditional
    assert matches[0].actions == ("iam:CreateAccessKey",)
