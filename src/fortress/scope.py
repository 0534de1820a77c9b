"""Each IaC input is its own scope: identities that collide across inputs are made unique.

The rules index an inventory by identity (roles by ARN, log groups by name, security groups by
id...). Two templates or services that both declare ``role/LambdaRole`` or the framework's
``ApiGatewayRestApi`` would otherwise merge into one object in those indexes: a function of one
stack would be judged by the other stack's role, and "role shared by two functions" would
fail for two functions that share nothing.

:func:`separate` renames, in a newly loaded input only, the identities it *declares* that an
earlier input already declared (``<id>@<input label>``), together with every reference to them
inside that input. Ids of the first input, and of any input without a collision, are unchanged;
a reference to an identity only another input declares (a role ARN written literally) still
reaches it, since that is the same resource.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from fortress.inventory import Inventory, Unknown

# Where a declared identity lives, per collection.
_ID_FIELDS = {
    "functions": "arn",
    "roles": "arn",
    "layers": "arn",
    "apis": "id",
    "security_groups": "id",
    "subnets": "id",
    "secrets": "arn",
    "kms_keys": "arn",
    "trails": "arn",
}
# Free text, never a reference: left as written even if it equals a renamed identity.
_TEXT_FIELDS = frozenset({"name", "environment", "tags", "variables", "message", "file"})
_LABEL = re.compile(r"[^A-Za-z0-9._-]+")


class Identities:
    """The identities declared by the inputs loaded so far."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.log_groups: set[tuple[str | None, str]] = set()

    def separate(self, part: Inventory, label: str) -> dict[str, str]:
        """Rename ``part``'s identities that collide with earlier inputs; returns old → new."""
        label = _LABEL.sub("-", label).strip("-") or "input"
        renames: dict[str, str] = {}
        declared: list[str] = []
        for collection, attr in _ID_FIELDS.items():
            for obj in getattr(part, collection):
                ident = getattr(obj, attr)
                if isinstance(ident, str):
                    declared.append(ident)
                    if ident in self.taken:
                        renames[ident] = f"{ident}@{label}"
        for key in part.kms_keys:
            declared.append(key.key_id)
            if key.key_id in self.taken:
                renames[key.key_id] = f"{key.key_id}@{label}"
        groups: dict[str, str] = {}
        for group in part.log_groups:
            if (group.origin.region, group.name) in self.log_groups:
                groups[group.name] = f"{group.name}@{label}"
        if renames:
            _Rewriter(renames).inventory(part)
        if groups:
            _rename_log_groups(part, groups)
        self.taken.update(renames.get(i, i) for i in declared)
        self.log_groups.update((g.origin.region, g.name) for g in part.log_groups)
        return {**renames, **groups}


def _rename_log_groups(part: Inventory, groups: dict[str, str]) -> None:
    """A log group is found by its name (a function's is ``/aws/lambda/<name>`` unless set)."""
    for fn in part.functions:
        current = fn.effective_log_group
        if isinstance(current, str) and current in groups:
            fn.log_group_name = groups[current]
    for group in part.log_groups:
        group.name = groups.get(group.name, group.name)


class _Rewriter:
    """Replaces strings equal to a renamed identity, copying only what changes."""

    def __init__(self, renames: dict[str, str]) -> None:
        self.renames = renames
        self.seen: dict[int, Any] = {}

    def inventory(self, part: Inventory) -> None:
        for collection in (*_ID_FIELDS, "log_groups", "alarms"):
            items = getattr(part, collection)
            setattr(part, collection, [self.value(item) for item in items])

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.renames.get(value, value)
        if value is None or isinstance(value, (int, float, Unknown)):
            return value
        if isinstance(value, list):
            items = [self.value(v) for v in value]
            return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
        if isinstance(value, tuple):
            parts = tuple(self.value(v) for v in value)
            return parts if any(a is not b for a, b in zip(parts, value, strict=True)) else value
        if isinstance(value, dict):
            out = {k: self.value(v) for k, v in value.items()}
            return out if any(out[k] is not value[k] for k in value) else value
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self.record(value)
        return value

    def record(self, obj: Any) -> Any:
        done = self.seen.get(id(obj))
        if done is not None:
            return done
        self.seen[id(obj)] = obj  # cycles, shared objects: visited once
        changes = {}
        for f in dataclasses.fields(obj):
            if f.name in _TEXT_FIELDS:
                continue
            old = getattr(obj, f.name)
            new = self.value(old)
            if new is not old:
                changes[f.name] = new
        if not changes:
            return obj
        params = getattr(type(obj), "__dataclass_params__", None)
        if params is not None and params.frozen:
            new_obj = dataclasses.replace(obj, **changes)
            self.seen[id(obj)] = new_obj
            return new_obj
        for name, new in changes.items():
            setattr(obj, name, new)
        return obj
