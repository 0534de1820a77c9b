"""FTR-SEC-001/002/003 run through the engine on Inventory objects."""

from __future__ import annotations

import json

import pytest

from fortress.config import ScanConfig
from fortress.errors import FortressError
from fortress.findings import Finding, Status
from fortress.inventory import (
    Api,
    ApiStage,
    EnvVar,
    Function,
    Inventory,
    Origin,
    Policy,
    Role,
    Secret,
    Unknown,
)
from fortress.rules import engine

ACCOUNT, REGION = "123456789012", "us-east-1"
ORIGIN = Origin(source="aws", account=ACCOUNT, region=REGION)
AWS_SECRET = "Xq3vR8tLm2Pz9Kw4" + "Nb7Yc1Hd6Fj0Gs5Ue8Ai2Ox/"  # fake, in the AWS format
PASSWORD = "correct-horse-battery"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/app"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/db-AbCdEf"


def run(rule_id: str, inv: Inventory, config: ScanConfig | None = None) -> list[Finding]:
    import fortress.rules.secrets  # noqa: F401  (registers the rules)

    return engine.evaluate(inv, [engine._REGISTRY[rule_id]], config)


def fn(
    env: list[EnvVar] | None = None, role: str | None = ROLE_ARN, name: str = "orders"
) -> Function:
    return Function(
        name=name,
        arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        origin=ORIGIN,
        runtime="python3.12",
        role_arn=role,
        environment=env or [],
    )


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


# --------------------------------------------------------------------------- FTR-SEC-001


def test_sec001_fails_and_names_variables_without_values() -> None:
    env = [
        EnvVar("AWS_SECRET_ACCESS_KEY", AWS_SECRET),
        EnvVar("DB_PASSWORD", PASSWORD),
        EnvVar("TABLE_NAME", "orders"),
    ]
    finding = only(run("FTR-SEC-001", Inventory(functions=[fn(env)])))
    assert finding.status is Status.FAIL
    assert "AWS_SECRET_ACCESS_KEY (AWS secret access key)" in finding.message
    assert "DB_PASSWORD (secret-named variable)" in finding.message
    assert "TABLE_NAME" not in finding.message
    names = [v["name"] for v in finding.evidence["variables"]]
    assert names == ["AWS_SECRET_ACCESS_KEY", "DB_PASSWORD"]
    assert all(v["fingerprint"].startswith("sha256:") for v in finding.evidence["variables"])
    dumped = json.dumps(finding.to_dict(), ensure_ascii=False)
    assert AWS_SECRET not in dumped and PASSWORD not in dumped
    assert finding.resource.name == "orders"


def test_sec001_passes_on_plain_configuration() -> None:
    env = [
        EnvVar("TABLE_NAME", "orders"),
        EnvVar("SECRET_ARN", SECRET_ARN),
        EnvVar("DEBUG", "false"),
    ]
    finding = only(run("FTR-SEC-001", Inventory(functions=[fn(env)])))
    assert finding.status is Status.PASS
    assert "3 environment variables" in finding.message


def test_sec001_iac_reference_is_a_secret_even_when_unknown() -> None:
    env = [
        EnvVar(
            "LEGACY_KEY",
            Unknown("GetAtt of a resource"),
            reference="AWS::IAM::AccessKey.SecretAccessKey",
        )
    ]
    finding = only(run("FTR-SEC-001", Inventory(functions=[fn(env)])))
    assert finding.status is Status.FAIL
    assert "LEGACY_KEY (AWS secret access key (wired from IaC))" in finding.message
    assert finding.evidence["variables"][0]["reference"] == "AWS::IAM::AccessKey.SecretAccessKey"


def test_sec001_dynamic_reference_resolves_plaintext_into_config() -> None:
    env = [EnvVar("DB", "{{resolve:secretsmanager:prod/db:SecretString:password}}")]
    finding = only(run("FTR-SEC-001", Inventory(functions=[fn(env)])))
    assert finding.status is Status.FAIL
    assert "Secrets Manager secret resolved" in finding.message


