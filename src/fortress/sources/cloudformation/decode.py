"""Template decoding: cfn-lint's decoder, with a libyaml fast path giving the same nodes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from fortress.errors import InputError
from fortress.inventory import NOTE_WARNING, SourceNote


def parse_template(path: Path, notes: list[SourceNote] | None = None) -> Mapping[str, Any]:
    """Decode a template with cfn-lint's decoder; InputError (file, line) when it does not parse.

    The common case (valid YAML/JSON without anchors or merge keys) takes :func:`fast_decode`,
    which gives the very same nodes; anything else, errors included, goes through cfn-lint.
    With ``notes``, a duplicate mapping key is accepted as the deploy tools accept it (the last
    one wins) and reported there as a warning with its line; without, it is an error.
    """
    template = decode_file(path, notes)
    if not isinstance(template, Mapping) or not isinstance(template.get("Resources"), Mapping):
        raise InputError(str(path), "not a CloudFormation template (no Resources section)", 1)
    return template


def decode_file(path: Path, notes: list[SourceNote] | None = None) -> Any:
    """A YAML/JSON file (a template, or a fragment it includes) as line-aware nodes."""
    duplicates: list[tuple[Mapping[str, Any], Any]] | None = [] if notes is not None else None
    try:
        fast = fast_decode(path.read_text(encoding="utf-8"), duplicates)
    except (OSError, ValueError):
        fast = None
    if isinstance(fast, Mapping):
        if notes is not None and duplicates:
            notes.extend(duplicate_notes(fast, duplicates, str(path)))
        return fast
    from cfnlint.decode import decode

    try:
        template, matches = decode(str(path))
    except Exception as exc:  # the decoder raises on some binary/encoding problems
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(str(path), f"cannot read template: {detail}") from None
    if template is None or matches:
        match = matches[0] if matches else None
        message = match.message if match is not None else "not a template"
        line = getattr(match, "linenumber", None) if match is not None else None
        raise InputError(str(path), f"template does not parse: {message}", line)
    return template


def duplicate_notes(
    root: Any, duplicates: list[tuple[Mapping[str, Any], Any]], file: str
) -> list[SourceNote]:
    """One warning per duplicate key, naming where it is (``Resources.Fn.Properties``).

    Paths are found by one walk of the decoded tree, only when there are duplicates, so the
    fast path pays nothing for them.
    """
    wanted = {id(mapping) for mapping, _ in duplicates}
    paths: dict[int, str] = {}
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack and len(paths) < len(wanted):
        node, path = stack.pop()
        if isinstance(node, Mapping):
            if id(node) in wanted:
                paths[id(node)] = path
            for key, value in node.items():
                if isinstance(value, (Mapping, list)):
                    stack.append((value, f"{path}.{key}" if path else str(key)))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, (Mapping, list)):
                    stack.append((value, f"{path}[{i}]"))
    notes: list[SourceNote] = []
    for mapping, key in duplicates:
        where = paths.get(id(mapping)) or "the top level"
        mark = getattr(key, "start_mark", None)
        notes.append(
            SourceNote(
                kind=NOTE_WARNING,
                file=file,
                line=int(mark.line) + 1 if mark is not None else None,
                message=f"duplicate key `{key}` in {where}; the last one is used",
                subject=f"{where}.{key}" if where != "the top level" else str(key),
            )
        )
    return notes


class StrNode(str):
    """A template string with its source position (cfn-lint's ``str_node``)."""

    start_mark: Any
    end_mark: Any


class DictNode(dict[Any, Any]):
    """A template mapping with its source position (cfn-lint's ``dict_node``)."""

    __slots__ = ("end_mark", "start_mark", "using_merge")
    start_mark: Any
    end_mark: Any
    using_merge: bool


class ListNode(list[Any]):
    """A template sequence with its source position (cfn-lint's ``list_node``)."""

    __slots__ = ("end_mark", "start_mark")
    start_mark: Any
    end_mark: Any


class _Fallback(Exception):
    """The fast decoder met something only cfn-lint's own constructor handles."""


def fast_decode(text: str, duplicates: list[tuple[Mapping[str, Any], Any]] | None = None) -> Any:
    """cfn-lint's YAML decoding (``cfn_yaml.loads``) at libyaml speed, or None.

    cfn-lint composes with libyaml but builds values through PyYAML's generic constructor
    (per-node dispatch, two passes per mapping, a quadratic duplicate-key scan), and importing
    it costs ~0.5 s (networkx, sympy). This builds equivalent objects straight from libyaml's
    node tree: mappings, sequences and strings carry the same ``start_mark``/``end_mark``
    (0-based ``line``/``column``), short-form tags become ``{"Fn::...": ...}`` exactly as in
    cfn-lint, other scalars go through PyYAML's safe constructors. It returns None (the
    caller then uses cfn-lint, which also words the errors) when libyaml is absent, an alias
    repeats a mapping or sequence (cfn-lint shares the object and guards against alias
    amplification), on merge keys, a null key, a duplicate key (unless ``duplicates`` is given:
    then the last one wins, as in CloudFormation, and ``(mapping, key)`` is appended to it),
    several documents, an unknown tag, or when the text does not parse. An aliased scalar is decoded twice, equal in value and
    marks to cfn-lint's shared one.
    """
    import yaml

    if not getattr(yaml, "__with_libyaml__", False):
        return None
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
        if root is None:
            return None
        return _Construct(yaml, duplicates).node(root)
    except (_Fallback, yaml.YAMLError, RecursionError, ValueError, TypeError):
        return None


_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


class _Construct:
    def __init__(
        self, yaml: Any, duplicates: list[tuple[Mapping[str, Any], Any]] | None = None
    ) -> None:
        self.duplicates = duplicates
        self.scalar_node, self.mapping_node = yaml.ScalarNode, yaml.MappingNode
        self.seen: set[int] = set()  # collection nodes already built: a second visit = alias
        safe = yaml.SafeLoader("")
        self.scalars: dict[str, Callable[[Any], Any]] = {
            "tag:yaml.org,2002:null": safe.construct_yaml_null,
            "tag:yaml.org,2002:bool": safe.construct_yaml_bool,
            "tag:yaml.org,2002:int": safe.construct_yaml_int,
            "tag:yaml.org,2002:float": safe.construct_yaml_float,
            "tag:yaml.org,2002:timestamp": safe.construct_yaml_timestamp,
        }

    def node(self, node: Any) -> Any:
        kind, tag = type(node), node.tag
        if kind is not self.scalar_node:
            if id(node) in self.seen:
                raise _Fallback("alias of a collection")
            self.seen.add(id(node))
        if kind is self.scalar_node:
            if tag == _STR_TAG:
                text = StrNode(node.value)
                text.start_mark, text.end_mark = node.start_mark, node.end_mark
                return text
            if tag.startswith("!"):
                return self.tagged(node)
            build = self.scalars.get(tag)
            if build is None:
                raise _Fallback(tag)
            return build(node)
        if kind is self.mapping_node:
            if tag == _MAP_TAG:
                mapping = DictNode()
                for key_node, value_node in node.value:
                    key = self.node(key_node)
                    if key is None:  # cfn-lint reports it
                        raise _Fallback("null key")
                    if key in mapping:
                        if self.duplicates is None:  # cfn-lint reports it
                            raise _Fallback("duplicate key")
                        del mapping[key]  # the last one wins, with its own key (and line)
                        self.duplicates.append((mapping, key))
                    mapping[key] = self.node(value_node)
                mapping.start_mark, mapping.end_mark = node.start_mark, node.end_mark
                mapping.using_merge = False
                return mapping
            if tag.startswith("!"):
                return self.tagged(node)
            raise _Fallback(tag)
        if tag == _SEQ_TAG:
            return self.sequence(node.value, node)
        if tag.startswith("!"):
            return self.tagged(node)
        raise _Fallback(tag)

    def sequence(self, children: Iterable[Any], node: Any) -> ListNode:
        items = ListNode([self.node(child) for child in children])
        items.start_mark, items.end_mark = node.start_mark, node.end_mark
        return items

    def tagged(self, node: Any) -> DictNode:
        """``!Ref x`` → ``{"Ref": "x"}``, ``!GetAtt a.b`` → ``{"Fn::GetAtt": ["a", "b"]}``."""
        suffix = node.tag[1:]
        if suffix not in ("Ref", "Condition"):
            suffix = f"Fn::{suffix}"
        kind = type(node)
        value: Any
        if suffix == "Fn::GetAtt":
            if kind is self.scalar_node:
                value = ListNode(node.value.split(".", 1))
                value.start_mark, value.end_mark = node.start_mark, node.end_mark
            elif kind is self.mapping_node:
                raise _Fallback("!GetAtt on a mapping")
            else:
                value = self.sequence(node.value, node)
        elif kind is self.scalar_node:
            value = node.value
        elif kind is self.mapping_node:  # a plain dict, the last duplicate wins (as in cfn-lint)
            value = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _Fallback("merge key")
                value[self.node(key_node)] = self.node(value_node)
        else:
            value = [self.node(child) for child in node.value]
        out = DictNode({suffix: value})
        out.start_mark, out.end_mark = node.start_mark, node.end_mark
        out.using_merge = False
        return out
