"""Builders of realistic CloudTrail records (shapes from AWS documentation and public
detonation logs): Lambda event names carry API-version suffixes, identities come as IAMUser,
AssumedRole (CI via web identity, SSO humans, Lambda execution roles), AWSService and
FederatedUser."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

ACCOUNT = "111122223333"
FOREIGN = "999988887777"
REGION = "us-east-1"
_counter = itertools.count()

CI_UA = (
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) "
    "terraform-provider-aws/5.40.0 aws-sdk-go-v2/1.25.2 os/linux lang/go#1.21.8"
)
CLI_UA = "aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64 prompt/off command/lambda.x"
LAMBDA_UA = (
    "Boto3/1.34.34 md/Botocore#1.34.34 ua/2.0 os/linux#5.10.209 md/arch#x86_64 "
    "lang/python#3.12.2 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 Botocore/1.34.34"
)


def iam_user(name: str = "alice", key: str = "AKIAEXAMPLEALICE0001") -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLE" + name.upper(),
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "accountId": ACCOUNT,
        "accessKeyId": key,
        "userName": name,
    }


def assumed_role(
    role: str, session: str, key: str = "ASIAEXAMPLEROLE00001", web_identity: bool = False
) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "sessionIssuer": {
            "type": "Role",
            "principalId": "AROAEXAMPLE" + role.upper()[:8],
            "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
            "accountId": ACCOUNT,
            "userName": role.rsplit("/", 1)[-1],
        },
        "attributes": {"creationDate": "2024-08-01T12:00:00Z", "mfaAuthenticated": "false"},
    }
    if web_identity:
        ctx["webIdFederationData"] = {
            "federatedProvider": (
                f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
            ),
            "attributes": {},
        }
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLE:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role.rsplit('/', 1)[-1]}/{session}",
        "accountId": ACCOUNT,
        "accessKeyId": key,
        "sessionContext": ctx,
    }


def ci_role() -> dict[str, Any]:
    return assumed_role("github-deploy", "GitHubActions", "ASIAEXAMPLECI0000001", True)


def sso_human(name: str = "bob") -> dict[str, Any]:
    return assumed_role(
        "aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123456789abcdef",
        f"{name}@example.com",
        "ASIAEXAMPLESSO000001",
    )


def exec_role(function: str = "orders", key: str = "ASIAEXAMPLELAMBDA001") -> dict[str, Any]:
    return assumed_role(f"{function}-role", function, key)


def aws_service(service: str = "lambda.amazonaws.com") -> dict[str, Any]:
    return {"type": "AWSService", "invokedBy": service}


def federated_user() -> dict[str, Any]:
    return {
        "type": "FederatedUser",
        "principalId": f"{ACCOUNT}:carol",
        "arn": f"arn:aws:sts::{ACCOUNT}:federated-user/carol",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEFED000001",
        "sessionContext": {
            "sessionIssuer": {
                "type": "IAMUser",
                "arn": f"arn:aws:iam::{ACCOUNT}:user/fed-broker",
                "accountId": ACCOUNT,
                "userName": "fed-broker",
            }
        },
    }


def event(
    name: str,
    identity: dict[str, Any],
    *,
    source: str = "lambda.amazonaws.com",
    time: str | None = None,
    request: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    ip: str = "203.0.113.10",
    ua: str = CLI_UA,
    error: str | None = None,
    read_only: bool = False,
    category: str = "Management",
) -> dict[str, Any]:
    n = next(_counter)
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": time or f"2024-08-01T13:{(n // 60) % 60:02d}:{n % 60:02d}Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": ip,
        "userAgent": ua,
        "requestParameters": request,
        "responseElements": response,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": category == "Management",
        "recipientAccountId": ACCOUNT,
        "eventCategory": category,
        "tlsDetails": {"tlsVersion": "TLSv1.3", "clientProvidedHostHeader": "x.amazonaws.com"},
    }
    if error:
        record["errorCode"] = error
        record["errorMessage"] = "denied"
    return record


def fn_arn(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:lambda:{REGION}:{account}:function:{name}"


def function_config(name: str, role: str, layers: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "functionName": name,
        "functionArn": fn_arn(name),
        "runtime": "python3.12",
        "role": role,
        "handler": "app.handler",
        "codeSize": 1234,
        "codeSha256": "Pt1c8vVaBygmNtAeSyjlpdy7r8nHRqJAAL++HEGlQkc=",
        "version": "$LATEST",
    }
    if layers:
        out["layers"] = [{"arn": arn, "codeSize": 2120} for arn in layers]
    return out


def create_function(
    name: str, identity: dict[str, Any], ua: str = CI_UA, **kw: Any
) -> dict[str, Any]:
    role = kw.pop("role", f"arn:aws:iam::{ACCOUNT}:role/{name}-role")
    layers = kw.pop("layers", None)
    request: dict[str, Any] = {
        "functionName": name,
        "runtime": "python3.12",
        "role": role,
        "handler": "app.handler",
        "code": {},
    }
    if layers:
        request["layers"] = layers
    return event(
        "CreateFunction20150331",
        identity,
        ua=ua,
        request=request,
        response=function_config(name, role, layers),
        **kw,
    )


def update_code(name: str, identity: dict[str, Any], ua: str = CI_UA, **kw: Any) -> dict[str, Any]:
    request = {
        "dryRun": False,
        "fullyQualifiedArn": {
            "arnPrefix": {"account": ACCOUNT, "partition": "aws", "region": REGION},
            "functionQualifier": {},
            "relativeId": {"functionName": name},
        },
        "functionName": fn_arn(name),
        "publish": True,
    }
    return event(
        "UpdateFunctionCode20150331v2",
        identity,
        ua=ua,
        request=request,
        response=function_config(name, f"arn:aws:iam::{ACCOUNT}:role/{name}-role"),
        **kw,
    )
