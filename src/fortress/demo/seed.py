"""Seed a realistic, deliberately vulnerable serverless application into an AWS endpoint.

"ShopFast" is a small online shop: a REST API (orders, payments, admin), an HTTP API
(profiles, search), queues, a topic, layers, a function URL for a payment webhook, secrets,
log groups and a trail, in two regions. Some functions are hardened, others carry the
mistakes real teams make, so every rule has something to fail and something to pass.
Its fixed parts are in :mod:`.shopfast`, the building blocks in :mod:`.seeder`, the APIs in
:mod:`.seed_apis`.

Only ever pointed at the emulator: it creates resources.
"""

from __future__ import annotations

import json
import time

from fortress.demo import seed_elb
from fortress.demo.seed_apis import ApiSeeder
from fortress.demo.shopfast import (
    ACCOUNT,
    ADMIN_TOOLS_CODE,
    ANALYTICS_LAYER,
    FAKE_AWS_KEY_ID,
    FAKE_AWS_SECRET,
    FAKE_DB_PASSWORD,
    FAKE_STRIPE_KEY,
    FOREIGN_ACCOUNT,
    ORDERS_WORKER_CODE,
    PAYMENTS_CODE,
    PRIMARY,
    REPORTS_CODE,
    SECONDARY,
    TELEMETRY,
    Seeded,
    handler_code,
    zip_files,
)


class _Seeder(ApiSeeder):
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
                "ZipFile": self.remember(
                    zip_files({"python/shopfast_common.py": "VERSION = '1.4.0'\n"})
                )
            },
            CompatibleRuntimes=["python3.12"],
        )
        self.layer_common = common["LayerVersionArn"]
        analytics = lam.publish_layer_version(
            LayerName="analytics-sdk",
            Content={"ZipFile": self.remember(zip_files(ANALYTICS_LAYER))},
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
            Code={"ZipFile": zip_files(ORDERS_WORKER_CODE)},
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
            Code={"ZipFile": zip_files(PAYMENTS_CODE)},
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
            Code={"ZipFile": zip_files(ADMIN_TOOLS_CODE)},
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
            Code={"ZipFile": zip_files(REPORTS_CODE)},  # writes the DB password to /tmp
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
