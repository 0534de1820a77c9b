"""Live route tables and network ACLs → the routing facts of the inventory's subnets.

Pure functions over the EC2 answers (``DescribeRouteTables``, ``DescribeNetworkAcls``): the
live source lists them for the VPCs of the functions' subnets and hands them here.
"""

from __future__ import annotations

from typing import Any

from fortress.inventory import NetworkAclEntry, Subnet, Unknown


def internet_routes(routes: list[dict[str, Any]]) -> list[str]:
    """Routes whose target is an internet gateway ("0.0.0.0/0 -> igw-1"), blackholes left out."""
    out: list[str] = []
    for route in routes:
        gateway = route.get("GatewayId")
        if not isinstance(gateway, str) or not gateway.startswith("igw-"):
            continue
        if route.get("State") == "blackhole":
            continue
        destination = (
            route.get("DestinationCidrBlock")
            or route.get("DestinationIpv6CidrBlock")
            or route.get("DestinationPrefixListId")
            or "?"
        )
        out.append(f"{destination} -> {gateway}")
    return out


def apply_route_tables(subnets: list[Subnet], tables: list[dict[str, Any]] | None) -> None:
    """Set each subnet's route table (explicit association, else its VPC's main table)."""
    if tables is None:
        for subnet in subnets:
            subnet.internet_routes = Unknown("the route tables could not be read")
        return
    explicit: dict[str, dict[str, Any]] = {}
    main: dict[str, dict[str, Any]] = {}
    for rt in tables:
        for assoc in rt.get("Associations") or []:
            if assoc.get("SubnetId"):
                explicit[assoc["SubnetId"]] = rt
            if assoc.get("Main") and rt.get("VpcId"):
                main[rt["VpcId"]] = rt
    for subnet in subnets:
        table: dict[str, Any] | None = explicit.get(subnet.id)
        subnet.route_table_main = table is None
        if table is None and subnet.vpc_id:
            table = main.get(subnet.vpc_id)
        if table is None:
            subnet.internet_routes = Unknown(
                "neither its route table nor its VPC's main route table was listed"
            )
            continue
        subnet.route_table_id = table.get("RouteTableId")
        subnet.internet_routes = internet_routes(table.get("Routes") or [])


def acl_entry(entry: dict[str, Any]) -> NetworkAclEntry:
    ports = entry.get("PortRange") or {}
    return NetworkAclEntry(
        rule_number=entry.get("RuleNumber", Unknown("no RuleNumber")),
        action=entry.get("RuleAction", Unknown("no RuleAction")),
        protocol=str(entry.get("Protocol", "-1")),
        cidr=entry.get("CidrBlock") or entry.get("Ipv6CidrBlock"),
        from_port=ports.get("From"),
        to_port=ports.get("To"),
    )


def apply_network_acls(subnets: list[Subnet], acls: list[dict[str, Any]] | None) -> None:
    """Set each subnet's network ACL (its association, else its VPC's default ACL)."""
    if acls is None:
        for subnet in subnets:
            subnet.acl_ingress = Unknown("the network ACLs could not be read")
        return
    associated: dict[str, dict[str, Any]] = {}
    default: dict[str, dict[str, Any]] = {}
    for item in acls:
        for assoc in item.get("Associations") or []:
            if assoc.get("SubnetId"):
                associated[assoc["SubnetId"]] = item
        if item.get("IsDefault") and item.get("VpcId"):
            default[item["VpcId"]] = item
    for subnet in subnets:
        acl: dict[str, Any] | None = associated.get(subnet.id)
        if acl is None and subnet.vpc_id:
            acl = default.get(subnet.vpc_id)
        if acl is None:
            subnet.acl_ingress = Unknown(
                "neither its network ACL nor its VPC's default network ACL was listed"
            )
            continue
        subnet.network_acl_id = acl.get("NetworkAclId")
        subnet.network_acl_default = bool(acl.get("IsDefault"))
        subnet.acl_ingress = [
            acl_entry(e) for e in acl.get("Entries") or [] if not e.get("Egress", False)
        ]
