"""The configuration file ``.fortress.yaml``: find it, read it, check it against its schema.

Every problem is one line naming the file, the line and the key (an :class:`InputError`, which
the CLI prints and exits 2 on). The schema is shipped as JSON Schema
(``fortress/data/config.schema.json``) and is the one the file is checked against.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from fortress.config import Suppression
from fortress.errors import InputError

NAMES = (".fortress.yaml", ".fortress.yml")
MAX_BYTES = 1_000_000

PathKey = tuple[str | int, ...]


@dataclass
class FileConfig:
    path: str
    trusted_accounts: list[str] = field(default_factory=list)
    required_tags: list[str] = field(default_factory=list)
    secret_ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    rules: dict[str, bool] = field(default_factory=dict)
    deployers: list[str] = field(default_factory=list)
    expected_regions: list[str] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, *key: str | int) -> int | None:
        return _line(self.lines, key)

    def error(self, key: tuple[str | int, ...], message: str) -> InputError:
        return InputError(self.path, f"{_dotted(key)}: {message}", self.line_of(*key))


@functools.cache
def schema() -> dict[str, Any]:
    text = (resources.files("fortress") / "data" / "config.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def find(starts: list[Path]) -> Path | None:
    """The nearest ``.fortress.yaml`` in a start folder or one of its parents."""
    for start in starts:
        folder = start.resolve()
        if not folder.is_dir():
            folder = folder.parent
        for candidate in (folder, *folder.parents):
            for name in NAMES:
                path = candidate / name
                if path.is_file():
                    return path
    return None


def load(path: Path) -> FileConfig:
    name = str(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError(name, f"larger than {MAX_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(name, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(name, f"cannot read ({exc})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise InputError(name, f"not valid YAML: {exc.problem}", line) from None
    except yaml.YAMLError as exc:
        raise InputError(name, f"not valid YAML: {exc}") from None
    if data is None:
        data = {}
    lines: dict[PathKey, int] = {}
    if node is not None:
        _index(name, node, (), lines)
    if not isinstance(data, dict):
        raise InputError(name, "expected a mapping of settings at the top level", 1)
    data = _jsonable(data)
    _validate(name, data, lines)
    return _build(name, data, lines)


# --------------------------------------------------------------------------- line numbers


def _index(name: str, node: yaml.Node, key: PathKey, lines: dict[PathKey, int]) -> None:
    """Record the line of every key and item; a key given twice is an error (YAML loaders
    silently keep the last one, which would hide a setting)."""
    lines[key] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for knode, vnode in node.value:
            if isinstance(knode, yaml.ScalarNode):
                child = (*key, str(knode.value))
                if child[-1] in seen:
                    line = knode.start_mark.line + 1
                    raise InputError(name, f"duplicate key {_dotted(child)!r}", line)
                seen.add(str(child[-1]))
                _index(name, vnode, child, lines)
                lines[child] = knode.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(name, item, (*key, i), lines)


def _line(lines: dict[PathKey, int], key: PathKey) -> int | None:
    for n in range(len(key), -1, -1):
        if key[:n] in lines:
            return lines[key[:n]]
    return None


def _dotted(key: PathKey) -> str:
    out = ""
    for part in key:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _jsonable(value: Any) -> Any:
    """YAML dates become ISO strings so the JSON Schema sees what a JSON file would hold."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------- validation

_JSON_TYPES = {
    "array": "a list",
    "object": "a mapping",
    "string": "a string",
    "boolean": "true or false",
}


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "nothing"
    return f"a {type(value).__name__}"


def _validate(name: str, data: dict[str, Any], lines: dict[PathKey, int]) -> None:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: _line(lines, tuple(e.path)) or 0)
    if not errors:
        return
    err = errors[0]
    key: PathKey = tuple(err.path)
    instance = err.instance
    if err.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = set(err.schema.get("properties", {}))
        extra = sorted(k for k in instance if k not in allowed)
        known = ", ".join(sorted(allowed))
        bad = (*key, extra[0]) if extra else key
        raise InputError(name, f"unknown key {_dotted(bad)!r} (known: {known})", _line(lines, bad))
    if err.validator == "required":
        missing = next((k for k in err.validator_value if k not in instance), "?")
        where = _dotted(key)
        if missing == "reason":
            message = f"{where}: a suppression must give a reason"
        else:
            message = f"{where}: missing required key {missing!r}"
        raise InputError(name, message, _line(lines, key))
    where = _dotted(key)
    if err.validator == "type":
        expected = _JSON_TYPES.get(str(err.validator_value), str(err.validator_value))
        message = f"{where}: expected {expected}, got {_type_name(instance)}"
    elif err.validator == "pattern" and key[-1:] == ("reason",):
        message = f"{where}: a suppression must give a reason"
    elif err.validator == "propertyNames":
        message = f"{where}: {err.message.split(' does not match')[0]} is not a rule id or prefix"
    elif err.validator == "enum":
        message = f"{where}: {instance!r} is not one of {', '.join(map(str, err.validator_value))}"
    elif err.validator == "pattern":
        message = f"{where}: {instance!r} is not a valid value"
    elif err.validator == "const":
        message = f"{where}: must be {err.validator_value!r}"
    else:
        message = f"{where}: {err.message}"
    raise InputError(name, message, _line(lines, key))


def _build(name: str, data: dict[str, Any], lines: dict[PathKey, int]) -> FileConfig:
    cfg = FileConfig(
        path=name,
        trusted_accounts=list(data.get("trusted_accounts") or []),
        required_tags=list(data.get("required_tags") or []),
        secret_ignore=list(data.get("secret_ignore") or []),
        severity=dict(data.get("severity") or {}),
        rules=dict(data.get("rules") or {}),
        deployers=list(data.get("deployers") or []),
        expected_regions=list(data.get("expected_regions") or []),
        lines=lines,
    )
    for i, pattern in enumerate(cfg.secret_ignore):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise cfg.error(("secret_ignore", i), f"not a regular expression ({exc})") from None
    for i, entry in enumerate(data.get("suppressions") or []):
        expires = None
        if "expires" in entry:
            try:
                expires = date.fromisoformat(entry["expires"])
            except ValueError:
                raise cfg.error(
                    ("suppressions", i, "expires"),
                    f"{entry['expires']!r} is not a date (YYYY-MM-DD)",
                ) from None
        cfg.suppressions.append(
            Suppression(
                rule=entry["rule"],
                resource=entry["resource"],
                reason=entry["reason"].strip(),
                owner=entry.get("owner"),
                expires=expires,
                file=name,
                line=_line(lines, ("suppressions", i)),
            )
        )
    return cfg
