"""An emulated AWS Organization: K accounts with N functions in each region (tests, benchmark).

The emulator keys its state by account, and the account of a request is the one its access
key belongs to: the caller (``testing``) is the management account; credentials for a member
account come from ``sts:AssumeRole`` into a role of that account (the emulator does not check
that the role exists, so each account gets the named role created anyway, as StackSets would).
"""

from __future__ import annotations

import io
import json
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

CREDENTIALS = ("testing", "testing")
AUDIT_ROLE = "FortressAudit"
_CONFIG = Config(retries={"max_attempts": 1}, max_pool_connections=16)


@dataclass
class SeededOrg:
    management: str
    accounts: list[str] = field(default_factory=list)  # every account, management included
    names: dict[str, str] = field(default_factory=dict)
    functions: dict[str, list[str]] = field(default_factory=dict)  # account -> function ARNs


def _package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buffer.getvalue()


def _client(endpoint: str, service: str, region: str, creds: dict[str, str] | None) -> Any:
    key, secret = CREDENTIALS
    kwargs: dict[str, Any] = {
        "aws_access_key_id": key,
        "aws_secret_access_key": secret,
        "aws_session_token": None,
    }
    if creds is not None:
        kwargs = {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }
    return boto3.client(  # type: ignore[call-overload]
        service, endpoint_url=endpoint, region_name=region, config=_CONFIG, **kwargs
    )


def account_credentials(endpoint: str, account: str, role: str = AUDIT_ROLE) -> dict[str, str]:
    """Credentials in ``account`` (an assumed role), for seeding and checking it."""
    sts = _client(endpoint, "sts", "us-east-1", None)
    answer = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="fortress-seed"
    )
    return dict(answer["Credentials"])


def seed_organization(
    endpoint: str,
    accounts: int,
    functions: int,
    regions: tuple[str, ...] = ("us-east-1", "eu-west-1"),
    role: str = AUDIT_ROLE,
    warm_up: bool = False,
) -> SeededOrg:
    """An organization of ``accounts`` accounts (the caller's included), each with
    ``functions`` functions in every region, and ``role`` in every member. ``warm_up`` makes the emulator's first
    calls of every service (see :func:`warm`) part of the seeding (the benchmark times scans)."""
    org = _client(endpoint, "organizations", "us-east-1", None)
    management = org.create_organization(FeatureSet="ALL")["Organization"]["MasterAccountId"]
    seeded = SeededOrg(management=management, accounts=[management])
    for index in range(1, accounts):
        name = f"member-{index}"
        status = org.create_account(Email=f"{name}@example.com", AccountName=name)
        account = status["CreateAccountStatus"]["AccountId"]
        seeded.accounts.append(account)
        seeded.names[account] = name
    for item in org.list_accounts()["Accounts"]:  # the names Organizations gives
        seeded.names[item["Id"]] = item["Name"]
    package = _package()
    members = seeded.accounts[1:]
    for account in seeded.accounts:
        creds = None if account == management else account_credentials(endpoint, account, role)
        iam = _client(endpoint, "iam", "us-east-1", creds)
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        exec_role = iam.create_role(
            RoleName="app-exec", AssumeRolePolicyDocument=json.dumps(trust)
        )["Role"]["Arn"]
        if account in members:
            admin = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{management}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(admin))
        arns: list[str] = []
        for region in regions:
            lam = _client(endpoint, "lambda", region, creds)

            def create(
                i: int, lam: Any = lam, region: str = region, exec_arn: str = exec_role
            ) -> str:
                answer = lam.create_function(
                    FunctionName=f"fn-{region}-{i:04d}",
                    Runtime="python3.12",
                    Role=exec_arn,
                    Handler="app.handler",
                    Code={"ZipFile": package},
                    Environment={"Variables": {"STAGE": "prod"}},
                )
                return str(answer["FunctionArn"])

            with ThreadPoolExecutor(max_workers=8) as pool:
                arns.extend(pool.map(create, range(functions)))
            if warm_up:
                warm(endpoint, region, creds)
        seeded.functions[account] = arns
    return seeded


# The emulator builds a service's state for an account and region on its first call (up to
# ~1 s for API Gateway or GuardDuty), a cost AWS does not have: seeding pays it.
_WARM_UP = (
    ("apigateway", "get_rest_apis"),
    ("apigatewayv2", "get_apis"),
    ("guardduty", "list_detectors"),
    ("cloudwatch", "describe_alarms"),
    ("logs", "describe_log_groups"),
    ("secretsmanager", "list_secrets"),
    ("ec2", "describe_security_groups"),
    ("cloudtrail", "describe_trails"),
    ("ssm", "describe_parameters"),
)


def warm(endpoint: str, region: str, creds: dict[str, str] | None) -> None:
    for service, operation in _WARM_UP:
        getattr(_client(endpoint, service, region, creds), operation)()
    _client(endpoint, "inspector2", region, creds).batch_get_account_status(accountIds=[])
