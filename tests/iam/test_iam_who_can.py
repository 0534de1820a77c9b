"""Issue 13 part 2: who can take over a function (``fortress iam who-can``, FTR-IAM-011),
against the emulator: users, groups, roles, a permissions boundary, an explicit Deny, a
condition, and an SCP read from an emulated organization."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from conftest import ACCOUNT, REGION, ClientFactory, reset_emulator
from fortress.aws.client import AwsClient, AwsOptions
from fortress.cli import main
from fortress.config import ScanConfig
from fortress.findings import Finding, Status
from fortress.iam import match, takeover
from fortress.inventory import Inventory
from fortress.rules import engine
from fortress.rules import takeover as rule_module
from fortress.sources import aws, snapshot

FN = "target"
FN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FN}"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/ci-deploy"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _function(client: ClientFactory, name: str = FN, role: str = "fn-role") -> str:
    iam = client("iam")
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    return str(
        client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=arn,
            Handler="app.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        )["FunctionArn"]
    )


def _user(client: ClientFactory, name: str, *statements: dict[str, Any], **kwargs: Any) -> None:
    iam = client("iam")
    iam.create_user(UserName=name, **kwargs)
    if statements:
        iam.put_user_policy(
            UserName=name, PolicyName=f"{name}-policy", PolicyDocument=_doc(*statements)
        )


def _account(client: ClientFactory) -> None:
    """A function and the principals around it."""
    _function(client)
    iam = client("iam")
    # alice: UpdateFunctionCode on every function.
    _user(client, "alice", {"Sid": "Deploy", **_allow("lambda:UpdateFunctionCode")})
    # bob: the same through his group, on this function only.
    iam.create_group(GroupName="devs")
    iam.put_group_policy(
        GroupName="devs",
        PolicyName="devs-lambda",
        PolicyDocument=_doc(_allow("lambda:Update*", FN_ARN)),
    )
    _user(client, "bob")
    iam.add_user_to_group(GroupName="devs", UserName="bob")
    # carol: a role with lambda:* on *, but a permissions boundary allowing only S3 removes it
    # (the emulator keeps boundaries on roles only; users' are tested without it below).
    boundary = iam.create_policy(PolicyName="s3-only", PolicyDocument=_doc(_allow("s3:*")))
    iam.create_role(
        RoleName="carol",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        PermissionsBoundary=boundary["Policy"]["Arn"],
    )
    iam.put_role_policy(
        RoleName="carol", PolicyName="all-lambda", PolicyDocument=_doc(_allow("lambda:*"))
    )
    # dave: allowed, then explicitly denied.
    _user(
        client,
        "dave",
        _allow("lambda:UpdateFunctionCode"),
        {"Effect": "Deny", "Action": "lambda:*", "Resource": FN_ARN},
    )
    # erin: only from one network (a condition Fortress cannot evaluate).
    _user(
        client,
        "erin",
        _allow(
            "lambda:UpdateFunctionCode", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
        ),
    )
    # frank: only another function.
    _user(client, "frank", _allow("lambda:*", FN_ARN + "-other"))
    # the deployment role.
    iam.create_role(RoleName="ci-deploy", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(
        RoleName="ci-deploy", PolicyName="deploy", PolicyDocument=_doc(_allow("lambda:*"))
    )


def _collect(endpoint: str, org: AwsClient | None = None, **options: Any) -> Inventory:
    client = AwsClient(
        AwsOptions(regions=[REGION], endpoint_url=endpoint, max_attempts=1, **options)
    )
    return aws.collect(client, versions=False, org_client=org)


@pytest.fixture(scope="module")
def seeded(emulator: str) -> Inventory:
    """The account of :func:`_account`, collected once for the tests that only read it."""
    reset_emulator(emulator)

    def make(service: str, region: str = REGION) -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=emulator,
            config=Config(retries={"max_attempts": 1}),
        )

    _account(make)
    return _collect(emulator)


def _answer(inventory: Inventory, deployers: tuple[str, ...] = ()) -> takeover.Answer:
    fn = next(f for f in inventory.functions if f.name == FN)
    return takeover.who_can(
        fn, inventory.iam[0], deployers, roles={r.arn: r for r in inventory.roles}
    )


def _takers(answer: takeover.Answer) -> dict[str, takeover.Taker]:
    return {t.name: t for t in answer.takers}


def _finding(inventory: Inventory, config: ScanConfig) -> Finding:
    assert rule_module
    findings = engine.evaluate(inventory, [engine._REGISTRY["FTR-IAM-011"]], config)
    (finding,) = [f for f in findings if f.resource.name == FN]
    return finding


def test_who_can_finds_a_user_and_a_group_member_and_honours_boundary_and_deny(
    seeded: Inventory,
) -> None:
    answer = _answer(seeded, (DEPLOYER,))
    takers = _takers(answer)
    alice = takers["alice"]
    assert alice.level == match.ALLOWED and alice.kind == "user" and not alice.deployer
    (way,) = alice.ways
    assert way.actions == ("lambda:UpdateFunctionCode",)
    assert way.statements == ("alice-policy Sid 'Deploy'",)
    bob = takers["bob"]
    assert bob.level == match.ALLOWED
    assert {w.actions[0] for w in bob.ways} == {
        "lambda:UpdateFunctionCode",
        "lambda:UpdateFunctionConfiguration",
        "lambda:UpdateFunctionUrlConfig",
    }
    assert all(w.statements == ("devs-lambda (group devs) statement #1",) for w in bob.ways)
    assert "carol" not in takers  # the boundary removes it
    assert "dave" not in takers  # the explicit Deny wins
    assert "frank" not in takers  # another function's ARN
    erin = takers["erin"]
    assert erin.level == match.CONDITIONAL
    assert erin.ways[0].notes == (
        "erin-policy statement #1 allows it only if IpAddress aws:SourceIp hold (not evaluated)",
    )
    assert takers["ci-deploy"].deployer and takers["ci-deploy"].kind == "role"


def test_rule_fails_for_non_deployers_and_not_for_the_deployer(seeded: Inventory) -> None:
    inventory = seeded
    config = ScanConfig(deployers=["arn:aws:iam::*:role/ci-deploy"])
    finding = _finding(inventory, config)
    assert finding.status is Status.FAIL
    assert "user alice: lambda:UpdateFunctionCode (alice-policy Sid 'Deploy')" in finding.message
    assert "user bob" in finding.message and "ci-deploy" not in finding.message
    assert "carol" not in finding.message and "dave" not in finding.message
    assert finding.evidence["deployers"] == 1


def test_rule_passes_when_only_a_configured_deployer_can(aws: str, client: ClientFactory) -> None:
    _function(client)
    iam = client("iam")
    iam.create_role(RoleName="ci-deploy", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(
        RoleName="ci-deploy", PolicyName="deploy", PolicyDocument=_doc(_allow("lambda:*"))
    )
    _user(client, "frank", _allow("lambda:*", FN_ARN + "-other"))
    inventory = _collect(aws)
    finding = _finding(inventory, ScanConfig(deployers=[DEPLOYER]))
    assert finding.status is Status.PASS
    assert "besides 1 configured deployers" in finding.message
    # The same account without the deployer configured: the role is an outsider.
    unconfigured = _finding(inventory, ScanConfig())
    assert unconfigured.status is Status.FAIL and "role ci-deploy" in unconfigured.message


def test_only_conditional_outsiders_give_unknown_naming_the_condition(
    aws: str, client: ClientFactory
) -> None:
    _function(client)
    _user(
        client,
        "erin",
        _allow(
            "lambda:UpdateFunctionCode", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
        ),
    )
    finding = _finding(_collect(aws), ScanConfig())
    assert finding.status is Status.UNKNOWN
    assert "conditional" in finding.message and "user erin" in finding.message


def test_passrole_with_create_function_and_role_writes_are_takeover(
    aws: str, client: ClientFactory
) -> None:
    _function(client)
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/fn-role"
    _user(
        client,
        "gina",
        _allow(
            "iam:PassRole",
            role_arn,
            Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
        ),
        _allow("lambda:CreateFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:tmp-*"),
    )
    _user(
        client,
        "hank",
        _allow(
            "iam:PassRole",
            role_arn,
            Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
        ),
        _allow("lambda:CreateFunction"),
    )
    _user(client, "ivan", _allow("iam:PutRolePolicy", "arn:aws:iam::*:role/fn-*"))
    takers = _takers(_answer(_collect(aws)))
    (way,) = takers["gina"].ways
    assert way.actions == ("iam:PassRole", "lambda:CreateFunction") and way.level == match.ALLOWED
    assert "hank" not in takers  # PassRole only to EC2
    assert takers["ivan"].ways[0].actions == ("iam:PutRolePolicy",)


def test_an_scp_read_from_the_organization_removes_the_action(aws: str) -> None:
    def boto(service: str, **creds: Any) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=aws,
            config=Config(retries={"max_attempts": 1}),
            **creds,
        )

    org = boto("organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(Email="m@example.com", AccountName="member")["CreateAccountStatus"][
        "AccountId"
    ]
    scp = org.create_policy(
        Name="no-code-updates",
        Description="deployments only through the pipeline",
        Type="SERVICE_CONTROL_POLICY",
        Content=_doc(
            _allow("*"),
            {
                "Sid": "NoCode",
                "Effect": "Deny",
                "Action": "lambda:UpdateFunctionCode",
                "Resource": "*",
            },
        ),
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=scp, TargetId=member)
    creds = boto("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
        RoleSessionName="fortress",
    )["Credentials"]
    keys = {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
    }

    def member_client(service: str, region: str = REGION) -> Any:
        return boto(service, **keys)

    _function(member_client)
    _user(
        member_client,
        "alice",
        _allow(["lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration"]),
    )
    management = AwsClient(AwsOptions(regions=[REGION], endpoint_url=aws, max_attempts=1))
    as_member = (keys["aws_access_key_id"], keys["aws_secret_access_key"])
    with_scps = _collect(aws, org=management, credentials=as_member)
    assert with_scps.iam[0].account == member
    assert (
        with_scps.iam[0].scps is not None
        and [len(lv.policies) for lv in with_scps.iam[0].scps][-1] >= 1
    )
    # The SCP's Deny removes UpdateFunctionCode; what it allows stays.
    ways = [w.actions for w in _takers(_answer(with_scps))["alice"].ways]
    assert ways == [("lambda:UpdateFunctionConfiguration",)]
    # Read with the member's own credentials, the SCPs are not readable: alice is listed, and
    # the answer says what it could not see.
    alone = _collect(aws, credentials=as_member)
    answer = _answer(alone)
    assert len(_takers(answer)["alice"].ways) == 2
    assert alone.iam[0].scps is None
    assert any("service control policies were not read" in n for n in answer.notes)


def test_snapshot_round_trips_the_principals(seeded: Inventory, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    live = seeded
    path = tmp_path / "snap.json"
    snapshot.save(path, live, [], datetime.now(UTC))
    loaded, _ = snapshot.load(path)
    assert loaded.iam == live.iam
    assert _answer(loaded).to_dict() == _answer(live).to_dict()


def test_snapshot_without_principals_gives_unknown(seeded: Inventory) -> None:
    import dataclasses

    inventory = dataclasses.replace(seeded, iam=[])  # as an older snapshot reads
    assert _finding(inventory, ScanConfig()).status is Status.UNKNOWN


def test_cli_who_can_console_and_json(
    aws: str, client: ClientFactory, tmp_path: Path, capsys: Any
) -> None:
    _account(client)
    base = ["iam", "who-can", FN, "--endpoint-url", aws, "--region", REGION, "--no-config"]
    assert main([*base, "--deployer", DEPLOYER]) == 1
    out = capsys.readouterr().out
    assert "user alice [allowed]" in out and "granted by alice-policy Sid 'Deploy'" in out
    assert "role ci-deploy (deployer)" in out and "carol" not in out
    assert main([*base, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    names = {t["name"]: t for t in data["takers"]}
    assert names["alice"]["ways"][0]["statements"] == ["alice-policy Sid 'Deploy'"]
    assert names["erin"]["level"] == "conditional" and "carol" not in names
    # From a snapshot, with the deployers from the config file.
    snap = tmp_path / "snap.json"
    assert main(["collect", "--endpoint-url", aws, "--region", REGION, "--output", str(snap)]) in (
        0,
        3,
    )
    config = tmp_path / ".fortress.yaml"
    config.write_text(f"version: 1\ndeployers:\n  - {DEPLOYER}\n")
    capsys.readouterr()
    assert (
        main(
            [
                "iam",
                "who-can",
                FN_ARN,
                "--snapshot",
                str(snap),
                "--config",
                str(config),
                "--format",
                "json",
            ]
        )
        == 1
    )
    data = json.loads(capsys.readouterr().out)
    assert {t["name"]: t["deployer"] for t in data["takers"]}["ci-deploy"] is True


def test_cli_unknown_function_is_one_line_error(
    aws: str, client: ClientFactory, capsys: Any
) -> None:
    _function(client)
    code = main(
        ["iam", "who-can", "nope", "--endpoint-url", aws, "--region", REGION, "--no-config"]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "function 'nope' not found" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (_allow("lambda:*"), match.ALLOWED),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, match.ALLOWED),
        ({"Effect": "Allow", "NotAction": "lambda:*", "Resource": "*"}, match.DENIED),
        ({"Effect": "Allow", "Action": "lambda:*", "NotResource": FN_ARN}, match.DENIED),
        ({"Effect": "Allow", "Action": "lambda:*", "NotResource": FN_ARN + "-x"}, match.ALLOWED),
        (_allow("lambda:updatefunctioncode", "arn:aws:lambda:*:*:function:tar?et"), match.ALLOWED),
        (_allow("lambda:UpdateFunctionCode", "arn:aws:lambda:*:*:function:Target"), match.DENIED),
        (
            _allow("lambda:UpdateFunctionCode", "arn:aws:lambda:*:*:function:${aws:username}"),
            match.CONDITIONAL,
        ),
        (
            _allow(
                "lambda:UpdateFunctionCode",
                Condition={"StringEquals": {"aws:ResourceAccount": ACCOUNT}},
            ),
            match.ALLOWED,
        ),
        (
            _allow(
                "lambda:UpdateFunctionCode",
                Condition={"StringNotEquals": {"aws:ResourceAccount": ACCOUNT}},
            ),
            match.DENIED,
        ),
        (
            _allow(
                "lambda:UpdateFunctionCode", Condition={"StringLike": {"aws:RequestTag/x": "y"}}
            ),
            match.CONDITIONAL,
        ),
    ],
)
def test_statement_matching_against_one_arn(statement: dict[str, Any], expected: str) -> None:
    from fortress.iam.policy import parse_policy

    parsed = parse_policy({"Statement": [statement]}, "p")
    context = {"aws:ResourceAccount": ACCOUNT}
    assert match.allows(parsed, "lambda:UpdateFunctionCode", FN_ARN, context) == expected
