"""iam.exposure (resource and trust policies) and iam.managed."""

from __future__ import annotations

from typing import Any

from fortress.iam import exposure
from fortress.iam.managed import get_managed_policy, is_aws_managed_arn
from fortress.inventory import Unknown

HOME = "123456789012"


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(principal: Any, condition: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    stmt: dict[str, Any] = {
        "Sid": extra.pop("sid", "s1"),
        "Effect": "Allow",
        "Principal": principal,
        "Action": extra.pop("action", "lambda:InvokeFunction"),
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
    }
    if condition:
        stmt["Condition"] = condition
    return stmt


def test_public_without_condition() -> None:
    assert exposure.is_public(_policy(_allow("*"))) is True
    assert exposure.is_public(_policy(_allow({"AWS": "*"}))) is True


def test_public_restricted_by_source_or_org_is_not_public() -> None:
    for cond in (
        {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-bucket"}},
        {"StringEquals": {"aws:SourceAccount": HOME}},
        {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
        {"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}},
    ):
        assert exposure.is_public(_policy(_allow("*", cond))) is False, cond


def test_conditions_that_do_not_restrict() -> None:
    for cond in (
        {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},
        {"StringNotEquals": {"aws:SourceAccount": HOME}},
        {"StringEqualsIfExists": {"aws:SourceAccount": HOME}},
        {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}},
        {"StringLike": {"aws:SourceAccount": "*"}},
        {"Bool": {"aws:SecureTransport": "true"}},
    ):
        assert exposure.is_public(_policy(_allow("*", cond))) is True, cond


def test_unknown_condition_value_is_undecided() -> None:
    doc = _policy(_allow("*", {"StringEquals": {"aws:SourceAccount": Unknown("param")}}))
    assert exposure.is_public(doc) is None


def test_blanket_deny_cancels_public_grant() -> None:
    deny = {"Effect": "Deny", "Principal": "*", "Action": "lambda:*", "Resource": "*"}
    assert exposure.is_public(_policy(_allow("*"), deny)) is False
    narrow = {**deny, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert exposure.is_public(_policy(_allow("*"), narrow)) is True


def test_grant_kinds_and_accounts() -> None:
    doc = _policy(
        _allow({"AWS": "arn:aws:iam::999988887777:role/x"}, sid="foreign"),
        _allow({"AWS": HOME}, sid="self"),
        _allow({"Service": "s3.amazonaws.com"}, sid="svc"),
        _allow({"Federated": "cognito-identity.amazonaws.com"}, sid="fed"),
    )
    result = exposure.analyse(doc, HOME)
    by_sid = {g.statement.sid: g for g in result.grants}
    assert (
        by_sid["foreign"].kind == exposure.ACCOUNT and by_sid["foreign"].account == "999988887777"
    )
    assert not by_sid["foreign"].same_account
    assert by_sid["self"].same_account
    assert by_sid["svc"].kind == exposure.SERVICE and not by_sid["svc"].source_restricted
    assert by_sid["fed"].kind == exposure.FEDERATED
    assert [g.statement.sid for g in result.foreign_accounts(HOME)] == ["foreign"]


def test_trust_policy_analysis() -> None:
    lambda_only = _policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    )
    odd, unknown = exposure.unexpected_trust(lambda_only, HOME)
    assert odd == [] and unknown == []
    wide = _policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        },
        {"Sid": "anyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
        {
            "Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/x"},
            "Action": "sts:AssumeRoleWithWebIdentity",
        },
        # not an assume action: not a trust grant
        {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:TagSession"},
    )
    odd, _ = exposure.unexpected_trust(wide, HOME)
    assert sorted(g.principal_text for g in odd) == [
        "arn:aws:iam::123456789012:oidc-provider/x",
        "ec2.amazonaws.com",
        '{"AWS": "*"}',
    ]


def test_managed_policy_lookup() -> None:
    admin = get_managed_policy("AdministratorAccess")
    assert admin is not None
    assert admin.document["Statement"][0]["Action"] == "*"
    s3 = get_managed_policy("arn:aws:iam::aws:policy/AmazonS3FullAccess")
    assert s3 is not None and s3.arn == "arn:aws:iam::aws:policy/AmazonS3FullAccess"
    basic = get_managed_policy("service-role/AWSLambdaBasicExecutionRole")
    assert basic is not None
    assert basic.arn == "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    assert get_managed_policy("AWSLambdaBasicExecutionRole") is not None  # bare name
    # a wrong path in an ARN is not the same policy
    assert get_managed_policy("arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole") is None
    assert get_managed_policy("NoSuchPolicy") is None
    assert is_aws_managed_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert not is_aws_managed_arn("arn:aws:iam::123456789012:policy/mine")