def test_sec001_unknown_when_a_secret_named_value_is_unresolved() -> None:
    env = [EnvVar("DB_PASSWORD", Unknown("parameter DbPassword has no default"))]
    finding = only(run("FTR-SEC-001", Inventory(functions=[fn(env)])))
    assert finding.status is Status.UNKNOWN
    assert "DB_PASSWORD" in finding.message and "DbPassword" in finding.message


def test_sec001_respects_secret_ignore() -> None:
    env = [EnvVar("DB_PASSWORD", PASSWORD)]
    config = ScanConfig(secret_ignore=["^DB_PASSWORD$"])
    finding = only(run("FTR-SEC-001", Inventory(functions=[fn(env)]), config))
    assert finding.status is Status.PASS


def test_sec001_bad_ignore_pattern_is_a_fortress_error() -> None:
    env = [EnvVar("DB_PASSWORD", PASSWORD)]
    with pytest.raises(FortressError, match="not a valid regular expression"):
        run("FTR-SEC-001", Inventory(functions=[fn(env)]), ScanConfig(secret_ignore=["[x"]))


# --------------------------------------------------------------------------- FTR-SEC-002


def api(variables: dict[str, str | Unknown]) -> Api:
    return Api(
        id="a1b2c3",
        name="orders-api",
        kind="rest",
        origin=ORIGIN,
        stages=[ApiStage(name="prod", variables=dict(variables))],
    )


def test_sec002_fails_on_secret_stage_variable() -> None:
    inv = Inventory(
        apis=[api({"backendApiKey": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "env": "prod"})]
    )
    finding = only(run("FTR-SEC-002", inv))
    assert finding.status is Status.FAIL
    assert "stage prod" in finding.message and "backendApiKey (Stripe API key)" in finding.message
    assert "4eC39HqLyjWDarjtT1zdp7dc" not in json.dumps(finding.to_dict(), ensure_ascii=False)
    assert finding.resource.name == "orders-api/prod"


def test_sec002_passes_without_secrets() -> None:
    finding = only(run("FTR-SEC-002", Inventory(apis=[api({"env": "prod", "alias": "live"})])))
    assert finding.status is Status.PASS


# --------------------------------------------------------------------------- FTR-SEC-003


def role(statements: list[dict[str, object]] | Unknown) -> Role:
    document: dict[str, object] | Unknown = (
        statements
        if isinstance(statements, Unknown)
        else {"Version": "2012-10-17", "Statement": statements}
    )
    return Role(
        name="app",
        arn=ROLE_ARN,
        origin=ORIGIN,
        inline_policies=[Policy("p", document, inline=True)],
    )


def secret(rotation: bool | Unknown = False) -> Secret:
    return Secret(arn=SECRET_ARN, name="prod/db", origin=ORIGIN, rotation_enabled=rotation)


