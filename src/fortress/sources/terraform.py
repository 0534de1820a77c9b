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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fortress.errors import InputError
from fortress.inventory import (
    NOTE_GAP,
    NOTE_WARNING,
    TEMPLATE_ACCOUNT,
    Inventory,
    Origin,
    SourceNote,
    Unknown,
)
from fortress.sources.base import IacOptions
from fortress.sources.hcl import MAX_TF_BYTES, Attribute, Block, Body, parse_file
from fortress.sources.tf_expr import Evaluator, Scope
from fortress.sources.tf_files import read_regular
from fortress.sources.tf_mapping import (
    REGION_PLACEHOLDER,
    Obj,
    Res,
    build_inventory,
    parse_suppressions,
    synthetic_attr,
)
from fortress.sources.tf_modules import Manifest, resolve
from fortress.sources.tf_policy import policy_document
from fortress.sources.tf_values import Computed, Invalid, JsonDoc, Lazy, plain_value

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
    ctx = _Ctx(options, path.parent if only else path, cache)
    resources: list[Res] = []
    for root in roots:
        module = _Module(ctx, root, "", None, root, only_file=only)
        resources.extend(module.all_instances())
    inventory = build_inventory(resources, ctx.account, options.region, FORMAT)
    inventory.notes.extend(ctx.notes)
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
    def __init__(
        self, options: IacOptions, base: Path, cache: dict[Path, Body] | None = None
    ) -> None:
        self.options = options
        self.base = base  # the scanned folder: file() and friends read only inside it
        self.account = options.account or TEMPLATE_ACCOUNT
        self.region = options.region or REGION_PLACEHOLDER
        self.parsed: dict[Path, Body] = {} if cache is None else cache
        self.notes: list[SourceNote] = []
        self._manifests: dict[Path, Manifest] = {}

    def parse(self, path: Path) -> Body:
        body = self.parsed.get(path)
        if body is None:
            body = parse_file(path)
            self.parsed[path] = body
        return body

    def manifest(self, root: Path) -> Manifest:
        if root not in self._manifests:
            self._manifests[root] = Manifest.load(root)
        return self._manifests[root]

    def note(self, kind: str, block: Block, message: str, subject: str) -> None:
        self._add(SourceNote(kind, block.file, message, block.line, subject))

    def refused(self, file: str | None, line: int, subject: str, message: str) -> None:
        self._add(SourceNote(NOTE_GAP, file or str(self.base), message, line, subject))

    def _add(self, note: SourceNote) -> None:
        if note not in self.notes:
            self.notes.append(note)


# A module input: evaluated when the module reads the variable (as Terraform does), so that
# modules may take each other's outputs; only a true reference cycle stays unknown.
Thunk = Callable[[], Any]


