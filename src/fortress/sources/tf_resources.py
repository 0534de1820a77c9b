"""Terraform resource and data blocks: their instances (``count``/``for_each``) and the values
they give to references and to the mapper.

A :class:`ResourceBlock` expands into :class:`Instance` objects, one per count index or for_each
key when those are known, else one symbolic instance (address ``type.name[*]``). An instance is
both a reference target (``aws_iam_role.r.arn``) and the mapper's input (:class:`tf_mapping.Res`):
its attributes are evaluated in the module that declares it, with ``each``/``count`` bound;
what only apply knows is :class:`Computed`.
"""

from __future__ import annotations

from typing import Any, Protocol

from fortress.inventory import Origin, Unknown
from fortress.sources.hcl import Block, Body, child_nodes
from fortress.sources.tf_attrs import Obj, Res, parse_suppressions, synthetic_attr
from fortress.sources.tf_expr import Evaluator, Scope
from fortress.sources.tf_policy import policy_document
from fortress.sources.tf_values import Computed, Invalid, JsonDoc, Lazy, plain_value

FORMAT = "terraform"
MAX_INSTANCES = 50  # a known count above this stays one symbolic instance
_RESERVED = {"var", "local", "module", "data", "each", "count", "self", "path", "terraform"}


class ModuleScope(Protocol):
    """What a resource needs from the module that declares it."""

    prefix: str  # "module.a." or "" for the root module
    evaluator: Evaluator
    in_progress: set[str]  # attributes being evaluated (a reference to one is a cycle)
    account: str
    region: str  # the given region or the placeholder
    given_region: str | None


class ResourceBlock(Lazy):
    """One ``resource``/``data`` block; its instances come from count/for_each."""

    def __init__(self, module: ModuleScope, block: Block, mode: str) -> None:
        self.module = module
        self.block = block
        self.mode = mode
        self.rtype, self.name = block.labels[0], block.labels[1]
        base = (
            f"{self.rtype}.{self.name}" if mode == "managed" else f"data.{self.rtype}.{self.name}"
        )
        self.address = module.prefix + base
        self.suppressions = parse_suppressions(block.comments)
        self._instances: list[Instance] | None = None
        self.expanded = "count" in block.body.attrs or "for_each" in block.body.attrs

    def describe(self) -> str:
        return self.address

    def instances(self) -> list[Instance]:
        if self._instances is None:
            self._instances = []  # guards self-reference while expanding
            self._instances = self._expand()
        return self._instances

    def _expand(self) -> list[Instance]:
        attrs = self.block.body.attrs
        ev = self.module.evaluator
        if "for_each" in attrs:
            value = plain_value(ev.eval(attrs["for_each"].expr))
            if isinstance(value, dict):
                items = [(str(k), v) for k, v in value.items()]
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                items = [(v, v) for v in value]
            else:
                reason = f"the for_each keys of {self.address} are not known"
                if isinstance(value, Unknown):
                    reason += f" ({value.reason})"
                return [self._symbolic(reason)]
            return [Instance(self, f'["{k}"]', {"each": {"key": k, "value": v}}) for k, v in items]
        if "count" in attrs:
            count = ev.eval(attrs["count"].expr)
            if isinstance(count, bool):
                count = int(count)
            if isinstance(count, (int, float)) and 0 <= count <= MAX_INSTANCES:
                return [
                    Instance(self, f"[{i}]", {"count": {"index": i}}) for i in range(int(count))
                ]
            reason = f"the count of {self.address} is not known"
            if isinstance(count, Unknown):
                reason += f" ({count.reason})"
            return [self._symbolic(reason)]
        return [Instance(self, "", {})]

    def _symbolic(self, reason: str) -> Instance:
        unknown = Unknown(reason)
        return Instance(self, "[*]", {"each": unknown, "count": {"index": unknown}})

    def as_value(self) -> Any:
        if not self.expanded:
            instances = self.instances()
            return instances[0] if instances else Unknown(f"{self.address} is being expanded")
        return self

    def index(self, key: Any) -> Any:
        instances = self.instances()
        wanted = f"[{key}]" if isinstance(key, int) else f'["{key}"]'
        for inst in instances:
            if inst.key in (wanted, "[*]"):
                return inst
        if isinstance(key, float) and key.is_integer():
            return self.index(int(key))
        return Invalid(f"{self.address}{wanted} does not exist")

    def splat(self) -> list[Any] | Unknown:
        return list(self.instances())

    def attr(self, name: str) -> Any:
        return Invalid(f"{self.address} has count/for_each; index it to read {name!r}")


