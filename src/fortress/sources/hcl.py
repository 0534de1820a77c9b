"""HCL (Terraform) syntax: tree-sitter parses a ``.tf``/``.tfvars`` file into :class:`Body` objects.

Attributes keep their syntax node; :mod:`fortress.sources.tf_expr` evaluates them later, in the
scope of the module that declares them (values live in :mod:`fortress.sources.tf_values`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter_hcl
from tree_sitter import Language, Node, Parser

from fortress import safeio
from fortress.errors import InputError

_LANGUAGE = Language(tree_sitter_hcl.language())
_PARSER = Parser(_LANGUAGE)

# --------------------------------------------------------------------------- syntax


@dataclass(slots=True)
class Attribute:
    name: str
    expr: Node
    line: int


@dataclass(slots=True)
class Block:
    type: str
    labels: list[str]
    body: Body
    line: int
    file: str
    comments: list[str] = field(default_factory=list)  # every comment inside the block


@dataclass(slots=True)
class Body:
    attrs: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def blocks_of(self, type_: str) -> list[Block]:
        return [b for b in self.blocks if b.type == type_]


MAX_TF_BYTES = 8 * 1024 * 1024  # a hand-written .tf file is far smaller; larger is not read


def parse_file(path: Path) -> Body:
    try:
        data = safeio.read_template_bytes(path)  # regular files only, size-capped
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    return parse_bytes(data, str(path))


def parse_bytes(data: bytes, file: str) -> Body:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            file,
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            data.count(b"\n", 0, exc.start) + 1,
        ) from None
    tree = _PARSER.parse(data)
    root = tree.root_node
    _FILES[root.id] = file
    if root.has_error:
        bad = _first_error(root)
        line = bad.start_point[0] + 1 if bad is not None else None
        near = (
            bad.text.decode("utf-8", "replace").strip()[:30] if bad is not None and bad.text else ""
        )
        what = "unexpected " + repr(near) if near else "missing or unbalanced token"
        raise InputError(file, f"HCL syntax error: {what}", line)
    body = next((c for c in child_nodes(root) if c.type == "body"), None)
    if body is None:
        return Body()
    return _body(body, file, [])


# The file each parsed tree came from (by its root node), so that a note about an expression
# (a refused file() read) can say where it is. Bodies keep their trees alive, so ids stay unique.
_FILES: dict[int, str] = {}


def child_nodes(node: Node) -> list[Node]:
    """A node's children, as nodes of their own.

    py-tree-sitter caches ``Node.children`` on the node: walking an attribute's expression
    through it kept the whole subtree as Python objects for as long as the attribute lived
    (a 900 KB main.tf held ~660,000 of them, ~60 MB, until the scan ended). Here the list is
    cached on a fresh copy of the node (a cursor's), which dies with the walk."""
    fresh = node.walk().node
    return fresh.children if fresh is not None else []


def location_of(node: Node) -> tuple[str | None, int]:
    """The file and line of a syntax node of a parsed file."""
    root = node
    while root.parent is not None:
        root = root.parent
    return _FILES.get(root.id), node.start_point[0] + 1


def _first_error(node: Node) -> Node | None:
    if node.is_error or node.is_missing:
        return node
    for child in child_nodes(node):
        if child.has_error or child.is_missing:
            found = _first_error(child)
            if found is not None:
                return found
    return None


def _body(node: Node, file: str, comments: list[str]) -> Body:
    body = Body()
    for child in child_nodes(node):
        kind = child.type
        if kind == "attribute":
            parts = child_nodes(child)
            name = parts[0].text
            expr = parts[2] if len(parts) > 2 else parts[-1]
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
    for child in child_nodes(node):
        kind = child.type
        if kind == "identifier" and not btype:
            btype = (child.text or b"").decode()
        elif kind == "identifier":
            labels.append((child.text or b"").decode())
        elif kind == "string_lit":
            labels.append(string_lit(child))
        elif kind == "body":
            body = _body(child, file, inner)
        elif kind == "comment" and child.text:
            inner.append(child.text.decode("utf-8", "replace"))
    outer.extend(inner)
    return Block(btype, labels, body, node.start_point[0] + 1, file, inner)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)|\$\$\{|%%\{", re.S)


def unescape(text: str) -> str:
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
            point = int(esc[1:], 16)
            # not a Unicode scalar (a surrogate, or past U+10FFFF): Terraform refuses it; the
            # replacement character keeps the text encodable in every report
            return "\ufffd" if 0xD800 <= point <= 0xDFFF or point > 0x10FFFF else chr(point)
        return _ESCAPES.get(esc, whole)

    return _ESCAPE_RE.sub(sub, text)


def string_lit(node: Node) -> str:
    return "".join(
        unescape((c.text or b"").decode())
        for c in child_nodes(node)
        if c.type == "template_literal"
    )


def iter_blocks(body: Body, *types: str) -> Iterator[Block]:
    for block in body.blocks:
        if not types or block.type in types:
            yield block
