"""Terraform's built-in functions, evaluated on :mod:`fortress.sources.tf_values` values.

Each function takes the evaluator (for the file functions: where reads start and which folders
they may reach) and its evaluated arguments. An argument that is not known makes the result
unknown; arguments Terraform would reject give :class:`Invalid` (so ``try`` falls through).
A function that is not in the table is named in the unknown's reason by the evaluator.

``file``, ``templatefile``, ``fileexists`` and the ``file*`` hashes read only regular files
inside the scanned folders, at most :data:`tf_files.MAX_FILE_BYTES`
(:mod:`fortress.sources.tf_files`); anything else is unknown with the reason, never read.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from tree_sitter import Node

from fortress.errors import InputError
from fortress.inventory import Unknown
from fortress.safeio import sha256_hex
from fortress.sources.hcl import parse_bytes
from fortress.sources.tf_files import MAX_FILE_BYTES, inside, is_regular, read_regular
from fortress.sources.tf_values import (
    Invalid,
    JsonDoc,
    Lazy,
    num,
    plain_value,
    seq,
    show_key,
    to_str,
    truth,
    type_name,
)


class Evaluator(Protocol):
    """What the functions need from the evaluator (:class:`tf_expr.Evaluator` provides it)."""

    root_dir: Path  # where relative paths start (the root module's folder)
    read_roots: tuple[Path, ...]  # the folders reads may reach
    in_template: bool

    def for_template(self, lookup: Callable[[str], Any]) -> Evaluator: ...

    def render_template(self, node: Node, scope: dict[str, Any]) -> Any: ...

    def refused(self, subject: str, message: str) -> None: ...


Func = Callable[[Evaluator, list[Any]], Any]


def _all_known(args: list[Any]) -> Unknown | None:
    for arg in args:
        if isinstance(arg, Unknown):
            return arg
        if isinstance(arg, Lazy):
            return Unknown(f"{arg.describe()} is not known before apply")
    return None


def _strict(func: Callable[[list[Any]], Any]) -> Func:
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


def _str1(func: Callable[..., Any]) -> Func:
    def wrapped(ev: Evaluator, args: list[Any]) -> Any:
        strs = _strs(args)
        if isinstance(strs, Unknown):
            return strs
        return func(*strs)

    return wrapped


# --------------------------------------------------------------------------- strings

_VERB_RE = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d+))?([a-zA-Z%])")


def _f_format(args: list[Any]) -> Any:
    """Go-style verbs as Terraform has them: %s %d %f %e %g %x %X %o %b %t %q %v and %%."""
    fmt = to_str(args[0])
    if isinstance(fmt, Unknown):
        return fmt
    values = iter(args[1:])
    out: list[str] = []
    pos = 0
    for m in _VERB_RE.finditer(fmt):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        flags, width, prec, verb = m.group(1), m.group(2) or "", m.group(3), m.group(4)
        if verb == "%":
            out.append("%")
            continue
        value = next(values, _MISSING)
        if value is _MISSING:
            return Invalid("function `format`: not enough arguments for the format string")
        spec = "%" + flags + width + (f".{prec}" if prec is not None else "")
        piece = _format_one(spec, verb, value)
        if isinstance(piece, Unknown):
            return piece
        out.append(piece)
    out.append(fmt[pos:])
    return "".join(out)


_MISSING = object()


def _format_one(spec: str, verb: str, value: Any) -> str | Unknown:
    if isinstance(value, Unknown):
        return value
    if verb in "dxXob":
        n = num(value)
        if isinstance(n, Unknown):
            return n
        if verb == "b":
            return format(int(n), "b")
        return (spec + verb) % int(n)
    if verb in "feEgG":
        n = num(value)
        return n if isinstance(n, Unknown) else (spec + verb) % float(n)
    if verb == "t":
        t = truth(value)
        return t if isinstance(t, Unknown) else ("true" if t else "false")
    if verb == "q":
        s = to_str(value)
        return s if isinstance(s, Unknown) else json.dumps(s)
    if verb == "v" and isinstance(value, (dict, list)):
        plain = plain_value(value)
        return json.dumps(plain, separators=(",", ":"))
    s = to_str(value)
    return s if isinstance(s, Unknown) else (spec + "s") % s


def _f_join(args: list[Any]) -> Any:
    sep = to_str(args[0])
    if isinstance(sep, Unknown):
        return sep
    items: list[Any] = []
    for lst in args[1:]:
        s = seq(lst)
        if isinstance(s, Unknown):
            return s
        items.extend(s)
    strs = _strs(items)
    return strs if isinstance(strs, Unknown) else sep.join(strs)


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


# --------------------------------------------------------------------------- collections


def _f_concat(args: list[Any]) -> Any:
    out: list[Any] = []
    for arg in args:
        s = seq(arg)
        if isinstance(s, Unknown):
            return s
        out.extend(s)
    return out


def _f_merge(args: list[Any]) -> Any:
    out: dict[str, Any] = {}
    for arg in args:
        if arg is None:
            continue
        if not isinstance(arg, dict):
            return Invalid(f"function `merge`: {type_name(arg)} is not a map")
        out.update(arg)
    return out


def _f_lookup(ev: Evaluator, args: list[Any]) -> Any:
    if isinstance(args[0], Unknown):
        return args[0]
    mapping, key = args[0], to_str(args[1])
    if isinstance(key, Unknown):
        return key
    if isinstance(mapping, Lazy):
        return Unknown(f"{mapping.describe()} is not known before apply")
    if isinstance(mapping, dict) and key in mapping:
        return mapping[key]
    if not isinstance(mapping, dict):
        return Invalid(f"function `lookup`: {type_name(mapping)} is not a map")
    if len(args) > 2:
        return args[2]
    return Invalid(f"function `lookup`: key {show_key(key)} is not set")


def _f_distinct(args: list[Any]) -> Any:
    s = seq(args[0])
    if isinstance(s, Unknown):
        return s
    out: list[Any] = []
    seen: list[Any] = []
    for item in s:
        plain = plain_value(item)
        if plain not in seen:
            seen.append(plain)
            out.append(item)
    return out


def _f_coalesce(ev: Evaluator, args: list[Any]) -> Any:
    for arg in args:
        if isinstance(arg, Unknown):
            return arg
        if arg is not None and arg != "":
            return arg
    return Invalid("function `coalesce`: no non-null, non-empty argument")


def _f_coalescelist(args: list[Any]) -> Any:
    for arg in args:
        s = seq(arg)
        if isinstance(s, Unknown):
            return s
        if s:
            return s
    return Invalid("function `coalescelist`: no non-empty list")


def _f_length(ev: Evaluator, args: list[Any]) -> Any:
    value = args[0]
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Lazy):
        value = value.splat()
        if isinstance(value, Unknown):
            return value
    if isinstance(value, (str, list, dict)):
        return len(value)
    return Invalid(f"function `length`: {type_name(value)} has no length")


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
    s = seq(args[0])
    if isinstance(s, Unknown):
        return s
    if not s:
        return Invalid("function `element`: the list is empty")
    idx = num(args[1])
    if isinstance(idx, Unknown):
        return idx
    return s[int(idx) % len(s)]


def _f_contains(args: list[Any]) -> Any:
    s = seq(args[0])
    if isinstance(s, Unknown):
        return s
    wanted = plain_value(args[1])
    return any(plain_value(x) == wanted for x in s)


def _f_keys(args: list[Any]) -> Any:
    if not isinstance(args[0], dict):
        return Invalid(f"function `keys`: {type_name(args[0])} is not a map")
    return sorted(args[0])


def _f_values(args: list[Any]) -> Any:
    if not isinstance(args[0], dict):
        return Invalid(f"function `values`: {type_name(args[0])} is not a map")
    return [args[0][k] for k in sorted(args[0])]


def _f_tostring(args: list[Any]) -> Any:
    if args[0] is None:
        return None
    if isinstance(args[0], (list, dict)):
        return Invalid(f"function `tostring`: {type_name(args[0])} is not a string")
    return to_str(args[0])


def _f_compact(args: list[Any]) -> Any:
    s = seq(args[0])
    if isinstance(s, Unknown):
        return s
    return [x for x in s if x not in (None, "")]


def _f_slice(args: list[Any]) -> Any:
    s = seq(args[0])
    if isinstance(s, Unknown):
        return s
    return s[int(args[1]) : int(args[2])]


def _f_index(args: list[Any]) -> Any:
    s = seq(args[0])
    if isinstance(s, Unknown):
        return s
    wanted = plain_value(args[1])
    for i, item in enumerate(s):
        if plain_value(item) == wanted:
            return i
    return Invalid("function `index`: the value is not in the list")


def _bools(value: Any, combine: Callable[[list[bool]], bool]) -> Any:
    items = seq(value)
    if isinstance(items, Unknown):
        return items
    out: list[bool] = []
    for item in items:
        t = truth(item)
        if isinstance(t, Unknown):
            return t
        out.append(t)
    return combine(out)


# --------------------------------------------------------------------------- files


def _path_of(ev: Evaluator, value: Any, func: str) -> Path | Unknown:
    """The file ``value`` names, when it lies inside the scanned folders."""
    text = to_str(value)
    if isinstance(text, Unknown):
        return Unknown(f"function `{func}`: the path is not known ({text.reason})")
    target = Path(text)
    if not target.is_absolute():
        target = ev.root_dir / target  # Terraform resolves from the root module's folder
    resolved = inside(target, ev.read_roots)
    if resolved is None:
        return _refuse(ev, func, text, "is outside the scanned folder")
    return resolved


def _refuse(ev: Evaluator, func: str, path: str, why: str) -> Unknown:
    """An unknown for a file not read, and a gap note: what was not read is never clean."""
    ev.refused(f"{func}({show_key(path)})", f"not read: the file {why}")
    return Unknown(f"function `{func}`: {show_key(path)} {why}; not read")


def _read(ev: Evaluator, value: Any, func: str) -> bytes | Unknown:
    path = _path_of(ev, value, func)
    if isinstance(path, Unknown):
        return path
    data = read_regular(path, MAX_FILE_BYTES)
    if isinstance(data, str):
        return _refuse(ev, func, str(to_str(value)), "is " + _why(data))
    return data


def _why(reason: str) -> str:
    return reason if reason.startswith(("not ", "larger")) else f"unreadable ({reason})"


def _text(ev: Evaluator, value: Any, func: str) -> str | Unknown:
    data = _read(ev, value, func)
    if isinstance(data, Unknown):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return Invalid(f"function `{func}`: {show_key(str(value))} is not UTF-8 text")


def _f_file(ev: Evaluator, args: list[Any]) -> Any:
    return _text(ev, args[0], "file")


def _f_fileexists(ev: Evaluator, args: list[Any]) -> Any:
    path = _path_of(ev, args[0], "fileexists")
    if isinstance(path, Unknown):
        return path
    state = is_regular(path)
    if state is None:
        return _refuse(ev, "fileexists", str(args[0]), "is not a regular file")
    return state


def _f_filehash(kind: str) -> Func:
    def wrapped(ev: Evaluator, args: list[Any]) -> Any:
        data = _read(ev, args[0], f"file{kind}")
        if isinstance(data, Unknown):
            return data
        if kind == "base64":
            return base64.b64encode(data).decode()
        if kind == "base64sha256":
            return base64.b64encode(hashlib.sha256(data).digest()).decode()
        return hashlib.sha256(data).hexdigest()

    return wrapped


def _f_templatefile(ev: Evaluator, args: list[Any]) -> Any:
    """The file rendered as a template that sees only the variables given (as Terraform)."""
    if ev.in_template:
        return Invalid("function `templatefile` cannot be called from a template")
    text = _text(ev, args[0], "templatefile")
    if isinstance(text, Unknown):
        return text
    variables = args[1] if len(args) > 1 else {}
    if isinstance(variables, Unknown):
        return variables
    if not isinstance(variables, dict):
        return Invalid(f"function `templatefile`: the variables are {type_name(variables)}")
    marker = "FORTRESS_" + sha256_hex(text)[:16]  # not in the text
    body = text if text.endswith("\n") else text + "\n"
    source = f"template = <<{marker}\n{body}{marker}\n"
    try:
        parsed = parse_bytes(source.encode(), str(args[0]))
    except InputError as exc:
        return Invalid(f"function `templatefile`: {show_key(str(args[0]))}: {exc.message}")
    attr = parsed.attrs.get("template")
    if attr is None:
        return Invalid(f"function `templatefile`: {show_key(str(args[0]))} is not a template")
    sub = ev.for_template(
        lambda name: Invalid(f"`{name}` is not a variable of this template (templatefile)")
    )
    rendered = sub.render_template(attr.expr, dict(variables))
    if isinstance(rendered, str) and not text.endswith("\n"):
        rendered = rendered[:-1]
    return rendered


# --------------------------------------------------------------------------- json


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


FUNCTIONS: dict[str, Func] = {
    "jsonencode": _f_jsonencode,
    "jsondecode": _f_jsondecode,
    "file": _f_file,
    "fileexists": _f_fileexists,
    "templatefile": _f_templatefile,
    "filebase64": _f_filehash("base64"),
    "filebase64sha256": _f_filehash("base64sha256"),
    "filesha256": _f_filehash("sha256"),
    "format": _strict(_f_format),
    "join": _strict(_f_join),
    "concat": _strict(_f_concat),
    "merge": _strict(_f_merge),
    "lookup": _f_lookup,
    "tomap": _strict(lambda a: dict(a[0]) if a[0] is not None else None),
    "tolist": _strict(lambda a: seq(a[0]) if a[0] is not None else None),
    "toset": _strict(_f_distinct),
    "tostring": _strict(_f_tostring),
    "tonumber": _strict(lambda a: num(a[0]) if a[0] is not None else None),
    "tobool": _strict(lambda a: truth(a[0]) if a[0] is not None else None),
    "coalesce": _f_coalesce,
    "coalescelist": _strict(_f_coalescelist),
    "length": _f_length,
    "lower": _str1(lambda s: s.lower()),
    "upper": _str1(lambda s: s.upper()),
    "title": _str1(lambda s: s.title()),
    "chomp": _str1(lambda s: s.rstrip("\r\n")),
    "trimspace": _str1(lambda s: s.strip()),
    "trim": _str1(lambda s, c: s.strip(c)),
    "trimprefix": _str1(lambda s, p: s[len(p) :] if s.startswith(p) else s),
    "trimsuffix": _str1(lambda s, p: s[: -len(p)] if p and s.endswith(p) else s),
    "startswith": _str1(lambda s, p: s.startswith(p)),
    "endswith": _str1(lambda s, p: s.endswith(p)),
    "strrev": _str1(lambda s: s[::-1]),
    "replace": _strict(_f_replace),
    "split": _strict(_f_split),
    "substr": _strict(
        lambda a: str(a[0])[int(a[1]) : (int(a[1]) + int(a[2])) if int(a[2]) >= 0 else None]
    ),
    "base64encode": _str1(lambda s: base64.b64encode(s.encode()).decode()),
    "base64decode": _str1(lambda s: base64.b64decode(s).decode("utf-8", "replace")),
    "sha256": _str1(sha256_hex),
    "keys": _strict(_f_keys),
    "values": _strict(_f_values),
    "flatten": _strict(_f_flatten),
    "distinct": _strict(_f_distinct),
    "compact": _strict(_f_compact),
    "contains": _strict(_f_contains),
    "element": _strict(_f_element),
    "index": _strict(_f_index),
    "slice": _strict(_f_slice),
    "reverse": _strict(lambda a: list(reversed(a[0]))),
    "zipmap": _strict(lambda a: dict(zip(a[0], a[1], strict=False))),
    "range": _strict(lambda a: list(range(*[int(x) for x in a]))),
    "sort": _strict(lambda a: sorted(a[0])),
    "alltrue": _strict(lambda a: _bools(a[0], all)),
    "anytrue": _strict(lambda a: _bools(a[0], any)),
    "sum": _strict(lambda a: sum(a[0])),
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