class HclObj(Obj):
    """A block body evaluated in its module, with the instance's each/count bound."""

    def __init__(
        self, module: ModuleScope, body: Body, scope: Scope, address: str, rtype: str
    ) -> None:
        self.module = module
        self.body = body
        self.scope = scope
        self.address = address
        self.rtype = rtype
        self._memo: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        if name in self._memo:
            return self._memo[name]
        attr = self.body.attrs.get(name)
        if attr is None:
            return None
        key = f"{self.address}#{id(self.body)}.{name}"
        progress = self.module.in_progress
        if key in progress:
            return Unknown(f"{self.address}.{name} refers to itself")
        progress.add(key)
        try:
            value = self.module.evaluator.eval(attr.expr, self.scope)
        finally:
            progress.discard(key)
        self._memo[name] = value
        return value

    def get_lenient(self, name: str) -> Any:
        attr = self.body.attrs.get(name)
        if attr is None:
            return None
        ev = self.module.evaluator
        ev.lenient_templates = True
        try:
            return ev.eval(attr.expr, self.scope)
        finally:
            ev.lenient_templates = False

    def has(self, name: str) -> bool:
        return name in self.body.attrs

    def blocks(self, name: str) -> list[Obj] | Unknown:
        out: list[Obj] = []
        for block in self.body.blocks:
            if block.type == name:
                out.append(HclObj(self.module, block.body, self.scope, self.address, self.rtype))
            elif block.type == "dynamic" and block.labels and block.labels[0] == name:
                expanded = self._dynamic(block)
                if isinstance(expanded, Unknown):
                    return expanded
                out.extend(expanded)
        return out

    def _dynamic(self, block: Block) -> list[Obj] | Unknown:
        label = block.labels[0]
        attrs = block.body.attrs
        iterator = label
        if "iterator" in attrs:
            it = attrs["iterator"].expr
            iterator = (it.text or b"").decode().strip() or label
        content = next((b for b in block.body.blocks if b.type == "content"), None)
        if content is None or "for_each" not in attrs:
            return []
        coll = plain_value(self.module.evaluator.eval(attrs["for_each"].expr, self.scope))
        if isinstance(coll, Unknown):
            return Unknown(f"dynamic {label} blocks of {self.address}: {coll.reason}")
        pairs = list(coll.items()) if isinstance(coll, dict) else list(enumerate(coll or []))
        return [
            HclObj(
                self.module,
                content.body,
                {**self.scope, iterator: {"key": k, "value": v}},
                self.address,
                self.rtype,
            )
            for k, v in pairs
        ]

    def ref_of(self, name: str) -> str | None:
        attr = self.body.attrs.get(name)
        return _reference_of(attr.expr) if attr is not None else None

    def expression(self, name: str) -> str | None:
        attr = self.body.attrs.get(name)
        return (attr.expr.text or b"").decode(errors="replace").strip() if attr else None

    def map_refs(self, name: str) -> dict[str, str]:
        """For an object literal attribute: key -> "type.attr" of values that are references."""
        attr = self.body.attrs.get(name)
        if attr is None:
            return {}
        node = attr.expr
        while node.type in ("expression", "collection_value"):
            children = child_nodes(node)
            if not children:
                break
            node = children[0]
        if node.type != "object":
            return {}
        out: dict[str, str] = {}
        for elem in child_nodes(node):
            exprs = [c for c in child_nodes(elem) if c.type == "expression"]
            if elem.type != "object_elem" or len(exprs) != 2:
                continue
            key = (
                self.module.evaluator.eval(exprs[0], self.scope)
                if child_nodes(exprs[0])[0].type != "variable_expr"
                else (exprs[0].text or b"").decode()
            )
            ref = _reference_of(exprs[1])
            if isinstance(key, str) and ref:
                out[key] = ref
        return out


