"""Risky calls in Node.js handler code (JavaScript, TypeScript), read with tree-sitter.

Same flow model as :mod:`code_risk_python`: the handler's event parameter is tainted; names
declared or assigned from an expression mentioning a tainted name (members, template strings,
concatenation, destructuring ``const {body} = event``) become tainted, in source order.
"""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter_javascript
import tree_sitter_typescript
from tree_sitter import Language, Node, Parser

from fortress.inventory import (
    RISK_CACHED_CREDENTIALS,
    RISK_COMMAND,
    RISK_DESERIALIZATION,
    RISK_EVAL,
    RISK_TMP_SECRET,
    CodeRisk,
)
from fortress.secrets.detect import looks_like_secret_name

_JS = Parser(Language(tree_sitter_javascript.language()))
_TS = Parser(Language(tree_sitter_typescript.language_typescript()))

# qualified sink -> kind; the payload is the first argument.
_SINKS: dict[str, str] = {
    "child_process.exec": RISK_COMMAND,
    "child_process.execSync": RISK_COMMAND,
    "eval": RISK_EVAL,
    "vm.runInNewContext": RISK_EVAL,
    "vm.runInThisContext": RISK_EVAL,
    "vm.runInContext": RISK_EVAL,
    "vm.compileFunction": RISK_EVAL,
    "vm.Script": RISK_EVAL,
    "node-serialize.unserialize": RISK_DESERIALIZATION,
    "serialize-to-js.deserialize": RISK_DESERIALIZATION,
}
# Run a command only when the options say ``shell: true``.
_SHELL_SINKS = frozenset(
    {
        "child_process.spawn",
        "child_process.spawnSync",
        "child_process.execFile",
        "child_process.execFileSync",
    }
)
_FS_WRITES = frozenset(
    {
        "fs.writeFileSync",
        "fs.writeFile",
        "fs.appendFileSync",
        "fs.appendFile",
        "fs/promises.writeFile",
        "fs/promises.appendFile",
        "fs.promises.writeFile",
    }
)
_FUNCTIONS = frozenset(
    {
        "function_declaration",
        "function_expression",
        "function",
        "arrow_function",
        "method_definition",
    }
)
_CONSTANT_TYPES = frozenset({"string", "number", "true", "false", "null", "undefined"})
_SECRET_CALLS = ("GetSecretValue", "getSecretValue", "getParameter", "GetParameterCommand")
_ENV_CREDENTIALS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
_EVENT_PARAMS = ("event", "evt")
_CONTEXT_PARAMS = ("context", "ctx", "_context", "_ctx")


def _text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.named_children))


_NAME_TYPES = frozenset(
    {"identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern"}
)


def _identifiers(node: Node) -> Iterator[str]:
    for n in _walk(node):
        if n.type in _NAME_TYPES:
            yield _text(n)


def _mentions(node: Node, names: set[str]) -> bool:
    return any(name in names for name in _identifiers(node))


def _is_constant(node: Node) -> bool:
    if node.type == "template_string":
        return not any(c.type == "template_substitution" for c in node.named_children)
    if node.type == "binary_expression":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        return left is not None and right is not None and _is_constant(left) and _is_constant(right)
    if node.type == "array":
        return all(_is_constant(c) for c in node.named_children)
    return node.type in _CONSTANT_TYPES


def _string_value(node: Node) -> str:
    return _text(node).strip("'\"`")


def _require(node: Node | None) -> str | None:
    """``require('x')`` / ``await import('x')`` → ``"x"`` (``node:`` prefix dropped)."""
    while node is not None and node.type in ("await_expression", "parenthesized_expression"):
        node = node.named_children[0] if node.named_children else None
    if node is None or node.type != "call_expression":
        return None
    func = node.child_by_field_name("function")
    args = node.child_by_field_name("arguments")
    if _text(func) not in ("require", "import") or args is None or not args.named_children:
        return None
    first = args.named_children[0]
    return _string_value(first).removeprefix("node:") if first.type == "string" else None


