"""Logging/monitoring rules (FTR-LOG-*) run through the engine on hand-built inventories."""

from __future__ import annotations

from typing import Any

import pytest

import fortress.rules.observability  # noqa: F401  (registers the rules)
from fortress.findings import Finding, Status
from fortress.inventory import (
    PART_INVOKE_CONFIG,
    PART_POLICY,
    Alarm,
    Api,
    ApiStage,
    Function,
    Inventory,
    InvokeConfig,
    LogGroup,
    Origin,
    RegionStatus,
    Trail,
    Unknown,
)
from fortress.rules import engine

ACCOUNT = "123456789012"
REGION = "us-east-1"
ORIGIN = Origin(source="aws", account=ACCOUNT, region=REGION)
TEMPLATE = Origin(source="cloudformation", file="template.yaml", line=3, logical_id="Fn")
ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders"


def run(inventory: Inventory, rule_id: str) -> list[Finding]:
    try:
        rules = engine.select_rules([rule_id])
    except ModuleNotFoundError:  # other practice modules not in the tree yet
        rules = [r for r in engine._REGISTRY.values() if r.meta.id == rule_id]
    assert [r.meta.id for r in rules] == [rule_id]
    return engine.evaluate(inventory, rules)


def fn(name: str = "orders", origin: Origin = ORIGIN, **kw: Any) -> Function:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return Function(name=name, arn=arn, origin=origin, **kw)


def one(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def logs(name: str = "/aws/lambda/orders", **kw: Any) -> LogGroup:
    return LogGroup(name=name, origin=ORIGIN, **kw)


# --------------------------------------------------------------------------- LOG-001/002


def test_log001_missing_log_group_fails_in_account_and_template() -> None:
    live = one(run(Inventory(functions=[fn()]), "FTR-LOG-001"))
    assert live.status is Status.FAIL
    assert "/aws/lambda/orders" in live.message and "no retention" in live.message
    tmpl = one(run(Inventory(functions=[fn(origin=TEMPLATE)], scope="template"), "FTR-LOG-001"))
    assert tmpl.status is Status.FAIL and "declared in the template" in tmpl.message


def test_log001_retention_states() -> None:
    inv = Inventory(
        functions=[
            fn("forever"),
            fn("kept"),
            fn("param"),
            fn("custom", log_group_name="/shared/app"),
        ],
        log_groups=[
            logs("/aws/lambda/forever"),
            logs("/aws/lambda/kept", retention_days=365),
            logs("/aws/lambda/param", retention_days=Unknown("parameter Days")),
            logs("/shared/app", retention_days=30),
        ],
    )
    got = {f.resource.name: f for f in run(inv, "FTR-LOG-001")}
    assert got["forever"].status is Status.FAIL and "kept forever" in got["forever"].message
    assert got["kept"].status is Status.PASS and got["kept"].evidence["retention_days"] == 365
    assert got["param"].status is Status.UNKNOWN and "parameter Days" in got["param"].message
    assert got["custom"].status is Status.PASS and "/shared/app" in got["custom"].message


def test_log002_kms() -> None:
    inv = Inventory(
        functions=[fn("plain"), fn("keyed"), fn("absent")],
        log_groups=[
            logs("/aws/lambda/plain", retention_days=7),
            logs("/aws/lambda/keyed", kms_key_id="arn:aws:kms:us-east-1:123456789012:key/k"),
        ],
    )
    got = {f.resource.name: f for f in run(inv, "FTR-LOG-002")}
    assert got["plain"].status is Status.FAIL and "not encrypted" in got["plain"].message
    assert got["keyed"].status is Status.PASS
    assert got["absent"].status is Status.FAIL and "without a KMS key" in got["absent"].message


# --------------------------------------------------------------------------- LOG-003


def test_log003_tracing() -> None:
    inv = Inventory(
        functions=[
            fn("pass", tracing_mode="PassThrough"),
            fn("on", tracing_mode="Active"),
            fn("param", tracing_mode=Unknown("parameter Tracing")),
        ]
    )
    got = {f.resource.name: f.status for f in run(inv, "FTR-LOG-003")}
    assert got == {"pass": Status.FAIL, "on": Status.PASS, "param": Status.UNKNOWN}


# --------------------------------------------------------------------------- LOG-004


def _policy(service: str, action: Any = "lambda:InvokeFunction") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": action,
                "Resource": ARN,
            }
        ],
    }


