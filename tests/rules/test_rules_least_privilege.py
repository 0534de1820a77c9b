"""FTR-IAM-001..010 on Inventory objects, through the engine."""

from __future__ import annotations

from typing import Any

from fortress.config import ScanConfig
from fortress.findings import Finding, Status
from fortress.inventory import PART_POLICY, Function, Inventory, Origin, Policy, Role, Unknown
from fortress.rules import engine
from fortress.rules import least_privilege as lp
from fortress.rules.engine import Rule, evaluate

ACCOUNT = "123456789012"
ORIGIN = Origin(source="aws", account=ACCOUNT, region="us-east-1")
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/fn-role"
LAMBDA_TRUST = {
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
}


def _rule(rule_id: str) -> Rule:
    assert lp  # the module registers its rules on import; other practices are not needed
    return engine._REGISTRY[rule_id]


def _fn(name: str = "fn", **kw: Any) -> Function:
    return Function(
        name=name,
        arn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}",
        origin=ORIGIN,
        role_arn=ROLE_ARN,
        **kw,
    )


def _role(*policies: Policy, trust: Any = None) -> Role:
    return Role(
        name="fn-role",
        arn=ROLE_ARN,
        origin=ORIGIN,
        trust_policy=LAMBDA_TRUST if trust is None else trust,
        inline_policies=list(policies),
    )


def _inline(*statements: dict[str, Any], name: str = "inline") -> Policy:
    return Policy(name=name, document={"Statement": list(statements)}, inline=True)


def _allow(action: Any, resource: Any = "*", sid: str | None = None) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if sid:
        stmt["Sid"] = sid
    return stmt


def _run(rule_id: str, inv: Inventory, config: ScanConfig | None = None) -> Finding:
    findings = evaluate(inv, [_rule(rule_id)], config)
    assert len(findings) == 1, findings
    return findings[0]


def _role_inv(role: Role, *functions: Function) -> Inventory:
    return Inventory(functions=list(functions) or [_fn()], roles=[role])


BASIC = Policy(
    name="AWSLambdaBasicExecutionRole",
    document={},
    arn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    aws_managed=True,
)
ADMIN = Policy(
    name="AdministratorAccess",
    document={},
    arn="arn:aws:iam::aws:policy/AdministratorAccess",
    aws_managed=True,
)
POWER = Policy(
    name="PowerUserAccess",
    document={},
    arn="arn:aws:iam::aws:policy/PowerUserAccess",
    aws_managed=True,
)


# ---------------------------------------------------------------- 001


def test_001_admin_by_document_not_name() -> None:
    f = _run("FTR-IAM-001", _role_inv(_role(ADMIN)))
    assert f.status is Status.FAIL and "AdministratorAccess" in f.message
    f = _run("FTR-IAM-001", _role_inv(_role(POWER)))
    assert f.status is Status.FAIL and "PowerUserAccess" in f.message
    renamed = Policy(name="harmless-name", document={"Statement": [_allow("*", sid="Everything")]})
    f = _run("FTR-IAM-001", _role_inv(_role(renamed)))
    assert f.status is Status.FAIL and "Everything" in f.message


def test_001_pass_and_unknown() -> None:
    assert _run("FTR-IAM-001", _role_inv(_role(BASIC))).status is Status.PASS
    denied = _inline(_allow("*"), {"Effect": "Deny", "Action": "*", "Resource": "*"})
    assert _run("FTR-IAM-001", _role_inv(_role(denied))).status is Status.PASS
    unknown = Policy(name="tpl", document=Unknown("parameter PolicyDoc has no default"))
    f = _run("FTR-IAM-001", _role_inv(_role(BASIC, unknown)))
    assert f.status is Status.UNKNOWN and "PolicyDoc" in f.message


def test_role_rules_skip_roles_without_functions() -> None:
    inv = Inventory(functions=[], roles=[_role(ADMIN)])
    assert evaluate(inv, [_rule("FTR-IAM-001")]) == []


# ---------------------------------------------------------------- 002


