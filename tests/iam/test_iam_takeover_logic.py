"""fortress.iam.takeover on hand-built accounts: what the emulator cannot hold (permissions
boundaries on users, several SCP levels, aliases and layers) and the IaC boundary of the rule."""

from __future__ import annotations

from typing import Any

from fortress.findings import Status
from fortress.iam import match, takeover
from fortress.inventory import (
    Alias,
    Function,
    IamAccount,
    IamGroup,
    IamUser,
    Inventory,
    LayerRef,
    Origin,
    Policy,
    Role,
    ScpLevel,
)
from fortress.rules import engine
from fortress.rules import takeover as rule_module

ACCOUNT = "123456789012"
ORIGIN = Origin(source="aws", account=ACCOUNT, region="us-east-1")
FN_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/fn-role"
LAYER = f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:shared"


def _policy(name: str, *statements: dict[str, Any], arn: str | None = None) -> Policy:
    return Policy(name=name, document={"Statement": list(statements)}, arn=arn, inline=arn is None)


def _allow(action: Any, resource: Any = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def _fn(**kwargs: Any) -> Function:
    return Function(name="fn", arn=FN_ARN, origin=ORIGIN, role_arn=ROLE_ARN, **kwargs)


def _user(name: str, *policies: Policy, **kwargs: Any) -> IamUser:
    return IamUser(
        name=name,
        arn=f"arn:aws:iam::{ACCOUNT}:user/{name}",
        origin=ORIGIN,
        inline_policies=list(policies),
        **kwargs,
    )


def _names(answer: takeover.Answer) -> set[str]:
    return {t.name for t in answer.takers}


def test_a_user_permissions_boundary_intersects() -> None:
    boundary = _policy(
        "logs-only", _allow("logs:*"), arn=f"arn:aws:iam::{ACCOUNT}:policy/logs-only"
    )
    account = IamAccount(
        account=ACCOUNT,
        users=[
            _user("fenced", _policy("all", _allow("*")), permissions_boundary_arn=boundary.arn),
            _user("open", _policy("all", _allow("*"))),
        ],
        managed_policies=[boundary],
        scps=[],
    )
    assert _names(takeover.who_can(_fn(), account)) == {"open"}


def test_an_unread_boundary_makes_the_answer_unknown_not_absent() -> None:
    account = IamAccount(
        account=ACCOUNT,
        users=[
            _user(
                "fenced",
                _policy("code", _allow("lambda:UpdateFunctionCode")),
                permissions_boundary_arn=f"arn:aws:iam::{ACCOUNT}:policy/missing",
            )
        ],
        scps=[],
    )
    (taker,) = takeover.who_can(_fn(), account).takers
    assert taker.level == match.UNKNOWN


def test_every_scp_level_must_allow() -> None:
    full = _policy("FullAWSAccess", _allow("*"))
    only_s3 = _policy("s3-only", _allow("s3:*"))
    user = _user("dev", _policy("code", _allow("lambda:UpdateFunctionCode")))
    allowed_everywhere = IamAccount(
        account=ACCOUNT,
        users=[user],
        scps=[ScpLevel("r-root", [full]), ScpLevel("ou-a", [full]), ScpLevel(ACCOUNT, [full])],
    )
    assert _names(takeover.who_can(_fn(), allowed_everywhere)) == {"dev"}
    narrowed_at_ou = IamAccount(
        account=ACCOUNT,
        users=[user],
        scps=[ScpLevel("r-root", [full]), ScpLevel("ou-a", [only_s3]), ScpLevel(ACCOUNT, [full])],
    )
    assert _names(takeover.who_can(_fn(), narrowed_at_ou)) == set()


def test_scp_deny_with_principal_condition_exempts_the_pipeline() -> None:
    guard = _policy(
        "only-pipeline",
        _allow("*"),
        {
            "Effect": "Deny",
            "Action": "lambda:*",
            "Resource": "*",
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/pipeline"}},
        },
    )
    pipeline = Role(
        name="pipeline",
        arn=f"arn:aws:iam::{ACCOUNT}:role/pipeline",
        origin=ORIGIN,
        inline_policies=[_policy("deploy", _allow("lambda:*"))],
    )
    account = IamAccount(
        account=ACCOUNT,
        users=[_user("dev", _policy("code", _allow("lambda:*")))],
        roles=[pipeline],
        scps=[ScpLevel(ACCOUNT, [guard])],
    )
    answer = takeover.who_can(_fn(), account, ["arn:aws:iam::*:role/pipeline"])
    assert _names(answer) == {"pipeline"} and answer.takers[0].deployer


def test_group_policies_aliases_layers_and_managed_policy_versions() -> None:
    managed = _policy(
        "fn-data", _allow("s3:GetObject"), arn=f"arn:aws:iam::{ACCOUNT}:policy/fn-data"
    )
    role = Role(name="fn-role", arn=ROLE_ARN, origin=ORIGIN, attached_policies=[managed])
    group = IamGroup(
        name="release",
        arn=f"arn:aws:iam::{ACCOUNT}:group/release",
        inline_policies=[
            _policy(
                "release",
                {"Sid": "Alias", **_allow("lambda:UpdateAlias", f"{FN_ARN}:live")},
                {"Sid": "Layer", **_allow("lambda:PublishLayerVersion", LAYER)},
                {"Sid": "Policy", **_allow("iam:CreatePolicyVersion", managed.arn)},
            )
        ],
    )
    account = IamAccount(
        account=ACCOUNT,
        users=[_user("rel", groups=["release"])],
        groups=[group],
        roles=[role],
        scps=None,
        scp_note="describe_organization: AccessDenied",
    )
    fn = _fn(aliases=[Alias(name="live", function_version="3")], layers=[LayerRef(f"{LAYER}:4")])
    answer = takeover.who_can(fn, account)
    (taker,) = [t for t in answer.takers if t.name == "rel"]
    ways = {w.actions[0]: w for w in taker.ways}
    assert ways["lambda:UpdateAlias"].resource == f"{FN_ARN}:live"
    assert ways["lambda:UpdateAlias"].statements == ("release (group release) Sid 'Alias'",)
    assert ways["lambda:PublishLayerVersion"].resource == LAYER
    assert ways["iam:CreatePolicyVersion"].resource == managed.arn
    assert any("AccessDenied" in n for n in answer.notes)


def test_service_linked_roles_are_left_out_and_said_so() -> None:
    slr = Role(
        name="AWSServiceRoleForX",
        arn=f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX",
        origin=ORIGIN,
        inline_policies=[_policy("all", _allow("*"))],
    )
    answer = takeover.who_can(_fn(), IamAccount(account=ACCOUNT, roles=[slr], scps=[]))
    assert answer.takers == [] and any("service-linked" in n for n in answer.notes)


def test_the_rule_does_not_run_on_templates() -> None:
    assert rule_module
    rule = engine._REGISTRY["FTR-IAM-011"]
    assert rule.meta.template is False and rule.meta.to_dict()["applies_to"] == ["aws", "snapshot"]
    template = Inventory(functions=[_fn()], scope="template")
    assert engine.evaluate(template, [rule]) == []
    live = Inventory(functions=[_fn()], iam=[IamAccount(account=ACCOUNT, scps=[])])
    (finding,) = engine.evaluate(live, [rule])
    assert finding.status is Status.PASS
