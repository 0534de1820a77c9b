"""Helpers of the response tests: a function with every containable part, and a snapshot of
everything respond may touch, to compare field by field before and after."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from botocore.exceptions import ClientError

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
FOREIGN = "999988887777"


def package(text: str = "def handler(e, c):\n    return 1\n") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("app.py", text)
    return buffer.getvalue()


def make_role(client: Any, name: str = "victim-role", inline: bool = True) -> str:
    iam = client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    if inline:
        iam.put_role_policy(
            RoleName=name,
            PolicyName="app",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
                }
            ),
        )
    return str(arn)


def make_function(client: Any, name: str, role: str, **kwargs: Any) -> str:
    return str(
        client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": package(f"# {name}\ndef handler(e, c):\n    return 1\n")},
            **kwargs,
        )["FunctionArn"]
    )


def compromised(client: Any, name: str = "victim") -> dict[str, Any]:
    """A function with everything the playbook contains: reserved concurrency, a public and a
    foreign-account grant, an alias with a public grant, an open URL, an SQS mapping, push
    permissions of S3 and SNS, a role shared with a second function."""
    lam = client("lambda")
    role = make_role(client)
    make_function(client, name, role)
    make_function(client, "sibling", role)
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=25)
    lam.add_permission(
        FunctionName=name, StatementId="anyone", Action="lambda:InvokeFunction", Principal="*"
    )
    lam.add_permission(
        FunctionName=name, StatementId="partner", Action="lambda:*", Principal=FOREIGN
    )
    lam.add_permission(
        FunctionName=name,
        StatementId="alias-public",
        Action="lambda:InvokeFunction",
        Principal="*",
        Qualifier="live",
    )
    lam.add_permission(
        FunctionName=name,
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::uploads",
        SourceAccount="123456789012",
    )
    lam.add_permission(
        FunctionName=name,
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn="arn:aws:sns:us-east-1:123456789012:topic",
    )
    lam.add_permission(
        FunctionName=name,
        StatementId="org-only",
        Action="lambda:InvokeFunction",
        Principal="*",
        PrincipalOrgID="o-abcdefghij",
    )
    lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    sqs = client("sqs")
    queue = sqs.create_queue(QueueName=f"{name}-queue")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    mapping = lam.create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=name, BatchSize=5
    )["UUID"]
    return {"name": name, "role": "victim-role", "mapping": mapping}


def _or_none(call: Any, **kwargs: Any) -> Any:
    try:
        return call(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("ResourceNotFoundException", "NoSuchEntity"):
            return None
        raise


def snapshot(client: Any, name: str, role: str) -> dict[str, Any]:
    """Everything respond may change, read with plain boto3 (not Fortress's code)."""
    lam, iam = client("lambda"), client("iam")
    aliases = lam.list_aliases(FunctionName=name)["Aliases"]
    qualifiers = [None] + [a["Name"] for a in aliases]
    policies: dict[str, Any] = {}
    urls: dict[str, Any] = {}
    for q in qualifiers:
        kwargs = {"FunctionName": name, **({"Qualifier": q} if q else {})}
        answer = _or_none(lam.get_policy, **kwargs)
        statements = json.loads(answer["Policy"])["Statement"] if answer else []
        policies[q or "$LATEST"] = sorted(statements, key=lambda s: (s["Sid"], s["Resource"]))
        url = _or_none(lam.get_function_url_config, **kwargs)
        urls[q or "$LATEST"] = (
            {k: url.get(k) for k in ("AuthType", "FunctionUrl", "Cors")} if url else None
        )
    concurrency = lam.get_function_concurrency(FunctionName=name)
    mappings = {
        m["UUID"]: {"State": m["State"], "BatchSize": m.get("BatchSize")}
        for m in lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]
    }
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    inline = {n: iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"] for n in names}
    return {
        "policies": policies,
        "urls": urls,
        "concurrency": concurrency.get("ReservedConcurrentExecutions", "absent"),
        "mappings": mappings,
        "role_inline_policies": inline,
        "attached": iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"],
        "aliases": {
            a["Name"]: {"FunctionVersion": a["FunctionVersion"], "Routing": a.get("RoutingConfig")}
            for a in aliases
        },
    }


def records(path: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