def test_002_wildcards() -> None:
    f = _run(
        "FTR-IAM-002",
        _role_inv(_role(_inline(_allow(["s3:Put*", "dynamodb:GetItem"], sid="Data")))),
    )
    assert f.status is Status.FAIL and "s3:Put*" in f.message and "Data" in f.message
    assert "dynamodb:GetItem" not in f.message
    not_action = _inline({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    f = _run("FTR-IAM-002", _role_inv(_role(not_action)))
    assert f.status is Status.FAIL and "NotAction iam:*" in f.message
    assert _run("FTR-IAM-002", _role_inv(_role(BASIC))).status is Status.PASS
    unknown = _inline({"Effect": "Allow", "Action": Unknown("!Ref Actions"), "Resource": "*"})
    assert _run("FTR-IAM-002", _role_inv(_role(unknown))).status is Status.UNKNOWN


# ---------------------------------------------------------------- 003


def test_003_write_on_star() -> None:
    policy = _inline(_allow(["s3:GetObject", "s3:PutObject", "iam:PassRole"], sid="Broad"))
    f = _run("FTR-IAM-003", _role_inv(_role(policy)))
    assert f.status is Status.FAIL
    assert "iam:PassRole" in f.message and "s3:PutObject" in f.message
    assert "s3:GetObject" not in f.message
    assert f.evidence["count"] == 2
    assert f.message.index("iam:PassRole") < f.message.index("s3:PutObject")  # PM first


def test_003_pass_for_scoped_and_aws_lambda_basics() -> None:
    scoped = _inline(_allow("s3:PutObject", "arn:aws:s3:::bucket/*"))
    assert _run("FTR-IAM-003", _role_inv(_role(scoped, BASIC))).status is Status.PASS
    # non-restrictable actions (only "*" possible) are not reported
    xray = _inline(_allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]))
    assert _run("FTR-IAM-003", _role_inv(_role(xray))).status is Status.PASS


# ---------------------------------------------------------------- 004


def test_004_privesc() -> None:
    policy = _inline(
        _allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], sid="Deploy")
    )
    f = _run("FTR-IAM-004", _role_inv(_role(policy)))
    assert f.status is Status.FAIL
    assert "iam:PassRole+lambda:CreateFunction+lambda:InvokeFunction" in f.message
    assert f.evidence["paths"][0]["path"] == "passrole-lambda"


def test_004_own_function_update_is_fine() -> None:
    fn = _fn()
    own = _inline(_allow("lambda:UpdateFunctionCode", fn.arn))
    assert _run("FTR-IAM-004", _role_inv(_role(own, BASIC), fn)).status is Status.PASS
    other = _inline(_allow("lambda:UpdateFunctionCode"))
    f = _run("FTR-IAM-004", _role_inv(_role(other), fn))
    assert f.status is Status.FAIL and "lambda:UpdateFunctionCode" in f.message


# ---------------------------------------------------------------- 005


def test_005_shared_role() -> None:
    role = _role(BASIC)
    f = _run("FTR-IAM-005", _role_inv(role, _fn("alpha"), _fn("beta")))
    assert f.status is Status.FAIL and "alpha" in f.message and "beta" in f.message
    assert _run("FTR-IAM-005", _role_inv(role, _fn("alpha"))).status is Status.PASS


# ---------------------------------------------------------------- 006


def test_006_trust() -> None:
    assert _run("FTR-IAM-006", _role_inv(_role(BASIC))).status is Status.PASS
    wide = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            },
            {
                "Sid": "Ops",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                "Action": "sts:AssumeRole",
            },
        ]
    }
    f = _run("FTR-IAM-006", _role_inv(_role(BASIC, trust=wide)))
    assert (
        f.status is Status.FAIL
        and "arn:aws:iam::999988887777:root" in f.message
        and "Ops" in f.message
    )
    f = _run(
        "FTR-IAM-006",
        _role_inv(_role(BASIC, trust=Unknown("AssumeRolePolicyDocument is a parameter"))),
    )
    assert f.status is Status.UNKNOWN


