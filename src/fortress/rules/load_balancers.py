"""API-security rule on Application Load Balancers: a function that an internet-facing ALB
forwards requests to with no authentication action in front.

Rules read only the Inventory (through the object handed in and the engine Context).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fortress.findings import Practice, Severity
from fortress.inventory import (
    COLLECTION_LOAD_BALANCERS,
    Function,
    LbAction,
    LbListener,
    LbRule,
    LoadBalancer,
    TargetGroup,
    Unknown,
    unqualified_arn,
)
from fortress.rules.api_exposure import _why
from fortress.rules.engine import Context, Verdict, rule

AUTHENTICATE = ("authenticate-cognito", "authenticate-oidc")


@dataclass(frozen=True)
class Path:
    """One way in: a listener rule of a load balancer that forwards to a function's group."""

    lb: LoadBalancer
    listener: LbListener
    rule: LbRule
    group: TargetGroup

    @property
    def label(self) -> str:
        port, protocol = self.listener.port, self.listener.protocol
        where = (
            f"{protocol}:{port}"
            if isinstance(port, int) and isinstance(protocol, str)
            else self.listener.arn.rsplit("/", 1)[-1]
        )
        which = (
            "default action" if self.rule.priority == "default" else f"rule {self.rule.priority}"
        )
        return f"{self.lb.name} listener {where} ({which})"

    def evidence(self) -> dict[str, Any]:
        origin = self.rule.origin or self.listener.origin
        return {
            "load_balancer": self.lb.arn,
            "scheme": self.lb.scheme if isinstance(self.lb.scheme, str) else None,
            "listener": self.listener.arn,
            "rule": self.rule.priority,
            "target_group": self.group.arn,
            **({"file": origin.file, "line": origin.line} if origin.file else {}),
        }


def _targets(group: TargetGroup, fn: Function) -> bool:
    names = {fn.arn, fn.name}
    return any(isinstance(a, str) and unqualified_arn(a) in names for a in group.function_arns)


def _ordered(actions: list[LbAction]) -> list[LbAction]:
    """Actions in the order the load balancer runs them (Order, else as listed)."""
    indexed = list(enumerate(actions))
    indexed.sort(key=lambda p: (p[1].order if isinstance(p[1].order, int) else p[0], p[0]))
    return [a for _, a in indexed]


def _gate(actions: list[LbAction], group_arn: str) -> str | Unknown | None:
    """The authentication action run before the forward to ``group_arn`` (None: none; the
    empty string: this rule does not forward there)."""
    for action in _ordered(actions):
        if isinstance(action.type, Unknown):
            return action.type
        if action.type in AUTHENTICATE:
            return action.type
        if action.type == "forward" and group_arn in action.target_groups:
            return None
        if action.type == "forward" and any(isinstance(t, Unknown) for t in action.target_groups):
            return Unknown("a forward action's target group is not resolvable")
    return ""


@dataclass
class Reach:
    open: list[Path]  # internet-facing, no authentication before the forward
    gated: list[Path]  # internet-facing, authenticated first
    internal: list[Path]
    unknown: list[str]  # why some way in cannot be judged


def _paths(ctx: Context, groups: list[TargetGroup]) -> Reach:
    found = Reach([], [], [], [])
    for lb in ctx.inventory.load_balancers:
        for listener in lb.listeners:
            for lb_rule in listener.rules:
                for group in groups:
                    if isinstance(lb_rule.actions, Unknown):
                        found.unknown.append(
                            f"actions of {Path(lb, listener, lb_rule, group).label}: "
                            f"{_why(lb_rule.actions)}"
                        )
                        break
                    gate = _gate(lb_rule.actions, group.arn)
                    if gate == "":
                        continue
                    path = Path(lb, listener, lb_rule, group)
                    if isinstance(gate, Unknown):
                        found.unknown.append(f"{path.label}: {_why(gate)}")
                    elif isinstance(lb.scheme, Unknown):
                        found.unknown.append(f"the scheme of {lb.name}: {_why(lb.scheme)}")
                    elif lb.scheme != "internet-facing":
                        found.internal.append(path)
                    elif gate is None:
                        found.open.append(path)
                    else:
                        found.gated.append(path)
    return found


