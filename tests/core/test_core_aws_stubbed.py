"""Live-source paths the emulator cannot produce, with canned Lambda answers.

The emulator returns one page of functions, never FileSystemConfigs or DeadLetterConfig, no
code signing policies, no foreign layers and no old LastModified (see ../shared/EMULATOR.md).
Here the Lambda client of the real live source answers from a table (botocore's before-call
hook, the mechanism Stubber uses) while every other service is the emulator, so the rules that
the demo cannot fail or pass still get a failing and a passing case on live inventory.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from botocore.awsrequest import AWSResponse

from fortress.aws.client import AwsClient, AwsOptions
from fortress.config import ScanConfig
from fortress.findings import Status
from fortress.rules.engine import evaluate, select_rules
from fortress.sources import aws

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/fn-role"
CSC = f"arn:aws:lambda:{REGION}:{ACCOUNT}:code-signing-config:csc-0123456789abcdef0"


def config(name: str, **extra: Any) -> dict[str, Any]:
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


LEGACY = config(
    "legacy-batch",
    LastModified="2023-02-01T10:00:00.000+0000",
    FileSystemConfigs=[
        {
            "Arn": f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:access-point/fsap-0abc",
            "LocalMountPath": "/mnt/data",
        }
    ],
    Layers=[{"Arn": f"arn:aws:lambda:{REGION}:999988887777:layer:vendor-sdk:7", "CodeSize": 10}],
    DeadLetterConfig={"TargetArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:legacy-dlq"},
)
SIGNED = config(
    "signed-api", Layers=[{"Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:own:1", "CodeSize": 10}]
)


def answers(operation: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    name = params.get("FunctionName")
    if operation == "ListFunctions":
        # Two pages: the paginator must follow NextMarker.
        if "Marker" not in params:
            return 200, {"Functions": [LEGACY], "NextMarker": "page-2"}
        return 200, {"Functions": [SIGNED]}
    if operation == "ListEventSourceMappings":
        return 200, {"EventSourceMappings": []}
    if operation == "GetFunction":
        cfg = LEGACY if name == "legacy-batch" else SIGNED
        return 200, {"Configuration": cfg, "Tags": {"team": "core"}}
    if operation == "GetPolicy":
        policy = (
            '{"Version":"2012-10-17","Statement":[{"Sid":"s3","Effect":"Allow","Principal":'
            '{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"x",'
            '"Condition":{"StringEquals":{"AWS:SourceAccount":"123456789012"}}}]}'
        )
        return 200, {"Policy": policy, "RevisionId": "1"}
    if operation == "GetFunctionCodeSigningConfig":
        if name == "signed-api":
            return 200, {"CodeSigningConfigArn": CSC, "FunctionName": name}
        return 200, {"FunctionName": name}
    if operation == "GetCodeSigningConfig":
        return 200, {
            "CodeSigningConfig": {
                "CodeSigningConfigId": "csc-0123456789abcdef0",
                "CodeSigningConfigArn": CSC,
                "AllowedPublishers": {
                    "SigningProfileVersionArns": [
                        f"arn:aws:signer:{REGION}:{ACCOUNT}:/signing-profiles/p/1"
                    ]
                },
                "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": "Enforce"},
                "LastModified": "2026-01-01T00:00:00.000+0000",
            }
        }
    if operation in ("ListAliases",):
        return 200, {"Aliases": []}
    if operation == "ListVersionsByFunction":
        return 200, {"Versions": [config(name or "", Version="$LATEST")]}
    if operation == "ListFunctionEventInvokeConfigs":
        return 200, {"FunctionEventInvokeConfigs": []}
    if operation in ("GetFunctionUrlConfig", "GetFunctionEventInvokeConfig"):
        return 404, {"Error": {"Code": "ResourceNotFoundException", "Message": "none"}}
    if operation == "ListLayers":
        return 200, {"Layers": []}
    return 400, {"Error": {"Code": "Unexpected", "Message": operation}}


def canned_lambda(client: AwsClient) -> list[str]:
    calls: list[str] = []
    pending: list[dict[str, Any]] = []
    lam = client.client("lambda", REGION)

    def remember(params: dict[str, Any], **_: Any) -> None:
        pending.append(dict(params))  # the API parameters, before serialization

    def respond(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        calls.append(model.name)
        status, body = answers(model.name, pending.pop() if pending else {})
        body.setdefault("ResponseMetadata", {"HTTPStatusCode": status})
        return AWSResponse("https://lambda.test", status, {}, None), body  # type: ignore[arg-type]

    lam.meta.events.register_first("before-parameter-build.lambda.*", remember)
    lam.meta.events.register_first("before-call.lambda.*", respond)
    return calls


def test_live_source_reads_what_the_emulator_cannot_show(aws: str) -> None:
    client = AwsClient(
        AwsOptions(regions=[REGION], endpoint_url=aws, max_attempts=1, max_workers=1)
    )
    calls = canned_lambda(client)
    inventory = aws_collect(client)
    assert calls.count("ListFunctions") == 2, "pagination followed NextMarker"
    fns = {f.name: f for f in inventory.functions}
    assert set(fns) == {"legacy-batch", "signed-api"}
    legacy, signed = fns["legacy-batch"], fns["signed-api"]
    assert (
        legacy.file_systems
        and legacy.dead_letter_target
        and legacy.layers[0].account == "999988887777"
    )
    assert signed.code_signing and signed.code_signing.untrusted_artifact_on_deployment == "Enforce"  # type: ignore[union-attr]

    config = ScanConfig(as_of=date(2026, 11, 27))
    rules = select_rules(
        ["FTR-EPH-001", "FTR-PATCH-004", "FTR-CODE-003", "FTR-CODE-001", "FTR-LOG-004"]
    )
    verdicts = {(f.rule_id, f.resource.name): f.status for f in evaluate(inventory, rules, config)}
    assert verdicts[("FTR-EPH-001", "legacy-batch")] is Status.FAIL
    assert verdicts[("FTR-EPH-001", "signed-api")] is Status.PASS
    assert verdicts[("FTR-PATCH-004", "legacy-batch")] is Status.FAIL
    assert verdicts[("FTR-PATCH-004", "signed-api")] is Status.PASS
    assert verdicts[("FTR-CODE-003", "legacy-batch")] is Status.FAIL
    assert verdicts[("FTR-CODE-003", "signed-api")] is Status.PASS
    assert verdicts[("FTR-CODE-001", "signed-api")] is Status.PASS
    assert verdicts[("FTR-CODE-001", "legacy-batch")] is Status.FAIL
    # S3 may invoke legacy-batch asynchronously; its dead-letter queue catches failures.
    assert verdicts[("FTR-LOG-004", "legacy-batch")] is Status.PASS


def aws_collect(client: AwsClient) -> Any:
    return aws.collect(client)
