"""Live-source reads of the issue-14 function checks that the emulator cannot produce.

The emulator (moto 5.2.5) returns no ``Code.SourceKMSKeyArn`` from GetFunction, drops
``LoggingConfig`` and answers 404 to GetRuntimeManagementConfig and GetFunctionRecursionConfig
(see ../shared/EMULATOR.md). Here the Lambda client of the real live source answers from a table
(botocore's before-call hook, the mechanism Stubber uses), while every other service is the
emulator; then the collected inventory goes through a snapshot and the rules judge it again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSResponse

from fortress.aws.client import AwsClient, AwsOptions
from fortress.config import ScanConfig
from fortress.findings import Finding, Status
from fortress.inventory import Inventory
from fortress.rules.engine import evaluate, select_rules
from fortress.sources import aws, snapshot

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/fn-role"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1111-2222"


def _config(name: str, **extra: Any) -> dict[str, Any]:
    cfg = {
        "FunctionName": name,
        "FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        "Runtime": "python3.12",
        "Role": ROLE,
        "Handler": "app.handler",
        "CodeSize": 300,
        "Timeout": 30,
        "MemorySize": 128,
        "LastModified": "2026-11-01T10:00:00.000+0000",
        "CodeSha256": "AAAA",
        "Version": "$LATEST",
        "PackageType": "Zip",
    }
    cfg.update(extra)
    return cfg


# "open": the weak settings; "tight": the hardened ones.
FUNCTIONS = {
    "open": _config(
        "open",
        LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG", "LogGroup": "/l/open"},
    ),
    "tight": _config(
        "tight",
        LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "WARN", "LogGroup": "/l/t"},
    ),
    "stale": _config(
        "stale",
        LastModified="2025-06-01T10:00:00.000+0000",
        Environment={"Variables": {"DB_PASSWORD_PARAMETER": "/t/db-password"}},
    ),
    "signed": _config(
        "signed",
        Environment={
            "Variables": {
                "KEY_PARAMETER": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/t/signing-key",
                "NOT_A_PARAMETER": "/tmp/cache",
            }
        },
    ),
}
CODE = {
    "open": {"RepositoryType": "S3", "Location": "https://example.invalid/open"},
    "tight": {
        "RepositoryType": "S3",
        "Location": "https://example.invalid/t",
        "SourceKMSKeyArn": KEY,
    },
    "stale": {"RepositoryType": "S3", "Location": "https://example.invalid/s"},
    "signed": {"RepositoryType": "S3", "Location": "https://example.invalid/g"},
}
PIN = f"arn:aws:lambda:{REGION}::runtime:0123abcd"
# GetRuntimeManagementConfig answers per function; a (status, error code) pair is an error.
RUNTIME: dict[str, Any] = {
    "open": {"UpdateRuntimeOn": "Manual", "RuntimeVersionArn": PIN},
    "tight": {"UpdateRuntimeOn": "FunctionUpdate"},
    "stale": {"UpdateRuntimeOn": "FunctionUpdate"},
    "signed": {"UpdateRuntimeOn": "Auto"},
}
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"
# GetFunctionRecursionConfig answers; event source mappings per function.
RECURSION: dict[str, Any] = {"open": "Allow", "tight": "Terminate", "stale": "Allow"}
MAPPINGS: dict[str, list[dict[str, Any]]] = {}


def answers(operation: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    name = str(params.get("FunctionName") or "")
    if operation == "ListFunctions":
        return 200, {"Functions": list(FUNCTIONS.values())}
    if operation == "ListEventSourceMappings":
        listed = [
            {
                "UUID": f"{fn}-{i}",
                "FunctionArn": FUNCTIONS[fn]["FunctionArn"],
                "EventSourceArn": arn,
                "State": "Enabled",
            }
            for fn, arns in MAPPINGS.items()
            for i, arn in enumerate(arns)
        ]
        return 200, {"EventSourceMappings": listed}
    if operation == "GetFunctionRecursionConfig":
        loop = RECURSION.get(name, "Terminate")
        if isinstance(loop, tuple):
            return loop[0], {"Error": {"Code": loop[1], "Message": "no"}}
        return 200, {"RecursiveLoop": loop}
    if operation == "GetFunction":
        return 200, {"Configuration": FUNCTIONS[name], "Code": CODE[name], "Tags": {"t": "1"}}
    if operation == "GetFunctionCodeSigningConfig":
        return 200, {"FunctionName": name}
    if operation == "ListAliases":
        return 200, {"Aliases": []}
    if operation == "ListVersionsByFunction":
        return 200, {"Versions": []}
    if operation == "ListFunctionEventInvokeConfigs":
        return 200, {"FunctionEventInvokeConfigs": []}
    if operation in ("GetFunctionUrlConfig", "GetFunctionEventInvokeConfig", "GetPolicy"):
        return 404, {"Error": {"Code": "ResourceNotFoundException", "Message": "none"}}
    if operation == "GetRuntimeManagementConfig":
        answer = RUNTIME[name]
        if isinstance(answer, tuple):
            return answer[0], {"Error": {"Code": answer[1], "Message": "no"}}
        return 200, {"FunctionArn": FUNCTIONS[name]["FunctionArn"], **answer}
    if operation == "ListLayers":
        return 200, {"Layers": []}
    return 400, {"Error": {"Code": "Unexpected", "Message": operation}}


def canned_lambda(client: AwsClient) -> list[str]:
    calls: list[str] = []
    pending: list[dict[str, Any]] = []
    lam = client.client("lambda", REGION)

    def remember(params: dict[str, Any], **_: Any) -> None:
        pending.append(dict(params))

    def respond(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        calls.append(model.name)
        status, body = answers(model.name, pending.pop() if pending else {})
        body.setdefault("ResponseMetadata", {"HTTPStatusCode": status})
        return AWSResponse("https://lambda.test", status, {}, None), body  # type: ignore[arg-type]

    lam.meta.events.register_first("before-parameter-build.lambda.*", remember)
    lam.meta.events.register_first("before-call.lambda.*", respond)
    return calls


def _client(endpoint: str) -> AwsClient:
    return AwsClient(
        AwsOptions(regions=[REGION], endpoint_url=endpoint, max_attempts=1, max_workers=1)
    )


def _collect_with(client: AwsClient) -> Inventory:
    return aws.collect(client)


def _collect(endpoint: str) -> Inventory:
    client = _client(endpoint)
    canned_lambda(client)
    return _collect_with(client)


def _verdicts(inventory: Inventory, rule_ids: list[str]) -> dict[tuple[str, str], Finding]:
    config = ScanConfig(as_of=date(2026, 11, 27))
    return {
        (f.rule_id, f.resource.name): f for f in evaluate(inventory, select_rules(rule_ids), config)
    }


def _round_trip(inventory: Inventory, tmp_path: Path) -> Inventory:
    path = tmp_path / "snap.json"
    snapshot.save(path, inventory, [], datetime(2026, 11, 27, tzinfo=UTC))
    loaded, _ = snapshot.load(path)
    return loaded


def test_package_key_is_read_live_and_survives_a_snapshot(aws: str, tmp_path: Path) -> None:
    inventory = _collect(aws)
    fns = {f.name: f for f in inventory.functions}
    assert fns["tight"].source_kms_key_arn == KEY
    assert fns["open"].source_kms_key_arn is None
    for inv in (inventory, _round_trip(inventory, tmp_path)):
        verdicts = _verdicts(inv, ["FTR-CODE-006"])
        assert verdicts[("FTR-CODE-006", "open")].status is Status.FAIL
        assert verdicts[("FTR-CODE-006", "tight")].status is Status.PASS


def test_runtime_management_is_read_live_and_survives_a_snapshot(aws: str, tmp_path: Path) -> None:
    inventory = _collect(aws)
    fns = {f.name: f for f in inventory.functions}
    assert (fns["open"].runtime_update_mode, fns["open"].runtime_version_arn) == ("Manual", PIN)
    for inv in (inventory, _round_trip(inventory, tmp_path)):
        verdicts = _verdicts(inv, ["FTR-PATCH-007", "FTR-PATCH-008"])
        assert verdicts[("FTR-PATCH-007", "open")].status is Status.FAIL
        assert PIN in verdicts[("FTR-PATCH-007", "open")].message
        assert verdicts[("FTR-PATCH-007", "tight")].status is Status.PASS
        assert verdicts[("FTR-PATCH-008", "stale")].status is Status.FAIL
        assert "FunctionUpdate" in verdicts[("FTR-PATCH-008", "stale")].message
        assert verdicts[("FTR-PATCH-008", "tight")].status is Status.PASS
        assert ("FTR-PATCH-008", "open") not in verdicts  # Manual: FTR-PATCH-007's case


def test_runtime_management_failures_are_unknown_and_one_gap_per_missing_api(
    aws: str, monkeypatch: Any
) -> None:
    monkeypatch.setitem(RUNTIME, "open", (403, "AccessDeniedException"))
    monkeypatch.setitem(RUNTIME, "tight", (404, "404"))
    monkeypatch.setitem(RUNTIME, "stale", (404, "404"))
    monkeypatch.setitem(RUNTIME, "signed", (404, "404"))
    client = _client(aws)
    calls = canned_lambda(client)
    inventory = _collect_with(client)
    gaps = [g for g in client.gaps if g.operation == "get_runtime_management_config"]
    # The denial is recorded for its function; the missing operation once for the region,
    # and the function read after it is not asked again (one worker: a fixed order).
    assert sorted(g.error_code for g in gaps) == ["404", "AccessDenied"]
    assert calls.count("GetRuntimeManagementConfig") == 2
    verdicts = _verdicts(inventory, ["FTR-PATCH-007", "FTR-PATCH-008"])
    for name in ("open", "tight", "stale", "signed"):
        assert verdicts[("FTR-PATCH-007", name)].status is Status.UNKNOWN
    assert verdicts[("FTR-PATCH-008", "stale")].status is Status.UNKNOWN
    assert verdicts[("FTR-PATCH-008", "tight")].status is Status.PASS  # deployed recently


def test_application_log_level_is_read_live_and_survives_a_snapshot(
    aws: str, tmp_path: Path
) -> None:
    inventory = _collect(aws)
    assert {f.name: f.application_log_level for f in inventory.functions}["open"] == "DEBUG"
    for inv in (inventory, _round_trip(inventory, tmp_path)):
        verdicts = _verdicts(inv, ["FTR-LOG-009"])
        assert verdicts[("FTR-LOG-009", "open")].status is Status.FAIL
        assert verdicts[("FTR-LOG-009", "tight")].status is Status.PASS
        assert verdicts[("FTR-LOG-009", "stale")].status is Status.PASS  # no level set


def test_parameter_types_are_read_from_the_emulator_and_survive_a_snapshot(
    aws: str, tmp_path: Path
) -> None:
    """SSM is the emulator here (DescribeParameters works): only metadata is read."""
    import boto3

    ssm = boto3.client(
        "ssm",
        endpoint_url=aws,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    ssm.put_parameter(Name="/t/db-password", Type="String", Value="plain-value-9f3")
    ssm.put_parameter(Name="/t/signing-key", Type="SecureString", Value="sealed-value-9f3")
    try:
        inventory = _collect(aws)
    finally:
        ssm.delete_parameters(Names=["/t/db-password", "/t/signing-key"])
    assert {p.name: p.type for p in inventory.parameters} == {
        "/t/db-password": "String",
        "/t/signing-key": "SecureString",
    }
    for inv in (inventory, _round_trip(inventory, tmp_path)):
        verdicts = _verdicts(inv, ["FTR-SEC-006"])
        failed = verdicts[("FTR-SEC-006", "stale")]
        assert failed.status is Status.FAIL and "/t/db-password (String)" in failed.message
        assert "plain-value-9f3" not in str(failed.to_dict())
        assert verdicts[("FTR-SEC-006", "signed")].status is Status.PASS
        assert ("FTR-SEC-006", "open") not in verdicts  # names no parameter
    saved = (tmp_path / "snap.json").read_text()
    assert "plain-value-9f3" not in saved and "sealed-value-9f3" not in saved


def test_recursive_loop_setting_is_read_live_and_judged_against_the_role(
    aws: str, tmp_path: Path, monkeypatch: Any
) -> None:
    """The role is the emulator's IAM: "open" may send to the queue that triggers it."""
    import json

    import boto3

    iam = boto3.client(
        "iam", endpoint_url=aws, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ]
    }
    iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps(trust))
    send = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": QUEUE}],
    }
    iam.put_role_policy(RoleName="fn-role", PolicyName="q", PolicyDocument=json.dumps(send))
    monkeypatch.setitem(MAPPINGS, "open", [QUEUE])
    try:
        inventory = _collect(aws)
    finally:
        iam.delete_role_policy(RoleName="fn-role", PolicyName="q")
        iam.delete_role(RoleName="fn-role")
    assert {f.name: f.recursive_loop for f in inventory.functions}["open"] == "Allow"
    for inv in (inventory, _round_trip(inventory, tmp_path)):
        verdicts = _verdicts(inv, ["FTR-PATCH-009"])
        looping = verdicts[("FTR-PATCH-009", "open")]
        assert looping.status is Status.FAIL and f"sqs:SendMessage on {QUEUE}" in looping.message
        assert verdicts[("FTR-PATCH-009", "tight")].status is Status.PASS
        allowed = verdicts[("FTR-PATCH-009", "stale")]  # Allow, but no trigger it writes to
        assert allowed.status is Status.PASS and "RecursiveLoop=Allow" in allowed.message
