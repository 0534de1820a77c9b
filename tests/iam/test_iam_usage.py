"""Granted versus used (FTR-IAM-015) and ``fortress iam suggest``.

Roles, functions and trails are created in the emulator; the CloudTrail the role's sessions
left is written by each test as a delivery file (``{"Records": [...]}``, the shapes of
tests/detection). The live scan, a snapshot of the same account, and a CloudFormation
template each get a failing and a passing case.
"""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import ClientFactory
from fortress.cli import main
from fortress.detection.usage import EventMapper, facts_from_rows
from fortress.iam.policy import parse_policy
from fortress.iam.usage import UNKNOWN, UNUSED, USED, compare, data_event_type, suggest
from fortress.inventory import Origin, Trail

ACCOUNT = "123456789012"  # the emulator's account
REGION = "us-east-1"
BUCKET = "orders-data"
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
S3_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "S3All", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}
GET_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
            "Condition": {"StringEquals": {"aws:ResourceAccount": ACCOUNT}},
        },
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        },
    ],
}
S3_DATA_SELECTOR = [
    {
        "ReadWriteType": "All",
        "IncludeManagementEvents": True,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
    }
]


def _role(client: ClientFactory, name: str, policy: dict[str, Any]) -> str:
    iam = client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="app", PolicyDocument=json.dumps(policy))
    return str(arn)


def _function(client: ClientFactory, name: str, role: str) -> None:
    client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )


def _trail(client: ClientFactory, data_events: bool) -> None:
    client("s3").create_bucket(Bucket="trail-logs")
    ct = client("cloudtrail")
    ct.create_trail(Name="main", S3BucketName="trail-logs", IsMultiRegionTrail=True)
    ct.start_logging(Name="main")
    if data_events:
        ct.put_event_selectors(TrailName="main", EventSelectors=S3_DATA_SELECTOR)


def _account(client: ClientFactory, *, data_events: bool) -> None:
    """orders (s3:* on *) and reader (s3:GetObject on the bucket, with a condition)."""
    _function(client, "orders", _role(client, "orders-role", S3_ALL))
    _function(client, "reader", _role(client, "reader-role", GET_ONLY))
    _trail(client, data_events)


def _event(role: str, source: str, name: str, **extra: Any) -> dict[str, Any]:
    when = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": f"AROAEXAMPLE:{role}",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{role}-session",
            "accountId": ACCOUNT,
            "accessKeyId": "ASIAEXAMPLE000000001",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROAEXAMPLE",
                    "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                    "accountId": ACCOUNT,
                    "userName": role,
                },
                "attributes": {"creationDate": when, "mfaAuthenticated": "false"},
            },
        },
        "eventTime": when,
        "eventSource": source,
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": "3.4.5.6",
        "userAgent": "Boto3/1.34.34 exec-env/AWS_Lambda_python3.12",
        "requestParameters": {},
        "responseElements": None,
        "eventID": str(uuid.uuid4()),
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
        **extra,
    }