def test_log004_s3_trigger_without_dlq_fails_naming_trigger() -> None:
    f = one(
        run(Inventory(functions=[fn(resource_policy=_policy("s3.amazonaws.com"))]), "FTR-LOG-004")
    )
    assert f.status is Status.FAIL
    assert "s3.amazonaws.com" in f.message and "dead-letter queue" in f.message
    assert f.evidence["triggers"] == ["s3.amazonaws.com"]


def test_log004_failure_capture_passes() -> None:
    inv = Inventory(
        functions=[
            fn("dlq", resource_policy=_policy("sns.amazonaws.com"), dead_letter_target="arn:sqs:q"),
            fn(
                "dest",
                resource_policy=_policy("events.amazonaws.com", ["lambda:*"]),
                invoke_configs=[InvokeConfig(on_failure="arn:aws:sqs:us-east-1:1:failed")],
            ),
        ]
    )
    got = {f.resource.name: f for f in run(inv, "FTR-LOG-004")}
    assert got["dlq"].status is Status.PASS and "arn:sqs:q" in got["dlq"].message
    assert got["dest"].status is Status.PASS and "on-failure destination" in got["dest"].message


def test_log004_invoke_config_alone_marks_async() -> None:
    f = one(
        run(
            Inventory(functions=[fn(invoke_configs=[InvokeConfig(maximum_retry_attempts=0)])]),
            "FTR-LOG-004",
        )
    )
    assert f.status is Status.FAIL and "asynchronous invocation config" in f.message


def test_log004_sync_only_not_applicable_and_unreadable_policy_unknown() -> None:
    inv = Inventory(
        functions=[
            fn("apigw", resource_policy=_policy("apigateway.amazonaws.com")),
            fn("nopolicy"),
            fn("denied", uncollected={PART_POLICY}),
            fn(
                "cfgdenied",
                resource_policy=_policy("s3.amazonaws.com"),
                uncollected={PART_INVOKE_CONFIG},
            ),
        ]
    )
    got = {f.resource.name: f for f in run(inv, "FTR-LOG-004")}
    assert set(got) == {"denied", "cfgdenied"}
    assert got["denied"].status is Status.UNKNOWN
    assert got["cfgdenied"].status is Status.UNKNOWN


# --------------------------------------------------------------------------- LOG-005


def trail(name: str = "main", origin: Origin = ORIGIN, **kw: Any) -> Trail:
    return Trail(
        name=name, arn=f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{name}", origin=origin, **kw
    )


def basic(values: list[str], rw: str = "All") -> list[dict[str, Any]]:
    return [
        {
            "ReadWriteType": rw,
            "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::Lambda::Function", "Values": values}],
        }
    ]


