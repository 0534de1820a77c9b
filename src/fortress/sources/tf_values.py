"""Terraform values as the evaluator holds them, and the operations every part shares.

A value is ``str``, ``int``/``float``, ``bool``, ``None`` (null), ``list``, ``dict``,
:class:`JsonDoc` (the result of ``jsonencode``), a :class:`Lazy` object (a resource, a module, a
namespace, resolved attribute by attribute) or :class:`inventory.Unknown` with the reason:
:class:`Computed` when only apply knows it, :class:`Invalid` when Terraform would reject the
expression (``try`` moves on past those, ``can`` is false).

Reasons name values by their Terraform type and keys by their text, never by a Python repr,
and never show a string's content (it may be a secret).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fortress.inventory import Unknown


@dataclass(frozen=True)
class Computed(Unknown):
    """An attribute only known after apply; ``ref`` is "<resource type>.<attribute>"."""

    ref: str = ""


@dataclass(frozen=True)
class Invalid(Unknown):
    """An expression Terraform rejects (missing attribute or key, index out of range, a failed
    function call): an error, not a value pending apply, so ``try()`` falls through it."""


class Lazy:
    """An object resolved attribute by attribute (resource, module, namespace)."""

    def describe(self) -> str:
        return "object"

    def attr(self, name: str) -> Any:
        return Invalid(f"{self.describe()} has no attribute {show_key(name)}")

    def index(self, key: Any) -> Any:
        return Unknown(f"{self.describe()}[{show_key(key)}] is not known")

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


def type_name(value: Any) -> str:
    """The Terraform type of ``value``, for messages ("a string", "an object")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (str, JsonDoc)):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, Lazy):
        return value.describe()
    if isinstance(value, Unknown):
        return "an unknown value"
    return "a value"


def show_key(key: Any) -> str:
    """A map key or list index as written in Terraform (``"name"``, ``0``)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (int, float)):
        return num_str(key)
    if isinstance(key, str):
        return json.dumps(key[:60] + ("..." if len(key) > 60 else ""))
    return type_name(key)


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
        return num_str(value)
    if isinstance(value, Unknown):
        return value
    if isinstance(value, JsonDoc):
        return value.text()
    if isinstance(value, Lazy):
        return to_str(value.materialize())
    if value is None:
        return Invalid("null used in a string")
    return Invalid(f"{type_name(value)} cannot be used as a string")


def num_str(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def num(value: Any) -> float | Unknown:
    if isinstance(value, bool):
        return Invalid("a bool is not a number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return Invalid("a string that is not a number is used as a number")
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Lazy):
        return Unknown(f"{value.describe()} is not known before apply")
    return Invalid(f"{type_name(value)} is not a number")


def truth(value: Any) -> bool | Unknown:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    if isinstance(value, Lazy):
        return Unknown(f"{value.describe()} is not known before apply")
    return Invalid(f"{type_name(value)} is not a bool")


def seq(value: Any) -> list[Any] | Unknown:
    if isinstance(value, Lazy):
        return value.splat()
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, Unknown):
        return value
    return Invalid(f"{type_name(value)} is not a collection")


def get_attr(value: Any, name: str) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Lazy):
        return value.attr(name)
    if isinstance(value, dict):
        if name in value:
            return value[name]
        return Invalid(f"attribute {show_key(name)} is not set")
    if isinstance(value, JsonDoc):
        return Invalid("attribute of a JSON string")
    if value is None:
        return Invalid(f"attribute {show_key(name)} of null")
    return Invalid(f"{type_name(value)} has no attribute {show_key(name)}")


def get_index(value: Any, key: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(key, Unknown):
        return key if isinstance(key, Invalid) else Unknown(f"index is not known: {key.reason}")
    if isinstance(value, Lazy):
        return value.index(key)
    if isinstance(value, list):
        number = num(key)
        if isinstance(number, Unknown):
            return number
        idx = int(number)
        if 0 <= idx < len(value):
            return value[idx]
        return Invalid(f"index {idx} is out of range (length {len(value)})")
    if isinstance(value, dict):
        skey = to_str(key)
        if isinstance(skey, str) and skey in value:
            return value[skey]
        return Invalid(f"key {show_key(key)} is not set")
    if value is None:
        return Invalid("index of null")
    return Invalid(f"cannot index {type_name(value)}")
