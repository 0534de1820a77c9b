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
}
CODE = {
    "open": {"RepositoryType": "S3", "Location": "https://example.invalid/open"},
    "tight": {
        "RepositoryType": "S3",
        "Location": "https://example.invalid/t",
        "SourceKMSKeyArn": KEY,
    },
}


def answers(operation: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    name = str(params.get("FunctionName") or "")
    if operation == "ListFunctions":
        return 200, {"Functions": list(FUNCTIONS.values())}
    if operation == "ListEventSourceMappings":
        return 200, {"EventSourceMappings": []}
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


def _collect(endpoint: str) -> Inventory:
    client = AwsClient(
        AwsOptions(regions=[REGION], endpoint_url=endpoint, max_attempts=1, max_workers=1)
    )
    canned_lambda(client)
    return aws.collect(client)


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
