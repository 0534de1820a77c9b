"""How IaC load balancers, listeners, listener rules and target groups hang together, for every
template format: a listener joins its load balancer, a rule its listener, by the reference the
file gives (an ARN placeholder, a Terraform attribute). What the files do not declare is kept
as unknown, never as safe: a listener of another stack's load balancer hangs off a placeholder
of unknown scheme; a rule of another stack's listener is recorded on the target groups it
forwards to (``TargetGroup.outside_listeners``).
"""

from __future__ import annotations

from fortress.inventory import (
    LbListener,
    LbRule,
    LoadBalancer,
    TargetGroup,
    Unknown,
)


class Links:
    """The ELB resources of one template or configuration, linked as they are read."""

    def __init__(self) -> None:
        self.groups: dict[str, TargetGroup] = {}
        self.balancers: dict[str, LoadBalancer] = {}
        self.listeners: dict[str, LbListener] = {}

    def add_listener(self, listener: LbListener, lb_ref: str | None) -> None:
        lb = self.balancers.get(lb_ref or "")
        if lb is None:  # a load balancer of another stack (a parameter, an imported ARN)
            shown = lb_ref or "an unresolved ARN"
            lb = self.balancers.setdefault(
                f"{listener.arn}#lb",
                LoadBalancer(
                    arn=shown,
                    name=shown,
                    origin=listener.origin,
                    scheme=Unknown(f"load balancer {shown} is not declared in the scanned files"),
                ),
            )
        lb.listeners.append(listener)
        self.listeners[listener.arn] = listener

    def add_rule(self, rule: LbRule, listener_ref: str | None, where: str) -> None:
        """``where`` names the rule when its listener reference does not resolve."""
        listener = self.listeners.get(listener_ref or "")
        if listener is not None:
            listener.rules.append(rule)
            return
        for action in rule.actions if isinstance(rule.actions, list) else []:
            for arn in action.target_groups:
                if isinstance(arn, str) and arn in self.groups:
                    self.groups[arn].outside_listeners.append(listener_ref or f"of {where}")

    def result(self) -> tuple[list[LoadBalancer], list[TargetGroup]]:
        return list(self.balancers.values()), list(self.groups.values())
