"""HCL (Terraform) parsing with tree-sitter and evaluation of its expressions to values.

:func:`parse_file` turns a ``.tf``/``.tfvars`` file into :class:`Body` objects (attributes keep
their syntax node, evaluated later); :class:`Evaluator` turns an expression node into a Python
value: ``str``, ``int``/``float``, ``bool``, ``None``, ``list``, ``dict``, :class:`JsonDoc`
(the result of ``jsonencode``), a :class:`Lazy` object (a resource, a module, a namespace), or
:class:`inventory.Unknown` with the reason when the value is not known before apply.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tree_sitter_hcl
from tree_sitter import Language, Node, Parser

from fortress import safeio
from fortress.errors import InputError
from fortress.inventory import Unknown

_LANGUAGE = Language(tree_sitter_hcl.language())
_PARSER = Parser(_LANGUAGE)


@dataclass(frozen=True)
class Computed(Unknown):
    """An attribute only known after apply; ``ref`` is "<resource type>.<attribute>"."""

    ref: str = ""


# --------------------------------------------------------------------------- syntax


@dataclass
class Attribute:
    name: str
    expr: Node
    line: int


@dataclass
class Block:
    type: str
    labels: list[str]
    body: Body
    line: int
    file: str
    comments: list[str] = field(default_factory=list)  # every comment inside the block


@dataclass
class Body:
    attrs: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def blocks_of(self, type_: str) -> list[Block]:
        return [b for b in self.blocks if b.type == type_]


def parse_file(path: Path) -> Body:
    try:
        data = safeio.read_template_bytes(path)  # regular files only, size-capped
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    return parse_bytes(data, str(path))


def parse_bytes(data: bytes, file: str) -> Body:
    tree = _PARSER.parse(data)
    root = tree.root_node
    if root.has_error:
        bad = _first_error(root)
        line = bad.start_point[0] + 1 if bad is not None else None
        near = (
            bad.text.decode("utf-8", "replace").strip()[:30] if bad is not None and bad.text else ""
        )
        what = "unexpected " + repr(near) if near else "missing or unbalanced token"
        raise InputError(file, f"HCL syntax error: {what}", line)
    body = next((c for c in root.children if c.type == "body"), None)
    if body is None:
        return Body()
    return _body(body, file, [])


def _first_error(node: Node) -> Node | None:
    if node.is_error or node.is_missing:
        return node
    for child in node.children:
        if child.has_error or child.is_missing:
            found = _first_error(child)
            if found is not None:
                return found
    return None


def _body(node: Node, file: str, comments: list[str]) -> Body:
    body = Body()
    for child in node.children:
        kind = child.type
        if kind == "attribute":
            name = child.children[0].text
            expr = child.children[2] if len(child.children) > 2 else child.children[-1]
            key = name.decode() if name else ""
            body.attrs[key] = Attribute(key, expr, child.start_point[0] + 1)
        elif kind == "block":
            body.blocks.append(_block(child, file, comments))
        elif kind == "comment" and child.text:
            comments.append(child.text.decode("utf-8", "replace"))
    return body


def _block(node: Node, file: str, outer: list[str]) -> Block:
    labels: list[str] = []
    btype = ""
    inner: list[str] = []
    body = Body()
    for child in node.children:
        kind = child.type
        if kind == "identifier" and not btype:
            btype = (child.text or b"").decode()
        elif kind == "identifier":
            labels.append((child.text or b"").decode())
        elif kind == "string_lit":
            labels.append(_string_lit(child))
        elif kind == "body":
            body = _body(child, file, inner)
        elif kind == "comment" and child.text:
            inner.append(child.text.decode("utf-8", "replace"))
    outer.extend(inner)
    return Block(btype, labels, body, node.start_point[0] + 1, file, inner)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)|\$\$\{|%%\{", re.S)


def _unescape(text: str) -> str:
    if "\\" not in text and "$${" not in text and "%%{" not in text:
        return text

    def sub(m: re.Match[str]) -> str:
        whole = m.group(0)
        if whole == "$${":
            return "${"
        if whole == "%%{":
            return "%{"
        esc = m.group(1)
        if esc[0] in "uU" and len(esc) > 1:
            return chr(int(esc[1:], 16))
        return _ESCAPES.get(esc, whole)

    return _ESCAPE_RE.sub(sub, text)


def _string_lit(node: Node) -> str:
    return "".join(
        _unescape((c.text or b"").decode()) for c in node.children if c.type == "template_literal"
    )


# --------------------------------------------------------------------------- values


class Lazy:
    """An object resolved attribute by attribute (resource, module, namespace)."""

    def describe(self) -> str:
        return "object"

    def attr(self, name: str) -> Any:
        return Unknown(f"{self.describe()} has no attribute {name!r}")

    def index(self, key: Any) -> Any:
        return Unknown(f"{self.describe()}[{key!r}] is not known")

    def splat(self) -> list[Any] | Unknown:
        return [self]

    def materialize(self) -> Any:
        return Unknown(f"{self.describe()} is not known before apply")


@dataclass
class JsonDoc:
    """``jsonencode(value)``: kept as a structure so that policies keep their unknown leaves."""

    value: Any

    def text(self) -> str | Unknown:
        plain = plain_value(self.value)
        bad = first_unknown(plain)
        if bad is not None:
            return bad
        return json.dumps(plain, separators=(",", ":"))


def plain_value(value: Any) -> Any:
    """Lazy objects materialized, JsonDoc kept, containers copied."""
    if isinstance(value, Lazy):
        return plain_value(value.materialize())
    if isinstance(value, dict):
        return {k: plain_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    if isinstance(value, JsonDoc):
        return value.text()
    return value


def first_unknown(value: Any) -> Unknown | None:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            found = first_unknown(item)
            if found is not None:
                return found
    return None


def to_str(value: Any) -> str | Unknown:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _num_str(value)
    if isinstance(value, Unknown):
        return value
    if isinstance(value, JsonDoc):
        return value.text()
    if isinstance(value, Lazy):
        return to_str(value.materialize())
    if value is None:
        return Unknown("null used in a string")
    return Unknown(f"a {type(value).__name__} cannot be used as a string")


def _num_str(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _num(value: Any) -> float | Unknown:
    if isinstance(value, bool):
        return Unknown("a bool is not a number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return Unknown(f"{value!r} is not a number")
    if isinstance(value, Unknown):
        return value
    return Unknown(f"{type(value).__name__} is not a number")


def _truth(value: Any) -> bool | Unknown:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    return Unknown(f"{value!r} is not a bool")


def _seq(value: Any) -> list[Any] | Unknown:
    if isinstance(value, Lazy):
        return value.splat()
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, Unknown):
        return value
    return Unknown(f"{type(value).__name__} is not a collection")


# --------------------------------------------------------------------------- evaluation

Scope = dict[str, Any]
Lookup = Callable[[str], Any]

_UNDEFINED = object()


class Evaluator:
    """Evaluates expression nodes; ``lookup`` resolves root names (var, local, resource types)."""

    def __init__(self, lookup: Lookup, module_dir: Path, root_dir: Path | None = None) -> None:
        self.lookup = lookup
        self.module_dir = module_dir
        self.root_dir = root_dir or module_dir
        self.lenient_templates = False  # unknown interpolations rendered as ${...} placeholders

    # entry ------------------------------------------------------------------------------

    def eval(self, node: Node, scope: Scope | None = None) -> Any:
        return self._eval(node, scope or {})

    def _eval(self, node: Node, scope: Scope) -> Any:
        kind = node.type
        method = _DISPATCH.get(kind)
        if method is None:
            return Unknown(f"unsupported expression {kind}")
        return method(self, node, scope)

    def _expression(self, node: Node, scope: Scope) -> Any:
        children = node.children
        if not children:
            return Unknown("empty expression")
        first = children[0]
        rest: list[Node] = []
        if first.type == "(":
            value = self._eval(children[1], scope)
            rest = children[3:]
        else:
            value = self._eval(first, scope)
            rest = children[1:]
        for post in rest:
            value = self._postfix(value, post, scope)
        return value

    def _postfix(self, value: Any, post: Node, scope: Scope) -> Any:
        kind = post.type
        if kind == "get_attr":
            name = (post.children[-1].text or b"").decode()
            return get_attr(value, name)
        if kind == "index":
            inner = post.children[0]
            if inner.type == "new_index":
                key = self._eval(inner.children[1], scope)
            else:  # legacy a.0
                digits = (inner.text or b"").decode().lstrip(".")
                key = int(digits) if digits.isdigit() else Unknown("bad legacy index")
            return get_index(value, key)
        if kind == "splat":
            inner = post.children[0]
            items = _seq(value) if value is not None else []
            if isinstance(items, Unknown):
                return items
            steps = inner.children[1:]
            out = []
            for item in items:
                for step in steps:
                    item = self._postfix(item, step, scope)
                out.append(item)
            return out
        return Unknown(f"unsupported {kind}")

    # leaves -----------------------------------------------------------------------------

    def _literal(self, node: Node, scope: Scope) -> Any:
        child = node.children[0]
        kind = child.type
        if kind == "numeric_lit":
            text = (child.text or b"0").decode()
            try:
                return int(text)
            except ValueError:
                return float(text)
        if kind == "bool_lit":
            return child.children[0].type == "true"
        if kind == "null_lit":
            return None
        if kind == "string_lit":
            return _string_lit(child)
        return self._eval(child, scope)

    def _variable(self, node: Node, scope: Scope) -> Any:
        name = (node.children[0].text or b"").decode()
        if name in scope:
            return scope[name]
        return self.lookup(name)

    def _collection(self, node: Node, scope: Scope) -> Any:
        return self._eval(node.children[0], scope)

    def _tuple(self, node: Node, scope: Scope) -> Any:
        return [self._eval(c, scope) for c in node.children if c.type == "expression"]

    def _object(self, node: Node, scope: Scope) -> Any:
        out: dict[str, Any] = {}
        for elem in node.children:
            if elem.type != "object_elem":
                continue
            exprs = [c for c in elem.children if c.type == "expression"]
            if len(exprs) != 2:
                continue
            key_node, value_node = exprs
            key: Any
            if len(key_node.children) == 1 and key_node.children[0].type == "variable_expr":
                key = (key_node.children[0].children[0].text or b"").decode()
            else:
                key = to_str(self._eval(key_node, scope))
            if isinstance(key, Unknown):
                return Unknown(f"an object key is not known: {key.reason}")
            out[key] = self._eval(value_node, scope)
        return out

    # templates --------------------------------------------------------------------------

    def _template_expr(self, node: Node, scope: Scope) -> Any:
        return self._eval(node.children[0], scope)

    def _quoted_template(self, node: Node, scope: Scope) -> Any:
        parts = [
            c
            for c in node.children
            if c.type not in ("quoted_template_start", "quoted_template_end")
        ]
        if len(parts) == 1 and parts[0].type == "template_interpolation":
            return self._eval(_interp_expr(parts[0]), scope)  # "${x}" keeps x's type
        return self._render(node, parts, scope, quoted=True)

    def _heredoc(self, node: Node, scope: Scope) -> Any:
        children = node.children
        strip = children[0].text == b"<<-"
        idents = [c for c in children if c.type == "heredoc_identifier"]
        if len(idents) < 2:
            return Unknown("unterminated heredoc")
        parts = [c for c in children if c.type in ("template_interpolation", "template_directive")]
        text = node.text or b""
        base = node.start_byte
        start = text.find(b"\n", idents[0].end_byte - base) + 1
        end = idents[1].start_byte - base
        while end > start and text[end - 1 : end] in (b" ", b"\t"):
            end -= 1
        rendered = self._render_span(text, base, start, end, parts, scope, quoted=False)
        if strip and isinstance(rendered, str):
            lines = rendered.split("\n")
            indents = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
            cut = min(indents) if indents else 0
            rendered = "\n".join(ln[cut:] for ln in lines)
        return rendered

    def _render(self, node: Node, parts: list[Node], scope: Scope, quoted: bool) -> Any:
        text = node.text or b""
        base = node.start_byte
        inner = [p for p in parts if p.type in ("template_interpolation", "template_directive")]
        return self._render_span(text, base, 1, len(text) - 1, inner, scope, quoted)

    def _render_span(
        self,
        text: bytes,
        base: int,
        start: int,
        end: int,
        parts: list[Node],
        scope: Scope,
        quoted: bool,
    ) -> Any:
        out: list[str] = []
        pos = start
        skip_until: int | None = None
        unknown: Unknown | None = None
        for part in parts:
            if part.start_byte - base < pos:
                continue
            literal = text[pos : part.start_byte - base].decode("utf-8", "replace")
            if skip_until is None:
                out.append(
                    _unescape(literal)
                    if quoted
                    else literal.replace("$${", "${").replace("%%{", "%{")
                )
            pos = part.end_byte - base
            if part.type == "template_interpolation":
                value = to_str(self._eval(_interp_expr(part), scope))
                if isinstance(value, Unknown):
                    if not self.lenient_templates:
                        unknown = unknown or value
                    value = "${" + (part.text or b"").decode()[2:-1].strip() + "}"
                out.append(value)
            else:
                rendered = self._directive(part, scope)
                if isinstance(rendered, Unknown):
                    unknown = unknown or rendered
                else:
                    out.append(rendered)
        tail = text[pos:end].decode("utf-8", "replace")
        out.append(_unescape(tail) if quoted else tail.replace("$${", "${").replace("%%{", "%{"))
        if unknown is not None:
            return unknown
        return "".join(out)

    def _directive(self, node: Node, scope: Scope) -> str | Unknown:
        inner = node.children[0]
        if inner.type != "template_if":
            return Unknown("template for-directives are not evaluated")
        intro = inner.children[0]
        cond_node = next(c for c in intro.children if c.type == "expression")
        cond = _truth(self._eval(cond_node, scope))
        if isinstance(cond, Unknown):
            return cond
        then_parts: list[str] = []
        else_parts: list[str] = []
        target = then_parts
        for child in inner.children[1:]:
            if child.type == "template_else_intro":
                target = else_parts
            elif child.type == "template_literal":
                target.append(_unescape((child.text or b"").decode()))
            elif child.type == "template_interpolation":
                value = to_str(self._eval(_interp_expr(child), scope))
                if isinstance(value, Unknown):
                    return value
                target.append(value)
        return "".join(then_parts if cond else else_parts)

    # operators --------------------------------------------------------------------------

    def _operation(self, node: Node, scope: Scope) -> Any:
        return self._eval(node.children[0], scope)

    def _unary(self, node: Node, scope: Scope) -> Any:
        op = node.children[0].type
        value = self._eval(node.children[1], scope)
        if op == "!":
            truth = _truth(value)
            return truth if isinstance(truth, Unknown) else not truth
        number = _num(value)
        return number if isinstance(number, Unknown) else -number

    def _binary(self, node: Node, scope: Scope) -> Any:
        items = [c for c in node.children if c.type not in ("(", ")")]
        if len(items) != 3:
            return Unknown("unsupported operation")
        left_node, op_node, right_node = items
        op = op_node.type
        left = self._eval(left_node, scope)
        if op in ("&&", "||"):
            lt = _truth(left)
            if not isinstance(lt, Unknown) and ((op == "&&" and not lt) or (op == "||" and lt)):
                return lt
            rt = _truth(self._eval(right_node, scope))
            if isinstance(lt, Unknown):
                return lt
            return rt
        right = self._eval(right_node, scope)
        if op in ("==", "!="):
            for side in (left, right):
                if isinstance(side, Unknown) or first_unknown(plain_value(side)) is not None:
                    return side if isinstance(side, Unknown) else Unknown("comparison with unknown")
            equal = plain_value(left) == plain_value(right)
            return equal if op == "==" else not equal
        a, b = _num(left), _num(right)
        if isinstance(a, Unknown):
            return a
        if isinstance(b, Unknown):
            return b
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / b if b else Unknown("division by zero")
        if op == "%":
            return a % b if b else Unknown("division by zero")
        if op == "<":
            return a < b
        if op == ">":
            return a > b
        if op == "<=":
            return a <= b
        if op == ">=":
            return a >= b
        return Unknown(f"unsupported operator {op}")

    def _conditional(self, node: Node, scope: Scope) -> Any:
        exprs = [c for c in node.children if c.type not in ("?", ":")]
        cond = _truth(self._eval(exprs[0], scope))
        if isinstance(cond, Unknown):
            a = self._eval(exprs[1], scope)
            b = self._eval(exprs[2], scope)
            if not isinstance(a, Lazy) and plain_value(a) == plain_value(b):
                return a
            return Unknown(f"condition is not known ({cond.reason})")
        return self._eval(exprs[1] if cond else exprs[2], scope)

    # for expressions --------------------------------------------------------------------

    def _for(self, node: Node, scope: Scope) -> Any:
        inner = node.children[0]
        intro = next(c for c in inner.children if c.type == "for_intro")
        names = [(c.text or b"").decode() for c in intro.children if c.type == "identifier"]
        coll = self._eval(next(c for c in intro.children if c.type == "expression"), scope)
        if isinstance(coll, Lazy):
            coll = coll.splat()
        if isinstance(coll, Unknown):
            return coll
        if isinstance(coll, dict):
            pairs: list[tuple[Any, Any]] = list(coll.items())
        elif isinstance(coll, list):
            pairs = list(enumerate(coll))
        else:
            return Unknown("for expression over a non-collection")
        exprs = [c for c in inner.children if c.type == "expression"]
        cond = next((c for c in inner.children if c.type == "for_cond"), None)
        grouping = any(c.type == "ellipsis" for c in inner.children)
        is_object = inner.type == "for_object_expr"
        out_list: list[Any] = []
        out_map: dict[str, Any] = {}
        for key, value in pairs:
            local = dict(scope)
            if len(names) == 2:
                local[names[0]], local[names[1]] = key, value
            else:
                local[names[0]] = value
            if cond is not None:
                keep = _truth(self._eval(cond.children[-1], local))
                if isinstance(keep, Unknown):
                    return keep
                if not keep:
                    continue
            if is_object:
                k = to_str(self._eval(exprs[0], local))
                if isinstance(k, Unknown):
                    return k
                v = self._eval(exprs[1], local)
                if grouping:
                    out_map.setdefault(k, []).append(v)
                else:
                    out_map[k] = v
            else:
                out_list.append(self._eval(exprs[0], local))
        return out_map if is_object else out_list

    # functions --------------------------------------------------------------------------

    def _call(self, node: Node, scope: Scope) -> Any:
        name = (node.children[0].text or b"").decode()
        args_node = next((c for c in node.children if c.type == "function_arguments"), None)
        arg_nodes = [c for c in args_node.children if c.type == "expression"] if args_node else []
        expand = args_node is not None and any(c.type == "ellipsis" for c in args_node.children)
        if name in ("try", "can"):
            return self._try(name, arg_nodes, scope)
        args = [self._eval(a, scope) for a in arg_nodes]
        if expand and args:
            last = _seq(args[-1])
            if isinstance(last, Unknown):
                return last
            args = [*args[:-1], *last]
        func = _FUNCTIONS.get(name.split("::")[-1])
        if func is None:
            return Unknown(f"function {name}() is not evaluated")
        try:
            return func(self, args)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            return Unknown(f"{name}() failed: {exc}")

    def _try(self, name: str, arg_nodes: list[Node], scope: Scope) -> Any:
        first: Any = _UNDEFINED
        for arg in arg_nodes:
            value = self._eval(arg, scope)
            if first is _UNDEFINED:
                first = value
            if not isinstance(value, Unknown):
                return True if name == "can" else value
        if name == "can":
            return Unknown("can() of an unknown value")
        return first if first is not _UNDEFINED else Unknown("try() without arguments")

    def read_file(self, rel: Any) -> str | Unknown:
        path = to_str(rel)
        if isinstance(path, Unknown):
            return path
        target = Path(path)
        if not target.is_absolute():
            target = self.root_dir / target
        try:
            return target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return Unknown(f"file({path!r}) cannot be read: {exc}")


def _interp_expr(node: Node) -> Node:
    return next(c for c in node.children if c.type == "expression")


_DISPATCH: dict[str, Callable[[Evaluator, Node, Scope], Any]] = {
    "expression": Evaluator._expression,
    "literal_value": Evaluator._literal,
    "variable_expr": Evaluator._variable,
    "collection_value": Evaluator._collection,
    "tuple": Evaluator._tuple,
    "object": Evaluator._object,
    "template_expr": Evaluator._template_expr,
    "quoted_template": Evaluator._quoted_template,
    "heredoc_template": Evaluator._heredoc,
    "operation": Evaluator._operation,
    "unary_operation": Evaluator._unary,
    "binary_operation": Evaluator._binary,
    "conditional": Evaluator._conditional,
    "for_expr": Evaluator._for,
    "function_call": Evaluator._call,
    "string_lit": lambda self, node, scope: _string_lit(node),
}


# --------------------------------------------------------------------------- traversal


def get_attr(value: Any, name: str) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Lazy):
        return value.attr(name)
    if isinstance(value, dict):
        if name in value:
            return value[name]
        return Unknown(f"attribute {name!r} is not set")
    if isinstance(value, JsonDoc):
        return Unknown("attribute of a JSON string")
    if value is None:
        return Unknown(f"attribute {name!r} of null")
    return Unknown(f"a {type(value).__name__} has no attribute {name!r}")


def get_index(value: Any, key: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(key, Unknown):
        return Unknown(f"index is not known: {key.reason}")
    if isinstance(value, Lazy):
        return value.index(key)
    if isinstance(value, list):
        number = _num(key)
        if isinstance(number, Unknown):
            return number
        idx = int(number)
        if 0 <= idx < len(value):
            return value[idx]
        return Unknown(f"index {idx} is out of range")
    if isinstance(value, dict):
        skey = to_str(key)
        if isinstance(skey, str) and skey in value:
            return value[skey]
        return Unknown(f"key {key!r} is not set")
    return Unknown(f"cannot index a {type(value).__name__}")


# --------------------------------------------------------------------------- functions


def _all_known(args: list[Any]) -> Unknown | None:
    for arg in args:
        if isinstance(arg, Unknown):
            return arg
        if isinstance(arg, Lazy):
            return Unknown(f"{arg.describe()} is not known before apply")
    return None


def _strict(func: Callable[[list[Any]], Any]) -> Callable[[Evaluator, list[Any]], Any]:
    def wrapped(ev: Evaluator, args: list[Any]) -> Any:
        bad = _all_known(args)
        if bad is not None:
            return bad
        return func(args)

    return wrapped


def _strs(args: list[Any]) -> list[str] | Unknown:
    out = []
    for arg in args:
        s = to_str(arg)
        if isinstance(s, Unknown):
            return s
        out.append(s)
    return out


def _f_format(args: list[Any]) -> Any:
    fmt = to_str(args[0])
    if isinstance(fmt, Unknown):
        return fmt
    values = iter(args[1:])
    out: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        j = i + 1
        while j < len(fmt) and fmt[j] in "0123456789.-+# ":
            j += 1
        verb = fmt[j] if j < len(fmt) else "%"
        i = j + 1
        if verb == "%":
            out.append("%")
            continue
        value = next(values)
        if verb == "q":
            s = to_str(value)
            if isinstance(s, Unknown):
                return s
            out.append(json.dumps(s))
        elif verb == "v" and isinstance(value, (dict, list)):
            out.append(json.dumps(value))
        else:
            s = to_str(value)
            if isinstance(s, Unknown):
                return s
            out.append(s)
    return "".join(out)


def _f_join(args: list[Any]) -> Any:
    sep = to_str(args[0])
    if isinstance(sep, Unknown):
        return sep
    items: list[Any] = []
    for lst in args[1:]:
        seq = _seq(lst)
        if isinstance(seq, Unknown):
            return seq
        items.extend(seq)
    strs = _strs(items)
    return strs if isinstance(strs, Unknown) else sep.join(strs)


def _f_concat(args: list[Any]) -> Any:
    out: list[Any] = []
    for arg in args:
        seq = _seq(arg)
        if isinstance(seq, Unknown):
            return seq
        out.extend(seq)
    return out


def _f_merge(args: list[Any]) -> Any:
    out: dict[str, Any] = {}
    for arg in args:
        if arg is None:
            continue
        if not isinstance(arg, dict):
            return Unknown("merge() of a non-map")
        out.update(arg)
    return out


def _f_lookup(args: list[Any]) -> Any:
    mapping, key = args[0], to_str(args[1])
    if isinstance(key, Unknown):
        return key
    if isinstance(mapping, dict) and key in mapping:
        return mapping[key]
    if len(args) > 2:
        return args[2]
    return Unknown(f"lookup(): key {key!r} is not set")


def _f_toset(args: list[Any]) -> Any:
    seq = _seq(args[0])
    if isinstance(seq, Unknown):
        return seq
    out: list[Any] = []
    for item in seq:
        if item not in out:
            out.append(item)
    return out


def _f_coalesce(args: list[Any]) -> Any:
    for arg in args:
        if isinstance(arg, Unknown):
            return arg
        if arg is not None and arg != "":
            return arg
    return Unknown("coalesce(): no non-empty argument")


def _f_length(args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, (str, list, dict)):
        return len(value)
    return Unknown("length() of a non-collection")


def _f_replace(args: list[Any]) -> Any:
    strs = _strs(args)
    if isinstance(strs, Unknown):
        return strs
    s, old, new = strs
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        return re.sub(old[1:-1], re.sub(r"\$(\d+)", r"\\\1", new), s)
    return s.replace(old, new)


def _f_split(args: list[Any]) -> Any:
    strs = _strs(args)
    return strs if isinstance(strs, Unknown) else strs[1].split(strs[0])


def _f_flatten(args: list[Any]) -> Any:
    out: list[Any] = []

    def walk(v: Any) -> None:
        if isinstance(v, list):
            for item in v:
                walk(item)
        else:
            out.append(v)

    walk(args[0])
    return out


def _f_element(args: list[Any]) -> Any:
    seq = _seq(args[0])
    if isinstance(seq, Unknown):
        return seq
    if not seq:
        return Unknown("element() of an empty list")
    return seq[int(args[1]) % len(seq)]


def _f_jsonencode(ev: Evaluator, args: list[Any]) -> Any:
    if isinstance(args[0], Unknown):
        return args[0]
    return JsonDoc(args[0])


def _f_jsondecode(ev: Evaluator, args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, JsonDoc):
        return value.value
    text = to_str(value)
    if isinstance(text, Unknown):
        return text
    return json.loads(text)


def _f_file(ev: Evaluator, args: list[Any]) -> Any:
    return ev.read_file(args[0])


def _str1(func: Callable[..., Any]) -> Callable[[Evaluator, list[Any]], Any]:
    def wrapped(ev: Evaluator, args: list[Any]) -> Any:
        strs = _strs(args)
        if isinstance(strs, Unknown):
            return strs
        return func(*strs)

    return wrapped


_FUNCTIONS: dict[str, Callable[[Evaluator, list[Any]], Any]] = {
    "jsonencode": _f_jsonencode,
    "jsondecode": _f_jsondecode,
    "file": _f_file,
    "format": _strict(_f_format),
    "join": _strict(_f_join),
    "concat": _strict(_f_concat),
    "merge": _strict(_f_merge),
    "lookup": lambda ev, a: a[0] if isinstance(a[0], Unknown) else _f_lookup(a),
    "tomap": _strict(lambda a: dict(a[0])),
    "tolist": _strict(lambda a: _seq(a[0])),
    "toset": _strict(_f_toset),
    "tostring": _strict(lambda a: to_str(a[0]) if a[0] is not None else None),
    "tonumber": _strict(lambda a: _num(a[0]) if a[0] is not None else None),
    "tobool": _strict(lambda a: _truth(a[0]) if a[0] is not None else None),
    "coalesce": lambda ev, a: _f_coalesce(a),
    "coalescelist": _strict(lambda a: next((x for x in a if x), [])),
    "length": _strict(_f_length),
    "lower": _str1(lambda s: s.lower()),
    "upper": _str1(lambda s: s.upper()),
    "title": _str1(lambda s: s.title()),
    "trimspace": _str1(lambda s: s.strip()),
    "trimprefix": _str1(lambda s, p: s[len(p) :] if s.startswith(p) else s),
    "trimsuffix": _str1(lambda s, p: s[: -len(p)] if p and s.endswith(p) else s),
    "startswith": _str1(lambda s, p: s.startswith(p)),
    "endswith": _str1(lambda s, p: s.endswith(p)),
    "replace": _strict(_f_replace),
    "split": _strict(_f_split),
    "substr": _strict(
        lambda a: str(a[0])[int(a[1]) : (int(a[1]) + int(a[2])) if int(a[2]) >= 0 else None]
    ),
    "base64encode": _str1(lambda s: base64.b64encode(s.encode()).decode()),
    "base64decode": _str1(lambda s: base64.b64decode(s).decode("utf-8", "replace")),
    "keys": _strict(lambda a: sorted(a[0].keys())),
    "values": _strict(lambda a: [a[0][k] for k in sorted(a[0])]),
    "flatten": _strict(_f_flatten),
    "distinct": _strict(_f_toset),
    "compact": _strict(lambda a: [x for x in a[0] if x not in (None, "")]),
    "contains": _strict(lambda a: plain_value(a[1]) in [plain_value(x) for x in a[0]]),
    "element": _strict(_f_element),
    "zipmap": _strict(lambda a: dict(zip(a[0], a[1], strict=False))),
    "range": _strict(lambda a: list(range(*[int(x) for x in a]))),
    "sort": _strict(lambda a: sorted(a[0])),
    "abs": _strict(lambda a: abs(a[0])),
    "max": _strict(lambda a: max(a)),
    "min": _strict(lambda a: min(a)),
    "one": _strict(lambda a: a[0][0] if a[0] else None),
    "formatlist": _strict(
        lambda a: [
            _f_format([a[0], *(x[i] if isinstance(x, list) else x for x in a[1:])])
            for i in range(max((len(x) for x in a[1:] if isinstance(x, list)), default=0))
        ]
    ),
}


def iter_blocks(body: Body, *types: str) -> Iterator[Block]:
    for block in body.blocks:
        if not types or block.type in types:
            yield block
