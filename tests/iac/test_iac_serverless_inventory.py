"""Serverless Framework source: variables, shared role, log groups, APIs, suppressions."""

from __future__ import annotations

from pathlib import Path

import pytest

from fortress.errors import InputError
from fortress.inventory import Unknown
from fortress.sources import serverless
from fortress.sources.base import IacOptions

FIXTURES = Path(__file__).parent / "fixtures" / "serverless"


def test_variables_stage_self_ssm_env() -> None:
    inv = serverless.load(FIXTURES / "serverless.yml", IacOptions())
    names = sorted(f.name for f in inv.functions)
    assert names == ["goat-dev-admin", "goat-dev-convert", "goat-dev-worker"]
    env = {e.name: e.value for e in inv.functions[0].environment}
    assert env["TABLE"] == "goat-dev"  # ${self:custom.tableName} → ${sls:stage}
    assert isinstance(env["API_TOKEN"], Unknown) and "ssm" in env["API_TOKEN"].reason
    assert env["SIGNING_SECRET"] == "dev-Kq7Rv2mXtL4pZ8wN"  # ${env:..., default}
    prod = serverless.load(FIXTURES / "serverless.yml", IacOptions(parameters={"stage": "prod"}))
    assert sorted(f.name for f in prod.functions) == [
        "goat-prod-admin",
        "goat-prod-convert",
        "goat-prod-worker",
    ]


def test_shared_role_log_groups_and_events() -> None:
    inv = serverless.load(FIXTURES, IacOptions())
    assert serverless.detect(FIXTURES)
    role = next(r for r in inv.roles if r.origin.logical_id == "IamRoleLambdaExecution")
    # Named as the framework names it: <service>-<stage>-<region>-lambdaRole.
    assert role.name == "goat-dev-us-east-1-lambdaRole"
    assert role.origin.line == 13
    assert {f.name for f in inv.functions if f.role_arn == role.arn} == {
        "goat-dev-admin",
        "goat-dev-convert",
    }
    worker = next(f for f in inv.functions if f.name == "goat-dev-worker")
    assert worker.role_arn == next(r.arn for r in inv.roles if r.name == "WorkerRole")
    statements = role.inline_policies[0].document["Statement"]  # type: ignore[index]
    assert {"Effect": "Allow", "Action": ["dynamodb:*"], "Resource": "*"} in statements
    assert role.attached_policies[0].name == "AmazonS3FullAccess"
    assert not isinstance(role.attached_policies[0].document, Unknown)
    groups = {g.name: (g.retention_days, g.origin.line) for g in inv.log_groups}
    # No provider.logRetentionInDays: the framework's log groups keep logs forever.
    assert groups == {
        "/aws/lambda/goat-dev-convert": (None, 22),
        "/aws/lambda/goat-dev-admin": (None, 40),
        "/aws/lambda/goat-dev-worker": (None, 50),
    }
    convert = next(f for f in inv.functions if f.name.endswith("convert"))
    assert (convert.origin.line, convert.origin.logical_id) == (22, "ConvertLambdaFunction")
    assert convert.origin.suppressions == (("FTR-API-008", "low traffic"), ("FTR-LOG-003", ""))
    assert convert.urls[0].auth_type == "NONE"  # `url:` without authorizer: unauthenticated
    assert convert.urls[0].cors_allow_origins == ["*"]  # `cors: true`
    assert (
        convert.event_source_mappings[0].event_source_arn
        == "arn:aws:sqs:us-east-1:111122223333:jobs"
    )
    rest = next(a for a in inv.apis if a.id == "ApiGatewayRestApi")
    assert {r.key: r.authorization_type for r in rest.routes} == {
        "POST /api/convert": "NONE",
        "GET /admin": "AWS_IAM",
    }
    http = next(a for a in inv.apis if a.kind == "http")
    assert [r.key for r in http.routes] == ["GET /status"]
    assert inv.scope == "template" and inv.sources == ["serverless"]


def test_hardened_provider_settings() -> None:
    inv = serverless.load(FIXTURES / "hardened" / "serverless.yml", IacOptions())
    fn = inv.functions[0]
    assert fn.tracing_mode == "Active" and fn.reserved_concurrency == 5
    assert fn.kms_key_arn == "arn:aws:kms:us-east-1:111122223333:key/1234"
    rest = next(a for a in inv.apis if a.id == "ApiGatewayRestApi")
    stage = rest.stages[0]
    assert stage.usage_plan_throttling and stage.tracing_enabled is True
    assert stage.execution_logging_level == "INFO" and stage.access_log_destination
    assert rest.routes[0].api_key_required is True  # private: true


def test_unparsable_serverless_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "serverless.yml"
    path.write_text("service: x\nprovider:\n  name: aws\n  runtime: [python\n")
    with pytest.raises(InputError) as err:
        serverless.load(path, IacOptions())
    assert err.value.file == str(path) and err.value.line is not None and err.value.line >= 4
