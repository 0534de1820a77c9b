"""The live source reads route tables and network ACLs (FTR-NET-005, FTR-NET-006) from the
emulator: explicit associations, the main route table and the default network ACL; a listing
that fails makes the answer unknown, never a pass."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from conftest import ClientFactory
from fortress.aws.client import AwsClient, AwsOptions
from fortress.findings import Status
from fortress.inventory import Origin, Subnet, Unknown
from fortress.rules.engine import evaluate, select_rules
from fortress.sources import aws as live
from fortress.sources import aws_network

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


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("app.py", "def handler(e, c):\n    return 1\n")
    return buffer.getvalue()


def _seed(client: ClientFactory) -> dict[str, Any]:
    ec2, lam, iam = client("ec2"), client("lambda"), client("iam")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    public, private = (
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]
        for cidr in ("10.0.1.0/24", "10.0.2.0/24")
    )
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=table, SubnetId=public)
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
    for item in ec2.describe_network_acls()["NetworkAcls"]:
        for assoc in item["Associations"]:
            if assoc["SubnetId"] == private:
                ec2.replace_network_acl_association(
                    AssociationId=assoc["NetworkAclAssociationId"], NetworkAclId=acl
                )
    role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    for name, subnet in (("edge", public), ("inner", private)):
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": _zip()},
            VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": []},
        )
    return {"vpc": vpc, "public": public, "private": private, "igw": igw, "table": table}


def test_live_public_subnet_and_default_acl_fail_private_ones_pass(
    aws: str, client: ClientFactory
) -> None:
    ids = _seed(client)
    source = AwsClient(AwsOptions(regions=["us-east-1"], endpoint_url=aws, max_attempts=1))
    inventory = live.collect(source)
    subnets = {s.id: s for s in inventory.subnets}
    assert subnets[ids["public"]].internet_routes == [f"0.0.0.0/0 -> {ids['igw']}"]
    assert subnets[ids["private"]].route_table_main is True
    assert subnets[ids["private"]].internet_routes == []
    assert subnets[ids["public"]].network_acl_default is True
    found = {
        (f.rule_id, f.resource.name): f
        for f in evaluate(inventory, select_rules(["FTR-NET-005", "FTR-NET-006"]))
    }
    edge5, edge6 = found[("FTR-NET-005", "edge")], found[("FTR-NET-006", "edge")]
    assert edge5.status is Status.FAIL and f"route table {ids['table']}" in edge5.message
    assert edge6.status is Status.FAIL and "default network ACL" in edge6.message
    assert found[("FTR-NET-005", "inner")].status is Status.PASS
    assert found[("FTR-NET-006", "inner")].status is Status.PASS


def test_unreadable_route_tables_and_acls_are_unknown() -> None:
    subnet = Subnet(id="subnet-1", origin=Origin(source="aws"), vpc_id="vpc-1")
    aws_network.apply_route_tables([subnet], None)
    aws_network.apply_network_acls([subnet], None)
    assert isinstance(subnet.internet_routes, Unknown)
    assert isinstance(subnet.acl_ingress, Unknown)
    other = Subnet(id="subnet-2", origin=Origin(source="aws"), vpc_id="vpc-2")
    aws_network.apply_route_tables([other], [])
    aws_network.apply_network_acls([other], [])
    assert isinstance(other.internet_routes, Unknown) and isinstance(other.acl_ingress, Unknown)


def test_blackhole_and_non_igw_routes_are_not_internet_routes() -> None:
    routes = [
        {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "blackhole"},
        {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"},
        {"DestinationIpv6CidrBlock": "::/0", "GatewayId": "igw-2", "State": "active"},
        {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
    ]
    assert aws_network.internet_routes(routes) == ["::/0 -> igw-2"]
