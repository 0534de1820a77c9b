"""Template decoding: cfn-lint's decoder, with a libyaml fast path giving the same nodes."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fortress import safeio
from fortress.errors import InputError
from fortress.inventory import NOTE_WARNING, SourceNote


def parse_template(
    path: Path, notes: list[SourceNote] | None = None, text: str | None = None
) -> Mapping[str, Any]:
    """Decode a template with cfn-lint's decoder; InputError (file, line) when it does not parse.

    The common case (valid YAML/JSON without anchors or merge keys) takes :func:`fast_decode`,
    which gives the very same nodes; anything else, errors included, goes through cfn-lint.
    With ``notes``, a duplicate mapping key is accepted as the deploy tools accept it (the last
    one wins) and reported there as a warning with its line; without, it is an error.
    ``text``: the file's text when the caller has already read it (see :func:`decode_file`).
    """
    template = decode_file(path, notes, text)
    if not isinstance(template, Mapping) or not isinstance(template.get("Resources"), Mapping):
        raise InputError(str(path), "not a CloudFormation template (no Resources section)", 1)
    return template


def decode_file(path: Path, notes: list[SourceNote] | None = None, text: str | None = None) -> Any:
    """A YAML/JSON file (a template, or a fragment it includes) as line-aware nodes.

    ``text``: the file's text as :func:`safeio.read_template` gives it, when the caller has
    read it already (so a large template is not read twice); None reads it here."""
    duplicates: list[tuple[Mapping[str, Any], Any]] | None = [] if notes is not None else None
    try:
        if text is None:
            text = safeio.read_template(path)  # regular file, capped
        fast = fast_decode(text, duplicates)
    except (OSError, ValueError):
        fast = None
    text = None  # not held while cfn-lint decodes the file again
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
        notes.append(
            SourceNote(
                kind=NOTE_WARNING,
                file=file,
                line=key_line(mapping, key),
                message=f"duplicate key `{key}` in {where}; the last one is used",
                subject=f"{where}.{key}" if where != "the top level" else str(key),
            )
        )
    return notes


class Mark:
    """A source position: 0-based ``line`` and ``column`` (the part of PyYAML's mark we read).

    Slotted: a template holds hundreds of thousands of them, and PyYAML's marks (six fields
    in a ``__dict__``) cost several times more.
    """

    __slots__ = ("column", "line")

    def __init__(self, line: int, column: int) -> None:
        self.line, self.column = line, column


class StrNode(str):
    """A template string with its source position (cfn-lint's ``str_node``).

    Only ``fast_decode(..., string_marks=True)`` makes these (the Serverless Framework's
    variables name the line of a string); a str subclass cannot have slots, so each costs a
    ``__dict__`` (~300 bytes), which a CloudFormation template does not pay: there, keys are
    plain (interned) strings and their lines live in the mapping (:func:`key_line`).
    """

    start_mark: Any
    end_mark: Any


NO_LINE = 0xFFFFFFFF  # in DictNode.key_lines: a key added after decoding, with no line
_BITS = 26  # per field of a packed position: lines and columns up to 67 million
_FIELD = (1 << _BITS) - 1


def _pack(start: Any, end: Any) -> int:
    """A start and end mark in one int (one object per node instead of two marks)."""
    return (
        (min(start.line, _FIELD) << 3 * _BITS)
        | (min(start.column, _FIELD) << 2 * _BITS)
        | (min(end.line, _FIELD) << _BITS)
        | min(end.column, _FIELD)
    )


class _Positioned:
    """``start_mark``/``end_mark`` read from (and written to) a packed ``_pos`` slot."""

    __slots__ = ()
    _pos: int

    @property
    def start_mark(self) -> Mark:
        return Mark(self._pos >> 3 * _BITS & _FIELD, self._pos >> 2 * _BITS & _FIELD)

    @start_mark.setter
    def start_mark(self, mark: Any) -> None:
        end = self.end_mark if hasattr(self, "_pos") else mark
        object.__setattr__(self, "_pos", _pack(mark, end))

    @property
    def end_mark(self) -> Mark:
        return Mark(self._pos >> _BITS & _FIELD, self._pos & _FIELD)

    @end_mark.setter
    def end_mark(self, mark: Any) -> None:
        start = self.start_mark if hasattr(self, "_pos") else mark
        object.__setattr__(self, "_pos", _pack(start, mark))


class DictNode(_Positioned, dict[Any, Any]):
    """A template mapping with its source position (cfn-lint's ``dict_node``).

    ``key_lines`` holds the 0-based line of each key, in key order (the keys are plain strings
    unless ``string_marks`` asked for marked ones): packed ``uint32`` bytes once decoded (48
    bytes for a small mapping, where an array took ~100), an ``array`` while keys are added or
    after a change. cfn-lint's own nodes have no ``key_lines``: read lines through
    :func:`key_line`, which serves both.
    """

    __slots__ = ("_pos", "key_lines")
    using_merge = False  # the fast decoder leaves merge keys to cfn-lint
    key_lines: array[int] | bytes

    # Later changes (includes expanded in place, SAM globals) keep ``key_lines`` in step with
    # the keys: a key added after decoding has no line (NO_LINE). The decoder itself stores
    # through ``dict.__setitem__``, so decoding pays none of this.

    def _lines(self) -> array[int]:
        """The key lines as a mutable array (unpacked on the first change)."""
        try:
            lines = self.key_lines
        except AttributeError:
            lines = self.key_lines = array("I", [NO_LINE] * len(self))
        if isinstance(lines, bytes):
            lines = self.key_lines = array("I", lines)
        return lines

    def _index(self, key: Any) -> int:
        for i, k in enumerate(self):
            if k == key:
                return i
        raise KeyError(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        if key not in self:
            self._lines().append(NO_LINE)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: Any) -> None:
        index = self._index(key)
        dict.__delitem__(self, key)
        del self._lines()[index]

    def pop(self, key: Any, *default: Any) -> Any:
        if key not in self:
            return dict.pop(self, key, *default)
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple[Any, Any]:
        item = dict.popitem(self)
        self._lines().pop()
        return item

    def clear(self) -> None:
        dict.clear(self)
        self.key_lines = array("I")

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for other in (*args, kwargs):
            lines = key_lines(other) if isinstance(other, Mapping) else {}
            pairs = other.items() if isinstance(other, Mapping) else other
            for key, value in pairs:
                self[key] = value
                if key in lines:
                    self._lines()[self._index(key)] = lines[key] - 1

    def __ior__(self, other: Any) -> DictNode:  # type: ignore[override,misc]
        self.update(other)
        return self


class ListNode(_Positioned, list[Any]):
    """A template sequence with its source position (cfn-lint's ``list_node``)."""

    __slots__ = ("_pos",)


def node_line(node: Any) -> int | None:
    """1-based line of a decoded node (a mapping, a sequence or a marked string), or None."""
    mark = getattr(node, "start_mark", None)
    return int(mark.line) + 1 if mark is not None else None


def _line_values(mapping: Mapping[Any, Any]) -> Sequence[int] | None:
    """A mapping's ``key_lines`` as a sequence of ints (packed bytes are read in place)."""
    lines = getattr(mapping, "key_lines", None)
    if isinstance(lines, bytes):
        return memoryview(lines).cast("I")
    return lines


def key_lines(mapping: Mapping[Any, Any]) -> dict[Any, int]:
    """1-based line of every key of a decoded mapping (fast or cfn-lint decoding); empty when
    ``mapping`` is not one."""
    if not isinstance(mapping, Mapping):
        return {}
    lines = _line_values(mapping)
    out: dict[Any, int] = {}
    if lines is not None:
        for k, line in zip(mapping, lines, strict=False):
            if line != NO_LINE:
                out[k] = int(line) + 1
        if out or not lines:
            return out
    for k in mapping:
        mark = getattr(k, "start_mark", None)
        if mark is not None:
            out.setdefault(k, int(mark.line) + 1)
    return out


def key_line(mapping: Mapping[Any, Any], key: Any) -> int | None:
    """1-based line of ``key`` in a decoded mapping, or None (also when ``mapping`` is not
    one: a wrong-typed section of a hostile file)."""
    if not isinstance(mapping, Mapping):
        return None
    lines = _line_values(mapping)
    for i, k in enumerate(mapping):
        if k == key:
            if lines is not None and i < len(lines) and lines[i] != NO_LINE:
                return int(lines[i]) + 1
            mark = getattr(k, "start_mark", None)
            return int(mark.line) + 1 if mark is not None else None
    return None


class _Fallback(Exception):
    """The fast decoder met something only cfn-lint's own constructor handles."""


def fast_decode(
    text: str,
    duplicates: list[tuple[Mapping[str, Any], Any]] | None = None,
    *,
    string_marks: bool = False,
) -> Any:
    """cfn-lint's YAML decoding (``cfn_yaml.loads``) at libyaml speed and a fraction of its
    memory, or None.

    cfn-lint composes a whole node tree with libyaml, then builds values through PyYAML's
    generic constructor (per-node dispatch, two passes per mapping, a quadratic duplicate-key
    scan), and importing it costs ~0.5 s (networkx, sympy). This builds equivalent values
    straight from libyaml's event stream, so no node tree is ever held: mappings and sequences
    carry ``start_mark``/``end_mark`` (0-based ``line``/``column``, as cfn-lint's), short-form
    tags become ``{"Fn::...": ...}`` exactly as in cfn-lint, other scalars go through PyYAML's
    safe constructors. Strings are plain (interned when short) and a mapping's key lines are in
    its ``key_lines`` (read them with :func:`key_line`), which keeps memory near 10x the
    template; ``string_marks=True`` gives every string its own marks instead (StrNode), for
    small files whose string lines matter (Serverless variables).

    It returns None (the caller then uses cfn-lint, which also words the errors) when libyaml
    is absent, an alias repeats a mapping or sequence (cfn-lint shares the object and guards
    against alias amplification), on merge keys, a null key, a duplicate key (unless
    ``duplicates`` is given: then the last one wins, as in CloudFormation, and
    ``(mapping, key)`` is appended to it), several documents, an unknown tag, or when the text
    does not parse. An aliased scalar is decoded twice, equal in value to cfn-lint's shared one.
    """
    import yaml

    if not getattr(yaml, "__with_libyaml__", False):
        return None
    try:
        return _Events(yaml, duplicates, string_marks).document(text)
    except (_Fallback, yaml.YAMLError, RecursionError, ValueError, TypeError):
        return None


_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
# Strings up to this length are shared within a document (names, types, ARNs repeat a lot).
# Through a table of the decoder's own, not sys.intern: the process-wide table would keep a
# slot for every distinct string (~70 bytes per resource of a large template) after the
# template is gone, and during the build that follows.
_INTERN_MAX = 64


class _Frame:
    """A collection being built: the value, and for mappings the key waiting for its value."""

    __slots__ = ("key", "key_line", "kind", "start", "tag", "value")

    def __init__(self, kind: str, value: Any, tag: str, start: Any) -> None:
        self.kind, self.value, self.tag, self.start = kind, value, tag, start
        self.key: Any = _NO_KEY
        self.key_line = 0


_NO_KEY = object()


class _Events:
    """Builds the template from libyaml's events with an explicit stack (no recursion)."""

    def __init__(
        self,
        yaml: Any,
        duplicates: list[tuple[Mapping[str, Any], Any]] | None,
        string_marks: bool,
    ) -> None:
        self.yaml = yaml
        self.duplicates = duplicates
        self.string_marks = string_marks
        self.safe = yaml.SafeLoader("")
        self.scalars: dict[str, Callable[[Any], Any]] = {
            "tag:yaml.org,2002:null": self.safe.construct_yaml_null,
            "tag:yaml.org,2002:bool": self.safe.construct_yaml_bool,
            "tag:yaml.org,2002:int": self.safe.construct_yaml_int,
            "tag:yaml.org,2002:float": self.safe.construct_yaml_float,
            "tag:yaml.org,2002:timestamp": self.safe.construct_yaml_timestamp,
        }
        # Anchored scalars, to decode an alias again; anchored collections make aliases fall back.
        self.anchors: dict[str, Any] = {}
        self.shared: dict[str, str] = {}  # the document's short strings, one object each

    def document(self, text: str) -> Any:
        y = self.yaml
        scalar, alias = y.ScalarEvent, y.AliasEvent
        seq_start, map_start = y.SequenceStartEvent, y.MappingStartEvent
        seq_end, map_end = y.SequenceEndEvent, y.MappingEndEvent
        doc_start = y.DocumentStartEvent
        stack: list[_Frame] = []
        root: Any = _NO_KEY
        documents = 0
        for event in y.parse(text, Loader=y.CSafeLoader):
            kind = type(event)
            if kind is scalar:
                value, line = self.scalar(event), event.start_mark.line
            elif kind is map_start or kind is seq_start:
                tag = event.tag
                if tag is None or tag == "!":
                    tag = _MAP_TAG if kind is map_start else _SEQ_TAG
                if event.anchor is not None:
                    self.anchors[event.anchor] = None  # a collection: its aliases fall back
                frame = _Frame(
                    "map" if kind is map_start else "seq",
                    self.new_collection(kind is map_start, tag),
                    tag,
                    event.start_mark,
                )
                stack.append(frame)
                continue
            elif kind is map_end or kind is seq_end:
                frame = stack.pop()
                value, line = self.finish(frame, event.end_mark), frame.start.line
            elif kind is alias:
                if self.anchors.get(event.anchor) is None:
                    raise _Fallback("alias of a collection")
                value, line = self.scalar(self.anchors[event.anchor]), event.start_mark.line
            elif kind is doc_start:
                documents += 1
                if documents > 1:
                    raise _Fallback("several documents")
                continue
            else:
                continue
            if not stack:
                root = value
                continue
            self.add(stack[-1], value, line)
        return None if root is _NO_KEY else root

    def new_collection(self, mapping: bool, tag: str) -> Any:
        if mapping:
            if tag != _MAP_TAG and not tag.startswith("!"):
                raise _Fallback(tag)
            node = DictNode()  # a tagged one too (!Transform {...}), for its keys' lines
            node.key_lines = array("I")
            return node
        if tag != _SEQ_TAG and not tag.startswith("!"):
            raise _Fallback(tag)
        return ListNode() if tag == _SEQ_TAG else []

    def add(self, frame: _Frame, value: Any, line: int) -> None:
        if frame.kind == "seq":
            frame.value.append(value)
            return
        if frame.key is _NO_KEY:
            if value is None:  # cfn-lint reports it
                raise _Fallback("null key")
            frame.key, frame.key_line = value, line
            return
        key, mapping = frame.key, frame.value
        frame.key = _NO_KEY
        if frame.tag != _MAP_TAG and key in mapping:  # tagged (!Sub {...}): the last one wins
            del mapping[key]
        elif key in mapping:
            if self.duplicates is None:  # cfn-lint reports it
                raise _Fallback("duplicate key")
            del mapping[key]  # the last one wins, with its own key (and line)
            self.duplicates.append((mapping, key))
        dict.__setitem__(mapping, key, value)
        mapping.key_lines.append(frame.key_line)

    def finish(self, frame: _Frame, end: Any) -> Any:
        start = frame.start
        value = frame.value
        if frame.tag in (_MAP_TAG, _SEQ_TAG):
            value._pos = _pack(start, end)
            if frame.kind == "map":
                value.key_lines = value.key_lines.tobytes()  # packed: see DictNode
            return value
        return self.tagged(frame.tag, value, start, end)

    def scalar(self, event: Any) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.safe.resolve(self.yaml.ScalarNode, event.value, event.implicit)
        if event.anchor is not None:
            self.anchors[event.anchor] = event
        if tag == _STR_TAG:
            return self.string(event.value, event.start_mark, event.end_mark)
        if tag == "tag:yaml.org,2002:merge":
            raise _Fallback("merge key")
        if tag.startswith("!"):
            return self.tagged(tag, event.value, event.start_mark, event.end_mark, True)
        build = self.scalars.get(tag)
        if build is None:
            raise _Fallback(tag)
        return build(self.yaml.ScalarNode(tag, event.value))

    def string(self, text: str, start: Any, end: Any) -> Any:
        if self.string_marks:
            node = StrNode(text)
            node.start_mark, node.end_mark = _mark(start), _mark(end)
            return node
        if len(text) > _INTERN_MAX:
            return text
        return self.shared.setdefault(text, text)

    def tagged(self, tag: str, value: Any, start: Any, end: Any, scalar: bool = False) -> DictNode:
        """``!Ref x`` → ``{"Ref": "x"}``, ``!GetAtt a.b`` → ``{"Fn::GetAtt": ["a", "b"]}``."""
        suffix = tag[1:]
        if suffix not in ("Ref", "Condition"):
            suffix = f"Fn::{suffix}"
        if suffix == "Fn::GetAtt":
            if scalar:
                parts = ListNode(value.split(".", 1))
                parts._pos = _pack(start, end)
                value = parts
            elif isinstance(value, dict):
                raise _Fallback("!GetAtt on a mapping")
            else:
                parts = ListNode(value)
                parts._pos = _pack(start, end)
                value = parts
        out = DictNode({suffix: value})
        out._pos = _pack(start, end)
        out.key_lines = array("I", [start.line]).tobytes()
        return out


def _mark(mark: Any) -> Mark:
    return Mark(mark.line, mark.column)