def _aliases(root: Node) -> dict[str, str]:
    """Local name -> module or module.member, from require() and import statements."""
    names: dict[str, str] = {}
    for node in _walk(root):
        if node.type == "variable_declarator":
            module = _require(node.child_by_field_name("value"))
            target = node.child_by_field_name("name")
            if module is None or target is None:
                continue
            if target.type == "identifier":
                names[_text(target)] = module
            elif target.type == "object_pattern":
                for prop in target.named_children:
                    if prop.type == "shorthand_property_identifier_pattern":
                        names[_text(prop)] = f"{module}.{_text(prop)}"
                    elif prop.type == "pair_pattern":
                        key, value = (
                            prop.child_by_field_name("key"),
                            prop.child_by_field_name("value"),
                        )
                        names[_text(value)] = f"{module}.{_text(key)}"
        elif node.type == "import_statement":
            source = node.child_by_field_name("source")
            if source is None:
                continue
            module = _string_value(source).removeprefix("node:")
            for part in _walk(node):
                if part.type == "import_clause":
                    for c in part.named_children:
                        if c.type == "identifier":
                            names[_text(c)] = module
                elif part.type == "namespace_import":
                    for c in part.named_children:
                        names[_text(c)] = module
                elif part.type == "import_specifier":
                    name, alias = (
                        part.child_by_field_name("name"),
                        part.child_by_field_name("alias"),
                    )
                    names[_text(alias or name)] = f"{module}.{_text(name)}"
    return names


def _qualified(func: Node, aliases: dict[str, str]) -> str:
    written = _text(func).replace("?.", ".")
    head, _, rest = written.partition(".")
    resolved = aliases.get(head, head)
    return f"{resolved}.{rest}" if rest else resolved


def _params(fn: Node) -> list[Node]:
    single = fn.child_by_field_name("parameter")
    if single is not None:
        return [single]
    params = fn.child_by_field_name("parameters")
    if params is None:
        return []
    out = []
    for p in params.named_children:
        if p.type in ("required_parameter", "optional_parameter"):  # TypeScript
            p = p.child_by_field_name("pattern") or p
        if p.type == "assignment_pattern":
            p = p.child_by_field_name("left") or p
        out.append(p)
    return out


def _function_name(fn: Node) -> str:
    """The name a handler is exported under: ``function handler``, ``const handler = …``,
    ``exports.handler = …``, ``module.exports.handler = …``."""
    own = fn.child_by_field_name("name")
    if own is not None:
        return _text(own)
    parent = fn.parent
    if parent is None:
        return ""
    if parent.type == "variable_declarator":
        return _text(parent.child_by_field_name("name"))
    if parent.type == "assignment_expression":
        return _text(parent.child_by_field_name("left")).rsplit(".", 1)[-1]
    if parent.type == "pair":
        return _string_value(parent.child_by_field_name("key") or parent)
    return ""


def _is_handler(fn: Node, handler_func: str | None) -> bool:
    params = _params(fn)
    if not params:
        return False
    if handler_func is not None:
        return _function_name(fn) == handler_func
    names = [_text(p).lower() for p in params]
    return len(names) == 2 and names[0] in _EVENT_PARAMS and names[1] in _CONTEXT_PARAMS


def _is_secret_expr(node: Node, secret_names: set[str]) -> bool:
    text = _text(node)
    if any(call in text for call in _SECRET_CALLS) or any(e in text for e in _ENV_CREDENTIALS):
        return True
    return any(name in secret_names or looks_like_secret_name(name) for name in _identifiers(node))


