"""Network: security groups, their rules, subnets, and the route tables and network ACLs in
effect for each subnet."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fortress.inventory import (
    NetworkAclEntry,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    Unknown,
)
from fortress.sources.cloudformation.model import (
    as_list,
    opt_int,
    opt_str,
    str_or_unknown,
    to_bool,
    to_int,
)

if TYPE_CHECKING:
    from fortress.sources.cloudformation.builder import Builder


def build_network(b: Builder) -> None:
    groups: dict[str, SecurityGroup] = {}
    for res in b.of_type("AWS::EC2::SecurityGroup"):
        group = SecurityGroup(
            id=b.resolver.refs[res.logical_id],
            name=b.name_of(res, "GroupName"),
            origin=res.origin,
            vpc_id=opt_str(b.prop(res, "VpcId")),
        )
        group.ingress = _sg_rules(b, b.prop(res, "SecurityGroupIngress", []), "Source")
        egress = b.prop(res, "SecurityGroupEgress")
        # Without SecurityGroupEgress, EC2 keeps its default allow-all egress rule.
        group.egress = (
            [SecurityGroupRule(protocol="-1", cidrs=["0.0.0.0/0"])]
            if egress is None
            else _sg_rules(b, egress, "Destination")
        )
        groups[group.id] = group
        b.inv.security_groups.append(group)
    for res in b.of_type("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
        target = b.prop(res, "GroupId")
        owner = groups.get(target) if isinstance(target, str) else None
        if owner is None:
            continue
        ingress = res.type.endswith("Ingress")
        rules = _sg_rules(b, [res.props], "Source" if ingress else "Destination")
        current = owner.ingress if ingress else owner.egress
        if isinstance(current, list) and isinstance(rules, list):
            current.extend(rules)
    for res in b.of_type("AWS::EC2::Subnet"):
        b.inv.subnets.append(
            Subnet(
                id=b.resolver.refs[res.logical_id],
                origin=res.origin,
                vpc_id=opt_str(b.prop(res, "VpcId")),
                availability_zone=b.prop(
                    res, "AvailabilityZone", Unknown("no AvailabilityZone: EC2 picks one")
                ),
            )
        )


def _sg_rules(b: Builder, raw: Any, side: str) -> list[SecurityGroupRule] | Unknown:
    entries = (
        b.r(raw) if not isinstance(raw, list) or (raw and not isinstance(raw[0], Mapping)) else raw
    )
    if isinstance(entries, Unknown):
        return entries
    rules: list[SecurityGroupRule] = []
    for entry in as_list(entries):
        if not isinstance(entry, Mapping):
            continue
        entry = b.r(entry)
        protocol = entry.get("IpProtocol", "-1")
        rule = SecurityGroupRule(
            protocol=str(protocol) if not isinstance(protocol, Unknown) else "-1",
            from_port=opt_int(entry.get("FromPort")),
            to_port=opt_int(entry.get("ToPort")),
        )
        for key in ("CidrIp", "CidrIpv6"):
            if key in entry:
                rule.cidrs.append(entry[key])
        group = entry.get(f"{side}SecurityGroupId")
        if isinstance(group, str):
            rule.source_groups.append(group)
        prefix = entry.get(f"{side}PrefixListId")
        if isinstance(prefix, str):
            rule.prefix_lists.append(prefix)
        rules.append(rule)
    return rules


# --------------------------------------------------------------------------- routing


def default_acl_id(vpc_id: str) -> str:
    """What stands for a declared VPC's default network ACL (``GetAtt Vpc.DefaultNetworkAcl``)."""
    return f"{vpc_id}/default-network-acl"


def _is_igw(gateway: Any, gateways: set[str]) -> bool:
    return isinstance(gateway, str) and (gateway in gateways or gateway.startswith("igw-"))


