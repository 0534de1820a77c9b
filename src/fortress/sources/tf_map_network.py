"""Terraform route tables and network ACLs → the routing facts of the declared subnets.

A subnet without an association uses its VPC's main route table and default network ACL. For
a VPC declared in the configuration, those are what EC2 creates (the main table routes only
inside the VPC, the default ACL allows all traffic) unless ``aws_main_route_table_association``,
``aws_default_route_table`` or ``aws_default_network_acl`` say otherwise; for any other VPC they
are unknown.
"""

from __future__ import annotations

from typing import Any

from fortress.inventory import NetworkAclEntry, Subnet, Unknown
from fortress.sources.tf_attrs import Obj, blocks_of, bool_of, int_of, str_list, str_of
from fortress.sources.tf_map_base import MapperBase

MAIN_TABLE = "/main-route-table"
DEFAULT_ACL = "/default-network-acl"


def map_routing(m: MapperBase) -> None:
    subnets = m.inv.subnets
    if not subnets:
        return
    vpcs = {r.attr("id") for r in m.each("aws_vpc")}
    routes: dict[Any, list[str]] = {}
    unknown_routes: dict[Any, str] = {}
    tables: set[Any] = set()
    for r in m.each("aws_route_table", "aws_default_route_table"):
        table = (
            r.attr("id") if r.type == "aws_route_table" else str_of(r.get("default_route_table_id"))
        )
        if not isinstance(table, str):
            continue
        tables.add(table)
        for block in blocks_of(r, "route"):
            _add_route(routes, unknown_routes, table, block, r.address)
    for r in m.each("aws_route"):
        table = str_of(r.get("route_table_id"))
        if isinstance(table, str):
            _add_route(routes, unknown_routes, table, r, r.address)
    main_of = {
        str_of(r.get("vpc_id")): str_of(r.get("route_table_id"))
        for r in m.each("aws_main_route_table_association")
    }
    table_of: dict[Any, Any] = {}
    for r in m.each("aws_route_table_association"):
        subnet = str_of(r.get("subnet_id"))
        if isinstance(subnet, str):
            table_of[subnet] = str_of(r.get("route_table_id"))
    acls: dict[Any, list[NetworkAclEntry]] = {
        f"{v}{DEFAULT_ACL}": [NetworkAclEntry(100, "allow", "-1", "0.0.0.0/0")] for v in vpcs
    }
    acl_of: dict[Any, Any] = {}
    for r in m.each("aws_network_acl", "aws_default_network_acl"):
        acl = (
            r.attr("id") if r.type == "aws_network_acl" else str_of(r.get("default_network_acl_id"))
        )
        if not isinstance(acl, str):
            continue
        # A declared ACL holds exactly its ingress blocks (aws_default_network_acl too: it
        # removes the entries it does not declare).
        acls[acl] = [_entry(b, "rule_no", "action") for b in blocks_of(r, "ingress")]
        members = str_list(r.get("subnet_ids"))
        for subnet in members if isinstance(members, list) else []:
            if isinstance(subnet, str):
                acl_of[subnet] = acl
    for r in m.each("aws_network_acl_rule"):
        acl = str_of(r.get("network_acl_id"))
        if isinstance(acl, str) and bool_of(r.get("egress"), False) is False:
            acls.setdefault(acl, []).append(_entry(r, "rule_number", "rule_action"))
    for r in m.each("aws_network_acl_association"):
        subnet = str_of(r.get("subnet_id"))
        if isinstance(subnet, str):
            acl_of[subnet] = str_of(r.get("network_acl_id"))
    for subnet in subnets:
        vpc_known = subnet.vpc_id in vpcs
        table = table_of.get(subnet.id)
        if subnet.id not in table_of:
            subnet.route_table_main = True
            table = main_of.get(subnet.vpc_id)
            if table is None and vpc_known:
                table = f"{subnet.vpc_id}{MAIN_TABLE}"
                tables.add(table)
        _route_subnet(subnet, table, tables, routes, unknown_routes)
        acl = acl_of.get(subnet.id)
        if subnet.id not in acl_of and vpc_known:
            acl = f"{subnet.vpc_id}{DEFAULT_ACL}"
            subnet.network_acl_default = True
        _acl_subnet(subnet, acl, acls)


def _add_route(
    routes: dict[Any, list[str]], unknown: dict[Any, str], table: str, obj: Obj, where: str
) -> None:
    gateway = str_of(obj.get("gateway_id"))
    if isinstance(gateway, Unknown):
        unknown.setdefault(table, f"gateway_id of {where}: {gateway.reason}")
        return
    if isinstance(gateway, str) and (
        gateway.startswith("igw-") or gateway.startswith("aws_internet_gateway.")
    ):
        dest = None
        for key in ("cidr_block", "ipv6_cidr_block", "destination_cidr_block"):
            dest = dest or str_of(obj.get(key))
        dest = dest or str_of(obj.get("destination_ipv6_cidr_block"))
        routes.setdefault(table, []).append(
            f"{dest if isinstance(dest, str) else '?'} -> {gateway}"
        )


def _entry(obj: Obj, number: str, action: str) -> NetworkAclEntry:
    proto = str_of(obj.get("protocol"))
    proto_text = proto.lower() if isinstance(proto, str) else "-1"
    lo, hi = int_of(obj.get("from_port"), None), int_of(obj.get("to_port"), None)
    cidr = obj.get("cidr_block")
    return NetworkAclEntry(
        rule_number=int_of(obj.get(number), Unknown(f"no {number}")),
        action=str_of(obj.get(action)) or Unknown(f"no {action}"),
        protocol="-1" if proto_text in ("all", "-1") else proto_text,
        cidr=str_of(cidr if cidr is not None else obj.get("ipv6_cidr_block")),
        from_port=lo if isinstance(lo, int) else None,
        to_port=hi if isinstance(hi, int) else None,
    )


def _route_subnet(
    subnet: Subnet,
    table: Any,
    tables: set[Any],
    routes: dict[Any, list[str]],
    unknown: dict[Any, str],
) -> None:
    if isinstance(table, Unknown):
        subnet.internet_routes = Unknown(f"the route table of {subnet.id}: {table.reason}")
        return
    if table is None:
        subnet.internet_routes = Unknown(
            "no route table association in the configuration, and its VPC "
            f"({subnet.vpc_id or 'not named'}) is not declared there: the main route table's "
            "routes are unknown"
        )
        return
    subnet.route_table_id = str(table)
    if table not in tables:
        subnet.internet_routes = Unknown(
            f"route table {table} of {subnet.id} is not declared in the configuration"
        )
        return
    found = routes.get(table, [])
    subnet.internet_routes = found if found or table not in unknown else Unknown(unknown[table])


def _acl_subnet(subnet: Subnet, acl: Any, acls: dict[Any, list[NetworkAclEntry]]) -> None:
    if isinstance(acl, Unknown):
        subnet.acl_ingress = Unknown(f"the network ACL of {subnet.id}: {acl.reason}")
        return
    if acl is None:
        subnet.acl_ingress = Unknown(
            "no network ACL association in the configuration, and its VPC "
            f"({subnet.vpc_id or 'not named'}) is not declared there: its default network "
            "ACL is unknown"
        )
        return
    subnet.network_acl_id = str(acl)
    if acl not in acls:
        subnet.acl_ingress = Unknown(
            f"network ACL {acl} of {subnet.id} is not declared in the configuration"
        )
        return
    subnet.acl_ingress = list(acls[acl])


__all__ = ["map_routing"]
