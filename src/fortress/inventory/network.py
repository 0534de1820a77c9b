"""VPC network: security groups, network ACLs, subnets."""

from __future__ import annotations

from dataclasses import dataclass, field

from fortress.inventory.values import Maybe, Origin, Unknown

# --------------------------------------------------------------------------- network


@dataclass
class SecurityGroupRule:
    protocol: str  # "-1" for all
    from_port: int | None = None
    to_port: int | None = None
    cidrs: list[Maybe[str]] = field(default_factory=list)  # IPv4 and IPv6
    source_groups: list[str] = field(default_factory=list)
    prefix_lists: list[str] = field(default_factory=list)


@dataclass
class SecurityGroup:
    id: str
    name: str
    origin: Origin
    vpc_id: str | None = None
    ingress: list[SecurityGroupRule] | Unknown = field(default_factory=list)
    egress: list[SecurityGroupRule] | Unknown = field(default_factory=list)


@dataclass
class NetworkAclEntry:
    """An inbound entry (numbered rule) of a network ACL."""

    rule_number: Maybe[int]
    action: Maybe[str]  # "allow" | "deny"
    protocol: str = "-1"  # "-1" for all, else the protocol number or name
    cidr: Maybe[str] | None = None  # IPv4 or IPv6 block
    from_port: int | None = None
    to_port: int | None = None


@dataclass
class Subnet:
    id: str
    origin: Origin
    vpc_id: str | None = None
    availability_zone: Maybe[str] | None = None
    # The route table in effect (an explicit association, else the VPC's main table) and the
    # routes it sends to an internet gateway ("0.0.0.0/0 -> igw-1"); None: not collected.
    route_table_id: Maybe[str] | None = None
    route_table_main: bool = False
    internet_routes: list[str] | Unknown | None = None
    # The network ACL in effect (an explicit association, else the VPC's default ACL) and its
    # inbound entries; None: not collected.
    network_acl_id: Maybe[str] | None = None
    network_acl_default: bool = False
    acl_ingress: list[NetworkAclEntry] | Unknown | None = None
