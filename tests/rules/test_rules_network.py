"""Network-isolation rules (FTR-NET-*) run through the engine on hand-built inventories."""

from __future__ import annotations

from typing import Any

import fortress.rules.network  # noqa: F401  (registers the rules)
from fortress.findings import Finding, Status
from fortress.inventory import (
    Function,
    Inventory,
    Origin,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    Unknown,
    VpcConfig,
)
from fortress.rules import engine

ACCOUNT = "123456789012"
REGION = "us-east-1"
ORIGIN = Origin(source="aws", account=ACCOUNT, region=REGION)


def run(inventory: Inventory, rule_id: str) -> list[Finding]:
    try:
        rules = engine.select_rules([rule_id])
    except ModuleNotFoundError:  # other practice modules not in the tree yet
        rules = [r for r in engine._REGISTRY.values() if r.meta.id == rule_id]
    assert [r.meta.id for r in rules] == [rule_id]
    return engine.evaluate(inventory, rules)


def fn(name: str = "api", **kw: Any) -> Function:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return Function(name=name, arn=arn, origin=ORIGIN, **kw)


def subnet(sid: str, az: Any) -> Subnet:
    return Subnet(id=sid, origin=ORIGIN, vpc_id="vpc-1", availability_zone=az)


def group(gid: str, ingress: Any = (), egress: Any = ()) -> SecurityGroup:
    return SecurityGroup(
        id=gid,
        name=f"{gid}-name",
        origin=ORIGIN,
        vpc_id="vpc-1",
        ingress=list(ingress) if not isinstance(ingress, Unknown) else ingress,
        egress=list(egress) if not isinstance(egress, Unknown) else egress,
    )