# ---------------------------------------------------------------- 007-010


def _perm(
    principal: Any,
    sid: str = "perm",
    action: Any = "lambda:InvokeFunction",
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    stmt: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": principal,
        "Action": action,
        "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn",
    }
    if condition:
        stmt["Condition"] = condition
    return stmt


def _fn_inv(*statements: dict[str, Any], **kw: Any) -> Inventory:
    policy: Any = {"Version": "2012-10-17", "Statement": list(statements)} if statements else None
    return Inventory(functions=[_fn(resource_policy=kw.pop("policy", policy), **kw)])


def test_007_public() -> None:
    f = _run(
        "FTR-IAM-007",
        _fn_inv(
            _perm(
                "*",
                sid="FunctionURLAllowPublicAccess",
                action="lambda:InvokeFunctionUrl",
                condition={"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},
            )
        ),
    )
    assert f.status is Status.FAIL and "FunctionURLAllowPublicAccess" in f.message
    restricted = _perm("*", condition={"StringEquals": {"AWS:SourceAccount": ACCOUNT}})
    assert _run("FTR-IAM-007", _fn_inv(restricted)).status is Status.PASS
    assert _run("FTR-IAM-007", _fn_inv()).status is Status.PASS  # no policy
    assert _run("FTR-IAM-007", _fn_inv(uncollected={PART_POLICY})).status is Status.UNKNOWN
    assert (
        _run("FTR-IAM-007", _fn_inv(policy=Unknown("Permission from module"))).status
        is Status.UNKNOWN
    )
    undecided = _perm("*", condition={"StringEquals": {"aws:SourceAccount": Unknown("param")}})
    assert _run("FTR-IAM-007", _fn_inv(undecided)).status is Status.UNKNOWN


def test_008_untrusted_account() -> None:
    inv = _fn_inv(_perm({"AWS": "arn:aws:iam::999988887777:root"}, sid="Partner"))
    f = _run("FTR-IAM-008", inv)
    assert f.status is Status.FAIL and "999988887777" in f.message and "Partner" in f.message
    trusted = ScanConfig(trusted_accounts={"999988887777"})
    assert _run("FTR-IAM-008", inv, trusted).status is Status.PASS
    assert _run("FTR-IAM-008", _fn_inv(_perm({"AWS": ACCOUNT}))).status is Status.PASS


def test_009_confused_deputy() -> None:
    f = _run("FTR-IAM-009", _fn_inv(_perm({"Service": "s3.amazonaws.com"}, sid="FromS3")))
    assert f.status is Status.FAIL and "s3.amazonaws.com" in f.message and "FromS3" in f.message
    ok = _perm(
        {"Service": "s3.amazonaws.com"},
        condition={"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-bucket"}},
    )
    assert _run("FTR-IAM-009", _fn_inv(ok)).status is Status.PASS
    unk = _perm(
        {"Service": "sns.amazonaws.com"},
        condition={"ArnLike": {"AWS:SourceArn": Unknown("!GetAtt Topic.Arn unresolved")}},
    )
    assert _run("FTR-IAM-009", _fn_inv(unk)).status is Status.UNKNOWN


def test_010_beyond_invoke() -> None:
    f = _run("FTR-IAM-010", _fn_inv(_perm({"AWS": ACCOUNT}, sid="Ops", action="lambda:*")))
    assert f.status is Status.FAIL and "lambda:*" in f.message and "Ops" in f.message
    f = _run(
        "FTR-IAM-010",
        _fn_inv(_perm({"AWS": ACCOUNT}, action=["lambda:InvokeFunction", "lambda:GetFunction"])),
    )
    assert f.status is Status.FAIL and "lambda:GetFunction" in f.message
    assert "lambda:InvokeFunction" not in f.message.split("invoke:")[1]
    both = _perm(
        "*",
        action=["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"],
        condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}},
    )
    assert _run("FTR-IAM-010", _fn_inv(both)).status is Status.PASS
