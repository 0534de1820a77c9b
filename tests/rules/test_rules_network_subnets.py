"""Public subnets (FTR-NET-005) and network ACLs (FTR-NET-006), on hand-built inventories."""

from __future__ import annotations

from typing import Any

from test_rules_network import ORIGIN, fn, one, run

from fortress.findings import Status
from fortress.inventory import Inventory, NetworkAclEntry, Subnet, Unknown, VpcConfig
from fortress.rules import engine


def subnet(sid: str, **kw: Any) -> Subnet:
    return Subnet(id=sid, origin=ORIGIN, vpc_id="vpc-1", availability_zone="us-east-1a", **kw)


def vpc_fn(*subnet_ids: Any) -> Any:
    return fn("worker", vpc=VpcConfig(subnet_ids=list(subnet_ids), security_group_ids=["sg-1"]))


def inv(*subnets: Subnet, ids: tuple[Any, ...] | None = None) -> Inventory:
    return Inventory(functions=[vpc_fn(*(ids or [s.id for s in subnets]))], subnets=list(subnets))


ALLOW_ALL = NetworkAclEntry(100, "allow", "-1", "0.0.0.0/0")
DENY_ALL = NetworkAclEntry(32767, "deny", "-1", "0.0.0.0/0")
RETURN_TRAFFIC = NetworkAclEntry(100, "allow", "6", "0.0.0.0/0", 1024, 65535)


# --------------------------------------------------------------------------- NET-005


def test_net005_subnet_routing_to_an_internet_gateway_fails() -> None:
    public = subnet("subnet-a", route_table_id="rtb-1", internet_routes=["0.0.0.0/0 -> igw-1"])
    private = subnet("subnet-b", route_table_id="rtb-2", internet_routes=[])
    f = one(run(inv(public, private), "FTR-NET-005"))
    assert f.status is Status.FAIL
    assert "subnet-a (route table rtb-1: 0.0.0.0/0 -> igw-1)" in f.message
    assert "subnet-b" not in f.message and "no internet access" in f.message
    assert f.evidence["public_subnets"] == {"subnet-a": ["0.0.0.0/0 -> igw-1"]}


def test_net005_main_route_table_is_named_as_such() -> None:
    public = subnet(
        "subnet-a", route_table_id="rtb-m", route_table_main=True, internet_routes=["::/0 -> igw-9"]
    )
    f = one(run(inv(public), "FTR-NET-005"))
    assert f.status is Status.FAIL
    assert "the VPC's main route table rtb-m" in f.message


def test_net005_private_subnets_pass() -> None:
    subnets = [subnet(s, route_table_id="rtb-2", internet_routes=[]) for s in ("sa", "sb")]
    f = one(run(inv(*subnets), "FTR-NET-005"))
    assert f.status is Status.PASS
    assert f.evidence["subnets"] == ["sa", "sb"]


def test_net005_unknown_routes_subnets_and_ids_are_unknown_never_pass() -> None:
    not_collected = subnet("subnet-a")  # internet_routes None: an older snapshot
    f = one(run(inv(not_collected), "FTR-NET-005"))
    assert f.status is Status.UNKNOWN and "was not collected" in f.message
    gap = subnet("subnet-a", internet_routes=Unknown("AccessDenied"))
    assert "AccessDenied" in one(run(inv(gap), "FTR-NET-005")).message
    f = one(run(inv(ids=("subnet-x",)), "FTR-NET-005"))
    assert f.status is Status.UNKNOWN and "not in the inventory" in f.message
    f = one(run(inv(ids=(Unknown("a parameter"),)), "FTR-NET-005"))
    assert f.status is Status.UNKNOWN and "a parameter" in f.message


def test_net005_public_subnet_fails_even_next_to_an_unknown_one() -> None:
    public = subnet("subnet-a", route_table_id="rtb-1", internet_routes=["0.0.0.0/0 -> igw-1"])
    f = one(run(inv(public, ids=("subnet-a", "subnet-x")), "FTR-NET-005"))
    assert f.status is Status.FAIL


