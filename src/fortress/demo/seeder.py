"""Building blocks of the demo seed: clients on the emulator, roles, functions, log groups
and alarms, each remembered in the :class:`~fortress.demo.shopfast.Seeded` result."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.config import Config

from fortress.demo.shopfast import LAMBDA_TRUST, PRIMARY, Seeded, code_sha256, handler_code


class Seeder:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.result = Seeded(endpoint=endpoint)
        self._clients: dict[tuple[str, str], Any] = {}

    def c(self, service: str, region: str = PRIMARY) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = boto3.client(  # type: ignore[call-overload]
                service,
                region_name=region,
                endpoint_url=self.endpoint,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                config=Config(retries={"max_attempts": 6, "mode": "standard"}, read_timeout=120),
            )
        return self._clients[key]

    # building blocks ----------------------------------------------------------------------

    def remember(self, package: bytes | None) -> bytes | None:
        if package:
            self.result.packages[code_sha256(package)] = package
        return package

    def role(
        self,
        name: str,
        policies: Sequence[dict[str, Any]] = (),
        managed: Sequence[str] = (),
        trust: dict[str, Any] | None = None,
    ) -> str:
        iam = self.c("iam")
        arn = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(trust or LAMBDA_TRUST)
        )["Role"]["Arn"]
        for i, doc in enumerate(policies):
            iam.put_role_policy(
                RoleName=name, PolicyName=f"{name}-inline-{i}", PolicyDocument=json.dumps(doc)
            )
        for policy in managed:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy)
        return str(arn)

    def function(self, name: str, role: str, region: str = PRIMARY, **kwargs: Any) -> str:
        params: dict[str, Any] = {
            "FunctionName": name,
            "Runtime": "python3.12",
            "Role": role,
            "Handler": "app.handler",
            "Code": {"ZipFile": handler_code(name)},
            "Timeout": 30,
            "MemorySize": 256,
        }
        params.update(kwargs)
        self.remember(params["Code"].get("ZipFile"))
        arn = self.c("lambda", region).create_function(**params)["FunctionArn"]
        self.result.functions[name] = arn
        return str(arn)

    def log_group(
        self, name: str, region: str = PRIMARY, retention: int | None = None, kms: str | None = None
    ) -> None:
        logs = self.c("logs", region)
        kwargs: dict[str, Any] = {"logGroupName": name}
        if kms:
            kwargs["kmsKeyId"] = kms
        logs.create_log_group(**kwargs)
        if retention:
            logs.put_retention_policy(logGroupName=name, retentionInDays=retention)

    def alarm(self, function: str, metric: str, region: str = PRIMARY) -> None:
        self.c("cloudwatch", region).put_metric_alarm(
            AlarmName=f"{function}-{metric.lower()}",
            Namespace="AWS/Lambda",
            MetricName=metric,
            Dimensions=[{"Name": "FunctionName", "Value": function}],
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
