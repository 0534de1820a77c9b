"""Terraform source: HCL folders (root modules, module calls, variables) → Inventory.

Parsing is tree-sitter (:mod:`fortress.sources.hcl`), expressions are evaluated by
:mod:`fortress.sources.tf_expr`. This module holds the module tree: names (``var``, ``local``,
``module``, ``data``, resource types), variables (defaults, tfvars, ``--var``), module calls
(local folders, or what ``terraform init`` fetched: :mod:`fortress.sources.tf_modules`) with
their ``count``/``for_each`` and inputs evaluated lazily, as Terraform does. Resource blocks and
their instances are :mod:`fortress.sources.tf_resources`; :mod:`fortress.sources.tf_mapping`
builds the Inventory from the instances (the same mapper serves ``terraform show -json`` plans).
What is not followed (a module not downloaded, a file not read) is a gap note on the Inventory.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fortress import safeio
from fortress.errors import InputError
from fortress.inventory import (
    NOTE_GAP,
    NOTE_WARNING,
    TEMPLATE_ACCOUNT,
    Inventory,
    SourceNote,
    Unknown,
)
from fortress.sources.base import IacOptions, gc_paused
from fortress.sources.detect import terraform as detect
from fortress.sources.detect import tf_dirs
from fortress.sources.hcl import MAX_TF_BYTES, Attribute, Block, Body, parse_file
from fortress.sources.tf_attrs import REGION_PLACEHOLDER, Res
from fortress.sources.tf_expr import Evaluator, Scope
from fortress.sources.tf_files import read_regular
from fortress.sources.tf_mapping import build_inventory
from fortress.sources.tf_modules import Manifest, resolve
from fortress.sources.tf_policy import policy_document
from fortress.sources.tf_resources import FORMAT, MAX_INSTANCES, ResourceBlock
from fortress.sources.tf_values import Invalid, Lazy, plain_value

# --------------------------------------------------------------------------- contract


def load(path: Path, options: IacOptions | None = None) -> Inventory:
    """Every root module under ``path`` (a .tf file, a module folder or a tree of them)."""
    with gc_paused():
        return _load(path, options or IacOptions())


def _load(path: Path, options: IacOptions) -> Inventory:
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
    inventory = Inventory(scope="template")
    for root in roots:
        # Each root is its own configuration: resources of two roots are never linked by name.
        module = _Module(ctx, root, "", None, root, only_file=only)
        inventory.extend(
            build_inventory(module.all_instances(), ctx.account, options.region, FORMAT)
        )
    inventory.notes.extend(ctx.notes)
    return inventory


def root_modules(folder: Path, cache: dict[Path, Body] | None = None) -> list[Path]:
    """Folders with .tf files that no other folder under ``folder`` uses as a local module."""
    dirs = list(tf_dirs(folder))
    used: set[Path] = set()
    if len(dirs) < 2:
        return dirs
    cache = {} if cache is None else cache
    for d in dirs:
        for tf in sorted(d.glob("*.tf")):
            try:
                if b"module" not in safeio.read_template_bytes(tf):
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
        self.account = ctx.account
        self.region = ctx.region
        self.given_region = ctx.options.region
        self.folder = folder
        self.prefix = prefix
        self.inputs = inputs  # None for a root module
        self.root = root
        self.key = key  # the manifest key of this module call ("a.b"); "" for the root
        self.call_unknown = call_unknown
        self.variables: dict[str, Block] = {}
        self.locals: dict[str, Attribute] = {}
        self.outputs: dict[str, Attribute] = {}
        self.resources: dict[tuple[str, str, str], ResourceBlock] = {}
        self.calls: dict[str, Block] = {}
        self._children: dict[str, _ModuleCall] = {}
        self._local_values: dict[str, Any] = {}
        self._var_values: dict[str, Any] = {}
        self._output_values: dict[str, Any] = {}
        self.in_progress: set[str] = set()
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
            self.resources[(mode, labels[0], labels[1])] = ResourceBlock(self, block, mode)
        elif kind == "module" and labels:
            self.calls[labels[0]] = block

    def _guarded(self, key: str, compute: Thunk) -> Any:
        """``compute()``, or an unknown when ``key`` is already being evaluated (a cycle)."""
        if key in self.in_progress:
            return Unknown(f"{self.prefix}{key} is part of a reference cycle")
        self.in_progress.add(key)
        try:
            return compute()
        finally:
            self.in_progress.discard(key)

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
                # null overrides the default, unless the variable says nullable = false
                nullable = decl.body.attrs.get("nullable") if decl is not None else None
                if value is not None or nullable is None or decl is None:
                    return value
                if self.evaluator.eval(nullable.expr) is not False:
                    return value
                if "default" not in decl.body.attrs:
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
            if not isinstance(count, (int, float)) or not 0 <= count <= MAX_INSTANCES:
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


__all__ = ["FORMAT", "detect", "load", "policy_document", "root_modules"]