def build_routing(b: Builder) -> None:
    """Route tables and network ACLs in effect for each declared subnet.

    A subnet without an association uses its VPC's main route table and default network ACL:
    when the VPC is declared in the template, those are what EC2 creates (the main table routes
    only inside the VPC; the default ACL allows all traffic, plus any entries the template adds
    through ``GetAtt Vpc.DefaultNetworkAcl``); otherwise they are unknown.
    """
    subnets = b.inv.subnets
    if not subnets:
        return
    vpcs = {b.resolver.refs[r.logical_id] for r in b.of_type("AWS::EC2::VPC")}
    gateways = {b.resolver.refs[r.logical_id] for r in b.of_type("AWS::EC2::InternetGateway")}
    tables = {b.resolver.refs[r.logical_id] for r in b.of_type("AWS::EC2::RouteTable")}
    acls = {b.resolver.refs[r.logical_id] for r in b.of_type("AWS::EC2::NetworkAcl")}
    acls |= {default_acl_id(v) for v in vpcs}
    routes: dict[str, list[str]] = {}
    unknown_routes: dict[str, str] = {}
    for res in b.of_type("AWS::EC2::Route"):
        table = b.prop(res, "RouteTableId")
        if not isinstance(table, str):
            continue
        gateway = b.prop(res, "GatewayId")
        if isinstance(gateway, Unknown):
            unknown_routes.setdefault(table, f"GatewayId of {res.logical_id}: {gateway.reason}")
        elif _is_igw(gateway, gateways):
            dest = b.prop(res, "DestinationCidrBlock") or b.prop(res, "DestinationIpv6CidrBlock")
            shown = dest if isinstance(dest, str) else "?"
            routes.setdefault(table, []).append(f"{shown} -> {gateway}")
    table_of: dict[str, Any] = {}
    for res in b.of_type("AWS::EC2::SubnetRouteTableAssociation"):
        subnet = b.prop(res, "SubnetId")
        if isinstance(subnet, str):
            table_of[subnet] = b.prop(res, "RouteTableId")
    entries: dict[str, list[NetworkAclEntry]] = {
        default_acl_id(v): [NetworkAclEntry(100, "allow", "-1", "0.0.0.0/0")] for v in vpcs
    }
    for res in b.of_type("AWS::EC2::NetworkAclEntry"):
        acl = b.prop(res, "NetworkAclId")
        if not isinstance(acl, str) or to_bool(b.prop(res, "Egress", False)) is not False:
            continue
        ports = b.prop(res, "PortRange")
        ports = ports if isinstance(ports, Mapping) else {}
        protocol = b.prop(res, "Protocol", "-1")
        cidr = b.prop(res, "CidrBlock")
        entries.setdefault(acl, []).append(
            NetworkAclEntry(
                rule_number=to_int(b.prop(res, "RuleNumber", Unknown("no RuleNumber"))),
                action=str_or_unknown(b.prop(res, "RuleAction", Unknown("no RuleAction"))),
                protocol=str(protocol) if not isinstance(protocol, Unknown) else "-1",
                cidr=cidr if cidr is not None else b.prop(res, "Ipv6CidrBlock"),
                from_port=opt_int(b.r(ports.get("From"))),
                to_port=opt_int(b.r(ports.get("To"))),
            )
        )
    acl_of: dict[str, Any] = {}
    for res in b.of_type("AWS::EC2::SubnetNetworkAclAssociation"):
        subnet = b.prop(res, "SubnetId")
        if isinstance(subnet, str):
            acl_of[subnet] = b.prop(res, "NetworkAclId")
    for subnet in subnets:
        vpc_known = subnet.vpc_id in vpcs
        _route_subnet(subnet, table_of, tables, routes, unknown_routes, vpc_known)
        _acl_subnet(subnet, acl_of, acls, entries, vpc_known)


def _route_subnet(
    subnet: Subnet,
    table_of: dict[str, Any],
    tables: set[str],
    routes: dict[str, list[str]],
    unknown_routes: dict[str, str],
    vpc_known: bool,
) -> None:
    if subnet.id not in table_of:
        subnet.route_table_main = True
        if vpc_known:
            subnet.route_table_id = f"{subnet.vpc_id}/main-route-table"
            subnet.internet_routes = []
        else:
            subnet.internet_routes = Unknown(
                "no route table association in the template, and its "
                f"VPC ({subnet.vpc_id or 'not named'}) is not declared there: the main route "
                "table's routes are unknown"
            )
        return
    table = table_of[subnet.id]
    if isinstance(table, Unknown):
        subnet.route_table_id = table
        subnet.internet_routes = Unknown(f"the route table of {subnet.id}: {table.reason}")
    elif not isinstance(table, str) or table not in tables:
        subnet.route_table_id = table if isinstance(table, str) else None
        subnet.internet_routes = Unknown(
            f"route table {table!s} of subnet {subnet.id} is not declared in the template"
        )
    else:
        subnet.route_table_id = table
        found = routes.get(table, [])
        subnet.internet_routes = (
            found if found or table not in unknown_routes else Unknown(unknown_routes[table])
        )


def _acl_subnet(
    subnet: Subnet,
    acl_of: dict[str, Any],
    acls: set[str],
    entries: dict[str, list[NetworkAclEntry]],
    vpc_known: bool,
) -> None:
    acl = acl_of.get(subnet.id)
    if subnet.id not in acl_of:
        if not vpc_known or subnet.vpc_id is None:
            subnet.acl_ingress = Unknown(
                "no network ACL association in the template, and its "
                f"VPC ({subnet.vpc_id or 'not named'}) is not declared there: its default "
                "network ACL is unknown"
            )
            return
        acl = default_acl_id(subnet.vpc_id)
        subnet.network_acl_default = True
    if isinstance(acl, Unknown):
        subnet.acl_ingress = Unknown(f"the network ACL of {subnet.id}: {acl.reason}")
    elif not isinstance(acl, str) or acl not in acls:
        subnet.network_acl_id = acl if isinstance(acl, str) else None
        subnet.acl_ingress = Unknown(
            f"network ACL {acl!s} of subnet {subnet.id} is not declared in the template"
        )
    else:
        subnet.network_acl_id = acl
        subnet.acl_ingress = list(entries.get(acl, []))