def _reference_of(node: Any) -> str | None:
    """ "type.attr" when ``node`` is a bare reference to a resource attribute."""
    while node.type in ("expression", "template_expr", "quoted_template", "template_interpolation"):
        kids = [
            c
            for c in child_nodes(node)
            if c.type
            not in (
                "quoted_template_start",
                "quoted_template_end",
                "template_interpolation_start",
                "template_interpolation_end",
            )
        ]
        if node.type == "expression" and kids and kids[0].type == "variable_expr":
            root = (child_nodes(kids[0])[0].text or b"").decode()
            attrs = [
                (child_nodes(k)[-1].text or b"").decode() for k in kids[1:] if k.type == "get_attr"
            ]
            if root == "data" and len(attrs) >= 3:
                return f"data.{attrs[0]}.{attrs[-1]}"
            if root not in _RESERVED and len(attrs) >= 2:
                return f"{root}.{attrs[-1]}"
            return None
        if len(kids) != 1:
            return None
        node = kids[0]
    return None


class Instance(Lazy, HclObj, Res):
    """One instance of a resource (or the symbolic one): a reference target and a mapper input."""

    def __init__(self, block: ResourceBlock, key: str, scope: Scope) -> None:
        module = block.module
        HclObj.__init__(self, module, block.block.body, scope, block.address + key, block.rtype)
        self.res = block
        self.key = key
        self.type = block.rtype
        self.mode = block.mode
        self.origin = Origin(
            source=FORMAT,
            account=module.account,
            region=module.given_region,
            file=block.block.file,
            line=block.block.line,
            logical_id=self.address,
            suppressions=block.suppressions,
        )
        self._attr_memo: dict[str, Any] = {}

    def describe(self) -> str:
        return self.address

    def materialize(self) -> Any:
        return Unknown(f"{self.address} as a whole object is not evaluated")

    def attr(self, name: str) -> Any:
        if name in self._attr_memo:
            return self._attr_memo[name]
        value = self._attr(name)
        self._attr_memo[name] = value
        return value

    def _attr(self, name: str) -> Any:
        ctx = self.module
        if self.mode == "data":
            return self._data_attr(name)
        if name in self.body.attrs:
            value = self.get(name)
            synthetic = synthetic_attr(self, name, ctx.account, ctx.region, configured=value)
            return value if synthetic is None else synthetic
        nested = self.blocks(name)
        if isinstance(nested, Unknown) or nested:
            return nested if isinstance(nested, Unknown) else [_nested_value(n) for n in nested]
        value = synthetic_attr(self, name, ctx.account, ctx.region)
        if value is not None:
            return value
        return Computed(
            f"{self.address}.{name} is not known before apply", ref=f"{self.type}.{name}"
        )

    def _data_attr(self, name: str) -> Any:
        ctx = self.module
        if self.type == "aws_caller_identity":
            if name == "account_id":
                return ctx.account
            if name == "arn":
                return f"arn:aws:iam::{ctx.account}:root"
        if self.type == "aws_region" and name in ("name", "id", "region"):
            if ctx.given_region:
                return ctx.given_region
            return ctx.region
        if self.type == "aws_partition" and name == "partition":
            return "aws"
        if self.type == "aws_iam_policy_document" and name in ("json", "minified_json"):
            return JsonDoc(policy_document(self))
        if name in self.body.attrs:
            return self.get(name)
        return Computed(
            f"value of {self.address}.{name} is read from AWS at apply time",
            ref=f"data.{self.type}.{name}",
        )


def _nested_value(obj: Obj) -> dict[str, Any]:
    if isinstance(obj, HclObj):
        return {name: obj.get(name) for name in obj.body.attrs}
    return {}