def _get_object(role: str, key: str = "in/1.json") -> dict[str, Any]:
    return _event(
        role,
        "s3.amazonaws.com",
        "GetObject",
        eventCategory="Data",
        readOnly=True,
        requestParameters={"bucketName": BUCKET, "key": key},
        resources=[
            {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{BUCKET}/{key}"},
            {"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{BUCKET}"},
        ],
    )


def _write_trail(folder: Path, records: list[dict[str, Any]]) -> Path:
    day = datetime.now(UTC).strftime("%Y/%m/%d")
    target = folder / f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/{day}"
    target.mkdir(parents=True)
    name = f"{ACCOUNT}_CloudTrail_{REGION}_{uuid.uuid4().hex}.json.gz"
    (target / name).write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
    return folder


def _records() -> list[dict[str, Any]]:
    """orders: GetObject only; reader: GetObject and a Lambda-suffixed, a non-action event."""
    return [
        _get_object("orders-role"),
        _get_object("orders-role", "in/2.json"),
        _get_object("reader-role"),
        _event("reader-role", "signin.amazonaws.com", "ConsoleLogin"),
    ]


def _findings(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, dict[str, Any]]:
    code = main(argv)
    report = json.loads(capsys.readouterr().out)
    assert code in (0, 1, 3), code
    return {f["resource"]["name"]: f for f in report["findings"] if f["rule_id"] == "FTR-IAM-015"}


def _live(aws: str, trail: Path, *extra: str) -> list[str]:
    return [
        "scan",
        "--endpoint-url",
        aws,
        "--region",
        REGION,
        "--no-config",
        "--rules",
        "FTR-IAM-015",
        "--format",
        "json",
        "--cloudtrail",
        str(trail),
        *extra,
    ]


# --------------------------------------------------------------------------- live


def test_live_s3_star_used_for_get_object_only_fails_naming_unused_actions(
    aws: str, client: ClientFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _account(client, data_events=True)
    trail = _write_trail(tmp_path / "ct", _records())
    found = _findings(capsys, _live(aws, trail))
    orders = found["orders-role"]
    assert orders["status"] == "fail"
    unused = {u["action"]: u["statements"] for u in orders["evidence"]["unused"]}
    # write and permissions-management actions, each with the statement that grants them
    assert unused["s3:PutObject"] == ["app Sid 'S3All'"]
    assert "s3:DeleteBucket" in unused and "s3:PutBucketPolicy" in unused
    assert orders["evidence"]["used"] == ["s3:GetObject"]
    assert "Permissions management (" in orders["message"]
    assert "Write (" in orders["message"]
    assert "granted by app Sid 'S3All'" in orders["message"]
    # the role used everything it is granted that CloudTrail can show: pass
    reader = found["reader-role"]
    assert reader["status"] == "pass", reader["message"]
    assert set(reader["evidence"]["service_actions"]) >= {"logs:CreateLogStream"}


def test_live_trail_without_data_events_leaves_object_actions_unknown(
    aws: str, client: ClientFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _account(client, data_events=False)
    trail = _write_trail(tmp_path / "ct", _records())
    found = _findings(capsys, _live(aws, trail))
    orders = found["orders-role"]
    unknown = {u["action"]: u["reason"] for u in orders["evidence"]["unknown"]}
    unused = {u["action"] for u in orders["evidence"]["unused"]}
    for action in ("s3:PutObject", "s3:DeleteObject", "s3:GetObjectAcl"):
        assert action in unknown and action not in unused
        assert "no trail in the inventory records AWS::S3::Object" in unknown[action]
    # bucket-level (management) actions are still judged: the trail shows S3 events
    assert "s3:PutBucketPolicy" in unused
    assert orders["status"] == "fail"


def test_live_without_cloudtrail_the_rule_does_not_run(
    aws: str, client: ClientFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    _account(client, data_events=True)
    main(["scan", "--endpoint-url", aws, "--region", REGION, "--no-config", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert not [f for f in report["findings"] if f["rule_id"] == "FTR-IAM-015"]


def test_live_events_of_another_account_are_unknown_never_pass(
    aws: str, client: ClientFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _account(client, data_events=True)
    foreign = [dict(_get_object("orders-role"), recipientAccountId="999988887777")]
    for record in foreign:
        record["userIdentity"] = dict(record["userIdentity"], accountId="999988887777")
    trail = _write_trail(tmp_path / "ct", foreign)
    found = _findings(capsys, _live(aws, trail))
    assert {f["status"] for f in found.values()} == {"unknown"}
    assert "no event of account 123456789012" in found["orders-role"]["message"]


# --------------------------------------------------------------------------- snapshot


def test_snapshot_carries_usage_and_scan_snapshot_cloudtrail_judges(
    aws: str, client: ClientFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _account(client, data_events=True)
    snap = tmp_path / "snap.json"
    argv = ["collect", "--endpoint-url", aws, "--region", REGION, "--output", str(snap)]
    assert main(argv) == 3  # incomplete: the emulator lacks two per-function Lambda reads
    capsys.readouterr()
    trail = _write_trail(tmp_path / "ct", _records())
    scan = ["scan", "--snapshot", str(snap), "--no-config", "--rules", "FTR-IAM-015"]
    found = _findings(capsys, [*scan, "--format", "json", "--cloudtrail", str(trail)])
    assert found["orders-role"]["status"] == "fail"
    assert found["reader-role"]["status"] == "pass"
    # a snapshot scanned without CloudTrail: not run, never pass
    assert _findings(capsys, [*scan, "--format", "json"]) == {}
    # collect --cloudtrail keeps the usage in the snapshot: scan --snapshot alone judges it
    kept = tmp_path / "kept.json"
    argv = ["collect", "--endpoint-url", aws, "--region", REGION, "--output", str(kept)]
    assert main([*argv, "--cloudtrail", str(trail)]) == 3  # as above
    capsys.readouterr()
    again = _findings(capsys, ["scan", "--snapshot", str(kept), "--no-config", "--format", "json"])
    assert (again["orders-role"]["status"], again["reader-role"]["status"]) == ("fail", "pass")
    # iam suggest reads the function and its role from the snapshot: no AWS call
    argv = ["iam", "suggest", "orders", "--inventory", str(snap), "--cloudtrail", str(trail)]
    assert main([*argv, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["policy"]["Statement"][0]["Action"] == ["s3:GetObject"]
    assert doc["role"] == f"arn:aws:iam::{ACCOUNT}:role/orders-role"


def test_hostile_records_are_counted_not_crashed_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fields of the wrong type, huge names, control characters: no exception, no action;
    records the store cannot read are a gap, never a clean pass."""
    from fortress.detection.usage import usage_from_records

    base = _get_object("orders-role")
    records = [
        dict(base, eventSource=7, eventName={"x": 1}),
        dict(base, eventName="\x1b[31mGetObject" + "A" * 5000),
        base,
    ]
    facts = usage_from_records(records, ["hostile"])
    usage = facts.role(f"arn:aws:iam::{ACCOUNT}:role/orders-role")
    assert usage is not None and not facts.gaps
    assert [u.action for u in usage.actions] == ["s3:GetObject"]
    assert len(usage.not_actions) == 2
    broken = usage_from_records([dict(base, userIdentity="not an object")], ["x"])
    assert broken.gaps and broken.roles == []
    trail = _write_trail(tmp_path / "ct", [dict(base, userIdentity="not an object")])
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    argv = ["scan", str(template), "--no-config", "--rules", "FTR-IAM-015", "--format", "json"]
    # from a delivery file the record is read (its identity is no role session): unknown
    assert main([*argv, "--cloudtrail", str(trail)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {f["status"] for f in report["findings"]} == {"unknown"}
    # a CloudTrail path that cannot be read: a coverage gap, exit 3, no verdict from it
    assert main([*argv, "--cloudtrail", str(tmp_path / "missing")]) == 3
    report = json.loads(capsys.readouterr().out)
    assert any("no such file" in g["message"] for g in report["coverage_gaps"])


# --------------------------------------------------------------------------- CloudFormation

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  OrdersRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: orders-role
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: app
          PolicyDocument:
            Statement:
              - Sid: S3All
                Effect: Allow
                Action: s3:*
                Resource: '*'
  ReaderRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: reader-role
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: app
          PolicyDocument:
            Statement:
              - Sid: Read
                Effect: Allow
                Action: s3:ListBucket
                Resource: arn:aws:s3:::orders-data
  Orders:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt OrdersRole.Arn
      Code: {ZipFile: "def handler(e, c): pass"}
  Reader:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt ReaderRole.Arn
      Code: {ZipFile: "def handler(e, c): pass"}
"""


def test_cloudformation_roles_are_matched_to_the_trail_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    list_bucket = _event(
        "reader-role",
        "s3.amazonaws.com",
        "ListObjectsV2",
        requestParameters={"bucketName": BUCKET, "list-type": "2"},
    )
    trail = _write_trail(tmp_path / "ct", [list_bucket, _get_object("orders-role")])
    argv = [
        "scan",
        str(template),
        "--no-config",
        "--rules",
        "FTR-IAM-015",
        "--format",
        "json",
        "--cloudtrail",
        str(trail),
    ]
    found = _findings(capsys, argv)
    orders = found["orders-role"]
    assert orders["status"] == "fail"
    assert orders["resource"]["file"].endswith("template.yaml")
    assert (orders["resource"]["logical_id"], orders["resource"]["line"]) == ("OrdersRole", 3)
    assert "s3:PutBucketPolicy" in {u["action"] for u in orders["evidence"]["unused"]}
    # no trail in a template: object actions stay unknown
    assert "s3:PutObject" in {u["action"] for u in orders["evidence"]["unknown"]}
    reader = found["reader-role"]
    assert reader["status"] == "pass", reader["message"]
    assert reader["evidence"]["used"] == ["s3:ListBucket"]
    # a template role no session of the trail bears the name of: unknown, never "all unused"
    template.write_text(TEMPLATE.replace("RoleName: orders-role", "RoleName: renamed-role"))
    renamed = _findings(capsys, argv)["renamed-role"]
    assert renamed["status"] == "unknown"
    assert "no session of a role named renamed-role" in renamed["message"]


# --------------------------------------------------------------------------- iam suggest


def test_iam_suggest_writes_get_object_on_the_buckets_seen(
    aws: str, client: ClientFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _account(client, data_events=True)
    trail = _write_trail(tmp_path / "ct", _records())
    policy_file = tmp_path / "policy.json"
    argv = [
        "iam",
        "suggest",
        "orders",
        "--endpoint-url",
        aws,
        "--region",
        REGION,
        "--cloudtrail",
        str(trail),
        "--format",
        "json",
        "--output",
        str(policy_file),
    ]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["policy"]["Statement"] == [
        {
            "Sid": "Used1",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [f"arn:aws:s3:::{BUCKET}/*"],
        }
    ]
    assert json.loads(policy_file.read_text()) == doc["policy"]
    assert '- "s3:GetObject"' in doc["cloudformation"]
    assert 'resource "aws_iam_role_policy"' in doc["terraform"]
    assert '"s3:GetObject"' in doc["terraform"]
    assert "s3:PutObject" in doc["unused"]


def test_iam_suggest_keeps_conditions_and_says_what_it_could_not_observe(
    aws: str, client: ClientFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _account(client, data_events=False)
    trail = _write_trail(tmp_path / "ct", _records())
    base = ["iam", "suggest", "reader", "--endpoint-url", aws, "--region", REGION]
    assert main([*base, "--cloudtrail", str(trail), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    statements = {tuple(s["Action"]): s for s in doc["policy"]["Statement"]}
    read = statements[("s3:GetObject",)]
    assert read["Condition"] == {"StringEquals": {"aws:ResourceAccount": ACCOUNT}}
    # the Lambda service's logging actions are kept as granted
    assert any("logs:CreateLogStream" in a for a in statements)
    # nothing unobservable here except PutLogEvents, which CloudTrail never records
    assert {n["action"] for n in doc["not_observed"]} == set()
    # the text form prints all three snippets and the not-observed list
    assert main(["iam", "suggest", "orders", *base[3:], "--cloudtrail", str(trail)]) == 0
    text = capsys.readouterr().out
    for heading in ("# Policy (JSON)", "# CloudFormation", "# Terraform", "# Not observed"):
        assert heading in text
    assert "s3:PutObject: no trail in the inventory records AWS::S3::Object data events" in text


def test_iam_suggest_bad_input_is_one_line(
    aws: str, client: ClientFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _account(client, data_events=True)
    base = ["iam", "suggest", "nope", "--endpoint-url", aws, "--region", REGION]
    assert main(base) == 2
    assert "give the CloudTrail to read" in capsys.readouterr().err
    trail = _write_trail(tmp_path / "ct", _records())
    assert main([*base, "--cloudtrail", str(trail)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "fortress: error: no function 'nope' in the inventory"
    assert main([*base[:2], "orders", *base[3:], "--cloudtrail", str(trail), "--since", "x"]) == 2
    assert "--since 'x'" in capsys.readouterr().err


# --------------------------------------------------------------------------- mapping, units


def test_event_mapping_uses_the_catalogue_and_botocore() -> None:
    mapper = EventMapper()
    assert mapper.actions("lambda.amazonaws.com", "UpdateFunctionCode20150331v2") == (
        "lambda:UpdateFunctionCode",
    )
    assert mapper.actions("lambda.amazonaws.com", "Invoke") == ("lambda:InvokeFunction",)
    assert mapper.actions("s3.amazonaws.com", "ListObjectsV2") == ("s3:ListBucket",)
    assert mapper.actions("s3.amazonaws.com", "HeadObject") == ("s3:GetObject",)
    assert mapper.actions("monitoring.amazonaws.com", "PutMetricData") == (
        "cloudwatch:PutMetricData",
    )
    assert mapper.actions("email.amazonaws.com", "SendEmail") == ("ses:SendEmail",)
    assert mapper.actions("signin.amazonaws.com", "ConsoleLogin") == ()
    assert mapper.actions("nothing.example.com", "Do") == ()
    assert mapper.unmapped_sources == {"nothing.example.com"}


def _facts(rows: list[dict[str, Any]], sources: list[str]) -> Any:
    summary = [{"event_source": s, "account": ACCOUNT, "n": 1} for s in sources]
    return facts_from_rows(rows, summary, inputs=["t"], since=None, until=None, events=len(rows))


def test_denied_calls_and_non_actions_are_never_used() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/r"
    rows = [
        {"role": role, "event_source": "s3.amazonaws.com", "event_name": "PutObject", "n": 3,
         "error_code": "AccessDenied", "resource": f"arn:aws:s3:::{BUCKET}"},
        {"role": role, "event_source": "signin.amazonaws.com", "event_name": "ConsoleLogin",
         "n": 1},
        {"role": role, "event_source": "lambda.amazonaws.com",
         "event_name": "GetFunction20150331v2", "n": 2, "resource": "arn:aws:lambda:x"},
    ]  # fmt: skip
    facts = _facts(rows, ["s3.amazonaws.com", "lambda.amazonaws.com"])
    usage = facts.role(role)
    assert usage is not None
    assert [u.action for u in usage.actions] == ["lambda:GetFunction"]
    assert usage.actions[0].event_names == ["GetFunction"]
    assert usage.denied == ["s3:PutObject"]
    assert usage.not_actions == ["signin.amazonaws.com ConsoleLogin"]
    parsed = parse_policy({"Statement": [{"Effect": "Allow", "Action": "s3:PutObject",
                                          "Resource": "*"}]})  # fmt: skip
    trail = Trail("t", "arn:t", Origin("aws"), event_selectors=S3_DATA_SELECTOR)
    result = compare(role, parsed, facts, [trail])
    assert result.granted["s3:PutObject"].status == UNUSED  # denied is not used


def test_partial_data_selectors_and_unseen_services_are_unknown() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/r"
    facts = _facts([], ["s3.amazonaws.com"])
    parsed = parse_policy(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "s3:PutObject",
                        "dynamodb:CreateTable",
                        "lambda:InvokeFunctionUrl",
                        "s3:PutBucketPolicy",
                        "s3:BypassGovernanceRetention",
                    ],
                    "Resource": "*",
                }
            ]
        }
    )
    bucket_only = [
        {
            "ReadWriteType": "All",
            "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::one/"]}],
        }
    ]
    trail = Trail("t", "arn:t", Origin("aws"), event_selectors=bucket_only)
    result = compare(role, parsed, facts, [trail])
    assert result.granted["s3:PutObject"].status == UNKNOWN
    assert "some resources only" in result.granted["s3:PutObject"].reason
    assert result.granted["dynamodb:CreateTable"].status == UNKNOWN
    assert result.granted["lambda:InvokeFunctionUrl"].status == UNKNOWN
    assert result.granted["s3:PutBucketPolicy"].status == UNUSED  # a management event
    # no API operation of that name (catalogue): a permission checked inside other calls
    assert result.granted["s3:BypassGovernanceRetention"].status == UNKNOWN
    assert "permission checked inside" in result.granted["s3:BypassGovernanceRetention"].reason
    advanced = [
        {
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
            ]
        }
    ]
    trail = Trail("t", "arn:t", Origin("aws"), advanced_event_selectors=advanced)
    assert compare(role, parsed, facts, [trail]).granted["s3:PutObject"].status == UNUSED
    stopped = Trail("t", "arn:t", Origin("aws"), is_logging=False, event_selectors=S3_DATA_SELECTOR)
    assert compare(role, parsed, facts, [stopped]).granted["s3:PutObject"].status == UNKNOWN


def test_data_event_types_and_suggestion_resources() -> None:
    assert data_event_type("s3:GetObject") == "AWS::S3::Object"
    assert data_event_type("s3:PutBucketPolicy") is None
    assert data_event_type("lambda:InvokeFunction") == "AWS::Lambda::Function"
    assert data_event_type("dynamodb:GetItem") == "AWS::DynamoDB::Table"
    role = f"arn:aws:iam::{ACCOUNT}:role/r"
    rows = [
        {"role": role, "event_source": "dynamodb.amazonaws.com", "event_name": "GetItem", "n": 1,
         "resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"},
        {"role": role, "event_source": "sts.amazonaws.com", "event_name": "GetCallerIdentity",
         "n": 1},
    ]  # fmt: skip
    facts = _facts(rows, ["dynamodb.amazonaws.com", "sts.amazonaws.com"])
    parsed = parse_policy(
        {"Statement": [{"Effect": "Allow", "Action": ["dynamodb:*", "sts:*"], "Resource": "*"}]}
    )
    result = compare(role, parsed, facts, [])
    assert result.granted["dynamodb:GetItem"].status == USED
    assert result.granted["dynamodb:CreateTable"].status == UNUSED
    assert result.granted["dynamodb:PutItem"].status == UNKNOWN
    policy = suggest(result).policy
    by_action = {a: s["Resource"] for s in policy["Statement"] for a in s["Action"]}
    assert by_action["dynamodb:GetItem"] == [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"]
    assert by_action["sts:GetCallerIdentity"] == ["*"]  # no resource-level permission


def test_athena_path_runs_the_same_aggregation_in_trino(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Athena path: the emulator's Athena returns no real query results, so ``execute``
    is replaced by one answering as Athena does (rows of strings); the SQL it is handed is
    checked for the normalized ``events`` relation and the aggregation."""
    from fortress.detection import athena
    from fortress.detection.usage import collect_usage_athena

    role = f"arn:aws:iam::{ACCOUNT}:role/orders-role"
    queries: list[str] = []

    def execute(aws: Any, sql: str, target: Any) -> list[dict[str, Any]]:
        queries.append(sql)
        if "issuer_arn AS role" in sql:
            return [
                {"role": role, "account": ACCOUNT, "event_source": "s3.amazonaws.com",
                 "event_name": "GetObject", "error_code": None,
                 "resource": f"arn:aws:s3:::{BUCKET}", "n": "4",
                 "first_time": "2026-11-02 10:00:00.000", "last_time": "2026-11-03 10:00:00.000"},
            ]  # fmt: skip
        return [{"event_source": "s3.amazonaws.com", "account": ACCOUNT, "n": "9"}]

    monkeypatch.setattr(athena, "execute", execute)

    class NoAws:
        gaps: list[Any] = []

    target = athena.AthenaTarget("trails", "cloudtrail_logs")
    facts = collect_usage_athena(NoAws(), target, None, None)  # type: ignore[arg-type]
    assert len(queries) == 2 and all(q.startswith("WITH events AS (") for q in queries)
    assert '"trails"."cloudtrail_logs"' in queries[0]
    usage = facts.role(role)
    assert usage is not None and usage.actions[0].action == "s3:GetObject"
    assert usage.actions[0].count == 4
    assert usage.actions[0].resources == [f"arn:aws:s3:::{BUCKET}/*"]
    assert facts.events == 9 and facts.observed_services == ["s3"]
    assert facts.inputs == ["athena:trails.cloudtrail_logs"]


# --------------------------------------------------------------------------- SAM, Serverless, TF

_WIDE = {"Sid": "S3All", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}
_NARROW = {
    "Sid": "Read",
    "Effect": "Allow",
    "Action": "s3:ListBucket",
    "Resource": f"arn:aws:s3:::{BUCKET}",
}


_TF_POLICIES = {
    "orders": '{Sid = "S3All", Effect = "Allow", Action = "s3:*", Resource = "*"}',
    "reader": (
        '{Sid = "Read", Effect = "Allow", Action = "s3:ListBucket", '
        f'Resource = "arn:aws:s3:::{BUCKET}"}}'
    ),
}


def _tf(folder: Path) -> list[Path]:
    folder.mkdir()
    blocks = []
    for name, stmt in _TF_POLICIES.items():
        blocks.append(
            f'resource "aws_iam_role" "{name}" {{\n'
            f'  name = "{name}-role"\n'
            '  assume_role_policy = jsonencode({Statement = [{Effect = "Allow", '
            'Principal = {Service = "lambda.amazonaws.com"}, Action = "sts:AssumeRole"}]})\n'
            "}\n"
            f'resource "aws_iam_role_policy" "{name}" {{\n'
            f"  role   = aws_iam_role.{name}.id\n"
            '  name   = "app"\n'
            f"  policy = jsonencode({{Statement = [{stmt}]}})\n"
            "}\n"
            f'resource "aws_lambda_function" "{name}" {{\n'
            f'  function_name = "{name}"\n'
            f"  role          = aws_iam_role.{name}.arn\n"
            '  runtime       = "python3.12"\n'
            '  handler       = "app.handler"\n'
            '  filename      = "app.zip"\n'
            "}\n"
        )
    (folder / "main.tf").write_text("".join(blocks))
    return [folder]


def _sls(folder: Path) -> list[Path]:
    paths = []
    for name, stmt in (("orders", _WIDE), ("reader", _NARROW)):
        service = folder / name
        service.mkdir(parents=True)
        (service / "serverless.yml").write_text(
            f"service: {name}\nprovider:\n  name: aws\n  runtime: python3.12\n  iam:\n"
            f"    role:\n      name: {name}-role\n      statements:\n"
            f"        - {json.dumps(stmt)}\n"
            f"functions:\n  {name}:\n    handler: app.handler\n"
        )
        paths.append(service)
    return paths


def _sam(folder: Path) -> list[Path]:
    folder.mkdir()
    template = TEMPLATE.replace(
        "AWSTemplateFormatVersion: '2010-09-09'\n",
        "Transform: AWS::Serverless-2016-10-31\n",
    )
    for fn in ("Orders", "Reader"):
        template = template.replace(
            f"  {fn}:\n    Type: AWS::Lambda::Function\n    Properties:\n"
            "      Runtime: python3.12\n      Handler: app.handler\n"
            f"      Role: !GetAtt {fn}Role.Arn\n"
            '      Code: {ZipFile: "def handler(e, c): pass"}\n',
            f"  {fn}:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            "      Runtime: python3.12\n      Handler: app.handler\n"
            f"      Role: !GetAtt {fn}Role.Arn\n"
            '      InlineCode: "def handler(e, c): pass"\n',
        )
    assert "AWS::Serverless::Function" in template
    (folder / "template.yaml").write_text(template)
    return [folder / "template.yaml"]


@pytest.mark.parametrize(
    ("make", "orders_at", "reader_at"),
    [
        (_tf, ("aws_iam_role.orders", 1), ("aws_iam_role.reader", 17)),
        (_sls, ("IamRoleLambdaExecution", 5), ("IamRoleLambdaExecution", 5)),
        (_sam, ("OrdersRole", 3), ("ReaderRole", 20)),
    ],
    ids=["terraform", "serverless", "sam"],
)
def test_iac_roles_fail_and_pass_with_file_and_line(
    make: Any,
    orders_at: tuple[str, int],
    reader_at: tuple[str, int],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths = make(tmp_path / "iac")
    list_bucket = _event(
        "reader-role",
        "s3.amazonaws.com",
        "ListObjectsV2",
        requestParameters={"bucketName": BUCKET, "list-type": "2"},
    )
    # Serverless's default role also grants logs:TagResource: the trail shows it used
    tag = _event("reader-role", "logs.amazonaws.com", "TagResource")
    trail = _write_trail(tmp_path / "ct", [list_bucket, tag, _get_object("orders-role")])
    argv = ["scan", *map(str, paths), "--no-config", "--rules", "FTR-IAM-015"]
    found = _findings(capsys, [*argv, "--format", "json", "--cloudtrail", str(trail)])
    orders, reader = found["orders-role"], found["reader-role"]
    assert orders["status"] == "fail"
    assert "s3:PutBucketPolicy" in {u["action"] for u in orders["evidence"]["unused"]}
    assert (orders["resource"]["logical_id"], orders["resource"]["line"]) == orders_at
    assert reader["status"] == "pass", reader["message"]
    assert (reader["resource"]["logical_id"], reader["resource"]["line"]) == reader_at
    assert reader["resource"]["file"] != orders["resource"]["file"] or make is not _sls