class _Module:
    def __init__(
        self,
        ctx: _Ctx,
        folder: Path,
        prefix: str,
        inputs: dict[str, Thunk] | None,
        root: Path,
        only_file: Path | None = None,
        call_unknown: str | None = None,
        key: str = "",
    ) -> None:
        self.ctx = ctx
        self.folder = folder
        self.prefix = prefix
        self.inputs = inputs  # None for a root module
        self.root = root
        self.key = key  # the manifest key of this module call ("a.b"); "" for the root
        self.call_unknown = call_unknown
        self.variables: dict[str, Block] = {}
        self.locals: dict[str, Attribute] = {}
        self.outputs: dict[str, Attribute] = {}
        self.resources: dict[tuple[str, str, str], _ResourceBlock] = {}
        self.calls: dict[str, Block] = {}
        self._children: dict[str, _ModuleCall] = {}
        self._local_values: dict[str, Any] = {}
        self._var_values: dict[str, Any] = {}
        self._output_values: dict[str, Any] = {}
        self._in_progress: set[str] = set()
        self.evaluator = Evaluator(self._lookup, folder, root, read_roots=(ctx.base, folder))
        self.evaluator.on_refused = ctx.refused
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

    def _guarded(self, key: str, compute: Thunk) -> Any:
        """``compute()``, or an unknown when ``key`` is already being evaluated (a cycle)."""
        if key in self._in_progress:
            return Unknown(f"{self.prefix}{key} is part of a reference cycle")
        self._in_progress.add(key)
        try:
            return compute()
        finally:
            self._in_progress.discard(key)

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
            return Invalid("each is used outside a for_each resource")
        if name == "count":
            return Invalid("count is used outside a counted resource")
        if name == "self":
            return Unknown("self is only known at apply")
        return _TypeNamespace(self, "managed", name)

    def variable(self, name: str) -> Any:
        if name not in self._var_values:
            self._var_values[name] = self._guarded("var." + name, lambda: self._variable(name))
        return self._var_values[name]

    def _variable(self, name: str) -> Any:
        decl = self.variables.get(name)
        if self.inputs is not None:
            if name in self.inputs:
                value = self.inputs[name]()
                if value is not None or decl is None or "default" not in decl.body.attrs:
                    return value
                # null given to a variable with a default: the default (nullable = true
                # keeps null only when the variable says so)
                nullable = decl.body.attrs.get("nullable")
                if nullable is not None and self.evaluator.eval(nullable.expr) is True:
                    return value
        else:
            given = self.ctx.options.variables
            if name in given:
                return _parse_cli_value(given[name])
            tfvars = self._root_tfvars()
            if name in tfvars:
                return tfvars[name]
        if decl is None:
            return Invalid(f"variable {name!r} is not declared in {self.folder}")
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
                data = read_regular(path, MAX_TF_BYTES)
                if isinstance(data, str):
                    raise InputError(str(path), f"cannot read variables: {data}")
                try:
                    doc = json.loads(data.decode("utf-8"))
                except (UnicodeDecodeError, ValueError) as exc:
                    raise InputError(str(path), f"cannot read variables: {exc}") from None
                if isinstance(doc, dict):
                    values.update(doc)
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
            return Invalid(f"local.{name} is not defined")
        value = self._guarded("local." + name, lambda: self.evaluator.eval(attr.expr))
        self._local_values[name] = value
        return value

    def output(self, name: str) -> Any:
        if name in self._output_values:
            return self._output_values[name]
        attr = self.outputs.get(name)
        if attr is None:
            return Invalid(f"{self.prefix.rstrip('.')} has no output {name!r}")
        value = self._guarded("output." + name, lambda: self.evaluator.eval(attr.expr))
        self._output_values[name] = value
        return value

    # module calls -----------------------------------------------------------------------

    def module_call(self, name: str) -> Any:
        call = self.call(name)
        if call is None:
            return Invalid(f"module.{name} is not declared")
        return call.as_value()

    def call(self, name: str) -> _ModuleCall | None:
        if name not in self._children:
            block = self.calls.get(name)
            if block is None:
                return None
            self._children[name] = _ModuleCall(self, name, block)
        return self._children[name]

    # instances --------------------------------------------------------------------------

    def all_instances(self) -> list[Res]:
        out: list[Res] = []
        for res in self.resources.values():
            if res.mode == "managed":
                out.extend(res.instances())
        for name in self.calls:
            call = self.call(name)
            for child in call.instances() if call is not None else []:
                if isinstance(child, _Module):
                    out.extend(child.all_instances())
        return out


