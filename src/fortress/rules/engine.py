"""Rule registry, metadata and the engine that turns verdicts into Findings.

A rule is one small function answering one question about one inventory object::

    @rule(id="FTR-API-001", title=..., target="function", practice=..., severity=...)
    def url_without_auth(fn: Function, ctx: Context) -> Verdict: ...

The engine picks the objects of the rule's ``target`` kind from the Inventory, calls the rule
on each, and turns each Verdict into a Finding carrying the object's origin (ARN, or file and
line in a template).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import importlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fortress.config import ScanConfig
from fortress.findings import Finding, Practice, ResourceRef, Severity, Status
from fortress.inventory import (
    Api,
    ApiStage,
    Function,
    Inventory,
    KmsKey,
    LogGroup,
    Origin,
    RegionStatus,
    Role,
    Secret,
    SecurityGroup,
    Subnet,
    Trail,
    Unknown,
    Unresolved,
)
from fortress.secrets.redact import scrub

# A finding names at most this many related functions (a role shared by a thousand).
RELATED_LIMIT = 50

# --------------------------------------------------------------------------- verdicts


@dataclass(frozen=True)
class Verdict:
    status: Status | None  # None = not applicable: no finding at all
    message: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    # The function ARNs the finding concerns (an API rule: the functions behind the routes it
    # names); None: the engine relates every function of the resource (see Context.related).
    related: tuple[str, ...] | None = None

    @classmethod
    def fail(
        cls, message: str, *, related: Iterable[Any] | None = None, **evidence: Any
    ) -> Verdict:
        return cls(Status.FAIL, message, evidence, _arns(related))

    @classmethod
    def passed(cls, message: str = "", **evidence: Any) -> Verdict:
        return cls(Status.PASS, message, evidence)

    @classmethod
    def unknown(
        cls, reason: str, *, related: Iterable[Any] | None = None, **evidence: Any
    ) -> Verdict:
        return cls(Status.UNKNOWN, reason, evidence, _arns(related))

    @classmethod
    def not_applicable(cls) -> Verdict:
        return cls(None)


def _arns(values: Iterable[Any] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    return tuple(dict.fromkeys(v for v in values if isinstance(v, str)))


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class StageTarget:
    api: Api
    stage: ApiStage


@dataclass(frozen=True)
class AccountTarget:
    account: str
    origin: Origin


TARGETS = (
    "function",
    # Every function's resource policy, and each IaC permission for a function the files do
    # not define (judged on the permission resource).
    "function_policy",
    "role",
    # Every role functions name, as they name it: the inventory's role, or one defined
    # elsewhere (an ARN string, an import or variable), standing for itself.
    "execution_role",
    # Every role of the inventory (used by a function or not) and the identity policies no
    # role carries (IaC).
    "identity",
    "layer",
    "api",
    "stage",
    "domain",
    "security_group",
    "secret",
    "region",
    "account",
)

# Rules on these targets judge the account as a whole: on templates they are skipped,
# because a template cannot show what other stacks or the account configure.
ACCOUNT_WIDE_TARGETS = frozenset({"region", "account"})


# --------------------------------------------------------------------------- metadata


@dataclass(frozen=True)
class RuleMeta:
    id: str
    title: str
    target: str
    practice: Practice
    severity: Severity
    rationale: str
    remediation: str
    snippets: dict[str, str] = field(default_factory=dict)  # "cli" | "cloudformation" | "terraform"
    references: dict[str, list[str]] = field(default_factory=dict)
    controls: dict[str, list[str]] = field(default_factory=dict)
    # Sources the rule can judge: live/snapshot unless IaC-only; templates unless account-wide.
    template: bool = True
    live: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "posture",
            "id": self.id,
            "title": self.title,
            "target": self.target,
            "practice": str(self.practice),
            "severity": self.severity.label,
            "rationale": self.rationale,
            "remediation": self.remediation,
            "snippets": dict(self.snippets),
            "references": {k: list(v) for k, v in self.references.items()},
            "controls": {k: list(v) for k, v in self.controls.items()},
            "applies_to": [
                *(["aws", "snapshot"] if self.live else []),
                *(["iac"] if self.template else []),
            ],
        }


RuleFunc = Callable[[Any, "Context"], Verdict]


@dataclass(frozen=True)
class Rule:
    meta: RuleMeta
    func: RuleFunc


_REGISTRY: dict[str, Rule] = {}

# Modules holding the rules, one per practice. Imported on first use of the registry.
RULE_MODULES = (
    "fortress.rules.least_privilege",
    "fortress.rules.takeover",
    "fortress.rules.code_integrity",
    "fortress.rules.network",
    "fortress.rules.api_exposure",
    "fortress.rules.api_boundaries",
    "fortress.rules.load_balancers",
    "fortress.rules.observability",
    "fortress.rules.log_levels",
    "fortress.rules.secrets",
    "fortress.rules.ephemerality",
    "fortress.rules.patching",
    "fortress.rules.recursion",
    "fortress.rules.governance",
    "fortress.rules.package_secrets",
    "fortress.rules.package_vulns",
    "fortress.rules.package_code",
    "fortress.rules.least_privilege_usage",
)


def rule(
    *,
    id: str,
    title: str,
    target: str,
    practice: Practice,
    severity: Severity,
    rationale: str,
    remediation: str,
    snippets: dict[str, str] | None = None,
    references: dict[str, list[str]] | None = None,
    controls: dict[str, list[str]] | None = None,
    template: bool | None = None,
    live: bool = True,
) -> Callable[[RuleFunc], RuleFunc]:
    """Register a rule. ``template=False`` keeps a rule off IaC (it needs account-wide data);
    by default rules on account-wide targets are off IaC and the others on. ``live=False``
    keeps it off live accounts and snapshots (another rule answers there)."""
    if target not in TARGETS:
        raise ValueError(f"rule {id}: unknown target {target!r}")

    def register(func: RuleFunc) -> RuleFunc:
        if id in _REGISTRY and _REGISTRY[id].func is not func:
            raise ValueError(f"duplicate rule id {id}")
        meta = RuleMeta(
            id=id,
            title=title,
            target=target,
            practice=practice,
            severity=severity,
            rationale=" ".join(rationale.split()),
            remediation=" ".join(remediation.split()),
            snippets=snippets or {},
            references=references or {},
            controls=controls or {},
            template=target not in ACCOUNT_WIDE_TARGETS if template is None else template,
            live=live,
        )
        _REGISTRY[id] = Rule(meta, func)
        return func

    return register


def all_rules() -> list[Rule]:
    for module in RULE_MODULES:
        importlib.import_module(module)
    return sorted(_REGISTRY.values(), key=lambda r: r.meta.id)


def get_rule(rule_id: str) -> Rule:
    all_rules()
    try:
        return _REGISTRY[rule_id]
    except KeyError:
        raise ValueError(f"no rule {rule_id!r}") from None


def select_rules(ids: list[str] | None = None, skip: list[str] | None = None) -> list[Rule]:
    rules = all_rules()
    known = {r.meta.id for r in rules}
    for wanted in [*(ids or []), *(skip or [])]:
        if not any(rid.startswith(wanted) for rid in known):
            raise ValueError(f"no rule matches {wanted!r}")
    if ids:
        rules = [r for r in rules if any(r.meta.id.startswith(i) for i in ids)]
    if skip:
        rules = [r for r in rules if not any(r.meta.id.startswith(s) for s in skip)]
    return rules


# --------------------------------------------------------------------------- context


T = TypeVar("T")

# Memo key parts compared by value; every other part is compared by identity. (A str key part
# can never equal an id, which is an int.)
_BY_VALUE = str


class Context:
    """The whole inventory plus indexes, handed to every rule with its object.

    A Context lives for one evaluation. Besides the fixed indexes below, it offers
    :meth:`memo`, a per-scan cache of values derived from one inventory object (a role's parsed
    policies, a resource policy's analysis) so that several rules asking the same question of
    the same object pay for the answer once.
    """

    def __init__(self, inventory: Inventory, config: ScanConfig | None = None) -> None:
        self.inventory = inventory
        self.config = config or ScanConfig()
        # (kind, ids or strings) -> (objects, value); the objects are kept so that no id is
        # reused by another object during the scan.
        self._memo: dict[tuple[str, tuple[object, ...]], tuple[tuple[object, ...], Any]] = {}
        self._targets: dict[str, list[tuple[Any, ResourceRef]]] = {}
        self._by_security_group: dict[str, list[Function]] | None = None
        self.roles: dict[str, Role] = {r.arn: r for r in inventory.roles}
        self.log_groups: dict[tuple[str | None, str], LogGroup] = {
            (g.origin.region, g.name): g for g in inventory.log_groups
        }
        self.security_groups: dict[str, SecurityGroup] = {
            g.id: g for g in inventory.security_groups
        }
        self.subnets: dict[str, Subnet] = {s.id: s for s in inventory.subnets}
        self.secrets: list[Secret] = inventory.secrets
        self.kms_keys: dict[str, KmsKey] = {}
        for key in inventory.kms_keys:
            self.kms_keys[key.arn] = key
            self.kms_keys[key.key_id] = key
            for alias in key.aliases:
                self.kms_keys[alias] = key
        self._refs_by_arn: dict[str, ResourceRef] | None = None
        self._by_layer: dict[str, list[Function]] | None = None
        self.functions_by_role: dict[str, list[Function]] = defaultdict(list)
        for fn in inventory.functions:
            role = role_key(fn)
            if role is not None:
                self.functions_by_role[role].append(fn)

    # per-scan cache ----------------------------------------------------------------------

    def memo(self, kind: str, obj: object, compute: Callable[[], T]) -> T:
        """``compute()``, cached for this scan under ``kind`` and the identity of ``obj``.

        ``obj`` is one object, or a tuple of objects meaning "these very objects": each is
        compared by identity (equal but distinct documents never share an entry), except
        strings, which are compared by value. ``compute`` must
        depend only on ``obj`` and this Context: the inventory is not modified while rules
        run, so the answer cannot change within one scan. Cached objects are kept alive for
        the scan, so an identity is never reused by another object.
        """
        parts = obj if isinstance(obj, tuple) else (obj,)
        key = (kind, tuple(p if isinstance(p, _BY_VALUE) else id(p) for p in parts))
        hit = self._memo.get(key)
        if hit is not None and all(
            a is b or isinstance(a, _BY_VALUE) for a, b in zip(hit[0], parts, strict=True)
        ):
            value: T = hit[1]
            return value
        value = compute()
        self._memo[key] = (parts, value)
        return value

    # lookups used by several rules ------------------------------------------------------

    def role_of(self, fn: Function) -> Role | None:
        return self.roles.get(fn.role_arn) if isinstance(fn.role_arn, str) else None

    def log_group_of(self, fn: Function) -> LogGroup | None:
        name = fn.effective_log_group
        if not isinstance(name, str):
            return None
        return self.log_groups.get((fn.region, name)) or self.log_groups.get((None, name))

    def functions_with_security_group(self, group_id: str) -> list[Function]:
        """Functions whose VPC config names this security group (index built once)."""
        if self._by_security_group is None:
            index: dict[str, list[Function]] = defaultdict(list)
            for fn in self.inventory.functions:
                if fn.vpc:
                    for gid in dict.fromkeys(fn.vpc.security_group_ids):
                        if isinstance(gid, str):
                            index[gid].append(fn)
            self._by_security_group = dict(index)
        return self._by_security_group.get(group_id, [])

    def related(
        self, target: str, obj: Any, explicit: tuple[str, ...] | None = None
    ) -> list[ResourceRef]:
        """The functions a finding on ``obj`` concerns: those behind an API's routes (or the
        routes the verdict named), those using a role, a layer or a security group."""
        arns: list[str]
        if explicit is not None:
            arns = list(explicit)
        elif target in ("role", "execution_role", "identity"):
            arns = [fn.arn for fn in self.functions_by_role.get(obj.arn, [])]
        elif target == "layer":
            arns = [fn.arn for fn in self._functions_by_layer().get(obj.arn, [])]
        elif target == "security_group":
            arns = [fn.arn for fn in self.functions_with_security_group(obj.id)]
        elif target in ("api", "stage"):
            api = obj.api if isinstance(obj, StageTarget) else obj
            arns = [a for r in api.routes for a in r.function_arns if isinstance(a, str)]
        else:
            return []
        if not arns:
            return []
        refs = self._function_refs()
        out: list[ResourceRef] = []
        for arn in dict.fromkeys(arns):
            unqualified = ":".join(arn.split(":")[:7])  # an alias or version ARN
            ref = refs.get(arn) or refs.get(unqualified)
            name = unqualified.rsplit(":", 1)[-1]
            out.append(ref or ResourceRef(id=arn, type="AWS::Lambda::Function", name=name))
            if len(out) >= RELATED_LIMIT:
                break
        return out

    def _function_refs(self) -> dict[str, ResourceRef]:
        if self._refs_by_arn is None:
            self._refs_by_arn = {fn.arn: ref for fn, ref in self.objects("function")}
        return self._refs_by_arn

    def _functions_by_layer(self) -> dict[str, list[Function]]:
        if self._by_layer is None:
            index: dict[str, list[Function]] = defaultdict(list)
            for fn in self.inventory.functions:
                for layer in fn.layers:
                    if isinstance(layer.arn, str):
                        index[layer.arn].append(fn)
            self._by_layer = index
        return self._by_layer

    def trails_for(self, account: str | None) -> list[Trail]:
        return [
            t
            for t in self.inventory.trails
            if account is None or t.origin.account in (None, account)
        ]

    def region_status(self, account: str | None, region: str | None) -> RegionStatus | None:
        for status in self.inventory.regions:
            if status.account == account and status.region == region:
                return status
        return None

    def not_collected(self, kind: str, region: str | None = None) -> bool:
        """True when the source could not read this collection (so absence proves nothing)."""
        missing = self.inventory.uncollected
        return kind in missing or (region is not None and f"{kind}@{region}" in missing)

    def is_trusted_account(self, account: str | None, home: str | None) -> bool:
        return account is not None and (account == home or account in self.config.trusted_accounts)

    # targets -----------------------------------------------------------------------------

    def objects(self, target: str) -> list[tuple[Any, ResourceRef]]:
        """The objects a rule of ``target`` kind judges, with their references (built once)."""
        found = self._targets.get(target)
        if found is None:
            found = self._targets[target] = list(self._iter_objects(target))
        return found

    def _iter_objects(self, target: str) -> Iterator[tuple[Any, ResourceRef]]:
        inv = self.inventory
        if target == "function":
            for fn in inv.functions:
                yield fn, _ref(fn.arn, "AWS::Lambda::Function", fn.name, fn.origin)
        elif target == "function_policy":
            yield from self.objects("function")
            for perm in inv.external_permissions:
                name = perm.origin.logical_id or perm.function
                yield (
                    perm,
                    _ref(perm.origin.arn or name, "AWS::Lambda::Permission", name, perm.origin),
                )
        elif target == "role":
            for role in inv.roles:
                if self.functions_by_role.get(role.arn):
                    yield role, _ref(role.arn, "AWS::IAM::Role", role.name, role.origin)
        elif target == "execution_role":
            yield from self.objects("role")
            for key, users in self.functions_by_role.items():
                if key not in self.roles:
                    role = outside_role(key, users[0])
                    rid = key if key.startswith("arn:") else role.name
                    yield role, _ref(rid, "AWS::IAM::Role", role.name, role.origin)
        elif target == "identity":
            for role in inv.roles:
                yield role, _ref(role.arn, "AWS::IAM::Role", role.name, role.origin)
            for policy in inv.policies:
                rid = policy.arn or policy.origin.logical_id or policy.name
                yield policy, _ref(rid, policy.kind, policy.name, policy.origin)
        elif target == "layer":
            for layer in inv.layers:
                yield layer, _ref(layer.arn, "AWS::Lambda::LayerVersion", layer.name, layer.origin)
        elif target == "api":
            for api in inv.apis:
                yield api, _ref(api.arn, _api_type(api), api.name, api.origin)
        elif target == "stage":
            for api in inv.apis:
                for stage in api.stages:
                    origin = stage.origin or api.origin
                    yield (
                        StageTarget(api, stage),
                        _ref(
                            f"{api.arn}/stages/{stage.name}",
                            _api_type(api) + ":Stage",
                            f"{api.name}/{stage.name}",
                            origin,
                        ),
                    )
        elif target == "domain":
            for domain in inv.domains:
                rtype = "AWS::ApiGateway" + ("V2" if domain.version == "v2" else "")
                yield domain, _ref(domain.arn, rtype + "::DomainName", domain.name, domain.origin)
        elif target == "security_group":
            for group in inv.security_groups:
                if self.functions_with_security_group(group.id):
                    yield group, _ref(group.id, "AWS::EC2::SecurityGroup", group.name, group.origin)
        elif target == "secret":
            for secret in inv.secrets:
                yield (
                    secret,
                    _ref(secret.arn, "AWS::SecretsManager::Secret", secret.name, secret.origin),
                )
        elif target == "region":
            for status in inv.regions:
                yield (
                    status,
                    _ref(
                        f"{status.account}/{status.region}",
                        "AWS::Region",
                        status.region,
                        status.origin,
                    ),
                )
        elif target == "account":
            for account in inv.accounts:
                origin = Origin(source=inv.sources[0] if inv.sources else "aws", account=account)
                yield AccountTarget(account, origin), _ref(account, "AWS::Account", account, origin)


def role_key(fn: Function) -> str | None:
    """How a function names its role, for grouping the functions that share one: the role ARN,
    or an unresolved expression as written (the same import or variable twice is one role)."""
    if isinstance(fn.role_arn, str):
        return fn.role_arn
    if isinstance(fn.role_arn, Unresolved) and fn.role_arn.expression:
        return fn.role_arn.expression
    return None


# A role the scanned files (or the account reads) do not hold: its ARN, or the expression.
OUTSIDE = "defined outside the scanned files"


def outside_role(key: str, first: Function) -> Role:
    """A stand-in for a role functions name but the inventory does not hold, at the first
    function that names it (its in-code suppressions stay the function's own)."""
    # An ARN's role name, or the expression as written (the key is "<scope>|<expression>").
    name = key.rsplit("/", 1)[-1] if key.startswith("arn:") else key.split("|", 1)[-1]
    return Role(
        name=name,
        arn=key,
        origin=dataclasses.replace(first.origin, suppressions=()),
        trust_policy=Unknown(f"role {name} is {OUTSIDE}"),
    )


def _default_message(status: Status, meta: RuleMeta) -> str:
    """A rule's message when its verdict gave none: the title states the problem, so it is
    only right for a failure; a pass or an unknown must not read like one."""
    if status is Status.FAIL:
        return meta.title
    if status is Status.PASS:
        return f"{meta.id} passed"
    return f"{meta.id} could not be decided"


def _api_type(api: Api) -> str:
    return "AWS::ApiGateway::RestApi" if api.kind == "rest" else "AWS::ApiGatewayV2::Api"


def _ref(rid: str, rtype: str, name: str, origin: Origin) -> ResourceRef:
    return ResourceRef(
        id=rid,
        type=rtype,
        name=name,
        account=origin.account,
        region=origin.region,
        file=origin.file,
        line=origin.line,
        logical_id=origin.logical_id,
    )


# --------------------------------------------------------------------------- the engine


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a burst of allocations (restored afterwards).

    A scan allocates hundreds of thousands of small, acyclic objects (verdicts, findings,
    parsed statements, the IAM action index); each collection walks the growing heap, so with
    the collector on, a 1,000-function evaluation spends about half its time in it. One full
    collection first frees the cycles the sources left behind (a parsed Terraform project
    leaves ~80 MB of them), so peak memory stays what it was; reference counting still frees
    everything acyclic at once, and cycles made meanwhile wait until the end.
    """
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def evaluate(
    inventory: Inventory, rules: list[Rule], config: ScanConfig | None = None
) -> list[Finding]:
    """Run ``rules`` on every object of their target kind; one Finding per verdict."""
    with gc_paused():
        return _evaluate(Context(inventory, config), rules)


# What a rule raises when a template put a value of another type where the model expects a
# string or a list (sources pass such values through as they found them).
_WRONG_TYPE = (TypeError, AttributeError, ValueError, KeyError, IndexError)


def _judge(r: Rule, obj: Any, ctx: Context) -> Verdict:
    """The rule's verdict; a wrong-typed value it trips on makes the answer unknown (with
    the reason), never a crash of the whole scan and never a pass."""
    try:
        return r.func(obj, ctx)
    except _WRONG_TYPE as exc:
        return Verdict.unknown(
            f"cannot evaluate: a value of an unexpected type ({type(exc).__name__}: {exc})"
        )


def _evaluate(ctx: Context, rules: list[Rule]) -> list[Finding]:
    inventory = ctx.inventory
    findings: list[Finding] = []
    for r in rules:
        meta = r.meta
        if not (meta.template if inventory.scope == "template" else meta.live):
            continue
        for obj, ref in ctx.objects(meta.target):
            verdict = _judge(r, obj, ctx)
            if verdict.status is None:
                continue
            status = verdict.status
            # Values a rule quotes (a URL, a connection string) never carry a password out.
            message = scrub(verdict.message or _default_message(status, meta))
            evidence = scrub(verdict.evidence) if verdict.evidence else verdict.evidence
            suppression = None
            origin = getattr(obj, "origin", None)
            if isinstance(obj, StageTarget):
                origin = obj.stage.origin or obj.api.origin
            if isinstance(origin, Origin) and status is Status.FAIL:
                for rule_id, reason in origin.suppressions:
                    if rule_id != meta.id:
                        continue
                    if reason.strip():
                        status, suppression = Status.SUPPRESSED, reason.strip()
                    else:
                        # A suppression must say why; without a reason it is reported, not honoured.
                        message += " (in-code suppression ignored: it gives no reason)"
                        evidence = {**evidence, "ignored_suppression": "no reason given"}
            if status is Status.FAIL and ctx.config.suppressions:
                status, suppression, message, evidence = _config_suppression(
                    ctx.config, meta.id, ref, message, evidence
                )
            findings.append(
                Finding(
                    rule_id=meta.id,
                    title=meta.title,
                    severity=meta.severity,
                    practice=meta.practice,
                    status=status,
                    resource=ref,
                    message=message,
                    evidence=evidence,
                    remediation=meta.remediation,
                    references=meta.references,
                    controls=meta.controls,
                    suppression=suppression,
                    related=(
                        ctx.related(meta.target, obj, verdict.related)
                        if status is not Status.PASS
                        else []
                    ),
                )
            )
    return findings


def _config_suppression(
    config: ScanConfig, rule_id: str, ref: ResourceRef, message: str, evidence: dict[str, Any]
) -> tuple[Status, str | None, str, dict[str, Any]]:
    """Apply the config file's suppressions to one failure.

    The first live suppression matching the rule and resource wins. One that matches but has
    expired does not apply: the finding fails, and its message says which suppression expired.
    """
    expired = None
    for s in config.suppressions:
        if not s.matches(rule_id, ref.id, ref.name, ref.logical_id):
            continue
        if s.expired(config.as_of):
            expired = expired or s
            continue
        detail = s.reason
        if s.owner:
            detail += f" (owner: {s.owner}"
            detail += f", until {s.expires.isoformat()})" if s.expires else ")"
        elif s.expires:
            detail += f" (until {s.expires.isoformat()})"
        return Status.SUPPRESSED, detail, message, evidence
    if expired is not None and expired.expires is not None:
        when = expired.expires.isoformat()
        message += f" (suppression at {expired.where()} expired on {when}: {expired.reason})"
        evidence = {**evidence, "expired_suppression": {"where": expired.where(), "expired": when}}
    return Status.FAIL, None, message, evidence


__all__ = [
    "AccountTarget",
    "Context",
    "Rule",
    "RuleMeta",
    "StageTarget",
    "Verdict",
    "all_rules",
    "evaluate",
    "gc_paused",
    "get_rule",
    "rule",
    "select_rules",
]
