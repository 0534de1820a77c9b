"""The demo's CloudTrail: one day of ShopFast activity, with an intrusion in it.

Written as CloudTrail delivers it to S3 (``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
*.json.gz``, ``{"Records": [...]}``) so that ``fortress hunt`` and ``fortress acquire
--cloudtrail`` read it like a real export. The story: CI deploys as usual; then a leaked
contractor key enumerates functions, overwrites orders-api's code, adds a layer, opens a
backdoor permission and a public URL, uses the payment function's role credentials from a
laptop, and stops Lambda data events from being logged.
"""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fortress.demo.shopfast import ACCOUNT, FOREIGN_ACCOUNT, PRIMARY

DAY = datetime(2026, 11, 26, 8, 0, 0)
# For commands that read a window of the trail (acquire reads the last 7 days by default).
SINCE = DAY.strftime("%Y-%m-%d")
ATTACKER_IP = "203.0.113.77"
ATTACKER_UA = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64 prompt/off"
CI_UA = "aws-sam-cli/1.120.0 aws-sdk-python/1.34.0 Boto3/1.34.0 md/Botocore#1.34.0"
LAMBDA_UA = "Boto3/1.34.0 md/Botocore#1.34.0 exec-env/AWS_Lambda_python3.12 Botocore/1.34.0"


def _fn(name: str) -> str:
    return f"arn:aws:lambda:{PRIMARY}:{ACCOUNT}:function:{name}"


def _ci() -> dict[str, Any]:
    return {
        "type": "AssumedRole",
        "principalId": "AROADEMOCIDEPLOY0001:GitHubActions",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/shopfast-ci-deploy/GitHubActions",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIADEMOCI0000000001",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROADEMOCIDEPLOY0001",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/shopfast-ci-deploy",
                "accountId": ACCOUNT,
                "userName": "shopfast-ci-deploy",
            },
            "webIdFederationData": {
                "federatedProvider": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
            },
            "attributes": {"creationDate": "2026-11-26T08:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def _contractor() -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": "AIDADEMOCONTRACTOR01",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/contractor-dana",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIADEMOCONTRACTOR01",
        "userName": "contractor-dana",
    }


def _exec_role(role: str, function: str) -> dict[str, Any]:
    return {
        "type": "AssumedRole",
        "principalId": f"AROADEMO{role.upper()[:10]}:{function}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{function}",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIADEMOLAMBDA000001",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": f"AROADEMO{role.upper()[:10]}",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                "accountId": ACCOUNT,
                "userName": role,
            },
            "attributes": {"creationDate": "2026-11-26T08:00:00Z", "mfaAuthenticated": "false"},
        },
    }


class _Story:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.clock = DAY

    def at(self, minutes: float) -> None:
        self.clock = DAY + timedelta(minutes=minutes)

    def add(
        self,
        name: str,
        identity: dict[str, Any],
        *,
        source: str = "lambda.amazonaws.com",
        request: dict[str, Any] | None = None,
        response: dict[str, Any] | None = None,
        ip: str = "192.0.2.10",
        ua: str = CI_UA,
        read_only: bool = False,
        error: str | None = None,
        step: float = 7,
    ) -> None:
        self.clock += timedelta(seconds=step)
        record: dict[str, Any] = {
            "eventVersion": "1.09",
            "userIdentity": identity,
            "eventTime": self.clock.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": source,
            "eventName": name,
            "awsRegion": PRIMARY,
            "sourceIPAddress": ip,
            "userAgent": ua,
            "requestParameters": request,
            "responseElements": response,
            "requestID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"req-{len(self.records)}")),
            "eventID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"evt-{len(self.records)}")),
            "readOnly": read_only,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": ACCOUNT,
            "eventCategory": "Management",
        }
        if error:
            record["errorCode"] = error
            record["errorMessage"] = "User is not authorized to perform this operation"
        self.records.append(record)