class _FileScan:
    def __init__(self, root: Node, path: str, handler_func: str | None, layer: str | None):
        self.root = root
        self.path = path
        self.handler_func = handler_func
        self.layer = layer
        self.aliases = _aliases(root)
        self.risks: list[CodeRisk] = []

    def add(self, kind: str, node: Node, sink: str, from_event: bool, detail: str) -> None:
        self.risks.append(
            CodeRisk(kind, self.path, node.start_point[0] + 1, sink, from_event, detail, self.layer)
        )

    def run(self) -> list[CodeRisk]:
        done: set[int] = set()
        for fn in _walk(self.root):
            if fn.type in _FUNCTIONS and _is_handler(fn, self.handler_func):
                tainted: set[str] = set(_identifiers(_params(fn)[0]))
                body = fn.child_by_field_name("body")
                if body is not None:
                    self._scope(body, tainted, done)
        self._scope(self.root, set(), done)
        self._module_credentials()
        self.risks.sort(key=lambda r: (r.line, r.sink))
        return self.risks

    def _scope(self, body: Node, tainted: set[str], done: set[int]) -> None:
        secret_names: set[str] = set()
        for node in _walk(body):
            if node.id in done:
                continue
            if node.type in (
                "variable_declarator",
                "assignment_expression",
                "augmented_assignment_expression",
            ):
                declarator = node.type == "variable_declarator"
                left = node.child_by_field_name("name" if declarator else "left")
                right = node.child_by_field_name("value" if declarator else "right")
                if left is None or right is None:
                    continue
                if _mentions(right, tainted):
                    tainted.update(_identifiers(left) if declarator else [_text(left)])
                if _is_secret_expr(right, secret_names):
                    secret_names.update(_identifiers(left) if declarator else [_text(left)])
            elif node.type == "for_in_statement":
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                if left is not None and right is not None and _mentions(right, tainted):
                    tainted.update(_identifiers(left))
            elif node.type in ("call_expression", "new_expression"):
                done.add(node.id)
                self._call(node, tainted, secret_names)

    def _call(self, node: Node, tainted: set[str], secret_names: set[str]) -> None:
        new = node.type == "new_expression"
        func = node.child_by_field_name("constructor" if new else "function")
        args_node = node.child_by_field_name("arguments")
        if func is None or args_node is None or args_node.type != "arguments":
            return
        args = list(args_node.named_children)
        name = _qualified(func, self.aliases)
        if new and name == "Function":
            # new Function(a, b, body): every argument is code (parameter list and body).
            payloads = [a for a in args if not _is_constant(a)]
            if payloads:
                body = next((a for a in payloads if _mentions(a, tainted)), payloads[0])
                self._payload(RISK_EVAL, node, "new Function", body, tainted)
            return
        kind: str | None = None
        if name in _SINKS:
            kind = _SINKS[name]
        elif name in _SHELL_SINKS and any(_shell_true(a) for a in args[1:]):
            kind = RISK_COMMAND
        if kind is not None and args:
            self._payload(kind, node, _text(func), args[0], tainted)
        elif name in _FS_WRITES and len(args) > 1 and _under_tmp(args[0]):
            data = args[1]
            if not _is_constant(data) and _is_secret_expr(data, secret_names):
                shown = " ".join(_text(data).split())[:60]
                self.add(
                    RISK_TMP_SECRET,
                    node,
                    _text(func),
                    _mentions(data, tainted),
                    f"secret material ({shown}) written under /tmp, which outlives the invocation",
                )

    def _payload(self, kind: str, call: Node, sink: str, payload: Node, tainted: set[str]) -> None:
        if _is_constant(payload):
            return
        shown = " ".join(_text(payload).split())[:80]
        if _mentions(payload, tainted):
            self.add(kind, call, sink, True, f"{shown} comes from the handler's event")
        else:
            self.add(kind, call, sink, False, f"{shown} is not a constant (origin not traced)")

    def _module_credentials(self) -> None:
        for stmt in self.root.named_children:
            decl = stmt
            if stmt.type == "export_statement":
                decl = stmt.child_by_field_name("declaration") or stmt
            if decl.type not in ("lexical_declaration", "variable_declaration"):
                continue
            for declarator in decl.named_children:
                value = declarator.child_by_field_name("value")
                if declarator.type != "variable_declarator" or value is None:
                    continue
                if value.type in _FUNCTIONS or value.type == "class":
                    continue
                text = _text(value)
                sink = ""
                if "GetSecretValue" in text or "getSecretValue" in text:
                    sink = "GetSecretValue"
                elif (
                    "GetParameter" in text or "getParameter" in text
                ) and "WithDecryption" in text:
                    sink = "GetParameter(WithDecryption)"
                elif any(e in text for e in _ENV_CREDENTIALS):
                    sink = next(e for e in _ENV_CREDENTIALS if e in text)
                if sink:
                    target = _text(declarator.child_by_field_name("name"))[:40]
                    self.add(
                        RISK_CACHED_CREDENTIALS,
                        declarator,
                        sink,
                        False,
                        f"{target} holds a credential in module state for the environment's lifetime",
                    )


def _shell_true(node: Node) -> bool:
    if node.type != "object":
        return False
    for pair in node.named_children:
        if (
            pair.type == "pair"
            and _string_value(pair.child_by_field_name("key") or pair) == "shell"
        ):
            value = pair.child_by_field_name("value")
            return value is not None and _text(value) not in ("false", "undefined", "null", "0")
    return False


def _under_tmp(node: Node) -> bool:
    text = _text(node)
    compact = text.replace(" ", "")
    if compact.lstrip("'\"`").startswith("/tmp/"):
        return True
    return compact.startswith(("path.join('/tmp'", 'path.join("/tmp"', "path.join(`/tmp"))


def scan_source(
    data: bytes, path: str, handler_func: str | None, layer: str | None
) -> list[CodeRisk]:
    """Risks in one JavaScript/TypeScript file; ``[]`` when it does not parse."""
    parser = _TS if path.endswith((".ts", ".mts", ".cts")) else _JS
    tree = parser.parse(data)
    if tree.root_node.has_error:
        return []
    return _FileScan(tree.root_node, path, handler_func, layer).run()
