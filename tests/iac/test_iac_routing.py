"""Route tables and network ACLs in effect for declared subnets (FTR-NET-005, FTR-NET-006):
the association paths the vulnerable/hardened fixtures do not take, and what stays unknown."""

from __future__ import annotations

from pathlib import Path

from fortress.findings import Finding, Status
from fortress.rules import engine
from fortress.sources import cloudformation, terraform
from fortress.sources.base import IacOptions

RULES = ("FTR-NET-005", "FTR-NET-006")

CFN_HEAD = """\
Parameters:
  GatewayParam: {Type: String}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      Role: arn:aws:iam::1:role/r
      Code: {ZipFile: "x"}
      VpcConfig: {SubnetIds: [!Ref Sub], SecurityGroupIds: [sg-1]}
"""


def _cfn(tmp_path: Path, body: str) -> dict[str, Finding]:
    path = tmp_path / "t.yaml"
    path.write_text(CFN_HEAD + body)
    inv = cloudformation.load(path, IacOptions())
    found = engine.evaluate(inv, engine.select_rules(list(RULES)))
    return {f.rule_id: f for f in found}


def test_cfn_subnet_of_an_undeclared_vpc_without_associations_is_unknown(tmp_path: Path) -> None:
    found = _cfn(
        tmp_path,
        "  Sub:\n    Type: AWS::EC2::Subnet\n    Properties: {VpcId: vpc-9, CidrBlock: 10.0.0.0/24}\n",
    )
    assert found["FTR-NET-005"].status is Status.UNKNOWN
    assert "VPC (vpc-9) is not declared there" in found["FTR-NET-005"].message
    assert found["FTR-NET-006"].status is Status.UNKNOWN
    assert "default network ACL is unknown" in found["FTR-NET-006"].message
    assert found["FTR-NET-005"].resource.line == 4


def test_cfn_default_acl_entries_added_through_getatt_are_evaluated(tmp_path: Path) -> None:
    """A deny numbered before the default ACL's rule 100 stops "all traffic"; the main route
    table of a declared VPC routes only inside it."""
    body = """\
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Sub:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.0.0/24}
  DenyFirst:
    Type: AWS::EC2::NetworkAclEntry
    Properties: {NetworkAclId: !GetAtt Vpc.DefaultNetworkAcl, RuleNumber: 10, Protocol: -1, RuleAction: deny, CidrBlock: 0.0.0.0/0}
"""
    found = _cfn(tmp_path, body)
    assert found["FTR-NET-005"].status is Status.PASS
    assert found["FTR-NET-006"].status is Status.PASS


def test_cfn_unresolvable_gateway_and_undeclared_tables_are_unknown(tmp_path: Path) -> None:
    body = """\
  Sub:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: vpc-9, CidrBlock: 10.0.0.0/24}
  Routes:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: vpc-9}
  Default:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref Routes, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref GatewayParam}
  Assoc:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref Sub, RouteTableId: !Ref Routes}
  AclAssoc:
    Type: AWS::EC2::SubnetNetworkAclAssociation
    Properties: {SubnetId: !Ref Sub, NetworkAclId: acl-0123}
"""
    found = _cfn(tmp_path, body)
    assert found["FTR-NET-005"].status is Status.UNKNOWN
    assert "GatewayParam" in found["FTR-NET-005"].message
    assert found["FTR-NET-006"].status is Status.UNKNOWN
    assert "network ACL acl-0123 of subnet" in found["FTR-NET-006"].message


def _tf(tmp_path: Path, text: str) -> dict[str, Finding]:
    (tmp_path / "main.tf").write_text(
        'resource "aws_lambda_function" "fn" {\n  function_name = "fn"\n'
        '  role = "arn:aws:iam::1:role/r"\n  runtime = "python3.12"\n  handler = "a.h"\n'
        '  filename = "x.zip"\n  vpc_config {\n    subnet_ids = [aws_subnet.a.id]\n'
        '    security_group_ids = ["sg-1"]\n  }\n}\n' + text
    )
    inv = terraform.load(tmp_path)
    return {f.rule_id: f for f in engine.evaluate(inv, engine.select_rules(list(RULES)))}


def test_tf_main_route_table_association_and_default_acl_resource(tmp_path: Path) -> None:
    """aws_main_route_table_association makes a public table the VPC's main one (a subnet
    without association uses it); aws_default_network_acl holds exactly its ingress blocks."""
    found = _tf(
        tmp_path,
        """
resource "aws_vpc" "v" { cidr_block = "10.0.0.0/16" }
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_route_table" "pub" {
  vpc_id = aws_vpc.v.id
}
resource "aws_route" "igw" {
  route_table_id         = aws_route_table.pub.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = "igw-0abc"
}
resource "aws_main_route_table_association" "m" {
  vpc_id         = aws_vpc.v.id
  route_table_id = aws_route_table.pub.id
}
resource "aws_default_network_acl" "d" {
  default_network_acl_id = aws_vpc.v.default_network_acl_id
  ingress {
    rule_no    = 100
    protocol   = "tcp"
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 443
    to_port    = 443
  }
}
""",
    )
    net5, net6 = found["FTR-NET-005"], found["FTR-NET-006"]
    assert net5.status is Status.FAIL
    assert "the VPC's main route table aws_route_table.pub: 0.0.0.0/0 -> igw-0abc" in net5.message
    assert (net5.resource.file, net5.resource.line) == (str(tmp_path / "main.tf"), 1)
    assert net6.status is Status.PASS


def test_tf_declared_vpc_default_acl_fails_and_undeclared_vpc_is_unknown(tmp_path: Path) -> None:
    found = _tf(
        tmp_path,
        'resource "aws_vpc" "v" { cidr_block = "10.0.0.0/16" }\n'
        'resource "aws_subnet" "a" {\n  vpc_id = aws_vpc.v.id\n  cidr_block = "10.0.1.0/24"\n}\n',
    )
    assert found["FTR-NET-005"].status is Status.PASS
    assert found["FTR-NET-006"].status is Status.FAIL
    assert "default network ACL aws_vpc.v/default-network-acl" in found["FTR-NET-006"].message
    other = tmp_path / "other"
    other.mkdir()
    found = _tf(other, 'resource "aws_subnet" "a" {\n  vpc_id = "vpc-9"\n}\n')
    assert {f.status for f in found.values()} == {Status.UNKNOWN}
