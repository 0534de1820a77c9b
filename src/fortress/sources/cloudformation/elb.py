"""Elastic Load Balancing v2 resources → the load balancers and target groups of the Inventory.

``AWS::ElasticLoadBalancingV2::LoadBalancer`` (Scheme, default ``internet-facing``),
``::Listener`` (DefaultActions), ``::ListenerRule`` (Actions, Priority) and ``::TargetGroup``
(TargetType, Targets). A listener whose load balancer is not in the template hangs off a
placeholder load balancer of unknown scheme and a rule whose listener is not in the template is
recorded on the target groups it forwards to (:mod:`fortress.sources.elb_links`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fortress.inventory import (
    LbAction,
    LbListener,
    LbRule,
    LoadBalancer,
    TargetGroup,
    Unknown,
)
from fortress.sources.cloudformation.model import as_list, str_or_unknown
from fortress.sources.elb_links import Links

if TYPE_CHECKING:
    from fortress.sources.cloudformation.builder import Builder

PREFIX = "AWS::ElasticLoadBalancingV2::"
_KINDS = {
    "LoadBalancer": "loadbalancer/app",
    "Listener": "listener/app",
    "ListenerRule": "listener-rule/app",
    "TargetGroup": "targetgroup",
}


def register_identities(b: Builder) -> None:
    """``!Ref`` of each ELB resource is its ARN (a placeholder built on the logical id)."""
    for kind, part in _KINDS.items():
        for res in b.of_type(PREFIX + kind):
            name = b.physical_name(res, "Name") if kind in ("LoadBalancer", "TargetGroup") else None
            arn = b.arn("elasticloadbalancing", f"{part}/{name or res.logical_id}/{res.logical_id}")
            b.resolver.refs[res.logical_id] = arn
            if kind == "LoadBalancer":
                b.resolver.attrs[(res.logical_id, "LoadBalancerArn")] = arn
            elif kind == "TargetGroup":
                b.resolver.attrs[(res.logical_id, "TargetGroupArn")] = arn
            elif kind == "Listener":
                b.resolver.attrs[(res.logical_id, "ListenerArn")] = arn


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def actions(value: Any) -> list[LbAction] | Unknown:
    """A DefaultActions/Actions list; each forward names its group(s) either way ELB allows."""
    if isinstance(value, Unknown):
        return value
    out: list[LbAction] = []
    for raw in as_list(value):
        if isinstance(raw, Unknown):
            return raw
        if not isinstance(raw, Mapping):
            return Unknown("an action that is not a mapping")
        groups: list[str | Unknown] = []
        if raw.get("TargetGroupArn") is not None:
            groups.append(str_or_unknown(raw["TargetGroupArn"]))
        forward = raw.get("ForwardConfig")
        if isinstance(forward, Mapping):
            for item in as_list(forward.get("TargetGroups")):
                if isinstance(item, Mapping) and item.get("TargetGroupArn") is not None:
                    groups.append(str_or_unknown(item["TargetGroupArn"]))
        order = raw.get("Order")
        kind = raw.get("Type", Unknown("an action without Type"))
        out.append(
            LbAction(
                type=kind.lower() if isinstance(kind, str) else str_or_unknown(kind),
                target_groups=groups,
                order=_int(order),
            )
        )
    return out


def build_load_balancers(b: Builder) -> None:
    links = Links()
    for res in b.of_type(PREFIX + "TargetGroup"):
        ids: list[str | Unknown] = []
        for target in as_list(b.prop(res, "Targets", [])):
            if isinstance(target, Mapping) and target.get("Id") is not None:
                ids.append(str_or_unknown(target["Id"]))
            elif isinstance(target, Unknown):
                ids.append(target)
        group = TargetGroup(
            arn=str(b.resolver.refs[res.logical_id]),
            name=b.name_of(res, "Name"),
            origin=res.origin,
            target_type=str_or_unknown(b.prop(res, "TargetType", "instance")),
            function_arns=ids,
        )
        links.groups[group.arn] = group
    for res in b.of_type(PREFIX + "LoadBalancer"):
        kind = b.prop(res, "Type", "application")
        lb = LoadBalancer(
            arn=str(b.resolver.refs[res.logical_id]),
            name=b.name_of(res, "Name"),
            origin=res.origin,
            type=kind if isinstance(kind, str) else "application",
            scheme=str_or_unknown(b.prop(res, "Scheme", "internet-facing")),
        )
        links.balancers[lb.arn] = lb
    for res in b.of_type(PREFIX + "Listener"):
        protocol = b.prop(res, "Protocol")
        listener = LbListener(
            arn=str(b.resolver.refs[res.logical_id]),
            origin=res.origin,
            port=_int(b.prop(res, "Port")),
            protocol=protocol if isinstance(protocol, str) else None,
            rules=[
                LbRule("default", actions(b.prop(res, "DefaultActions", [])), origin=res.origin)
            ],
        )
        links.add_listener(listener, _ref(b.prop(res, "LoadBalancerArn")))
    for res in b.of_type(PREFIX + "ListenerRule"):
        priority = b.prop(res, "Priority")
        rule = LbRule(
            priority=str(priority) if isinstance(priority, (int, str)) else "?",
            actions=actions(b.prop(res, "Actions", [])),
            arn=str(b.resolver.refs[res.logical_id]),
            origin=res.origin,
        )
        links.add_rule(rule, _ref(b.prop(res, "ListenerArn")), f"{res.logical_id} (unresolved)")
    balancers, groups = links.result()
    b.inv.load_balancers.extend(balancers)
    b.inv.target_groups.extend(groups)


def _ref(value: Any) -> str | None:
    return value if isinstance(value, str) else None