def advanced(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "Name": "lambda",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::Lambda::Function"]},
                *extra,
            ],
        }
    ]


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"event_selectors": basic(["arn:aws:lambda"])}, Status.PASS),
        ({"event_selectors": basic([ARN])}, Status.PASS),
        ({"event_selectors": basic([f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"])}, Status.PASS),
        ({"event_selectors": basic(["arn:aws:lambda"], rw="WriteOnly")}, Status.PASS),
        ({"event_selectors": basic(["arn:aws:lambda"], rw="ReadOnly")}, Status.FAIL),
        ({"event_selectors": basic([ARN + "-other"])}, Status.FAIL),
        ({"advanced_event_selectors": advanced()}, Status.PASS),
        (
            {
                "advanced_event_selectors": advanced(
                    {"Field": "resources.ARN", "StartsWith": [ARN[:-6]]}
                )
            },
            Status.PASS,
        ),
        (
            {"advanced_event_selectors": advanced({"Field": "readOnly", "Equals": ["true"]})},
            Status.FAIL,
        ),
        (
            {"advanced_event_selectors": advanced({"Field": "readOnly", "Equals": ["false"]})},
            Status.PASS,
        ),
        (
            {"advanced_event_selectors": advanced({"Field": "resources.ARN", "NotEquals": [ARN]})},
            Status.FAIL,
        ),
        (
            {
                "advanced_event_selectors": advanced(
                    {"Field": "eventName", "Equals": ["GetFunction"]}
                )
            },
            Status.FAIL,
        ),
        (
            {
                "advanced_event_selectors": advanced(
                    {"Field": "userIdentity.arn", "StartsWith": ["arn:x"]}
                )
            },
            Status.UNKNOWN,
        ),
        (
            {
                "advanced_event_selectors": [
                    {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
                ]
            },
            Status.FAIL,
        ),
        ({"event_selectors": basic(["arn:aws:lambda"]), "is_logging": False}, Status.FAIL),
        (
            {"event_selectors": basic(["arn:aws:lambda"]), "is_logging": Unknown("denied")},
            Status.UNKNOWN,
        ),
        ({"event_selectors": basic(["arn:aws:lambda"]), "home_region": "eu-west-1"}, Status.FAIL),
        (
            {
                "event_selectors": basic(["arn:aws:lambda"]),
                "home_region": "eu-west-1",
                "is_multi_region": True,
            },
            Status.PASS,
        ),
    ],
)
def test_log005_selectors(kw: dict[str, Any], expected: Status) -> None:
    f = one(run(Inventory(functions=[fn()], trails=[trail(**kw)]), "FTR-LOG-005"))
    assert f.status is expected, f.message
    if expected is Status.FAIL:
        assert "main" in f.message and "orders" in f.message


def test_log005_no_trail_in_account_fails() -> None:
    f = one(run(Inventory(functions=[fn()]), "FTR-LOG-005"))
    assert f.status is Status.FAIL and "no CloudTrail trail" in f.message


def test_log005_template_without_trail_is_unknown_never_fail() -> None:
    t_origin = Origin(source="cloudformation", file="t.yaml", line=9)
    other = trail(origin=t_origin, event_selectors=basic([ARN + "-other"]))
    for trails in ([], [other]):
        inv = Inventory(functions=[fn(origin=TEMPLATE)], trails=trails, scope="template")
        f = one(run(inv, "FTR-LOG-005"))
        assert f.status is Status.UNKNOWN and "defined elsewhere" in f.message
    covering = trail(origin=t_origin, event_selectors=basic(["arn:aws:lambda"]))
    inv = Inventory(functions=[fn(origin=TEMPLATE)], trails=[covering], scope="template")
    assert one(run(inv, "FTR-LOG-005")).status is Status.PASS


# --------------------------------------------------------------------------- LOG-006


def test_log006_stage_logging() -> None:
    rest = Api(
        id="r",
        name="orders",
        kind="rest",
        origin=ORIGIN,
        stages=[
            ApiStage("both", access_log_destination="arn:logs:g", execution_logging_level="ERROR"),
            ApiStage(
                "access-only", access_log_destination="arn:logs:g", execution_logging_level="OFF"
            ),
            ApiStage("none"),
            ApiStage(
                "param", access_log_destination="arn:logs:g", execution_logging_level=Unknown("p")
            ),
        ],
    )
    http = Api(
        id="h",
        name="web",
        kind="http",
        origin=ORIGIN,
        stages=[ApiStage("$default"), ApiStage("prod", access_log_destination="arn:logs:g")],
    )
    got = {f.resource.name: f for f in run(Inventory(apis=[rest, http]), "FTR-LOG-006")}
    assert got["orders/both"].status is Status.PASS
    assert got["orders/access-only"].status is Status.FAIL
    assert "execution logging (level OFF)" in got["orders/access-only"].message
    assert "access logging and no execution logging" in got["orders/none"].message
    assert got["orders/param"].status is Status.UNKNOWN
    assert (
        got["web/$default"].status is Status.FAIL
        and "stage $default of web" in got["web/$default"].message
    )
    assert got["web/prod"].status is Status.PASS


# --------------------------------------------------------------------------- LOG-007


def alarm(name: str, **kw: Any) -> Alarm:
    return Alarm(name=name, origin=ORIGIN, **kw)


def test_log007_alarms() -> None:
    inv = Inventory(
        functions=[fn("orders"), fn("math"), fn("bare")],
        alarms=[
            alarm(
                "orders-errors",
                namespace="AWS/Lambda",
                metric_name="Errors",
                dimensions={"FunctionName": "orders"},
            ),
            alarm("math", metrics=[("AWS/Lambda", "Throttles", {"FunctionName": "math"})]),
            alarm(
                "bare-duration",
                namespace="AWS/Lambda",
                metric_name="Duration",
                dimensions={"FunctionName": "bare"},
            ),
        ],
    )
    got = {f.resource.name: f for f in run(inv, "FTR-LOG-007")}
    assert got["orders"].status is Status.PASS and "orders-errors" in got["orders"].message
    assert got["math"].status is Status.PASS and "Throttles" in got["math"].message
    assert got["bare"].status is Status.FAIL and "bare" in got["bare"].message


def test_log007_template_without_alarm_is_unknown() -> None:
    f = one(run(Inventory(functions=[fn(origin=TEMPLATE)], scope="template"), "FTR-LOG-007"))
    assert f.status is Status.UNKNOWN and "defined elsewhere" in f.message


# --------------------------------------------------------------------------- LOG-008


def test_log008_guardduty_lambda_protection() -> None:
    def status(region: str, value: Any) -> RegionStatus:
        return RegionStatus(
            ACCOUNT, region, Origin("aws", ACCOUNT, region), guardduty_lambda_protection=value
        )

    inv = Inventory(
        regions=[
            status("us-east-1", False),
            status("eu-west-1", True),
            status("ap-south-1", None),
            status("sa-east-1", Unknown("AccessDenied on guardduty:GetDetector")),
            status("eu-north-1", False),  # no function there: nothing to protect
        ],
        functions=[
            Function(
                name=f"f-{r}",
                arn=f"arn:aws:lambda:{r}:{ACCOUNT}:function:f-{r}",
                origin=Origin("aws", ACCOUNT, r),
            )
            for r in ("us-east-1", "eu-west-1", "ap-south-1", "sa-east-1")
        ],
    )
    got = {f.resource.name: f for f in run(inv, "FTR-LOG-008")}
    assert set(got) == {"us-east-1", "eu-west-1", "sa-east-1"}
    assert (
        got["us-east-1"].status is Status.FAIL
        and f"{ACCOUNT}/us-east-1" in got["us-east-1"].message
    )
    assert got["eu-west-1"].status is Status.PASS
    assert got["sa-east-1"].status is Status.UNKNOWN and "AccessDenied" in got["sa-east-1"].message
    inv.scope = "template"
    assert run(inv, "FTR-LOG-008") == []  # account-wide: skipped on templates


def test_log007_aggregate_alarm_counts_other_region_does_not() -> None:
    west = Origin(source="aws", account=ACCOUNT, region="eu-west-1")
    elsewhere = Alarm(
        "west-errors",
        origin=west,
        namespace="AWS/Lambda",
        metric_name="Errors",
        dimensions={"FunctionName": "orders"},
    )
    f = one(run(Inventory(functions=[fn()], alarms=[elsewhere]), "FTR-LOG-007"))
    assert f.status is Status.FAIL
    aggregate = alarm("all-throttles", namespace="AWS/Lambda", metric_name="Throttles")
    f = one(run(Inventory(functions=[fn()], alarms=[elsewhere, aggregate]), "FTR-LOG-007"))
    assert f.status is Status.PASS and "Throttles (all functions)" in f.message


# --------------------------------------------------------------------------- FTR-LOG-009


@pytest.mark.parametrize("level", ["DEBUG", "TRACE", "debug"])
def test_log009_verbose_levels_fail(level: str) -> None:
    f = one(
        run(
            Inventory(functions=[fn(application_log_level=level, log_format="JSON")]), "FTR-LOG-009"
        )
    )
    assert f.status is Status.FAIL
    assert f.evidence["application_log_level"] == level.upper()
    assert "/aws/lambda/orders" in f.message


def test_log009_quiet_unset_and_unknown() -> None:
    quiet = one(run(Inventory(functions=[fn(application_log_level="INFO")]), "FTR-LOG-009"))
    assert quiet.status is Status.PASS and "INFO" in quiet.message
    unset = one(run(Inventory(functions=[fn()]), "FTR-LOG-009"))
    assert unset.status is Status.PASS and "no application log level" in unset.message
    vague = one(
        run(Inventory(functions=[fn(application_log_level=Unknown("Ref Level"))]), "FTR-LOG-009")
    )
    assert vague.status is Status.UNKNOWN and "Ref Level" in vague.message
