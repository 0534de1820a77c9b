"""Network: security groups, their rules, subnets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fortress.inventory import (
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    Unknown,
)
from fortress.sources.cloudformation.model import (
    as_list,
    opt_int,
    opt_str,
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
