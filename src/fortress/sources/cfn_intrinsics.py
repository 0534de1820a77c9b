"""CloudFormation intrinsic functions, parameters and conditions, resolved offline.

A :class:`Resolver` turns a template value (possibly holding ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``,
``Fn::Join``, ``Fn::If``, ``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap``, ``Fn::ImportValue``,
``Fn::Base64``, ``Fn::GetAZs`` ...) into plain Python data. What cannot be known before
deployment (another stack's export, a parameter without default, an attribute only the service
assigns) becomes :class:`fortress.inventory.Unknown` with the reason: never a safe-looking value.

Resources answer ``Ref``/``Fn::GetAtt`` through the ``refs``/``attrs`` tables the template
loader fills with stable placeholders (physical name, ARN built on the template account).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from fortress.inventory import TEMPLATE_ACCOUNT, Unknown

INTRINSICS = frozenset(
    {
        "Ref",
        "Condition",
        "Fn::GetAtt",
        "Fn::Sub",
        "Fn::Join",
        "Fn::If",
        "Fn::Select",
        "Fn::Split",
        "Fn::FindInMap",
        "Fn::ImportValue",
        "Fn::Base64",
        "Fn::GetAZs",
        "Fn::Cidr",
        "Fn::Equals",
        "Fn::And",
        "Fn::Or",
        "Fn::Not",
        "Fn::ToJsonString",
        "Fn::Length",
        "Fn::Transform",
    }
)

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


class _NoValue:
    """``Ref: AWS::NoValue``: the property is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


def is_intrinsic(value: object) -> bool:
    return (
        isinstance(value, (dict, Mapping)) and len(value) == 1 and next(iter(value)) in INTRINSICS
    )