def story() -> list[dict[str, Any]]:
    s = _Story()
    ci = _ci()
    # 08:00 — the usual morning deployment from CI.
    for name in ("orders-api", "orders-worker", "notifications", "user-profile"):
        s.add(
            "UpdateFunctionCode20150331v2",
            ci,
            request={"functionName": name, "publish": False, "dryRun": False},
            response={"functionName": name, "functionArn": _fn(name), "codeSha256": "Z2l0aHViLWNp"},
        )
        s.add("GetFunction20150331v2", ci, request={"functionName": name}, read_only=True)

    # 13:00 — a leaked contractor key enumerates the estate and downloads code.
    s.at(300)
    bob = _contractor()
    s.add("ListFunctions20150331", bob, request={}, ip=ATTACKER_IP, ua=ATTACKER_UA, read_only=True)
    for name in (
        "orders-api",
        "payments-webhook",
        "admin-tools",
        "auth-authorizer",
        "reports-generator",
        "image-resizer",
        "search",
        "legacy-export",
        "notifications",
        "user-profile",
        "orders-worker",
        "inventory-sync",
        "audit-logger",
        "loyalty-points",
    ):
        for call in (
            "GetFunction20150331v2",
            "GetPolicy20150331v2",
            "ListVersionsByFunction20150331",
        ):
            s.add(
                call,
                bob,
                request={"functionName": name},
                ip=ATTACKER_IP,
                ua=ATTACKER_UA,
                read_only=True,
                step=2,
            )

    # 13:20 — persistence: orders-api's code is overwritten and a layer added.
    s.at(320)
    s.add(
        "UpdateFunctionCode20150331v2",
        bob,
        request={"functionName": _fn("orders-api"), "publish": True, "dryRun": False},
        response={
            "functionName": "orders-api",
            "functionArn": _fn("orders-api"),
            "codeSha256": "YmFja2Rvb3I=",
        },
        ip=ATTACKER_IP,
        ua=ATTACKER_UA,
    )
    s.add(
        "UpdateFunctionConfiguration20150331v2",
        bob,
        request={
            "functionName": "orders-api",
            "layers": [
                f"arn:aws:lambda:{PRIMARY}:{ACCOUNT}:layer:shopfast-common:1",
                f"arn:aws:lambda:{PRIMARY}:{FOREIGN_ACCOUNT}:layer:telemetry-ext:3",
            ],
        },
        response={"functionName": "orders-api", "functionArn": _fn("orders-api")},
        ip=ATTACKER_IP,
        ua=ATTACKER_UA,
    )
    # 13:25 — a backdoor: anyone may invoke admin-tools, and payments-webhook gets an open URL.
    s.add(
        "AddPermission20150331v2",
        bob,
        request={
            "functionName": "admin-tools",
            "statementId": "support-access",
            "action": "lambda:InvokeFunction",
            "principal": "*",
        },
        response={
            "statement": json.dumps(
                {
                    "Sid": "support-access",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "lambda:InvokeFunction",
                    "Resource": _fn("admin-tools"),
                }
            )
        },
        ip=ATTACKER_IP,
        ua=ATTACKER_UA,
    )
    s.add(
        "CreateFunctionUrlConfig20211031",
        bob,
        request={"functionName": "payments-webhook", "authType": "NONE"},
        response={
            "functionArn": _fn("payments-webhook"),
            "authType": "NONE",
            "functionUrl": "https://abcdefghij.lambda-url.us-east-1.on.aws/",
        },
        ip=ATTACKER_IP,
        ua=ATTACKER_UA,
    )
    # 13:40 — the payment function's role credentials, lifted from its environment, are used
    # from the attacker's laptop.
    s.at(340)
    stolen = _exec_role("shopfast-payments", "payments-webhook")
    s.add(
        "GetCallerIdentity",
        stolen,
        source="sts.amazonaws.com",
        ip=ATTACKER_IP,
        ua=ATTACKER_UA,
        read_only=True,
    )
    s.add(
        "ListUsers",
        stolen,
        source="iam.amazonaws.com",
        ip=ATTACKER_IP,
        ua=ATTACKER_UA,
        read_only=True,
    )
    s.add(
        "CreateAccessKey",
        stolen,
        source="iam.amazonaws.com",
        request={"userName": "svc-backup"},
        ip=ATTACKER_IP,
        ua=ATTACKER_UA,
    )
    # 13:45 — covering tracks: Lambda data events are no longer recorded.
    s.add(
        "PutEventSelectors",
        bob,
        source="cloudtrail.amazonaws.com",
        request={
            "trailName": "shopfast-trail",
            "eventSelectors": [
                {"readWriteType": "All", "includeManagementEvents": True, "dataResources": []}
            ],
        },
        ip=ATTACKER_IP,
        ua=ATTACKER_UA,
    )
    # All day: the functions' own calls, from inside Lambda.
    s.at(600)
    own = _exec_role("shopfast-orders", "orders-api")
    for _ in range(20):
        s.add(
            "GetItem",
            own,
            source="dynamodb.amazonaws.com",
            ip="3.80.1.1",
            ua=LAMBDA_UA,
            read_only=True,
        )
    return s.records


def write(folder: Path) -> Path:
    """Write the story in S3 delivery layout under ``folder``; return the day's directory."""
    day = folder / "AWSLogs" / ACCOUNT / "CloudTrail" / PRIMARY / DAY.strftime("%Y/%m/%d")
    day.mkdir(parents=True, exist_ok=True)
    records = story()
    # CloudTrail delivers a file about every five minutes; a few files keep it realistic.
    for index in range(0, len(records), 25):
        chunk = records[index : index + 25]
        stamp = chunk[0]["eventTime"].replace("-", "").replace(":", "")
        name = f"{ACCOUNT}_CloudTrail_{PRIMARY}_{stamp}_demo{index // 25:04d}.json.gz"
        with gzip.open(day / name, "wt", encoding="utf-8") as handle:
            json.dump({"Records": chunk}, handle)
    return day
