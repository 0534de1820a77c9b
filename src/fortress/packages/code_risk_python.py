"""Risky calls in Python handler code, read with tree-sitter (``tree-sitter-python``).

Intra-procedural taint: inside a handler function the event parameter is tainted; a name
assigned (in statement order) from an expression that mentions a tainted name becomes tainted.
A sink whose argument mentions a tainted name is ``from_event``; a constant literal argument is
no risk at all; anything else is a lower-confidence risk (``from_event=False``).
"""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter_python
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

_LANGUAGE = Language(tree_sitter_python.language())
_PARSER = Parser(_LANGUAGE)

# Sinks: qualified name -> (kind, index of the argument that carries the payload).
_SINKS: dict[str, tuple[str, int]] = {
    "os.system": (RISK_COMMAND, 0),
    "os.popen": (RISK_COMMAND, 0),
    "os.popen2": (RISK_COMMAND, 0),
    "commands.getoutput": (RISK_COMMAND, 0),
    "commands.getstatusoutput": (RISK_COMMAND, 0),
    "eval": (RISK_EVAL, 0),
    "exec": (RISK_EVAL, 0),
    "compile": (RISK_EVAL, 0),
    "pickle.loads": (RISK_DESERIALIZATION, 0),
    "pickle.load": (RISK_DESERIALIZATION, 0),
    "cPickle.loads": (RISK_DESERIALIZATION, 0),
    "cPickle.load": (RISK_DESERIALIZATION, 0),
    "dill.loads": (RISK_DESERIALIZATION, 0),
    "dill.load": (RISK_DESERIALIZATION, 0),
    "marshal.loads": (RISK_DESERIALIZATION, 0),
    "marshal.load": (RISK_DESERIALIZATION, 0),
    "jsonpickle.decode": (RISK_DESERIALIZATION, 0),
    "yaml.unsafe_load": (RISK_DESERIALIZATION, 0),
    "yaml.unsafe_load_all": (RISK_DESERIALIZATION, 0),
}
_SHELL_SINKS = frozenset(
    {
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
    }
)
_YAML_LOAD = frozenset({"yaml.load", "yaml.load_all"})
_SAFE_LOADERS = ("SafeLoader", "CSafeLoader", "BaseLoader")

# Names of calls that return secret material.
_SECRET_CALLS = ("get_secret_value", "get_parameter", "get_parameters", "get_parameters_by_path")
_ENV_CREDENTIALS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
_CONSTANT_TYPES = frozenset(
    {"string", "concatenated_string", "integer", "float", "true", "false", "none"}
)
_EVENT_PARAMS = ("event", "evt")
_CONTEXT_PARAMS = ("context", "ctx", "_context", "_ctx", "lambda_context")


def _text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def _walk(node: Node) -> Iterator[Node]:
    """Pre-order (source order) over named nodes."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.named_children))


def _identifiers(node: Node) -> Iterator[str]:
    for n in _walk(node):
        if n.type == "identifier":
            yield _text(n)


def _is_constant(node: Node) -> bool:
    if node.type == "string":
        return not any(c.type == "interpolation" for c in node.named_children)
    if node.type == "concatenated_string":
        return all(_is_constant(c) for c in node.named_children)
    if node.type in ("list", "tuple"):
        return all(_is_constant(c) for c in node.named_children)
    if node.type == "binary_operator":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        return left is not None and right is not None and _is_constant(left) and _is_constant(right)
    return node.type in _CONSTANT_TYPES


def _aliases(root: Node) -> dict[str, str]:
    """Local name -> qualified name, from the file's imports."""
    names: dict[str, str] = {}
    for node in _walk(root):
        if node.type == "import_statement":
            for child in node.named_children:
                if child.type == "aliased_import":
                    names[_text(child.child_by_field_name("alias"))] = _text(
                        child.child_by_field_name("name")
                    )
                elif child.type == "dotted_name":
                    first = _text(child).split(".")[0]
                    names[first] = first
        elif node.type == "import_from_statement":
            module = _text(node.child_by_field_name("module_name"))
            for child in node.children_by_field_name("name"):
                if child.type == "aliased_import":
                    local = _text(child.child_by_field_name("alias"))
                    names[local] = f"{module}.{_text(child.child_by_field_name('name'))}"
                else:
                    names[_text(child)] = f"{module}.{_text(child)}"
    return names


def _qualified(func: Node, aliases: dict[str, str]) -> str:
    written = _text(func)
    head, _, rest = written.partition(".")
    resolved = aliases.get(head, head)
    return f"{resolved}.{rest}" if rest else resolved


