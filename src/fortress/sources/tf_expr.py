"""Evaluation of Terraform expressions, as Terraform evaluates them.

:class:`Evaluator` turns an expression node (from :mod:`fortress.sources.hcl`) into a value
(:mod:`fortress.sources.tf_values`): literals, collections, string templates with ``${}``
interpolations and ``%{ if }`` / ``%{ for }`` directives (with ``~`` strip markers), heredocs,
operators (arithmetic, comparison, ``!``, ``&&``, ``||``), conditionals, ``for`` expressions
(list and map, with ``if`` and grouping), splats (``[*]`` and ``.*``) and function calls
(:mod:`fortress.sources.tf_functions`). A value that is not known stays :class:`Unknown` with the
reason; a construct that is not evaluated is named in that reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tree_sitter import Node

from fortress.inventory import Unknown
from fortress.sources.hcl import child_nodes, location_of, string_lit, unescape
from fortress.sources.tf_functions import FUNCTIONS
from fortress.sources.tf_values import (
    Invalid,
    Lazy,
    first_unknown,
    get_attr,
    get_index,
    num,
    plain_value,
    seq,
    to_str,
    truth,
    type_name,
)

Scope = dict[str, Any]
Lookup = Callable[[str], Any]
# Told about a read the evaluator refused: (file, line, subject, message).
OnRefused = Callable[[str | None, int, str, str], None]

_MAX_TEMPLATE_ITEMS = 10_000  # %{ for } iterations in one template
_PART_TYPES = ("template_interpolation", "template_directive")


class Evaluator:
    """Evaluates expression nodes; ``lookup`` resolves root names (var, local, resource types).

    ``root_dir`` is where relative ``file()`` paths start (Terraform's working directory, the
    root module); ``read_roots`` are the folders such reads may reach (default: ``root_dir``).
    """

    def __init__(
        self,
        lookup: Lookup,
        module_dir: Path,
        root_dir: Path | None = None,
        read_roots: Sequence[Path] | None = None,
    ) -> None:
        self.lookup = lookup
        self.module_dir = module_dir
        self.root_dir = root_dir or module_dir
        self.read_roots: tuple[Path, ...] = tuple(read_roots or (self.root_dir,))
        self.lenient_templates = False  # unknown interpolations rendered as ${...} placeholders
        self.in_template = False  # evaluating a templatefile() template
        self.on_refused: OnRefused | None = None
        self._calls: list[Node] = []  # the function calls being evaluated, innermost last

    def for_template(self, lookup: Lookup) -> Evaluator:
        """An evaluator for a ``templatefile`` template: same folders, only its variables."""
        sub = Evaluator(lookup, self.module_dir, self.root_dir, self.read_roots)
        sub.in_template = True
        sub.on_refused = self.on_refused
        sub._calls = self._calls
        return sub

    def refused(self, subject: str, message: str) -> None:
        """A file the configuration names was not read (outside, not a regular file, too big)."""
        if self.on_refused is None or not self._calls:
            return
        file, line = location_of(self._calls[-1])
        self.on_refused(file, line, subject, message)

    # entry ------------------------------------------------------------------------------

    def eval(self, node: Node, scope: Scope | None = None) -> Any:
        return self._eval(node, scope or {})

    def _eval(self, node: Node, scope: Scope) -> Any:
        method = _DISPATCH.get(node.type)
        if method is None:
            return Unknown(f"the expression `{_snippet(node)}` is not evaluated")
        return method(self, node, scope)

    def _expression(self, node: Node, scope: Scope) -> Any:
        return self._chain(child_nodes(node), scope)

    def _chain(self, children: list[Node], scope: Scope) -> Any:
        """A term (or a parenthesized expression) followed by attribute/index/splat steps.

        tree-sitter-hcl flattens operands of operators into the operation's children, so an
        operand is such a chain too.
        """
        if not children:
            return Invalid("empty expression")
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
            name = (child_nodes(post)[-1].text or b"").decode()
            return get_attr(value, name)
        if kind == "index":
            inner = child_nodes(post)[0]
            if inner.type == "new_index":
                key = self._eval(child_nodes(inner)[1], scope)
            else:  # legacy a.0
                digits = (inner.text or b"").decode().lstrip(".")
                key = int(digits) if digits.isdigit() else Invalid("bad legacy index")
            return get_index(value, key)
        if kind == "splat":
            return self._splat(value, child_nodes(post)[0], scope)
        return Unknown(f"`{_snippet(post)}` is not evaluated")

    def _splat(self, value: Any, inner: Node, scope: Scope) -> Any:
        """``[*]`` and ``.*``: a list maps its items; null is []; any other value is [value]."""
        if value is None:
            items: list[Any] | Unknown = []
        elif isinstance(value, (list, Lazy)):
            items = seq(value)
        elif isinstance(value, Unknown):
            items = value
        else:
            items = [value]
        if isinstance(items, Unknown):
            return items
        steps = child_nodes(inner)[1:]
        out = []
        for item in items:
            for step in steps:
                item = self._postfix(item, step, scope)
            out.append(item)
        return out

    # leaves -----------------------------------------------------------------------------

    def _literal(self, node: Node, scope: Scope) -> Any:
        child = child_nodes(node)[0]
        kind = child.type
        if kind == "numeric_lit":
            text = (child.text or b"0").decode()
            try:
                return int(text)
            except ValueError:
                return float(text)
        if kind == "bool_lit":
            return child_nodes(child)[0].type == "true"
        if kind == "null_lit":
            return None
        if kind == "string_lit":
            return string_lit(child)
        return self._eval(child, scope)

    def _variable(self, node: Node, scope: Scope) -> Any:
        name = (child_nodes(node)[0].text or b"").decode()
        if name in scope:
            return scope[name]
        return self.lookup(name)

    def _collection(self, node: Node, scope: Scope) -> Any:
        return self._eval(child_nodes(node)[0], scope)

    def _tuple(self, node: Node, scope: Scope) -> Any:
        return [self._eval(c, scope) for c in child_nodes(node) if c.type == "expression"]

    def _object(self, node: Node, scope: Scope) -> Any:
        out: dict[str, Any] = {}
        for elem in child_nodes(node):
            if elem.type != "object_elem":
                continue
            exprs = [c for c in child_nodes(elem) if c.type == "expression"]
            if len(exprs) != 2:
                continue
            key_node, value_node = exprs
            key: Any
            key_kids = child_nodes(key_node)
            if len(key_kids) == 1 and key_kids[0].type == "variable_expr":
                key = (child_nodes(key_kids[0])[0].text or b"").decode()
            else:
                key = to_str(self._eval(key_node, scope))
            if isinstance(key, Unknown):
                return Unknown(f"an object key is not known: {key.reason}")
            out[key] = self._eval(value_node, scope)
        return out

    # templates --------------------------------------------------------------------------

    def _template_expr(self, node: Node, scope: Scope) -> Any:
        return self._eval(child_nodes(node)[0], scope)

    def _quoted_template(self, node: Node, scope: Scope) -> Any:
        children = child_nodes(node)
        parts = [c for c in children if c.type in _PART_TYPES]
        inner = [
            c for c in children if c.type not in ("quoted_template_start", "quoted_template_end")
        ]
        if len(inner) == 1 and inner[0].type == "template_interpolation":
            return self._eval(_interp_expr(inner[0]), scope)  # "${x}" keeps x's type
        text = node.text or b""
        return self._span(text, node.start_byte, 1, len(text) - 1, parts, scope, True)

    def _heredoc(self, node: Node, scope: Scope) -> Any:
        children = child_nodes(node)
        strip = children[0].text == b"<<-"
        idents = [c for c in children if c.type == "heredoc_identifier"]
        if len(idents) < 2:
            return Invalid("unterminated heredoc")
        parts = [c for c in children if c.type in _PART_TYPES]
        text = node.text or b""
        base = node.start_byte
        start = text.find(b"\n", idents[0].end_byte - base) + 1
        end = idents[1].start_byte - base
        while end > start and text[end - 1 : end] in (b" ", b"\t"):
            end -= 1
        rendered = self._span(text, base, start, end, parts, scope, False)
        if strip and isinstance(rendered, str):
            lines = rendered.split("\n")
            indents = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
            cut = min(indents) if indents else 0
            rendered = "\n".join(ln[cut:] for ln in lines)
        return rendered

    def render_template(self, node: Node, scope: Scope) -> Any:
        """A heredoc rendered as a whole string (``templatefile``): never a bare value."""
        value = self._eval(node, scope)
        return value if isinstance(value, Unknown) else to_str(value)

    def _span(
        self,
        text: bytes,
        base: int,
        start: int,
        end: int,
        parts: list[Node],
        scope: Scope,
        quoted: bool,
        strip_first: bool = False,
        strip_last: bool = False,
    ) -> str | Unknown:
        """The text between ``start`` and ``end`` (offsets in ``text``) with ``parts`` rendered.

        Literal text comes from the source bytes (tree-sitter's literal nodes drop whitespace);
        a ``~`` strip marker removes the whitespace on its side.
        """
        out: list[str] = []
        pos = start
        lstrip = strip_first
        unknown: Unknown | None = None
        for part in parts:
            if part.start_byte - base < pos or part.end_byte - base > end:
                continue
            opening, closing = _delimiters(part)
            literal = _literal_text(text[pos : part.start_byte - base], quoted)
            if lstrip:
                literal = literal.lstrip()
            if _strips(opening)[0]:
                literal = literal.rstrip()
            out.append(literal)
            pos = part.end_byte - base
            lstrip = _strips(closing)[1]
            if part.type == "template_interpolation":
                value = to_str(self._eval(_interp_expr(part), scope))
                if isinstance(value, Unknown):
                    if not self.lenient_templates:
                        unknown = unknown or value
                    value = "${" + _snippet(_interp_expr(part)) + "}"
                out.append(value)
                continue
            rendered = self._directive(text, base, part, scope, quoted)
            if isinstance(rendered, Unknown):
                unknown = unknown or rendered
            else:
                out.append(rendered)
        tail = _literal_text(text[pos:end], quoted)
        if lstrip:
            tail = tail.lstrip()
        if strip_last:
            tail = tail.rstrip()
        out.append(tail)
        if unknown is not None:
            return unknown
        return "".join(out)

    def _directive(
        self, text: bytes, base: int, node: Node, scope: Scope, quoted: bool
    ) -> str | Unknown:
        inner = child_nodes(node)[0]
        kids = child_nodes(inner)
        parts = [c for c in kids if c.type in _PART_TYPES]
        if inner.type == "template_if":
            intro, finish = kids[0], kids[-1]
            middle = next((c for c in kids if c.type == "template_else_intro"), None)
            cond_node = next(c for c in child_nodes(intro) if c.type == "expression")
            cond = truth(self._eval(cond_node, scope))
            if isinstance(cond, Unknown):
                return Unknown(f"a template %{{ if }} condition is not known ({cond.reason})")
            if cond:
                first, last = intro, middle or finish
            elif middle is not None:
                first, last = middle, finish
            else:
                return ""
            return self._span(
                text,
                base,
                first.end_byte - base,
                last.start_byte - base,
                parts,
                scope,
                quoted,
                _strips(first)[1],
                _strips(last)[0],
            )
        if inner.type == "template_for":
            intro, finish = kids[0], kids[-1]
            intro_kids = child_nodes(intro)
            names = [(c.text or b"").decode() for c in intro_kids if c.type == "identifier"]
            coll_node = next(c for c in intro_kids if c.type == "expression")
            pairs = _pairs(self._eval(coll_node, scope))
            if isinstance(pairs, Unknown):
                return Unknown(f"a template %{{ for }} collection is not known ({pairs.reason})")
            if len(pairs) > _MAX_TEMPLATE_ITEMS:
                return Unknown(f"a template %{{ for }} over more than {_MAX_TEMPLATE_ITEMS} items")
            out: list[str] = []
            for key, value in pairs:
                local = dict(scope)
                if len(names) == 2:
                    local[names[0]], local[names[1]] = key, value
                elif names:
                    local[names[0]] = value
                rendered = self._span(
                    text,
                    base,
                    intro.end_byte - base,
                    finish.start_byte - base,
                    parts,
                    local,
                    quoted,
                    _strips(intro)[1],
                    _strips(finish)[0],
                )
                if isinstance(rendered, Unknown):
                    return rendered
                out.append(rendered)
            return "".join(out)
        return Unknown(f"the template directive `{_snippet(node)}` is not evaluated")

    # operators --------------------------------------------------------------------------

    def _operation(self, node: Node, scope: Scope) -> Any:
        return self._eval(child_nodes(node)[0], scope)

    def _unary(self, node: Node, scope: Scope) -> Any:
        children = child_nodes(node)
        op = children[0].type
        value = self._chain(children[1:], scope)
        if op == "!":
            t = truth(value)
            return t if isinstance(t, Unknown) else not t
        number = num(value)
        return number if isinstance(number, Unknown) else -number

    def _binary(self, node: Node, scope: Scope) -> Any:
        kids = child_nodes(node)
        at = next(
            (i for i, c in enumerate(kids) if not c.is_named and c.type not in ("(", ")")), None
        )
        if at is None or at == 0 or at == len(kids) - 1:
            return Unknown(f"the operation `{_snippet(node)}` is not evaluated")
        op = kids[at].type
        left_nodes, right_nodes = kids[:at], kids[at + 1 :]
        left = self._chain(left_nodes, scope)
        if op in ("&&", "||"):
            # Terraform evaluates both sides, but a known false && x is false and a known
            # true || x is true whatever x is.
            lt = truth(left)
            if not isinstance(lt, Unknown) and ((op == "&&" and not lt) or (op == "||" and lt)):
                return lt
            rt = truth(self._chain(right_nodes, scope))
            if isinstance(lt, Unknown):
                if not isinstance(rt, Unknown) and ((op == "&&" and not rt) or (op == "||" and rt)):
                    return rt
                return lt
            return rt
        right = self._chain(right_nodes, scope)
        if op in ("==", "!="):
            for side in (left, right):
                if isinstance(side, Unknown):
                    return side
                bad = first_unknown(plain_value(side))
                if bad is not None:
                    return Unknown(f"a compared value is not known ({bad.reason})")
            equal = _equal(plain_value(left), plain_value(right))
            return equal if op == "==" else not equal
        a, b = num(left), num(right)
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
            return a / b if b else Invalid("division by zero")
        if op == "%":
            return a % b if b else Invalid("division by zero")
        if op == "<":
            return a < b
        if op == ">":
            return a > b
        if op == "<=":
            return a <= b
        if op == ">=":
            return a >= b
        return Unknown(f"the operator {op} is not evaluated")

    def _conditional(self, node: Node, scope: Scope) -> Any:
        exprs = [c for c in child_nodes(node) if c.type not in ("?", ":")]
        cond = truth(self._eval(exprs[0], scope))
        if isinstance(cond, Unknown):
            a = self._eval(exprs[1], scope)
            b = self._eval(exprs[2], scope)
            if (
                not isinstance(a, (Lazy, Unknown))
                and first_unknown(plain_value(a)) is None
                and plain_value(a) == plain_value(b)
            ):
                return a
            if isinstance(cond, Invalid):
                return cond
            return Unknown(f"condition is not known ({cond.reason})")
        return self._eval(exprs[1] if cond else exprs[2], scope)

    # for expressions --------------------------------------------------------------------

    def _for(self, node: Node, scope: Scope) -> Any:
        inner = child_nodes(node)[0]
        inner_kids = child_nodes(inner)
        intro = next(c for c in inner_kids if c.type == "for_intro")
        intro_kids = child_nodes(intro)
        names = [(c.text or b"").decode() for c in intro_kids if c.type == "identifier"]
        pairs = _pairs(self._eval(next(c for c in intro_kids if c.type == "expression"), scope))
        if isinstance(pairs, Unknown):
            return pairs
        exprs = [c for c in inner_kids if c.type == "expression"]
        cond = next((c for c in inner_kids if c.type == "for_cond"), None)
        grouping = any(c.type == "ellipsis" for c in inner_kids)
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
                keep = truth(self._eval(child_nodes(cond)[-1], local))
                if isinstance(keep, Unknown):
                    return Unknown(f"a for expression's if is not known ({keep.reason})")
                if not keep:
                    continue
            if is_object:
                k = to_str(self._eval(exprs[0], local))
                if isinstance(k, Unknown):
                    return Unknown(f"a for expression's key is not known ({k.reason})")
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
        children = child_nodes(node)
        name = (children[0].text or b"").decode()
        args_node = next((c for c in children if c.type == "function_arguments"), None)
        args = child_nodes(args_node) if args_node is not None else []
        arg_nodes = [c for c in args if c.type == "expression"]
        expand = any(c.type == "ellipsis" for c in args)
        if name in ("try", "can"):
            return self._try(name, arg_nodes, scope)
        args = [self._eval(a, scope) for a in arg_nodes]
        if expand and args:
            last = seq(args[-1])
            if isinstance(last, Unknown):
                return last
            args = [*args[:-1], *last]
        func = FUNCTIONS.get(name.split("::")[-1]) if "::" not in name else None
        if func is None:
            return Unknown(f"function `{name}` is not evaluated")
        self._calls.append(node)
        try:
            return func(self, args)
        except (
            TypeError,
            ValueError,
            KeyError,
            IndexError,
            AttributeError,
            ZeroDivisionError,
            OverflowError,
        ):
            return Invalid(f"function `{name}` rejects its arguments")
        except RecursionError:
            return Unknown(f"function `{name}`: too deeply nested")
        finally:
            self._calls.pop()

    def _try(self, name: str, arg_nodes: list[Node], scope: Scope) -> Any:
        """``try`` returns the first argument that is not an error; an argument that is only
        unknown (known after apply) makes the result unknown, as in Terraform. ``can`` is true
        when its argument is not an error."""
        if not arg_nodes:
            return Invalid(f"function `{name}` needs an argument")
        last: Unknown | None = None
        for arg in arg_nodes:
            value = self._eval(arg, scope)
            if isinstance(value, Invalid):
                if name == "can":
                    return False
                last = value
                continue
            if isinstance(value, Unknown):
                return value
            bad = first_unknown(plain_value(value)) if isinstance(value, (list, dict)) else None
            if name == "can":
                return not isinstance(bad, Invalid)
            return value
        return Invalid(f"no argument of try() is valid ({last.reason if last else ''})")


def _pairs(coll: Any) -> list[tuple[Any, Any]] | Unknown:
    if isinstance(coll, Lazy):
        coll = coll.splat()
    if isinstance(coll, Unknown):
        return coll
    if isinstance(coll, dict):
        return sorted(coll.items(), key=lambda kv: str(kv[0]))  # maps iterate in key order
    if isinstance(coll, list):
        return list(enumerate(coll))
    if coll is None:
        return Invalid("a for over null")
    return Invalid(f"a for over {type_name(coll)}")


def _equal(a: Any, b: Any) -> bool:
    """Terraform equality: numbers by value (1 == 1.0), but a bool is not a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _delimiters(part: Node) -> tuple[Node, Node]:
    """The nodes that open and close an interpolation or directive (their ``~`` markers)."""
    if part.type == "template_interpolation":
        return part, part
    children = child_nodes(part)
    kids = child_nodes(children[0]) if children else []
    if not kids:
        return part, part
    return kids[0], kids[-1]


def _strips(node: Node) -> tuple[bool, bool]:
    """(strip before, strip after): a ``~`` right after ``${``/``%{``, or right before ``}``."""
    kids = child_nodes(node)
    if len(kids) < 2:
        return False, False
    return kids[1].type == "strip_marker", kids[-2].type == "strip_marker"


def _literal_text(raw: bytes, quoted: bool) -> str:
    literal = raw.decode("utf-8", "replace")
    if quoted:
        return unescape(literal)
    return literal.replace("$${", "${").replace("%%{", "%{")


def _interp_expr(node: Node) -> Node:
    return next(c for c in child_nodes(node) if c.type == "expression")


def _snippet(node: Node, limit: int = 40) -> str:
    """The source text of a node, short and on one line, for a reason."""
    text = " ".join((node.text or b"").decode("utf-8", "replace").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
    "string_lit": lambda self, node, scope: string_lit(node),
}
