"""The live source reads Application Load Balancers in front of functions (FTR-API-013) and HTTP
API CORS configurations (FTR-API-012) from the emulator, and a snapshot carries them.

The emulator implements every ELBv2 call read here (target groups of type lambda, target
health, listeners, rules with the default one). Only the refusals are not: a denied answer is
injected with botocore's before-call hook on the elbv2 client (the mechanism Stubber uses),
every other call still going to the emulator.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSResponse
from test_core_live_routing import TRUST, _zip

from conftest import ClientFactory
from fortress.aws.client import AwsClient, AwsOptions
from fortress.demo import seed_elb
from fortress.findings import Finding, Status
from fortress.inventory import COLLECTION_LOAD_BALANCERS, Inventory
from fortress.rules.engine import evaluate, select_rules
from fortress.sources import aws as live
from fortress.sources import snapshot

RULES = ["FTR-API-012", "FTR-API-013"]
OPEN, GATED, INNER = "legacy-export", "admin-tools", "reports-generator"


def _seed(client: ClientFactory) -> None:
    """The demo's load balancers (fortress.demo.seed_elb) over their three functions, one more
    function with no load balancer, and three HTTP APIs."""
    ec2, lam, iam = client("ec2"), client("lambda"), client("iam")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b"))
    ]
    role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    arns = {
        name: lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": _zip()},
        )["FunctionArn"]
        for name in (OPEN, GATED, INNER, "alone")
    }
    seed_elb.load_balancers(client("elbv2"), subnets, arns.__getitem__)
    v2 = client("apigatewayv2")
    for name, origin in (("wide", "https://*"), ("named", "https://app.example.com")):
        v2.create_api(
            Name=name,
            ProtocolType="HTTP",
            CorsConfiguration={"AllowOrigins": [origin], "AllowCredentials": True},
        )
    v2.create_api(Name="plain", ProtocolType="HTTP")


def _source(aws: str) -> AwsClient:
    return AwsClient(AwsOptions(regions=["us-east-1"], endpoint_url=aws, max_attempts=1))


def _by_name(findings: list[Finding]) -> dict[tuple[str, str], Finding]:
    return {(f.rule_id, f.resource.name): f for f in findings}


def test_live_alb_and_cors_fail_and_pass(aws: str, client: ClientFactory) -> None:
    _seed(client)
    inventory = live.collect(_source(aws))
    assert {lb.name: lb.scheme for lb in inventory.load_balancers} == {
        "shopfast-public": "internet-facing",
        "shopfast-internal": "internal",
    }
    pub = next(lb for lb in inventory.load_balancers if lb.name == "shopfast-public")
    assert [r.priority for r in pub.listeners[0].rules] == ["10", "default"]
    assert {g.name for g in inventory.target_groups} == {f"{n}-tg" for n in (OPEN, GATED, INNER)}
    found = _by_name(evaluate(inventory, select_rules(RULES)))
    opened = found[("FTR-API-013", OPEN)]
    assert (
        opened.status is Status.FAIL
        and "shopfast-public listener HTTP:80 (default action)" in opened.message
    )
    assert found[("FTR-API-013", GATED)].status is Status.PASS
    assert "only after authentication" in found[("FTR-API-013", GATED)].message
    assert found[("FTR-API-013", INNER)].status is Status.PASS
    assert ("FTR-API-013", "alone") not in found  # no load balancer in front: not applicable
    assert found[("FTR-API-012", "wide")].status is Status.FAIL
    assert "('https://*') with AllowCredentials true" in found[("FTR-API-012", "wide")].message
    assert found[("FTR-API-012", "named")].status is Status.PASS
    assert found[("FTR-API-012", "plain")].status is Status.PASS


def test_snapshot_keeps_the_load_balancers_and_cors(
    aws: str, client: ClientFactory, tmp_path: Path
) -> None:
    _seed(client)
    inventory = live.collect(_source(aws))
    path = tmp_path / "snap.json"
    snapshot.save(path, inventory, [], datetime(2026, 12, 1, tzinfo=UTC))
    loaded, _ = snapshot.load(path)
    assert loaded.load_balancers == inventory.load_balancers
    assert loaded.target_groups == inventory.target_groups
    assert [(a.cors_allow_origins, a.cors_allow_credentials) for a in loaded.apis] == [
        (a.cors_allow_origins, a.cors_allow_credentials) for a in inventory.apis
    ]

    def verdicts(inv: Inventory) -> set[tuple[str, str, Status]]:
        return {(f.rule_id, f.resource.name, f.status) for f in evaluate(inv, select_rules(RULES))}

    assert verdicts(loaded) == verdicts(inventory)
    assert ("FTR-API-013", OPEN, Status.FAIL) in verdicts(loaded)


def _deny(source: AwsClient, operation: str) -> None:
    """elbv2 ``operation`` answers AccessDenied; every other call goes to the emulator."""
    elb = source.client("elbv2", "us-east-1")

    def respond(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if model.name != operation:
            return None
        body = {
            "Error": {"Code": "AccessDenied", "Message": "denied"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }
        return AWSResponse("https://elb.test", 403, {}, None), body  # type: ignore[arg-type]

    elb.meta.events.register_first("before-call.elastic-load-balancing-v2.*", respond)


def test_unreadable_target_groups_make_every_function_unknown(
    aws: str, client: ClientFactory
) -> None:
    _seed(client)
    source = _source(aws)
    _deny(source, "DescribeTargetGroups")
    inventory = live.collect(source)
    assert f"{COLLECTION_LOAD_BALANCERS}@us-east-1" in inventory.uncollected
    assert any(g.operation == "describe_target_groups" for g in source.gaps)
    found = evaluate(inventory, select_rules(["FTR-API-013"]))
    assert {f.resource.name: f.status for f in found} == {
        name: Status.UNKNOWN for name in (OPEN, GATED, INNER, "alone")
    }


def test_unreadable_listener_rules_leave_only_the_default_actions_known(
    aws: str, client: ClientFactory
) -> None:
    _seed(client)
    source = _source(aws)
    _deny(source, "DescribeRules")
    found = _by_name(evaluate(live.collect(source), select_rules(["FTR-API-013"])))
    assert found[("FTR-API-013", OPEN)].status is Status.FAIL  # its default action is known
    assert found[("FTR-API-013", GATED)].status is Status.UNKNOWN
    assert "could not be read" in found[("FTR-API-013", GATED)].message
