"""Elastic Load Balancing v2 resources → the load balancers and target groups of the Inventory.

``AWS::ElasticLoadBalancingV2::LoadBalancer`` (Scheme, default ``internet-facing``),
``::Listener`` (DefaultActions), ``::ListenerRule`` (Actions, Priority) and ``::TargetGroup``
(TargetType, Targets). A listener whose load balancer is not in the template hangs off a
placeholder load balancer of unknown scheme; a rule whose listener is not in the template is
recorded on the target groups it forwards to (``outside_listeners``), so the rule says unknown.
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
    groups: dict[str, TargetGroup] = {}
    for res in b.of_type(PREFIX + "TargetGroup"):
        arn = str(b.resolver.refs[res.logical_id])
        target_type = b.prop(res, "TargetType", "instance")
        ids: list[str | Unknown] = []
        for target in as_list(b.prop(res, "Targets", [])):
            if isinstance(target, Mapping) and target.get("Id") is not None:
                ids.append(str_or_unknown(target["Id"]))
            elif isinstance(target, Unknown):
                ids.append(target)
        group = TargetGroup(
            arn=arn,
            name=b.name_of(res, "Name"),
            origin=res.origin,
            target_type=str_or_unknown(target_type),
            function_arns=ids,
        )
        groups[arn] = group
    balancers: dict[str, LoadBalancer] = {}
    for res in b.of_type(PREFIX + "LoadBalancer"):
        arn = str(b.resolver.refs[res.logical_id])
        scheme = b.prop(res, "Scheme", "internet-facing")
        kind = b.prop(res, "Type", "application")
        balancers[arn] = LoadBalancer(
            arn=arn,
            name=b.name_of(res, "Name"),
            origin=res.origin,
            type=kind if isinstance(kind, str) else "application",
            scheme=str_or_unknown(scheme),
        )
    listeners: dict[str, LbListener] = {}
    for res in b.of_type(PREFIX + "Listener"):
        arn = str(b.resolver.refs[res.logical_id])
        lb_ref = b.prop(res, "LoadBalancerArn")
        lb = balancers.get(lb_ref) if isinstance(lb_ref, str) else None
        if lb is None:  # a load balancer of another stack (a parameter, an imported ARN)
            shown = lb_ref if isinstance(lb_ref, str) else "an unresolved ARN"
            lb = balancers.setdefault(
                f"{arn}#lb",
                LoadBalancer(
                    arn=shown,
                    name=shown,
                    origin=res.origin,
                    scheme=Unknown(f"load balancer {shown} is not declared in the scanned files"),
                ),
            )
        port = b.prop(res, "Port")
        protocol = b.prop(res, "Protocol")
        listener = LbListener(
            arn=arn,
            origin=res.origin,
            port=_int(port),
            protocol=protocol if isinstance(protocol, str) else None,
            rules=[
                LbRule("default", actions(b.prop(res, "DefaultActions", [])), origin=res.origin)
            ],
        )
        lb.listeners.append(listener)
        listeners[arn] = listener
    for res in b.of_type(PREFIX + "ListenerRule"):
        found = actions(b.prop(res, "Actions", []))
        priority = b.prop(res, "Priority")
        made = LbRule(
            priority=str(priority) if isinstance(priority, (int, str)) else "?",
            actions=found,
            arn=str(b.resolver.refs[res.logical_id]),
            origin=res.origin,
        )
        ref = b.prop(res, "ListenerArn")
        owner = listeners.get(ref) if isinstance(ref, str) else None
        if owner is not None:
            owner.rules.append(made)
            continue
        shown = ref if isinstance(ref, str) else f"of {res.logical_id} (unresolved)"
        for action in found if isinstance(found, list) else []:
            for group_arn in action.target_groups:
                if isinstance(group_arn, str) and group_arn in groups:
                    groups[group_arn].outside_listeners.append(shown)
    b.inv.target_groups.extend(groups.values())
    b.inv.load_balancers.extend(balancers.values())