class _ModuleCall(Lazy):
    """A ``module`` block: no instance (count 0), one, or one per count index / for_each key."""

    def __init__(self, parent: _Module, name: str, block: Block) -> None:
        self.parent = parent
        self.name = name
        self.block = block
        self.address = f"{parent.prefix}module.{name}"
        self.key = f"{parent.key}.{name}" if parent.key else name
        self.expanded = "count" in block.body.attrs or "for_each" in block.body.attrs
        self._instances: dict[str, _Module | Unknown] | None = None

    def describe(self) -> str:
        return self.address

    def instances(self) -> list[_Module | Unknown]:
        return list(self._expand().values())

    def _expand(self) -> dict[str, _Module | Unknown]:
        if self._instances is None:
            self._instances = {}  # a call that reaches itself while expanding sees nothing
            self._instances = self._make()
        return self._instances

    def _make(self) -> dict[str, _Module | Unknown]:
        attrs = self.block.body.attrs
        ev = self.parent.evaluator
        keys: list[tuple[str, Scope]]
        if "for_each" in attrs:
            value = plain_value(ev.eval(attrs["for_each"].expr))
            if isinstance(value, dict):
                keys = [(f'["{k}"]', {"each": {"key": k, "value": v}}) for k, v in value.items()]
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                keys = [(f'["{v}"]', {"each": {"key": v, "value": v}}) for v in value]
            else:
                return {"[*]": self._symbolic("for_each", value)}
        elif "count" in attrs:
            count = ev.eval(attrs["count"].expr)
            if isinstance(count, bool):
                count = int(count)
            if not isinstance(count, (int, float)) or not 0 <= count <= _MAX_INSTANCES:
                return {"[*]": self._symbolic("count", count)}
            keys = [(f"[{i}]", {"count": {"index": i}}) for i in range(int(count))]
        else:
            keys = [("", {})]
        if not keys:
            return {}
        found = self._folder()
        if found is None:
            reason = f"{self.address} is not followed; its outputs are not known"
            return {key: Unknown(reason) for key, _ in keys}
        return {key: self._module(found, key, scope, None) for key, scope in keys}

    def _symbolic(self, what: str, value: Any) -> _Module | Unknown:
        reason = f"the {what} of {self.address} is not known"
        if isinstance(value, Unknown):
            reason += f" ({value.reason})"
        found = self._folder()
        if found is None:
            return Unknown(f"{self.address} is not followed; its outputs are not known")
        unknown = Unknown(reason)
        return self._module(found, "[*]", {"each": unknown, "count": {"index": unknown}}, reason)

    def _folder(self) -> Path | None:
        """The module's code, or None after recording why it is not followed (a gap)."""
        ctx = self.parent.ctx
        source = _literal_string(self.block.body.attrs.get("source"))
        found = resolve(
            self.address, source, self.parent.folder, self.key, ctx.manifest(self.parent.root)
        )
        subject = f"{self.address} ({source or 'unknown source'})"
        if found.warning:
            ctx.note(NOTE_WARNING, self.block, found.warning, subject)
        if found.gap:
            ctx.note(NOTE_GAP, self.block, found.gap, subject)
        return found.folder

    def _module(self, folder: Path, key: str, scope: Scope, reason: str | None) -> _Module:
        inputs: dict[str, Thunk] = {}
        for name, attr in self.block.body.attrs.items():
            if name in _META_ARGS:
                continue
            inputs[name] = self._input(attr, scope)
        return _Module(
            self.parent.ctx,
            folder,
            f"{self.address}{key}.",
            inputs,
            self.parent.root,
            call_unknown=reason,
            key=self.key,
        )

    def _input(self, attr: Attribute, scope: Scope) -> Thunk:
        ev = self.parent.evaluator
        return lambda: ev.eval(attr.expr, scope)

    # as a value: module.x, module.x[0], module.x["k"], module.x[*]

    def as_value(self) -> Any:
        if self.expanded:
            return self
        instances = self.instances()
        if not instances:
            return Unknown(f"{self.address} is being expanded")
        return _module_value(instances[0], self.address)

    def index(self, key: Any) -> Any:
        instances = self._expand()
        if "[*]" in instances:
            return _module_value(instances["[*]"], self.address)
        wanted = f"[{int(key)}]" if isinstance(key, (int, float)) else f'["{key}"]'
        if wanted in instances:
            return _module_value(instances[wanted], self.address)
        return Invalid(f"{self.address}{wanted} does not exist")

    def splat(self) -> list[Any] | Unknown:
        return [_module_value(m, self.address) for m in self.instances()]

    def attr(self, name: str) -> Any:
        return Invalid(f"{self.address} has count/for_each; index it to read {name!r}")

    def materialize(self) -> Any:
        return Unknown(f"{self.address} as a whole object is not evaluated")


def _module_value(instance: _Module | Unknown, address: str) -> Any:
    if isinstance(instance, Unknown):
        return instance
    return _ModuleObject(instance, address)


_META_ARGS = ("source", "version", "providers", "count", "for_each", "depends_on")


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
            return Invalid(f"{self.module.prefix}{self.describe()}.{name} is not declared")
        return res.as_value()


class _ModuleObject(Lazy):
    """One instance of a module: its outputs are its attributes."""

    def __init__(self, module: _Module, address: str) -> None:
        self.module = module
        self.address = address

    def describe(self) -> str:
        return self.module.prefix.rstrip(".")

    def attr(self, name: str) -> Any:
        return self.module.output(name)

    def materialize(self) -> Any:
        return {name: self.module.output(name) for name in self.module.outputs}


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
        return Invalid(f"{self.address}{wanted} does not exist")

    def splat(self) -> list[Any] | Unknown:
        return list(self.instances())

    def attr(self, name: str) -> Any:
        return Invalid(f"{self.address} has count/for_each; index it to read {name!r}")


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


__all__ = ["FORMAT", "detect", "load", "policy_document", "root_modules"]