def test_net005_006_do_not_apply_outside_a_vpc() -> None:
    assert run(Inventory(functions=[fn()]), "FTR-NET-005") == []
    assert run(Inventory(functions=[fn()]), "FTR-NET-006") == []


# --------------------------------------------------------------------------- NET-006


def test_net006_default_acl_allowing_all_fails() -> None:
    s = subnet(
        "subnet-a",
        network_acl_id="acl-1",
        network_acl_default=True,
        acl_ingress=[DENY_ALL, ALLOW_ALL],  # listed out of order: evaluated by number
    )
    f = one(run(inv(s), "FTR-NET-006"))
    assert f.status is Status.FAIL
    assert "the VPC's default network ACL acl-1: rule 100: all traffic from 0.0.0.0/0" in f.message
    assert "security groups" in f.message
    assert f.evidence["subnets"] == {"subnet-a": ["rule 100: all traffic from 0.0.0.0/0"]}


def test_net006_ipv6_allow_all_fails() -> None:
    v6 = NetworkAclEntry(101, "allow", "-1", "::/0")
    s = subnet("subnet-a", network_acl_id="acl-2", acl_ingress=[RETURN_TRAFFIC, v6])
    f = one(run(inv(s), "FTR-NET-006"))
    assert f.status is Status.FAIL and "all traffic from ::/0" in f.message


def test_net006_earlier_deny_or_narrow_allow_passes() -> None:
    deny_first = [NetworkAclEntry(90, "deny", "6", "0.0.0.0/0", 22, 22), ALLOW_ALL, DENY_ALL]
    narrow = [RETURN_TRAFFIC, NetworkAclEntry(110, "allow", "-1", "10.0.0.0/16"), DENY_ALL]
    for entries in (deny_first, narrow, []):
        s = subnet("subnet-a", network_acl_id="acl-3", acl_ingress=entries)
        f = one(run(inv(s), "FTR-NET-006"))
        assert f.status is Status.PASS, entries


def test_net006_a_later_deny_does_not_save_an_allow_all() -> None:
    entries = [ALLOW_ALL, NetworkAclEntry(200, "deny", "-1", "0.0.0.0/0")]
    s = subnet("subnet-a", network_acl_id="acl-4", acl_ingress=entries)
    assert one(run(inv(s), "FTR-NET-006")).status is Status.FAIL


def test_net006_unknown_entries_are_unknown() -> None:
    cases = [
        (Unknown("AccessDenied"), "AccessDenied"),
        (None, "was not collected"),
        ([NetworkAclEntry(Unknown("a parameter"), "allow", "-1", "0.0.0.0/0")], "a parameter"),
        ([NetworkAclEntry(100, "allow", "-1", Unknown("cidr parameter"))], "cidr parameter"),
        ([NetworkAclEntry(100, Unknown("action parameter"), "-1", "0.0.0.0/0")], "action"),
    ]
    for entries, why in cases:
        s = subnet("subnet-a", network_acl_id="acl-5", acl_ingress=entries)
        f = one(run(inv(s), "FTR-NET-006"))
        assert f.status is Status.UNKNOWN and why in f.message, (entries, f.message)


def test_net005_006_metadata() -> None:
    for rid in ("FTR-NET-005", "FTR-NET-006"):
        (r,) = [x for x in engine._REGISTRY.values() if x.meta.id == rid]
        assert r.meta.rationale and r.meta.remediation and r.meta.controls
        assert set(r.meta.snippets) == {"cli", "cloudformation", "terraform"}
    (net6,) = [x for x in engine._REGISTRY.values() if x.meta.id == "FTR-NET-006"]
    assert net6.meta.severity.label == "low"
    assert net6.meta.references["checkov"] == ["CKV_AWS_352"]
