"""Terraform source: HCL folders (root modules, local modules, variables) → Inventory.

Parsing is tree-sitter (:mod:`fortress.sources.hcl`); this module resolves references between
blocks (variables, locals, resources, data sources, module outputs), expands ``count`` and
``for_each`` when their value is known (one object per key) or keeps one symbolic instance
(address ``type.name[*]``), and hands resource instances to :mod:`fortress.sources.tf_mapping`,
which builds the Inventory (the same mapper serves ``terraform show -json`` plans).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fortress.errors import InputError
from fortress.inventory import TEMPLATE_ACCOUNT, Inventory, Origin, Unknown
from fortress.sources.base import IacOptions
from fortress.sources.hcl import Attribute, Block, Body, parse_file
from fortress.sources.tf_expr import Evaluator, Scope
from fortress.sources.tf_mapping import (
    REGION_PLACEHOLDER,
    Obj,
    Res,
    build_inventory,
    parse_suppressions,
    synthetic_attr,
)
from fortress.sources.tf_values import Computed, JsonDoc, Lazy, plain_value, to_str

FORMAT = "terraform"

_SKIP_DIRS = {".terraform", ".git", "node_modules", ".venv", "__pycache__"}
_MAX_INSTANCES = 50  # a known count above this stays one symbolic instance
_RESERVED = {"var", "local", "module", "data", "each", "count", "self", "path", "terraform"}


# --------------------------------------------------------------------------- contract


def detect(path: Path) -> bool:
    if path.is_file():
        return path.suffix == ".tf"
    if path.is_dir():
        return next(_tf_dirs(path), None) is not None
    return False


def load(path: Path, options: IacOptions | None = None) -> Inventory:
    """Every root module under ``path`` (a .tf file, a module folder or a tree of them)."""
    options = options or IacOptions()
    cache: dict[Path, Body] = {}
    if path.is_file():
        if path.suffix != ".tf":
            raise InputError(str(path), "not a Terraform .tf file")
        roots = [path.parent]
        only: Path | None = path
    elif path.is_dir():
        roots = root_modules(path, cache)
        only = None
        if not roots:
            raise InputError(str(path), "no Terraform .tf files found")
    else:
        raise InputError(str(path), "no such file or folder")
    ctx = _Ctx(options, cache)
    resources: list[Res] = []
    for root in roots:
        module = _Module(ctx, root, "", None, root, only_file=only)
        resources.extend(module.all_instances())
    inventory = build_inventory(resources, ctx.account, options.region, FORMAT)
    return inventory


def root_modules(folder: Path, cache: dict[Path, Body] | None = None) -> list[Path]:
    """Folders with .tf files that no other folder under ``folder`` uses as a local module."""
    dirs = list(_tf_dirs(folder))
    used: set[Path] = set()
    if len(dirs) < 2:
        return dirs
    cache = {} if cache is None else cache
    for d in dirs:
        for tf in sorted(d.glob("*.tf")):
            try:
                if b"module" not in tf.read_bytes():
                    continue
                body = cache.get(tf) or parse_file(tf)
            except (InputError, OSError):
                continue
            cache[tf] = body
            for block in body.blocks_of("module"):
                source = block.body.attrs.get("source")
                text = _literal_string(source)
                if text and text.startswith(("./", "../")):
                    used.add((d / text).resolve())
    return [d for d in dirs if d.resolve() not in used]


def _tf_dirs(folder: Path) -> Iterator[Path]:
    for current, subdirs, files in os.walk(folder):
        subdirs[:] = sorted(s for s in subdirs if s not in _SKIP_DIRS and not s.startswith("."))
        if any(f.endswith(".tf") for f in files):
            yield Path(current)


def _literal_string(attr: Attribute | None) -> str | None:
    if attr is None:
        return None
    value = Evaluator(lambda name: Unknown(name), Path(".")).eval(attr.expr)
    return value if isinstance(value, str) else None


# --------------------------------------------------------------------------- context


class _Ctx:
    def __init__(self, options: IacOptions, cache: dict[Path, Body] | None = None) -> None:
        self.options = options
        self.account = options.account or TEMPLATE_ACCOUNT
        self.region = options.region or REGION_PLACEHOLDER
        self.parsed: dict[Path, Body] = {} if cache is None else cache

    def parse(self, path: Path) -> Body:
        body = self.parsed.get(path)
        if body is None:
            body = parse_file(path)
            self.parsed[path] = body
        return body


class _Module:
    def __init__(
        self,
        ctx: _Ctx,
        folder: Path,
        prefix: str,
        inputs: dict[str, Any] | None,
        root: Path,
        only_file: Path | None = None,
        call_unknown: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.folder = folder
        self.prefix = prefix
        self.inputs = inputs  # None for a root module
        self.root = root
        self.call_unknown = call_unknown
        self.variables: dict[str, Block] = {}
        self.locals: dict[str, Attribute] = {}
        self.outputs: dict[str, Attribute] = {}
        self.resources: dict[tuple[str, str, str], _ResourceBlock] = {}
        self.calls: dict[str, Block] = {}
        self._children: dict[str, _Module | Unknown] = {}
        self._local_values: dict[str, Any] = {}
        self._var_values: dict[str, Any] = {}
        self._in_progress: set[str] = set()
        self.evaluator = Evaluator(self._lookup, folder, root)
        files = [only_file] if only_file else sorted(folder.glob("*.tf"))
        for tf in files:
            body = ctx.parse(tf)
            for block in body.blocks:
                self._add(block)
        self._tfvars: dict[str, Any] | None = None

    def _add(self, block: Block) -> None:
        kind, labels = block.type, block.labels
        if kind == "variable" and labels:
            self.variables[labels[0]] = block
        elif kind == "locals":
            self.locals.update(block.body.attrs)
        elif kind == "output" and labels:
            value = block.body.attrs.get("value")
            if value is not None:
                self.outputs[labels[0]] = value
        elif kind in ("resource", "data") and len(labels) >= 2:
            mode = "managed" if kind == "resource" else "data"
            self.resources[(mode, labels[0], labels[1])] = _ResourceBlock(self, block, mode)
        elif kind == "module" and labels:
            self.calls[labels[0]] = block

    # names ------------------------------------------------------------------------------

    def _lookup(self, name: str) -> Any:
        if name == "var":
            return _Namespace(self.variable, "var")
        if name == "local":
            return _Namespace(self.local, "local")
        if name == "module":
            return _Namespace(self.module_call, "module")
        if name == "data":
            return _Namespace(lambda t: _TypeNamespace(self, "data", t), "data")
        if name == "path":
            return {"module": str(self.folder), "root": str(self.root), "cwd": str(self.root)}
        if name == "terraform":
            return {"workspace": "default"}
        if name == "each":
            return Unknown("each is used outside a for_each resource")
        if name == "count":
            return Unknown("count is used outside a counted resource")
        if name == "self":
            return Unknown("self is only known at apply")
        return _TypeNamespace(self, "managed", name)

    def variable(self, name: str) -> Any:
        if name in self._var_values:
            return self._var_values[name]
        value = self._variable(name)
        self._var_values[name] = value
        return value

    def _variable(self, name: str) -> Any:
        decl = self.variables.get(name)
        if self.inputs is not None:
            if name in self.inputs:
                return self.inputs[name]
        else:
            given = self.ctx.options.variables
            if name in given:
                return _parse_cli_value(given[name])
            tfvars = self._root_tfvars()
            if name in tfvars:
                return tfvars[name]
        if decl is None:
            return Unknown(f"variable {name!r} is not declared in {self.folder}")
        default = decl.body.attrs.get("default")
        if default is not None:
            return self.evaluator.eval(default.expr)
        if self.call_unknown:
            return Unknown(self.call_unknown)
        return Unknown(f"variable {name!r} has no value (give it with --var {name}=...)")

    def _root_tfvars(self) -> dict[str, Any]:
        if self._tfvars is not None:
            return self._tfvars
        values: dict[str, Any] = {}
        files: list[Path] = []
        default = self.folder / "terraform.tfvars"
        if default.is_file():
            files.append(default)
        files.extend(sorted(self.folder.glob("*.auto.tfvars")))
        files.extend(self.ctx.options.var_files)
        plain = Evaluator(lambda n: Unknown(f"{n} cannot be used in a .tfvars file"), self.folder)
        for path in files:
            if path.suffix == ".json":
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError) as exc:
                    raise InputError(str(path), f"cannot read variables: {exc}") from None
                if isinstance(data, dict):
                    values.update(data)
                continue
            body = parse_file(path)
            for attr in body.attrs.values():
                values[attr.name] = plain.eval(attr.expr)
        self._tfvars = values
        return values

    def local(self, name: str) -> Any:
        if name in self._local_values:
            return self._local_values[name]
        attr = self.locals.get(name)
        if attr is None:
            return Unknown(f"local.{name} is not defined")
        key = "local." + name
        if key in self._in_progress:
            return Unknown(f"local.{name} refers to itself")
        self._in_progress.add(key)
        try:
            value = self.evaluator.eval(attr.expr)
        finally:
            self._in_progress.discard(key)
        self._local_values[name] = value
        return value

    def module_call(self, name: str) -> Any:
        child = self.child(name)
        if isinstance(child, Unknown):
            return child
        if child is None:
            return Unknown(f"module.{name} is not declared")
        return _ModuleObject(child, name)

    def child(self, name: str) -> _Module | Unknown | None:
        if name in self._children:
            return self._children[name]
        block = self.calls.get(name)
        if block is None:
            return None
        result: _Module | Unknown
        source = _literal_string(block.body.attrs.get("source")) or ""
        address = f"{self.prefix}module.{name}"
        if not source.startswith(("./", "../")):
            result = Unknown(
                f"module {address} comes from {source or 'an unknown source'}; "
                "its outputs are not known before apply"
            )
        elif not (self.folder / source).is_dir():
            result = Unknown(f"module {address}: folder {source} does not exist")
        else:
            scope: Scope = {}
            suffix = ""
            reason = None
            if "for_each" in block.body.attrs or "count" in block.body.attrs:
                suffix = "[*]"
                reason = f"{address} is instantiated with count/for_each"
                scope = {"each": Unknown(reason), "count": Unknown(reason)}
            inputs: dict[str, Any] = {}
            for key, attr in block.body.attrs.items():
                if key in ("source", "version", "providers", "count", "for_each", "depends_on"):
                    continue
                inputs[key] = self.evaluator.eval(attr.expr, scope)
            self._children[name] = Unknown(f"module {address} uses itself")
            result = _Module(
                self.ctx,
                (self.folder / source).resolve(),
                f"{address}{suffix}.",
                inputs,
                self.root,
                call_unknown=reason,
            )
        self._children[name] = result
        return result

    def output(self, name: str) -> Any:
        attr = self.outputs.get(name)
        if attr is None:
            return Unknown(f"output {name!r} is not defined in {self.folder}")
        return self.evaluator.eval(attr.expr)

    # instances --------------------------------------------------------------------------

    def all_instances(self) -> list[Res]:
        out: list[Res] = []
        for res in self.resources.values():
            if res.mode == "managed":
                out.extend(res.instances())
        for name in self.calls:
            child = self.child(name)
            if isinstance(child, _Module):
                out.extend(child.all_instances())
        return out


def _parse_cli_value(text: str) -> Any:
    stripped = text.strip()
    if stripped[:1] in ("[", "{") or stripped in ("true", "false") or _is_number(stripped):
        try:
            return json.loads(stripped)
        except ValueError:
            return text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- lazy objects


class _Namespace(Lazy):
    def __init__(self, getter: Any, label: str) -> None:
        self.getter = getter
        self.label = label

    def describe(self) -> str:
        return self.label

    def attr(self, name: str) -> Any:
        return self.getter(name)


class _TypeNamespace(Lazy):
    def __init__(self, module: _Module, mode: str, rtype: str) -> None:
        self.module = module
        self.mode = mode
        self.rtype = rtype

    def describe(self) -> str:
        return self.rtype if self.mode == "managed" else f"data.{self.rtype}"

    def attr(self, name: str) -> Any:
        res = self.module.resources.get((self.mode, self.rtype, name))
        if res is None:
            return Unknown(f"{self.module.prefix}{self.describe()}.{name} is not declared")
        return res.as_value()


class _ModuleObject(Lazy):
    def __init__(self, module: _Module, name: str) -> None:
        self.module = module
        self.name = name

    def describe(self) -> str:
        return self.module.prefix.rstrip(".")

    def attr(self, name: str) -> Any:
        return self.module.output(name)

    def index(self, key: Any) -> Any:
        return self

    def splat(self) -> list[Any] | Unknown:
        return [self]


class _ResourceBlock(Lazy):
    """One ``resource``/``data`` block; its instances come from count/for_each."""

    def __init__(self, module: _Module, block: Block, mode: str) -> None:
        self.module = module
        self.block = block
        self.mode = mode
        self.rtype, self.name = block.labels[0], block.labels[1]
        base = (
            f"{self.rtype}.{self.name}" if mode == "managed" else f"data.{self.rtype}.{self.name}"
        )
        self.address = module.prefix + base
        self.suppressions = parse_suppressions(block.comments)
        self._instances: list[_Instance] | None = None
        self.expanded = "count" in block.body.attrs or "for_each" in block.body.attrs

    def describe(self) -> str:
        return self.address

    def instances(self) -> list[_Instance]:
        if self._instances is None:
            self._instances = []  # guards self-reference while expanding
            self._instances = self._expand()
        return self._instances

    def _expand(self) -> list[_Instance]:
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
            return [_Instance(self, f'["{k}"]', {"each": {"key": k, "value": v}}) for k, v in items]
        if "count" in attrs:
            count = ev.eval(attrs["count"].expr)
            if isinstance(count, bool):
                count = int(count)
            if isinstance(count, (int, float)) and 0 <= count <= _MAX_INSTANCES:
                return [
                    _Instance(self, f"[{i}]", {"count": {"index": i}}) for i in range(int(count))
                ]
            reason = f"the count of {self.address} is not known"
            if isinstance(count, Unknown):
                reason += f" ({count.reason})"
            return [self._symbolic(reason)]
        return [_Instance(self, "", {})]

    def _symbolic(self, reason: str) -> _Instance:
        unknown = Unknown(reason)
        return _Instance(self, "[*]", {"each": unknown, "count": {"index": unknown}})

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
        return Unknown(f"{self.address}{wanted} does not exist")

    def splat(self) -> list[Any] | Unknown:
        return list(self.instances())

    def attr(self, name: str) -> Any:
        return Unknown(f"{self.address} has count/for_each; index it to read {name!r}")


class _HclObj(Obj):
    """A block body evaluated in its module, with the instance's each/count bound."""

    def __init__(self, module: _Module, body: Body, scope: Scope, address: str, rtype: str) -> None:
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
        progress = self.module._in_progress
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
                out.append(_HclObj(self.module, block.body, self.scope, self.address, self.rtype))
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
            _HclObj(
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

    def map_refs(self, name: str) -> dict[str, str]:
        """For an object literal attribute: key -> "type.attr" of values that are references."""
        attr = self.body.attrs.get(name)
        if attr is None:
            return {}
        node = attr.expr
        while node.type in ("expression", "collection_value") and node.children:
            node = node.children[0]
        if node.type != "object":
            return {}
        out: dict[str, str] = {}
        for elem in node.children:
            exprs = [c for c in elem.children if c.type == "expression"]
            if elem.type != "object_elem" or len(exprs) != 2:
                continue
            key = (
                self.module.evaluator.eval(exprs[0], self.scope)
                if exprs[0].children[0].type != "variable_expr"
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
            for c in node.children
            if c.type
            not in (
                "quoted_template_start",
                "quoted_template_end",
                "template_interpolation_start",
                "template_interpolation_end",
            )
        ]
        if node.type == "expression" and kids and kids[0].type == "variable_expr":
            root = (kids[0].children[0].text or b"").decode()
            attrs = [
                (k.children[-1].text or b"").decode() for k in kids[1:] if k.type == "get_attr"
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


class _Instance(Lazy, _HclObj, Res):
    """One instance of a resource (or the symbolic one): a reference target and a mapper input."""

    def __init__(self, block: _ResourceBlock, key: str, scope: Scope) -> None:
        module = block.module
        _HclObj.__init__(self, module, block.block.body, scope, block.address + key, block.rtype)
        self.res = block
        self.key = key
        self.type = block.rtype
        self.mode = block.mode
        self.origin = Origin(
            source=FORMAT,
            account=module.ctx.account,
            region=module.ctx.options.region,
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
        ctx = self.module.ctx
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
        ctx = self.module.ctx
        if self.type == "aws_caller_identity":
            if name == "account_id":
                return ctx.account
            if name == "arn":
                return f"arn:aws:iam::{ctx.account}:root"
        if self.type == "aws_region" and name in ("name", "id", "region"):
            if ctx.options.region:
                return ctx.options.region
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
    if isinstance(obj, _HclObj):
        return {name: obj.get(name) for name in obj.body.attrs}
    return {}


# --------------------------------------------------------------------------- policy documents


def policy_document(doc: Obj) -> dict[str, Any]:
    """``data "aws_iam_policy_document"``: statement blocks (and source/override documents)."""
    statements: list[Any] = []
    for key in ("source_policy_documents", "source_json"):
        sources = doc.get(key)
        for src in sources if isinstance(sources, list) else [sources]:
            statements.extend(_statements_of(src))
    own: list[Any] = []
    blocks = doc.blocks("statement")
    if isinstance(blocks, Unknown):
        own.append(blocks)
    else:
        for st in blocks:
            own.append(_statement(st))
    for st in own:
        sid = st.get("Sid") if isinstance(st, dict) else None
        if sid:
            statements = [
                s for s in statements if not (isinstance(s, dict) and s.get("Sid") == sid)
            ]
        statements.append(st)
    overrides = doc.get("override_policy_documents")
    for src in overrides if isinstance(overrides, list) else [overrides]:
        for st in _statements_of(src):
            sid = st.get("Sid") if isinstance(st, dict) else None
            if sid:
                statements = [
                    s for s in statements if not (isinstance(s, dict) and s.get("Sid") == sid)
                ]
            statements.append(st)
    version = doc.get("version")
    return {
        "Version": version if isinstance(version, str) else "2012-10-17",
        "Statement": statements,
    }


def _statements_of(src: Any) -> list[Any]:
    if src is None:
        return []
    if isinstance(src, JsonDoc):
        value = src.value
    elif isinstance(src, str):
        try:
            value = json.loads(src)
        except ValueError:
            return [Unknown("a source policy document is not valid JSON")]
    else:
        return [
            src if isinstance(src, Unknown) else Unknown("a source policy document is not known")
        ]
    stmts = value.get("Statement", []) if isinstance(value, dict) else []
    return stmts if isinstance(stmts, list) else [stmts]


def _statement(st: Obj) -> dict[str, Any]:
    out: dict[str, Any] = {}
    sid = st.get("sid")
    if sid is not None:
        out["Sid"] = sid
    effect = st.get("effect")
    out["Effect"] = "Allow" if effect is None else effect
    for key, name in (
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ):
        value = st.get(key)
        if value is not None:
            out[name] = plain_value(value)
    for key, name in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        blocks = st.blocks(key)
        if isinstance(blocks, Unknown):
            out[name] = blocks
            continue
        if not blocks:
            continue
        principal: dict[str, Any] = {}
        star = False
        for p in blocks:
            ptype = to_str(p.get("type"))
            ids = plain_value(p.get("identifiers"))
            if ptype == "*" or (ptype == "AWS" and ids == ["*"]):
                star = True
                continue
            if isinstance(ptype, Unknown):
                principal["AWS"] = ptype
                continue
            existing = principal.setdefault(ptype, [])
            if isinstance(ids, list):
                existing.extend(ids)
            else:
                existing.append(ids)
        out[name] = "*" if star and not principal else principal
        if star and principal:
            principal.setdefault("AWS", []).append("*")
    conditions = st.blocks("condition")
    if isinstance(conditions, Unknown):
        out["Condition"] = conditions
    elif conditions:
        cond: dict[str, Any] = {}
        for c in conditions:
            test, variable = to_str(c.get("test")), to_str(c.get("variable"))
            if isinstance(test, Unknown) or isinstance(variable, Unknown):
                cond.setdefault("Unknown", {})["?"] = "${unknown}"
                continue
            cond.setdefault(test, {})[variable] = plain_value(c.get("values"))
        out["Condition"] = cond
    return out


__all__ = ["FORMAT", "detect", "load", "policy_document", "root_modules"]
