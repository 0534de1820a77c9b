"""Live Elastic Load Balancing v2 reads → the load balancers that invoke functions.

Only what FTR-API-013 needs is read: the target groups of type ``lambda`` with their registered
functions (``DescribeTargetGroups``, ``DescribeTargetHealth``), then the load balancers those
groups serve (``DescribeLoadBalancers``), their listeners (``DescribeListeners``) and every
listener's rules, the default one included (``DescribeRules``). A region with no lambda target
group costs one call. A failed listing marks the collection as not collected; a failed read of
one load balancer's listeners or rules leaves those actions unknown.
"""

from __future__ import annotations

from typing import Any

from fortress.aws.client import AwsClient
from fortress.inventory import (
    LbAction,
    LbListener,
    LbRule,
    LoadBalancer,
    Origin,
    TargetGroup,
    Unknown,
)

SOURCE = "aws"


def action(raw: dict[str, Any]) -> LbAction:
    """One listener or rule action; a forward names its group(s) either way the API allows."""
    groups: list[str | Unknown] = []
    if raw.get("TargetGroupArn"):
        groups.append(raw["TargetGroupArn"])
    for item in (raw.get("ForwardConfig") or {}).get("TargetGroups") or []:
        arn = item.get("TargetGroupArn")
        if arn and arn not in groups:
            groups.append(arn)
    order = raw.get("Order")
    return LbAction(
        type=raw.get("Type") or Unknown("an action without Type"),
        target_groups=groups,
        order=order if isinstance(order, int) else None,
    )


class _Reader:
    def __init__(self, client: AwsClient, account: str, region: str) -> None:
        self.client, self.account, self.region = client, account, region

    def origin(self, arn: str | None) -> Origin:
        return Origin(source=SOURCE, account=self.account, region=self.region, arn=arn)

    def target_groups(self) -> tuple[list[TargetGroup], set[str]] | None:
        """The lambda target groups and the load balancers they serve; None: not readable."""
        items = self.client.paginate("elbv2", self.region, "describe_target_groups", "TargetGroups")
        if items is None:
            return None
        groups: list[TargetGroup] = []
        balancers: set[str] = set()
        for item in items:
            if item.get("TargetType") != "lambda":
                continue
            arn = item.get("TargetGroupArn", "")
            health = self.client.call(
                "elbv2", self.region, "describe_target_health", resource=arn, TargetGroupArn=arn
            )
            if health is None:
                return None  # a group whose function is not known: nothing may be concluded
            groups.append(
                TargetGroup(
                    arn=arn,
                    name=item.get("TargetGroupName") or arn,
                    origin=self.origin(arn),
                    target_type="lambda",
                    function_arns=[
                        d["Target"]["Id"]
                        for d in health.get("TargetHealthDescriptions") or []
                        if (d.get("Target") or {}).get("Id")
                    ],
                )
            )
            balancers.update(item.get("LoadBalancerArns") or [])
        return groups, balancers

    def load_balancers(self, wanted: set[str]) -> list[LoadBalancer] | None:
        items = self.client.paginate(
            "elbv2", self.region, "describe_load_balancers", "LoadBalancers"
        )
        if items is None:
            return None
        found: list[LoadBalancer] = []
        for item in items:
            arn = item.get("LoadBalancerArn", "")
            if arn not in wanted:
                continue
            lb = LoadBalancer(
                arn=arn,
                name=item.get("LoadBalancerName") or arn,
                origin=self.origin(arn),
                type=item.get("Type") or "application",
                scheme=item.get("Scheme") or Unknown("the load balancer has no Scheme"),
            )
            lb.listeners = self.listeners(lb)
            found.append(lb)
        return found

    def listeners(self, lb: LoadBalancer) -> list[LbListener]:
        items = self.client.paginate(
            "elbv2",
            self.region,
            "describe_listeners",
            "Listeners",
            resource=lb.arn,
            LoadBalancerArn=lb.arn,
        )
        if items is None:
            why = Unknown("its listeners could not be read")
            return [LbListener(arn=f"{lb.arn}/?", origin=lb.origin, rules=[LbRule("?", why)])]
        out: list[LbListener] = []
        for item in items:
            arn = item.get("ListenerArn", "")
            listener = LbListener(
                arn=arn,
                origin=self.origin(arn),
                port=item.get("Port"),
                protocol=item.get("Protocol"),
            )
            rules = self.client.paginate(
                "elbv2", self.region, "describe_rules", "Rules", resource=arn, ListenerArn=arn
            )
            if rules is None:  # the default actions are still known from the listener
                listener.rules = [
                    LbRule("default", [action(a) for a in item.get("DefaultActions") or []]),
                    LbRule("?", Unknown("the listener's rules could not be read")),
                ]
            else:
                listener.rules = [
                    LbRule(
                        priority=str(r.get("Priority", "?")),
                        actions=[action(a) for a in r.get("Actions") or []],
                        arn=r.get("RuleArn"),
                        origin=self.origin(r.get("RuleArn")),
                    )
                    for r in rules
                ]
            out.append(listener)
        return out


def collect(
    client: AwsClient, account: str, region: str
) -> tuple[list[LoadBalancer], list[TargetGroup]] | None:
    """The lambda target groups of a region and the load balancers serving them; None when
    they could not be read (the collection is then not collected)."""
    reader = _Reader(client, account, region)
    found = reader.target_groups()
    if found is None:
        return None
    groups, wanted = found
    if not groups:
        return [], []
    balancers = reader.load_balancers(wanted)
    if balancers is None:
        return None
    return balancers, groups