def plain(value: Any) -> Any:
    """Convert cfn-lint's line-aware nodes into plain dict/list/str (keeps Unknown)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def first_unknown(value: Any) -> Unknown | None:
    """The first Unknown inside a resolved value, if any."""
    if isinstance(value, str):  # most values: skip the slower abstract Mapping check
        return None
    if isinstance(value, Unknown):
        return value
    if isinstance(value, (dict, Mapping)):
        for item in value.values():
            found = first_unknown(item)
            if found is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            found = first_unknown(item)
            if found is not None:
                return found
    return None


class Resolver:
    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, str] | None = None,
        account: str | None = None,
        region: str | None = None,
    ) -> None:
        self.template = template
        self.account = account or TEMPLATE_ACCOUNT
        self.region = region or "${AWS::Region}"
        self.mappings: Mapping[str, Any] = _mapping(template.get("Mappings"))
        self.parameters: dict[str, Any] = {}
        self.no_echo: set[str] = set()
        given = dict(parameters or {})
        for name, spec in _mapping(template.get("Parameters")).items():
            spec = _mapping(spec)
            if str(spec.get("NoEcho", "")).lower() == "true":
                self.no_echo.add(name)
            ptype = str(spec.get("Type", "String"))
            if name in given:
                raw: Any = given[name]
            elif "Default" in spec:
                raw = plain(spec["Default"])
            else:
                self.parameters[name] = Unknown(
                    f"parameter {name} has no default and was not given"
                )
                continue
            if ptype.startswith("List<") or ptype == "CommaDelimitedList":
                if isinstance(raw, str):
                    raw = [p.strip() for p in raw.split(",")] if raw else []
            elif ptype.startswith("AWS::SSM::Parameter::Value"):
                raw = Unknown(f"parameter {name} is read from SSM parameter {raw} at deploy time")
            self.parameters[name] = raw
        self.condition_defs: Mapping[str, Any] = _mapping(template.get("Conditions"))
        self._conditions: dict[str, bool | Unknown] = {}
        # Filled by the loader: Ref value and Fn::GetAtt values per logical id.
        self.refs: dict[str, Any] = {}
        self.attrs: dict[tuple[str, str], Any] = {}
        self.resource_types: dict[str, str] = {}

    # ------------------------------------------------------------------ conditions

    def condition(self, name: str) -> bool | Unknown:
        if name in self._conditions:
            return self._conditions[name]
        if name not in self.condition_defs:
            return Unknown(f"condition {name} is not defined")
        self._conditions[name] = Unknown(f"condition {name} refers to itself")
        value = self._condition_value(self.condition_defs[name])
        if isinstance(value, Unknown):
            value = Unknown(f"condition {name} cannot be decided: {value.reason}")
        self._conditions[name] = value
        return value

    def _condition_value(self, expr: Any) -> bool | Unknown:
        if isinstance(expr, Mapping) and len(expr) == 1:
            key, arg = next(iter(expr.items()))
            if key == "Condition":
                return self.condition(str(arg))
            if key == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
                left, right = self.resolve(arg[0]), self.resolve(arg[1])
                bad = first_unknown([left, right])
                if bad is not None:
                    return bad
                return _norm(left) == _norm(right)
            if key == "Fn::Not" and isinstance(arg, list) and len(arg) == 1:
                inner = self._condition_value(arg[0])
                return inner if isinstance(inner, Unknown) else not inner
            if key in ("Fn::And", "Fn::Or") and isinstance(arg, list):
                values = [self._condition_value(a) for a in arg]
                decided = [v for v in values if not isinstance(v, Unknown)]
                if key == "Fn::And" and any(v is False for v in decided):
                    return False
                if key == "Fn::Or" and any(v is True for v in decided):
                    return True
                for v in values:
                    if isinstance(v, Unknown):
                        return v
                return key == "Fn::And"
        value = self.resolve(expr)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return Unknown(f"unsupported condition expression {show(expr)}")

    # ------------------------------------------------------------------ values

    def resolve(self, value: Any) -> Any:
        """Resolve a template value; NO_VALUE entries are removed from dicts and lists."""
        if isinstance(value, str):  # the most common leaf; checked first (hot path)
            return str(value)
        if isinstance(value, (dict, Mapping)):
            if is_intrinsic(value):
                key, arg = next(iter(value.items()))
                return self._intrinsic(str(key), arg)
            out: dict[str, Any] = {}
            for k, v in value.items():
                r = self.resolve(v)
                if r is not NO_VALUE:
                    out[str(k)] = r
            return out
        if isinstance(value, list):
            items: list[Any] = []
            for v in value:
                if (
                    isinstance(v, (dict, Mapping))
                    and len(v) == 1
                    and "Fn::If" in v
                    and isinstance(v["Fn::If"], list)
                    and len(v["Fn::If"]) == 3
                ):
                    cond = self.condition(str(v["Fn::If"][0]))
                    if isinstance(cond, Unknown):
                        # Both branches: a list stays pessimistic (superset of both).
                        for branch in v["Fn::If"][1:]:
                            r = self.resolve(branch)
                            if r is not NO_VALUE:
                                items.append(r)
                        continue
                r = self.resolve(v)
                if r is not NO_VALUE:
                    items.append(r)
            return items
        return value

    def _intrinsic(self, key: str, arg: Any) -> Any:
        if key == "Ref":
            return self.ref(str(arg))
        if key == "Fn::GetAtt":
            if isinstance(arg, str):
                logical, _, attr = arg.partition(".")
            elif isinstance(arg, list) and len(arg) == 2:
                logical, attr = str(arg[0]), self.resolve(arg[1])
                if isinstance(attr, Unknown):
                    return attr
            else:
                return Unknown(f"malformed Fn::GetAtt {show(arg)}")
            return self.getatt(logical, str(attr))
        if key == "Fn::Sub":
            return self._sub(arg)
        if key == "Fn::Join":
            if not (isinstance(arg, list) and len(arg) == 2):
                return Unknown(f"malformed Fn::Join {show(arg)}")
            delim, items = self.resolve(arg[0]), self.resolve(arg[1])
            bad = first_unknown([delim, items])
            if bad is not None:
                return Unknown(f"Fn::Join: {bad.reason}")
            if not isinstance(items, list):
                return Unknown("Fn::Join of a non-list value")
            return str(delim).join(_text(i) for i in items)
        if key == "Fn::If":
            if not (isinstance(arg, list) and len(arg) == 3):
                return Unknown(f"malformed Fn::If {show(arg)}")
            cond = self.condition(str(arg[0]))
            if isinstance(cond, Unknown):
                a, b = self.resolve(arg[1]), self.resolve(arg[2])
                if a is NO_VALUE and b is NO_VALUE:
                    return NO_VALUE
                if _norm(a) == _norm(b):
                    return a
                if isinstance(a, list) and isinstance(b, list):
                    return [*a, *[x for x in b if x not in a]]
                return Unknown(f"{cond.reason}; the value is {_show(a)} or {_show(b)}")
            return self.resolve(arg[1] if cond else arg[2])
        if key == "Fn::Select":
            if not (isinstance(arg, list) and len(arg) == 2):
                return Unknown(f"malformed Fn::Select {show(arg)}")
            index, items = self.resolve(arg[0]), self.resolve(arg[1])
            if isinstance(index, Unknown):
                return index
            if isinstance(items, Unknown):
                return items
            try:
                return items[int(index)]
            except (ValueError, TypeError, IndexError, KeyError):
                return Unknown(f"Fn::Select index {index} out of range")
        if key == "Fn::Split":
            if not (isinstance(arg, list) and len(arg) == 2):
                return Unknown(f"malformed Fn::Split {show(arg)}")
            delim, text = self.resolve(arg[0]), self.resolve(arg[1])
            bad = first_unknown([delim, text])
            if bad is not None:
                return bad
            return str(text).split(str(delim))
        if key == "Fn::FindInMap":
            if not (isinstance(arg, list) and len(arg) in (3, 4)):
                return Unknown(f"malformed Fn::FindInMap {show(arg)}")
            keys = [self.resolve(a) for a in arg[:3]]
            bad = first_unknown(keys)
            if bad is not None:
                return Unknown(f"Fn::FindInMap: {bad.reason}")
            try:
                return self.resolve(self.mappings[keys[0]][keys[1]][keys[2]])
            except (KeyError, TypeError):
                if len(arg) == 4 and isinstance(arg[3], Mapping) and "DefaultValue" in arg[3]:
                    return self.resolve(arg[3]["DefaultValue"])
                return Unknown(f"Fn::FindInMap: no entry {'/'.join(_text(k) for k in keys)}")
        if key == "Fn::ImportValue":
            name = self.resolve(arg)
            shown = name.reason if isinstance(name, Unknown) else name
            return Unknown(f"Fn::ImportValue {shown}: exported by another stack")
        if key == "Fn::Base64":
            return self.resolve(arg)
        if key == "Fn::GetAZs":
            # Distinct symbolic zones: Select 0 and Select 1 are different zones.
            return [f"${{AZ{i}}}" for i in range(6)]
        if key == "Fn::ToJsonString":
            value = self.resolve(arg)
            bad = first_unknown(value)
            return bad if bad is not None else json.dumps(value, sort_keys=True)
        if key == "Fn::Length":
            value = self.resolve(arg)
            return (
                len(value) if isinstance(value, list) else Unknown("Fn::Length of an unknown list")
            )
        if key in ("Condition", "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not"):
            return self._condition_value({key: arg})
        return Unknown(f"{key} is not evaluated offline")

    def ref(self, name: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        if name == "AWS::NoValue":
            return NO_VALUE
        if name == "AWS::AccountId":
            return self.account
        if name == "AWS::Region":
            return self.region
        if name == "AWS::Partition":
            return "aws"
        if name == "AWS::URLSuffix":
            return "amazonaws.com"
        if name == "AWS::StackName":
            return "${AWS::StackName}"
        if name in ("AWS::StackId", "AWS::NotificationARNs"):
            return Unknown(f"{name} is known only at deployment")
        if name in self.refs:
            return self.refs[name]
        if name in self.resource_types:
            return name
        return Unknown(f"Ref to {name}, which the template does not define")

    def getatt(self, logical: str, attr: str) -> Any:
        if (logical, attr) in self.attrs:
            return self.attrs[(logical, attr)]
        if logical not in self.resource_types:
            return Unknown(f"Fn::GetAtt {logical}.{attr}: {logical} is not in the template")
        if attr == "Arn":
            rtype = self.resource_types[logical]
            service = rtype.split("::")[1].lower() if rtype.count("::") >= 2 else "unknown"
            return f"arn:aws:{service}:{self.region}:{self.account}:{logical}"
        return Unknown(f"{logical}.{attr} is assigned at deployment")

    def partial_text(self, value: Any) -> str | None:
        """A string value with what cannot be resolved kept as ``${...}`` placeholders.

        For values read piece by piece (an ARN's account when its region or version is a
        parameter without default): ``Fn::Sub`` keeps an unresolved variable as ``${Name}``,
        ``Fn::Join`` an unresolved piece as ``${unresolved}``, ``Ref`` as ``${Name}``. None when
        the value is not a string built that way.
        """
        if isinstance(value, str):
            return str(value)
        if not is_intrinsic(value):
            return None
        key, arg = next(iter(value.items()))
        if key == "Ref":
            resolved = self.ref(str(arg))
            return resolved if isinstance(resolved, str) else "${" + str(arg) + "}"
        if key == "Fn::Sub":
            if isinstance(arg, list) and len(arg) == 2:
                text, variables = arg[0], _mapping(arg[1])
            else:
                text, variables = arg, {}
            if not isinstance(text, str):
                return None

            def replace(match: re.Match[str]) -> str:
                name = match.group(1)
                if name.startswith("!"):
                    return "${" + name[1:] + "}"
                if name in variables:
                    found = self.partial_text(variables[name])
                elif "." in name and not name.startswith("AWS::"):
                    logical, _, attr = name.partition(".")
                    got = self.getatt(logical, attr)
                    found = _text(got) if not isinstance(got, Unknown) else None
                else:
                    got = self.ref(name)
                    found = _text(got) if not isinstance(got, (Unknown, _NoValue)) else None
                return found if found is not None else "${" + name + "}"

            return _SUB_VAR.sub(replace, str(text))
        if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            delim, items = self.resolve(arg[0]), arg[1]
            if not isinstance(delim, str) or not isinstance(items, list):
                return None
            parts = [self.partial_text(item) for item in items]
            return delim.join(p if p is not None else "${unresolved}" for p in parts)
        resolved = self.resolve(value)
        return resolved if isinstance(resolved, str) else None

    def _sub(self, arg: Any) -> Any:
        if isinstance(arg, list) and len(arg) == 2:
            text, variables = arg[0], _mapping(arg[1])
        else:
            text, variables = arg, {}
        text = self.resolve(text)
        if not isinstance(text, str):
            return Unknown(f"malformed Fn::Sub {show(arg)}")
        missing: list[str] = []

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                value = self.resolve(variables[name])
            elif "." in name and not name.startswith("AWS::"):
                logical, _, attr = name.partition(".")
                value = self.getatt(logical, attr)
            else:
                value = self.ref(name)
            if isinstance(value, Unknown):
                missing.append(value.reason)
                return ""
            return _text(value)

        result = _SUB_VAR.sub(replace, text)
        if missing:
            return Unknown(f"Fn::Sub {text}: {missing[0]}")
        return result


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _show(value: Any) -> str:
    if value is NO_VALUE:
        return "absent"
    return show(value)


def show(value: Any, limit: int = 120) -> str:
    """A template value as written for a message: text as is, the rest as compact JSON (never a
    Python repr), cut at ``limit`` characters."""
    if isinstance(value, str):
        text = str(value)
    elif isinstance(value, Unknown):
        text = f"(unresolved: {value.reason})"
    else:
        text = json.dumps(plain(value), default=_text, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"
