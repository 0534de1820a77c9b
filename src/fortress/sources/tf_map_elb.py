"""Terraform Elastic Load Balancing v2 resources → the load balancers and lambda target groups
of the inventory, as part of the mapper.

``aws_lb``/``aws_alb`` (``internal`` defaults to false: internet-facing), ``aws_lb_listener``
(``default_action``), ``aws_lb_listener_rule`` (``action``), ``aws_lb_target_group``
(``target_type``) and ``aws_lb_target_group_attachment`` (``target_id``: the function). The
``aws_alb_*`` spellings are the same resources. What the files do not declare stays unknown
(:mod:`fortress.sources.elb_links`).
"""

from __future__ import annotations

from typing import Any

from fortress.inventory import (
    LbAction,
    LbListener,
    LbRule,
    LoadBalancer,
    TargetGroup,
    Unknown,
)
from fortress.sources.elb_links import Links
from fortress.sources.tf_attrs import Obj, Res, blocks_of, bool_of, first_block, int_of, str_of
from fortress.sources.tf_map_base import MapperBase


def _types(kind: str) -> tuple[str, str]:
    return f"aws_lb{kind}", f"aws_alb{kind}"


def _key(value: Any) -> str | None:
    text = str_of(value)
    return text if isinstance(text, str) else None


def _actions(blocks: list[Obj]) -> list[LbAction]:
    out: list[LbAction] = []
    for block in blocks:
        groups: list[str | Unknown] = []
        arn = str_of(block.get("target_group_arn"))
        if arn is not None:
            groups.append(arn)
        forward = first_block(block, "forward")
        for item in blocks_of(forward, "target_group") if forward is not None else []:
            weighted = str_of(item.get("arn"))
            if weighted is not None:
                groups.append(weighted)
        kind = str_of(block.get("type"))
        order = int_of(block.get("order"), None)
        out.append(
            LbAction(
                type=kind if kind is not None else Unknown("an action without type"),
                target_groups=groups,
                order=order if isinstance(order, int) else None,
            )
        )
    return out


class ElbMapper(MapperBase):
    def _load_balancers(self) -> None:
        links = Links()
        for r in self.each(*_types("_target_group")):
            name = str_of(r.get("name"))
            target_type = str_of(r.get("target_type"))
            group = TargetGroup(
                arn=str(r.attr("arn")),
                name=name if isinstance(name, str) else r.address,
                origin=r.origin,
                target_type="instance" if target_type is None else target_type,
            )
            links.groups[group.arn] = group
        for r in self.each(*_types("_target_group_attachment")):
            attached = links.groups.get(_key(r.get("target_group_arn")) or "")
            if attached is not None:
                target = str_of(r.get("target_id"))
                attached.function_arns.append(
                    target if target is not None else Unknown("target_id is not set")
                )
        for r in self.each("aws_lb", "aws_alb"):
            links.balancers[str(r.attr("arn"))] = _balancer(r)
        for r in self.each(*_types("_listener")):
            port, protocol = int_of(r.get("port"), None), str_of(r.get("protocol"))
            listener = LbListener(
                arn=str(r.attr("arn")),
                origin=r.origin,
                port=port if isinstance(port, int) else None,
                protocol=protocol if isinstance(protocol, str) else None,
                rules=[
                    LbRule("default", _actions(blocks_of(r, "default_action")), origin=r.origin)
                ],
            )
            links.add_listener(listener, _key(r.get("load_balancer_arn")))
        for r in self.each(*_types("_listener_rule")):
            priority = str_of(r.get("priority"))
            rule = LbRule(
                priority=priority if isinstance(priority, str) else "?",
                actions=_actions(blocks_of(r, "action")),
                arn=str(r.attr("arn")),
                origin=r.origin,
            )
            links.add_rule(rule, _key(r.get("listener_arn")), r.address)
        balancers, groups = links.result()
        self.inv.load_balancers.extend(balancers)
        self.inv.target_groups.extend(groups)


def _balancer(r: Res) -> LoadBalancer:
    internal = bool_of(r.get("internal"), False)
    kind, name = str_of(r.get("load_balancer_type")), str_of(r.get("name"))
    return LoadBalancer(
        arn=str(r.attr("arn")),
        name=name if isinstance(name, str) else r.address,
        origin=r.origin,
        type=kind if isinstance(kind, str) else "application",
        scheme=internal
        if isinstance(internal, Unknown)
        else ("internal" if internal else "internet-facing"),
    )