def _params(fn: Node) -> list[str]:
    params = fn.child_by_field_name("parameters")
    out: list[str] = []
    if params is None:
        return out
    for p in params.named_children:
        if p.type == "identifier":
            out.append(_text(p))
        elif p.type in ("typed_parameter", "default_parameter", "typed_default_parameter"):
            name = p.child_by_field_name("name") or (
                p.named_children[0] if p.named_children else None
            )
            out.append(_text(name))
    return out


def _is_handler(fn: Node, handler_func: str | None) -> bool:
    params = _params(fn)
    if not params:
        return False
    if handler_func is not None:
        return _text(fn.child_by_field_name("name")) == handler_func
    return (
        len(params) == 2
        and params[0].lower() in _EVENT_PARAMS
        and params[1].lower() in _CONTEXT_PARAMS
    )


def _targets(node: Node) -> list[str]:
    return [n for n in _identifiers(node)] if node is not None else []


def _mentions(node: Node, names: set[str]) -> bool:
    return any(name in names for name in _identifiers(node))


def _is_secret_expr(node: Node, secret_names: set[str]) -> bool:
    """The expression carries secret material: a secret-named or secret-derived variable, a
    Secrets Manager / SSM read, or an AWS credential from the environment."""
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

    # ----------------------------------------------------------------- flow

    def run(self) -> list[CodeRisk]:
        handlers = [
            n
            for n in _walk(self.root)
            if n.type == "function_definition" and _is_handler(n, self.handler_func)
        ]
        inside: set[int] = set()
        for fn in handlers:
            tainted = {_params(fn)[0]}
            body = fn.child_by_field_name("body")
            if body is not None:
                self._scope(body, tainted, inside)
        self._scope(self.root, set(), inside)  # everything outside the handlers: no taint
        self._module_credentials()
        self.risks.sort(key=lambda r: (r.line, r.sink))
        return self.risks

    def _scope(self, body: Node, tainted: set[str], done: set[int]) -> None:
        secret_names: set[str] = set()
        tmp_handles: set[str] = set()
        for node in _walk(body):
            if node.id in done:
                continue
            if node.type in ("assignment", "augmented_assignment"):
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                if left is None or right is None:
                    continue
                if _mentions(right, tainted):
                    tainted.update(_targets(left))
                if _is_secret_expr(right, secret_names):
                    secret_names.update(_targets(left))
                if right.type == "call" and self._tmp_open(right):
                    tmp_handles.update(_targets(left))
            elif node.type == "for_statement":
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                if left is not None and right is not None and _mentions(right, tainted):
                    tainted.update(_targets(left))
            elif node.type == "as_pattern":
                value = node.named_children[0] if node.named_children else None
                alias = node.child_by_field_name("alias")
                if value is not None and alias is not None:
                    if value.type == "call" and self._tmp_open(value):
                        tmp_handles.update(_targets(alias))
                    if _mentions(value, tainted):
                        tainted.update(_targets(alias))
            elif node.type == "call":
                done.add(node.id)
                self._call(node, tainted, secret_names, tmp_handles)

    # ----------------------------------------------------------------- sinks

    def _call(
        self, node: Node, tainted: set[str], secret_names: set[str], tmp_handles: set[str]
    ) -> None:
        func = node.child_by_field_name("function")
        args_node = node.child_by_field_name("arguments")
        if func is None or args_node is None or args_node.type != "argument_list":
            return
        name = _qualified(func, self.aliases)
        positional = [a for a in args_node.named_children if a.type != "keyword_argument"]
        keywords = {
            _text(a.child_by_field_name("name")): a.child_by_field_name("value")
            for a in args_node.named_children
            if a.type == "keyword_argument"
        }
        kind: str | None = None
        payload: Node | None = None
        if name in _SINKS:
            kind, index = _SINKS[name]
            payload = positional[index] if len(positional) > index else None
        elif name in _SHELL_SINKS:
            shell = keywords.get("shell")
            if name.startswith("subprocess.get") or (
                shell is not None and _text(shell) not in ("False", "0", "None")
            ):
                kind = RISK_COMMAND
                payload = positional[0] if positional else keywords.get("args")
        elif name in _YAML_LOAD:
            loader = keywords.get("Loader") or (positional[1] if len(positional) > 1 else None)
            if loader is None or not _text(loader).endswith(_SAFE_LOADERS):
                kind = RISK_DESERIALIZATION
                payload = positional[0] if positional else keywords.get("stream")
        if kind is not None and payload is not None:
            self._payload(kind, node, _text(func), payload, tainted)
            return
        self._tmp_write(node, func, name, positional, tainted, secret_names, tmp_handles)

    def _payload(self, kind: str, call: Node, sink: str, payload: Node, tainted: set[str]) -> None:
        if _is_constant(payload):
            return
        shown = " ".join(_text(payload).split())[:80]
        if _mentions(payload, tainted):
            self.add(kind, call, sink, True, f"{shown} comes from the handler's event")
        else:
            self.add(kind, call, sink, False, f"{shown} is not a constant (origin not traced)")

    # ----------------------------------------------------------------- ephemerality

    def _tmp_open(self, call: Node) -> bool:
        """``open('/tmp/…', 'w')`` (or a write/append mode), also through f-strings and
        ``os.path.join('/tmp', …)``."""
        func = call.child_by_field_name("function")
        args = call.child_by_field_name("arguments")
        if (
            func is None
            or args is None
            or _qualified(func, self.aliases)
            not in (
                "open",
                "io.open",
                "codecs.open",
            )
        ):
            return False
        positional = [a for a in args.named_children if a.type != "keyword_argument"]
        modes = [
            a.child_by_field_name("value")
            for a in args.named_children
            if a.type == "keyword_argument" and _text(a.child_by_field_name("name")) == "mode"
        ]
        mode = modes[0] if modes else (positional[1] if len(positional) > 1 else None)
        if not positional or mode is None or not any(c in _text(mode) for c in "wax+"):
            return False
        return _under_tmp(_text(positional[0]))

    def _tmp_write(
        self,
        node: Node,
        func: Node,
        name: str,
        positional: list[Node],
        tainted: set[str],
        secret_names: set[str],
        tmp_handles: set[str],
    ) -> None:
        data: Node | None = None
        if func.type == "attribute":
            obj = _text(func.child_by_field_name("object"))
            attr = _text(func.child_by_field_name("attribute"))
            to_handle = attr in ("write", "writelines") and obj in tmp_handles
            to_path = attr in ("write_text", "write_bytes") and _under_tmp(obj)
            if to_handle or to_path:
                data = positional[0] if positional else None
        dumps = ("json.dump", "pickle.dump", "yaml.dump", "yaml.safe_dump")
        if name in dumps and len(positional) > 1 and _text(positional[1]) in tmp_handles:
            data = positional[0]
        if data is not None and not _is_constant(data) and _is_secret_expr(data, secret_names):
            shown = " ".join(_text(data).split())[:60]
            self.add(
                RISK_TMP_SECRET,
                node,
                _text(func),
                _mentions(data, tainted),
                f"secret material ({shown}) written under /tmp, which outlives the invocation",
            )

    def _module_credentials(self) -> None:
        """Module-level assignments that fetch a secret or read an AWS credential."""
        for stmt in self.root.named_children:
            if stmt.type != "expression_statement" or not stmt.named_children:
                continue
            assign = stmt.named_children[0]
            if assign.type != "assignment":
                continue
            right = assign.child_by_field_name("right")
            if right is None:
                continue
            text = _text(right)
            sink = ""
            if "get_secret_value" in text:
                sink = "get_secret_value"
            elif "get_parameter" in text and "WithDecryption" in text and "True" in text:
                sink = "get_parameter(WithDecryption=True)"
            elif any(e in text for e in _ENV_CREDENTIALS):
                sink = next(e for e in _ENV_CREDENTIALS if e in text)
            if sink:
                target = _text(assign.child_by_field_name("left"))[:40]
                self.add(
                    RISK_CACHED_CREDENTIALS,
                    assign,
                    sink,
                    False,
                    f"{target} holds a credential in module state for the environment's lifetime",
                )


def _under_tmp(written: str) -> bool:
    text = written.lstrip("frbuFRBU").strip("\"'")
    if text.startswith("/tmp/") or text == "/tmp":
        return True
    compact = written.replace(" ", "")
    return compact.startswith(("os.path.join('/tmp'", 'os.path.join("/tmp"')) or compact.startswith(
        ("Path('/tmp", 'Path("/tmp', "pathlib.Path('/tmp", 'pathlib.Path("/tmp')
    )


def scan_source(
    data: bytes, path: str, handler_func: str | None, layer: str | None
) -> list[CodeRisk]:
    """Risks in one Python file; ``[]`` when it does not parse."""
    tree = _PARSER.parse(data)
    if tree.root_node.has_error:
        return []
    return _FileScan(tree.root_node, path, handler_func, layer).run()
