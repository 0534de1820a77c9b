"""Every built-in detection on realistic events: positive and negative cases, plus benign noise."""

from __future__ import annotations

import random
from typing import Any

import pytest
from ftr_detection_events import (
    ACCOUNT,
    CI_UA,
    FOREIGN,
    LAMBDA_UA,
    REGION,
    aws_service,
    ci_role,
    create_function,
    event,
    exec_role,
    federated_user,
    fn_arn,
    iam_user,
    sso_human,
    update_code,
)
from ftr_detection_hunt import hits, hunt

from fortress.detection import rules
from fortress.detection.sql import HuntSettings
from fortress.findings import Severity


def add_permission(principal: str, identity: dict[str, Any] | None = None, **extra: Any) -> Any:
    request = {
        "action": "lambda:InvokeFunction",
        "functionName": "orders",
        "principal": principal,
        "statementId": "s1",
        **extra,
    }
    stmt = '{"Sid":"s1","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction"}'
    return event(
        "AddPermission20150331v2",
        identity or iam_user(),
        request=request,
        response={"statement": stmt},
    )


def test_catalogue_metadata_complete() -> None:
    cat = rules.catalogue()
    assert len(cat) >= 13
    ids = [c["id"] for c in cat]
    assert ids == sorted(set(ids)) and all(i.startswith("FTR-DET-") for i in ids)
    for c in cat:
        assert c["kind"] == "detection"
        assert c["severity"] in {s.label for s in Severity}
        assert c["references"]["mitre-attack"] and c["technique"].startswith("T")
        assert c["rationale"] and c["false_positives"] and c["title"]
        assert "stratus-red-team" in c["references"]
    stratus = {s for c in cat for s in c["references"]["stratus-red-team"]}
    assert "aws.persistence.lambda-backdoor-function" in stratus
    assert "aws.persistence.lambda-overwrite-code" in stratus


# ---------------------------------------------------------------- 001 backdoor


def test_backdoor_public_principal() -> None:
    found = hits([add_permission("*")], "FTR-DET-001")
    assert len(found) == 1 and found[0].severity is Severity.HIGH
    assert found[0].function == fn_arn("orders")
    assert found[0].principal == f"arn:aws:iam::{ACCOUNT}:user/alice"


def test_backdoor_foreign_account_and_trusted_list() -> None:
    rec = add_permission(f"arn:aws:iam::{FOREIGN}:root")
    assert [d.severity for d in hits([rec], "FTR-DET-001")] == [Severity.HIGH]
    trusted = HuntSettings(trusted_accounts=frozenset({FOREIGN}))
    assert hits([rec], "FTR-DET-001", settings=trusted) == []


def test_backdoor_negative_service_principal_and_same_account() -> None:
    recs = [
        add_permission("s3.amazonaws.com", sourceArn="arn:aws:s3:::bucket", sourceAccount=ACCOUNT),
        add_permission(ACCOUNT),
        event(
            "AddPermission20150331v2",
            iam_user(),
            error="AccessDeniedException",
            request={"functionName": "orders", "principal": "*"},
        ),
    ]
    assert hits(recs, "FTR-DET-001") == []


def test_backdoor_old_event_name_suffix() -> None:
    rec = add_permission("*")
    rec["eventName"] = "AddPermission20150331"
    assert len(hits([rec], "FTR-DET-001")) == 1


# ---------------------------------------------------------------- 002 URL


@pytest.mark.parametrize(
    "name", ["CreateFunctionUrlConfig20211031", "UpdateFunctionUrlConfig20211031"]
)
def test_function_url_auth_none(name: str) -> None:
    rec = event(name, iam_user(), request={"functionName": "orders", "authType": "NONE"})
    neg = event(name, iam_user(), request={"functionName": "orders", "authType": "AWS_IAM"})
    found = hits([rec, neg], "FTR-DET-002")
    assert [d.event_ids for d in found] == [[rec["eventID"]]]


# ---------------------------------------------------------------- 003 / 004 layers


def _update_config(identity: dict[str, Any], layers: list[str], ua: str = "stratus") -> Any:
    return event(
        "UpdateFunctionConfiguration20150331v2",
        identity,
        ua=ua,
        request={"environment": {}, "functionName": fn_arn("orders"), "layers": layers},
    )