READ = {
    "Effect": "Allow",
    "Action": "secretsmanager:GetSecretValue",
    "Resource": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/*",
}


def test_sec003_fails_when_readable_and_not_rotated() -> None:
    inv = Inventory(functions=[fn()], roles=[role([READ])], secrets=[secret(False)])
    finding = only(run("FTR-SEC-003", inv))
    assert finding.status is Status.FAIL
    assert finding.message == "secret prod/db is readable by orders and has no automatic rotation"


def test_sec003_passes_when_rotated() -> None:
    inv = Inventory(functions=[fn()], roles=[role([READ])], secrets=[secret(True)])
    assert only(run("FTR-SEC-003", inv)).status is Status.PASS


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "SecretsManager:Get*"],
            "Resource": SECRET_ARN,
        },
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "arn:aws:secretsmanager:*:*:secret:prod/db-??????",
        },
    ],
)
def test_sec003_wildcard_grants_count_as_read(statement: dict[str, object]) -> None:
    inv = Inventory(functions=[fn()], roles=[role([statement])], secrets=[secret(False)])
    assert only(run("FTR-SEC-003", inv)).status is Status.FAIL


@pytest.mark.parametrize(
    "statements",
    [
        [
            {
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "arn:aws:secretsmanager:*:*:secret:other-*",
            }
        ],
        [{"Effect": "Allow", "Action": "secretsmanager:DescribeSecret", "Resource": "*"}],
        [READ, {"Effect": "Deny", "Action": "secretsmanager:*", "Resource": "*"}],
    ],
)
def test_sec003_not_applicable_when_no_function_can_read(
    statements: list[dict[str, object]],
) -> None:
    inv = Inventory(functions=[fn()], roles=[role(statements)], secrets=[secret(False)])
    assert run("FTR-SEC-003", inv) == []


def test_sec003_secret_named_in_environment_counts_as_read() -> None:
    inv = Inventory(
        functions=[fn([EnvVar("DB_SECRET", "prod/db")], role=None)], secrets=[secret(False)]
    )
    assert only(run("FTR-SEC-003", inv)).status is Status.FAIL


def test_sec003_unknown_when_policy_unreadable() -> None:
    inv = Inventory(
        functions=[fn()], roles=[role(Unknown("AccessDenied"))], secrets=[secret(False)]
    )
    finding = only(run("FTR-SEC-003", inv))
    assert finding.status is Status.UNKNOWN
    assert "orders" in finding.message


def test_sec003_unknown_rotation() -> None:
    inv = Inventory(
        functions=[fn()], roles=[role([READ])], secrets=[secret(Unknown("not collected"))]
    )
    assert only(run("FTR-SEC-003", inv)).status is Status.UNKNOWN


def test_sec001_value_withheld_by_the_collector_still_fails() -> None:
    var = EnvVar("STRIPE", Unknown("secret value withheld from the snapshot"))
    var.redacted, var.fingerprint = "Stripe API key", "sha256:0123456789ab"
    finding = only(run("FTR-SEC-001", Inventory(functions=[fn([var])])))
    assert finding.status is Status.FAIL
    assert (
        finding.message
        == "secret-looking values in 1 environment variable: STRIPE (Stripe API key)"
    )
    assert finding.evidence["variables"][0]["fingerprint"] == "sha256:0123456789ab"


def test_sec002_stage_variable_withheld_by_the_collector_still_fails() -> None:
    inv = Inventory(apis=[api({"backend": Unknown("secret value withheld from the snapshot")})])
    finding = only(run("FTR-SEC-002", inv))
    assert finding.status is Status.FAIL and "backend" in finding.message


# --------------------------------------------------------------------------- FTR-SEC-006


def test_sec006_live_values_name_parameters_by_arn_or_path() -> None:
    from fortress.inventory import COLLECTION_PARAMETERS, EnvVar, Function, Inventory, Origin
    from fortress.inventory import Parameter as Param
    from fortress.rules import engine

    origin = Origin(source="aws", account="123456789012", region="us-east-1")
    arn = "arn:aws:ssm:us-east-1:123456789012:parameter/app/api-token"
    plain = Param(name="/app/api-token", origin=origin, type="String", arn=arn)
    fn = Function(
        name="f",
        arn="arn:aws:lambda:us-east-1:123456789012:function:f",
        origin=origin,
        environment=[EnvVar("TOKEN_PARAMETER", arn), EnvVar("CACHE", "/tmp/cache")],
    )
    rules = engine.select_rules(["FTR-SEC-006"])
    [failed] = engine.evaluate(Inventory(functions=[fn], parameters=[plain]), rules)
    assert failed.status.value == "fail" and "/app/api-token (String)" in failed.message
    # A path that is no parameter is ignored; with the listing failed it is unknown, never pass.
    only_path = Function(name="g", arn=fn.arn + "g", origin=origin, environment=[fn.environment[1]])
    assert engine.evaluate(Inventory(functions=[only_path]), rules) == []
    gap = Inventory(functions=[only_path], uncollected={f"{COLLECTION_PARAMETERS}@us-east-1"})
    [unknown] = engine.evaluate(gap, rules)
    assert unknown.status.value == "unknown"