def one(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


# --------------------------------------------------------------------------- NET-001


def test_net001_function_outside_vpc_fails_as_design_choice() -> None:
    f = one(run(Inventory(functions=[fn("public")]), "FTR-NET-001"))
    assert f.status is Status.FAIL
    assert "public" in f.message and "design choice" in f.message
    assert f.resource.id.endswith(":function:public")


def test_net001_empty_vpc_config_counts_as_outside() -> None:
    f = one(run(Inventory(functions=[fn(vpc=VpcConfig())]), "FTR-NET-001"))
    assert f.status is Status.FAIL


def test_net001_vpc_function_passes() -> None:
    vpc = VpcConfig(subnet_ids=["subnet-a"], security_group_ids=["sg-1"])
    f = one(run(Inventory(functions=[fn(vpc=vpc)]), "FTR-NET-001"))
    assert f.status is Status.PASS


# --------------------------------------------------------------------------- NET-002


def test_net002_all_subnets_in_one_az_fails_naming_zone_and_subnets() -> None:
    inv = Inventory(
        functions=[fn(vpc=VpcConfig(subnet_ids=["subnet-a", "subnet-b"]))],
        subnets=[subnet("subnet-a", "us-east-1a"), subnet("subnet-b", "us-east-1a")],
    )
    f = one(run(inv, "FTR-NET-002"))
    assert f.status is Status.FAIL
    assert "us-east-1a" in f.message and "subnet-a" in f.message and "subnet-b" in f.message
    assert f.evidence["availability_zones"] == ["us-east-1a"]


def test_net002_two_zones_pass() -> None:
    inv = Inventory(
        functions=[fn(vpc=VpcConfig(subnet_ids=["subnet-a", "subnet-b"]))],
        subnets=[subnet("subnet-a", "us-east-1a"), subnet("subnet-b", "us-east-1b")],
    )
    f = one(run(inv, "FTR-NET-002"))
    assert f.status is Status.PASS
    assert f.evidence["availability_zones"] == ["us-east-1a", "us-east-1b"]


def test_net002_unresolvable_subnet_is_unknown() -> None:
    inv = Inventory(
        functions=[fn(vpc=VpcConfig(subnet_ids=["subnet-a", "subnet-missing"]))],
        subnets=[subnet("subnet-a", "us-east-1a")],
    )
    f = one(run(inv, "FTR-NET-002"))
    assert f.status is Status.UNKNOWN
    assert "subnet-missing" in f.message


def test_net002_unknown_subnet_id_and_unknown_az_are_unknown() -> None:
    inv = Inventory(
        functions=[
            fn("a", vpc=VpcConfig(subnet_ids=[Unknown("parameter SubnetIds has no default")])),
            fn("b", vpc=VpcConfig(subnet_ids=["subnet-x"])),
        ],
        subnets=[subnet("subnet-x", Unknown("data source"))],
    )
    findings = run(inv, "FTR-NET-002")
    assert [f.status for f in findings] == [Status.UNKNOWN, Status.UNKNOWN]
    assert "parameter SubnetIds" in findings[0].message
    assert "subnet-x" in findings[1].message


def test_net002_not_applicable_outside_vpc() -> None:
    assert run(Inventory(functions=[fn()]), "FTR-NET-002") == []


# --------------------------------------------------------------------------- NET-003/004


def _with_group(g: SecurityGroup, *extra: SecurityGroup) -> Inventory:
    vpc = VpcConfig(subnet_ids=["subnet-a"], security_group_ids=[g.id])
    return Inventory(functions=[fn("worker", vpc=vpc)], security_groups=[g, *extra])


def test_net003_allow_all_egress_fails_naming_cidr_and_ports() -> None:
    g = group("sg-1", egress=[SecurityGroupRule(protocol="-1", cidrs=["0.0.0.0/0"])])
    f = one(run(_with_group(g), "FTR-NET-003"))
    assert f.status is Status.FAIL
    assert "sg-1" in f.message and "0.0.0.0/0" in f.message and "all traffic" in f.message
    assert f.evidence["functions"] == ["worker"]


def test_net003_ipv6_tcp_all_ports_fails() -> None:
    rule = SecurityGroupRule(protocol="tcp", from_port=0, to_port=65535, cidrs=["::/0"])
    f = one(run(_with_group(group("sg-1", egress=[rule])), "FTR-NET-003"))
    assert f.status is Status.FAIL
    assert "::/0" in f.message and "0-65535" in f.message


def test_net003_https_only_egress_passes() -> None:
    rule = SecurityGroupRule(protocol="tcp", from_port=443, to_port=443, cidrs=["0.0.0.0/0"])
    internal = SecurityGroupRule(protocol="-1", cidrs=["10.0.0.0/8"])
    f = one(run(_with_group(group("sg-1", egress=[rule, internal])), "FTR-NET-003"))
    assert f.status is Status.PASS


def test_net003_unknown_egress_and_unknown_cidr() -> None:
    g1 = group("sg-1", egress=Unknown("module output"))
    g2 = group("sg-2", egress=[SecurityGroupRule(protocol="-1", cidrs=[Unknown("var.cidr")])])
    inv = Inventory(
        functions=[fn("worker", vpc=VpcConfig(security_group_ids=["sg-1", "sg-2"]))],
        security_groups=[g1, g2],
    )
    findings = run(inv, "FTR-NET-003")
    assert [f.status for f in findings] == [Status.UNKNOWN, Status.UNKNOWN]
    assert "module output" in findings[0].message and "var.cidr" in findings[1].message


def test_net003_groups_not_attached_to_functions_are_skipped() -> None:
    unused = group("sg-unused", egress=[SecurityGroupRule(protocol="-1", cidrs=["0.0.0.0/0"])])
    inv = Inventory(functions=[fn()], security_groups=[unused])
    assert run(inv, "FTR-NET-003") == []


def test_net004_inbound_from_anywhere_fails_with_port_range() -> None:
    ssh = SecurityGroupRule(protocol="tcp", from_port=22, to_port=22, cidrs=["0.0.0.0/0"])
    web = SecurityGroupRule(protocol="tcp", from_port=8000, to_port=8080, cidrs=["::/0"])
    f = one(run(_with_group(group("sg-1", ingress=[ssh, web])), "FTR-NET-004"))
    assert f.status is Status.FAIL
    assert "tcp port 22 from 0.0.0.0/0" in f.message
    assert "tcp ports 8000-8080 from ::/0" in f.message
    assert f.evidence["open"][0] == {"cidr": "0.0.0.0/0", "ports": "tcp port 22"}


def test_net004_inbound_from_private_range_or_group_passes() -> None:
    rules = [
        SecurityGroupRule(protocol="tcp", from_port=5432, to_port=5432, cidrs=["10.0.0.0/16"]),
        SecurityGroupRule(protocol="-1", source_groups=["sg-app"]),
    ]
    f = one(run(_with_group(group("sg-1", ingress=rules)), "FTR-NET-004"))
    assert f.status is Status.PASS


def test_net004_unknown_ingress_is_unknown() -> None:
    f = one(run(_with_group(group("sg-1", ingress=Unknown("AccessDenied"))), "FTR-NET-004"))
    assert f.status is Status.UNKNOWN
    assert "AccessDenied" in f.message


def test_network_rule_metadata_is_complete() -> None:
    for rid in ("FTR-NET-001", "FTR-NET-002", "FTR-NET-003", "FTR-NET-004"):
        (r,) = [x for x in engine._REGISTRY.values() if x.meta.id == rid]
        assert r.meta.rationale and r.meta.remediation and r.meta.controls
        assert set(r.meta.snippets) <= {"cli", "cloudformation", "terraform"}
    (net2,) = [x for x in engine._REGISTRY.values() if x.meta.id == "FTR-NET-002"]
    assert net2.meta.references["securityhub"] == ["Lambda.5"]


def test_net002_wrong_typed_zone_is_unknown_not_a_crash() -> None:
    """Found by the fuzz suite: a template's AvailabilityZone of 1.5 next to a real name made
    ``sorted(zones)`` raise (internal error)."""
    inv = Inventory(
        functions=[fn(vpc=VpcConfig(subnet_ids=["subnet-a", "subnet-b"]))],
        subnets=[subnet("subnet-a", "us-east-1a"), subnet("subnet-b", 1.5)],
    )
    f = one(run(inv, "FTR-NET-002"))
    assert f.status is Status.UNKNOWN
    assert "subnet-b is not a name: 1.5" in f.message