@rule(
    id="FTR-API-013",
    title="Function behind an internet-facing ALB without authentication",
    target="function",
    practice=Practice.API_SECURITY,
    severity=Severity.HIGH,
    rationale="""
        A target group of type lambda makes an Application Load Balancer invoke the function
        for every request its listener rules forward there. Behind an internet-facing load
        balancer that is a public HTTP endpoint: no IAM signature, no API Gateway authorizer,
        throttling or request validation, only what the listener rule does. Unless the rule
        runs an authenticate-cognito or authenticate-oidc action before the forward, anyone
        on the internet invokes the function with its execution role.
    """,
    remediation="""
        Add an authenticate-oidc or authenticate-cognito action (Order 1) before the forward
        action of each listener rule that reaches the function, or make the load balancer
        internal (Scheme internal) and reach it through a private network, or put the
        function behind API Gateway with an authorizer. A WAF web ACL on the load balancer
        limits abuse but does not authenticate.
    """,
    snippets={
        "cloudformation": (
            "Actions:\n  - Type: authenticate-cognito\n    Order: 1\n"
            "    AuthenticateCognitoConfig: {UserPoolArn: !GetAtt Pool.Arn, "
            "UserPoolClientId: !Ref Client, UserPoolDomain: auth-example}\n"
            "  - Type: forward\n    Order: 2\n    TargetGroupArn: !Ref FunctionTargetGroup"
        ),
        "terraform": (
            'action {\n  type = "authenticate-oidc"\n  authenticate_oidc { ... }\n}\n'
            'action {\n  type             = "forward"\n'
            "  target_group_arn = aws_lb_target_group.fn.arn\n}"
        ),
    },
    references={"prowler": ["awslambda_function_not_directly_publicly_accessible_via_elbv2"]},
    controls={
        "nist-800-53-r5": ["AC-3", "AC-17", "IA-2", "SC-7"],
        "pci-dss-4.0": ["7.2.1", "8.2.1"],
    },
)
def function_behind_public_alb(fn: Function, ctx: Context) -> Verdict:
    groups = [
        g for g in ctx.inventory.target_groups if g.target_type == "lambda" and _targets(g, fn)
    ]
    if not groups:
        if ctx.not_collected(COLLECTION_LOAD_BALANCERS, fn.region):
            return Verdict.unknown(f"the load balancers of {fn.region} could not be read")
        return Verdict.not_applicable()
    reach = _paths(ctx, groups)
    if reach.open:
        labels = ", ".join(p.label for p in reach.open[:10])
        return Verdict.fail(
            f"{fn.name} is invoked by internet-facing load balancer {labels} with no "
            "authentication action before the forward",
            load_balancers=sorted({p.lb.name for p in reach.open}),
            paths=[p.evidence() for p in reach.open],
        )
    unknown = list(reach.unknown)
    outside = [lid for g in groups for lid in g.outside_listeners]
    if outside:
        unknown.append(
            f"listener {', '.join(outside)} is not declared in the scanned files, so the load "
            "balancer's scheme is unknown"
        )
    names = ", ".join(g.name for g in groups)
    if not (reach.gated or reach.internal) and fn.origin.is_template:
        unknown.append(
            f"no listener in the scanned files forwards to target group {names}; its load "
            "balancer may be declared elsewhere"
        )
    if unknown:
        return Verdict.unknown(
            f"{fn.name} is the target of a load balancer that cannot be judged: {unknown[0]}"
        )
    if reach.gated:
        labels = ", ".join(p.label for p in reach.gated[:10])
        return Verdict.passed(
            f"{fn.name} is reached through internet-facing {labels} only after authentication",
            paths=[p.evidence() for p in reach.gated],
        )
    if reach.internal:
        labels = ", ".join(p.label for p in reach.internal[:10])
        return Verdict.passed(
            f"{fn.name} is reached only through internal load balancer {labels}",
            paths=[p.evidence() for p in reach.internal],
        )
    return Verdict.passed(
        f"{fn.name} is the target of {names}, which no listener forwards to",
        target_groups=[g.arn for g in groups],
    )