def test_layer_added_by_human_is_medium_foreign_is_high() -> None:
    own = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:ext:1"
    foreign = f"arn:aws:lambda:{REGION}:{FOREIGN}:layer:ext:3"
    found = hits(
        [_update_config(iam_user(), [own]), _update_config(ci_role(), [foreign], CI_UA)],
        "FTR-DET-003",
    )
    assert sorted(d.severity.label for d in found) == ["high", "medium"]


def test_layer_foreign_at_create_and_negatives() -> None:
    foreign = f"arn:aws:lambda:{REGION}:{FOREIGN}:layer:ext:3"
    insights = f"arn:aws:lambda:{REGION}:580247275435:layer:LambdaInsightsExtension:38"
    recs = [
        create_function("a", ci_role(), layers=[foreign]),
        create_function("b", ci_role(), layers=[insights]),  # AWS-published: trusted
        _update_config(ci_role(), [f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:x:2"], CI_UA),
        _update_config(iam_user(), []),  # layers removed
    ]
    found = hits(recs, "FTR-DET-003")
    assert [(d.function, d.severity) for d in found] == [(fn_arn("a"), Severity.HIGH)]


def test_layer_version_shared() -> None:
    def share(principal: str, **extra: Any) -> Any:
        return event(
            "AddLayerVersionPermission20181031",
            iam_user(),
            request={
                "layerName": "ext",
                "versionNumber": 3,
                "statementId": "s",
                "action": "lambda:GetLayerVersion",
                "principal": principal,
                **extra,
            },
        )

    found = hits(
        [share("*"), share(FOREIGN), share("*", organizationId="o-abc123"), share(ACCOUNT)],
        "FTR-DET-004",
    )
    assert sorted(d.severity.label for d in found) == ["high", "medium"]


# ---------------------------------------------------------------- 005 code


def test_code_overwrite_by_human_outside_ci() -> None:
    recs = [
        create_function("orders", ci_role()),
        update_code("orders", ci_role()),
        update_code("orders", iam_user(), ua="stratus-red-team_856369f3"),
    ]
    found = hits(recs, "FTR-DET-005")
    assert [(d.severity, d.event_ids) for d in found] == [(Severity.HIGH, [recs[2]["eventID"]])]


def test_code_overwrite_by_new_principal_is_medium() -> None:
    other = {**ci_role()}
    other["sessionContext"] = {"sessionIssuer": {"arn": f"arn:aws:iam::{ACCOUNT}:role/other"}}
    other["arn"] = f"arn:aws:sts::{ACCOUNT}:assumed-role/other/x"
    recs = [create_function("orders", ci_role()), update_code("orders", other, ua="Boto3/1.34")]
    assert [d.severity for d in hits(recs, "FTR-DET-005")] == [Severity.MEDIUM]


def test_code_overwrite_negative_routine_ci() -> None:
    recs = [create_function("orders", ci_role())] + [
        update_code("orders", ci_role()) for _ in range(5)
    ]
    assert hits(recs, "FTR-DET-005") == []
    # a human running terraform for the first time on it: not high, but a new deployer
    recs.append(update_code("orders", sso_human(), ua=CI_UA))
    assert [d.severity for d in hits(recs, "FTR-DET-005")] == [Severity.MEDIUM]


# ---------------------------------------------------------------- 006 escalation


def test_privilege_escalation_create_then_invoke() -> None:
    dev = iam_user("mallory", "AKIAEXAMPLEMALLORY01")
    admin_role = f"arn:aws:iam::{ACCOUNT}:role/ops-admin"
    recs = [
        event("ListRoles", dev, source="iam.amazonaws.com", error="AccessDenied", read_only=True),
        create_function("pwn", dev, ua=CLI_UA_(), role=admin_role, time="2024-08-01T14:00:00Z"),
        event(
            "Invoke",
            dev,
            request={"functionName": fn_arn("pwn")},
            category="Data",
            time="2024-08-01T14:02:00Z",
        ),
    ]
    found = hits(recs, "FTR-DET-006")
    assert len(found) == 1 and found[0].severity is Severity.HIGH
    assert found[0].event_ids == [recs[1]["eventID"], recs[2]["eventID"]]


def CLI_UA_() -> str:
    from ftr_detection_events import CLI_UA

    return CLI_UA


def test_privilege_escalation_trigger_medium_and_negatives() -> None:
    dev = federated_user()
    role = f"arn:aws:iam::{ACCOUNT}:role/worker"
    recs = [
        create_function("w", dev, ua=CLI_UA_(), role=role, time="2024-08-01T14:00:00Z"),
        event(
            "CreateEventSourceMapping20150331",
            dev,
            time="2024-08-01T14:10:00Z",
            request={"functionName": "w", "eventSourceArn": "arn:aws:sqs:us-east-1:1:q"},
        ),
        # too late: outside the one-hour window
        create_function("late", dev, ua=CLI_UA_(), role=role, time="2024-08-01T10:00:00Z"),
        event(
            "Invoke",
            dev,
            request={"functionName": fn_arn("late")},
            category="Data",
            time="2024-08-01T12:30:00Z",
        ),
        # CI creating and invoking: routine
        create_function("ci", ci_role(), role=role, time="2024-08-01T14:00:00Z"),
        event(
            "Invoke",
            ci_role(),
            ua=CI_UA,
            request={"functionName": fn_arn("ci")},
            category="Data",
            time="2024-08-01T14:01:00Z",
        ),
    ]
    found = hits(recs, "FTR-DET-006")
    assert [(d.function, d.severity) for d in found] == [(fn_arn("w"), Severity.MEDIUM)]


# ---------------------------------------------------------------- 007 / 008 sessions


def _assume_by_lambda(function: str, key: str) -> Any:
    return event(
        "AssumeRole",
        aws_service(),
        source="sts.amazonaws.com",
        ip="lambda.amazonaws.com",
        ua="lambda.amazonaws.com",
        request={
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/{function}-role",
            "roleSessionName": function,
        },
        response={
            "credentials": {
                "accessKeyId": key,
                "sessionToken": "x",
                "expiration": "Aug 1, 2024, 8:00:00 PM",
            }
        },
    )


def test_exec_role_credentials_used_outside_lambda() -> None:
    key = "ASIAEXAMPLELAMBDA001"
    recs = [
        _assume_by_lambda("orders", key),
        event(
            "GetObject",
            exec_role("orders", key),
            source="s3.amazonaws.com",
            ip="3.5.1.2",
            ua=LAMBDA_UA,
            read_only=True,
        ),
        event(
            "ListBuckets",
            exec_role("orders", key),
            source="s3.amazonaws.com",
            ip="198.51.100.7",
            ua=CLI_UA_(),
            read_only=True,
        ),
        event(
            "GetCallerIdentity",
            exec_role("orders", key),
            source="sts.amazonaws.com",
            ip="198.51.100.7",
            ua=CLI_UA_(),
            read_only=True,
        ),
    ]
    found = hits(recs, "FTR-DET-007")
    assert len(found) == 1 and found[0].source_ip == "198.51.100.7"
    assert sorted(found[0].event_ids) == sorted([recs[2]["eventID"], recs[3]["eventID"]])


def test_exec_role_identified_by_role_and_session_name_without_assume_event() -> None:
    recs = [
        create_function("orders", ci_role()),
        event(
            "DescribeInstances",
            exec_role("orders", "ASIAOTHERKEY00000001"),
            source="ec2.amazonaws.com",
            ua="python-requests/2.31",
            ip="198.51.100.9",
        ),
        # same role, session that is not a function name: not a Lambda session
        event(
            "DescribeInstances",
            assumed_role_("orders-role", "ec2-instance"),
            source="ec2.amazonaws.com",
            ua="python-requests/2.31",
        ),
    ]
    found = hits(recs, "FTR-DET-007")
    assert [d.event_ids for d in found] == [[recs[1]["eventID"]]]


def assumed_role_(role: str, session: str) -> Any:
    from ftr_detection_events import assumed_role

    return assumed_role(role, session, "ASIAEC2KEY0000000001")


def test_sensitive_iam_by_exec_role() -> None:
    key = "ASIAEXAMPLELAMBDA001"
    recs = [
        _assume_by_lambda("orders", key),
        event(
            "CreateAccessKey",
            exec_role("orders", key),
            source="iam.amazonaws.com",
            ua=LAMBDA_UA,
            request={"userName": "admin"},
        ),
        event(
            "ListUsers",
            exec_role("orders", key),
            source="iam.amazonaws.com",
            ua=LAMBDA_UA,
            read_only=True,
        ),
        event(
            "GetCallerIdentity",
            exec_role("orders", key),
            source="sts.amazonaws.com",
            ua=LAMBDA_UA,
            read_only=True,
        ),
        event("CreateAccessKey", ci_role(), source="iam.amazonaws.com", ua=CI_UA),
        event("PutObject", exec_role("orders", key), source="s3.amazonaws.com", ua=LAMBDA_UA),
    ]
    found = hits(recs, "FTR-DET-008")
    assert sorted((d.event_name, d.severity.label) for d in found) == [
        ("CreateAccessKey", "high"),
        ("GetCallerIdentity", "low"),
        ("ListUsers", "medium"),
    ]
    assert hits(recs, "FTR-DET-007") == []  # all made from inside Lambda


# ---------------------------------------------------------------- 009 triggers


def test_event_source_mapping_by_human() -> None:
    req = {"functionName": "orders", "eventSourceArn": "arn:aws:sqs:us-east-1:1:q"}
    recs = [
        event("CreateEventSourceMapping20150331", sso_human(), request=req),
        event("CreateEventSourceMapping20150331", ci_role(), request=req, ua=CI_UA),
        event(
            "CreateEventSourceMapping20150331",
            aws_service("cloudformation.amazonaws.com"),
            request=req,
            ip="cloudformation.amazonaws.com",
        ),
    ]
    found = hits(recs, "FTR-DET-009")
    assert [d.event_ids for d in found] == [[recs[0]["eventID"]]]


# ---------------------------------------------------------------- 010 / 011 evasion


def test_trail_stopped_deleted_and_selectors_without_history() -> None:
    """Stop and delete are high; selectors are judged against the trail's previous state
    (tests/detection/test_detection_selectors.py), and with none known a selector that logs
    no management events is medium, saying so."""
    selectors = [{"readWriteType": "All", "includeManagementEvents": False, "dataResources": []}]
    recs = [
        event(
            "StopLogging", iam_user(), source="cloudtrail.amazonaws.com", request={"name": "main"}
        ),
        event(
            "DeleteTrail", iam_user(), source="cloudtrail.amazonaws.com", request={"name": "main"}
        ),
        event(
            "PutEventSelectors",
            iam_user(),
            source="cloudtrail.amazonaws.com",
            request={"trailName": "other", "eventSelectors": selectors},
        ),
        event(
            "StartLogging", iam_user(), source="cloudtrail.amazonaws.com", request={"name": "main"}
        ),
    ]
    found = hits(recs, "FTR-DET-010")
    got = sorted((d.event_ids[0], d.severity.label) for d in found)
    want = sorted(
        [
            (recs[0]["eventID"], "high"),
            (recs[1]["eventID"], "high"),
            (recs[2]["eventID"], "medium"),
        ]
    )
    assert got == want
    selector = next(d for d in found if d.event_ids[0] == recs[2]["eventID"])
    assert "no earlier selector state" in selector.message


def test_lambda_log_group_tampering() -> None:
    def logs(name: str, group: str, **extra: Any) -> Any:
        return event(
            name, iam_user(), source="logs.amazonaws.com", request={"logGroupName": group, **extra}
        )

    recs = [
        logs("DeleteLogGroup", "/aws/lambda/orders"),
        logs("PutRetentionPolicy", "/aws/lambda/orders", retentionInDays=1),
        logs("PutRetentionPolicy", "/aws/lambda/orders", retentionInDays=365),
        logs("DeleteLogGroup", "/ecs/web"),
    ]
    found = hits(recs, "FTR-DET-011")
    assert sorted(d.severity.label for d in found) == ["high", "medium"]


# ---------------------------------------------------------------- 012 enumeration


def test_enumeration_burst() -> None:
    thief = iam_user("eve", "AKIAEXAMPLEEVE000001")
    burst = [
        event(
            "GetFunction20150331v2",
            thief,
            read_only=True,
            time=f"2024-08-01T15:00:{i:02d}Z",
            request={"functionName": f"fn{i}"},
        )
        for i in range(40)
    ]
    slow = [
        event(
            "ListFunctions20150331",
            ci_role(),
            read_only=True,
            ua=CI_UA,
            time=f"2024-08-01T{10 + i // 6:02d}:{(i % 6) * 10:02d}:00Z",
        )
        for i in range(40)
    ]
    found = hits(burst + slow, "FTR-DET-012")
    assert len(found) == 1 and found[0].principal == thief["arn"]
    assert len(found[0].event_ids) == 40 and "40 GetFunction" in found[0].message


# ---------------------------------------------------------------- 013 impact


def test_concurrency_zero_and_unusual_delete() -> None:
    recs = [
        create_function("orders", ci_role()),
        event(
            "PutFunctionConcurrency20171031",
            iam_user(),
            request={"functionName": "orders", "reservedConcurrentExecutions": 0},
        ),
        event(
            "PutFunctionConcurrency20171031",
            ci_role(),
            ua=CI_UA,
            request={"functionName": "orders", "reservedConcurrentExecutions": 50},
        ),
        event("DeleteFunction20150331", sso_human(), request={"functionName": "orders"}),
        create_function("tmp", ci_role()),
        event("DeleteFunction20150331", ci_role(), ua=CI_UA, request={"functionName": "tmp"}),
    ]
    found = hits(recs, "FTR-DET-013")
    assert sorted((d.event_name, d.severity.label) for d in found) == [
        ("DeleteFunction20150331", "medium"),
        ("PutFunctionConcurrency20171031", "high"),
    ]


# ---------------------------------------------------------------- benign noise


def test_benign_noise_raises_nothing_high() -> None:
    rng = random.Random(7)
    recs: list[dict[str, Any]] = []
    functions = [f"svc-{i}" for i in range(40)]
    for name in functions:
        recs.append(create_function(name, ci_role()))
    for i in range(3000):
        name = rng.choice(functions)
        hh, mm, ss = 8 + i // 400, (i // 7) % 60, i % 60
        t = f"2024-08-02T{hh:02d}:{mm:02d}:{ss:02d}Z"
        kind = rng.random()
        if kind < 0.15:
            recs.append(update_code(name, ci_role(), time=t))
        elif kind < 0.5:
            recs.append(
                event(
                    "GetFunctionConfiguration20150331v2",
                    ci_role(),
                    ua=CI_UA,
                    time=t,
                    read_only=True,
                    request={"functionName": name},
                )
            )
        elif kind < 0.8:
            recs.append(
                event(
                    "Invoke",
                    aws_service("apigateway.amazonaws.com"),
                    category="Data",
                    ip="apigateway.amazonaws.com",
                    time=t,
                    request={"functionName": fn_arn(name)},
                )
            )
        else:
            key = f"ASIA{name.upper().replace('-', '')}KEY00"[:20]
            recs.append(
                event(
                    "PutItem",
                    exec_role(name, key),
                    source="dynamodb.amazonaws.com",
                    ua=LAMBDA_UA,
                    ip="3.5.1.2",
                    time=t,
                )
            )
    found = hunt(recs)
    assert not [d for d in found if d.severity >= Severity.HIGH], found[:3]


def test_layer_only_in_response_elements() -> None:
    """Some records carry no requestParameters; the layers are then in responseElements,
    which restate the whole configuration: compared with the function's previous state."""
    foreign = f"arn:aws:lambda:{REGION}:{FOREIGN}:layer:ext:3"
    rec = event(
        "UpdateFunctionConfiguration20150331v2",
        ci_role(),
        ua=CI_UA,
        request=None,
        response={"functionName": "orders", "layers": [{"arn": foreign, "codeSize": 10}]},
    )
    # the next change restates the same layers: nothing was attached
    env_only = event(
        "UpdateFunctionConfiguration20150331v2",
        ci_role(),
        ua=CI_UA,
        request={"functionName": "orders", "environment": {}},
        response={"functionName": "orders", "layers": [{"arn": foreign, "codeSize": 10}]},
    )
    found = hits([rec, env_only], "FTR-DET-003")
    # no earlier state of the function: whether rec added the layer is unknown -> medium
    assert [(d.event_ids, d.severity) for d in found] == [([rec["eventID"]], Severity.MEDIUM)]
    assert "whether this call added them is unknown" in found[0].message
