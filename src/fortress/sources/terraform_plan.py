"""``terraform show -json`` plan files → Inventory (same mapping as HCL folders).

Values come from ``planned_values``; what is only known after apply (``after_unknown`` in
``resource_changes``) is followed through the ``configuration`` section's references to the
resource it comes from (so ``role = aws_iam_role.r.arn`` still links the function to its role)
and is otherwise :class:`Unknown`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fortress.errors import InputError
from fortress.inventory import TEMPLATE_ACCOUNT, Inventory, Origin, Unknown
from fortress.sources.base import IacOptions
from fortress.sources.detect import terraform_plan as detect
from fortress.sources.tf_attrs import REGION_PLACEHOLDER, Obj, Res, synthetic_attr
from fortress.sources.tf_mapping import build_inventory
from fortress.sources.tf_values import Computed

FORMAT = "terraform-plan"

_MAX_BYTES = 512 * 1024 * 1024
_REF_RE = re.compile(
    r"^((?:module\.[^.]+\.)*)((?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+)\.([A-Za-z0-9_]+)"
)


def load(path: Path, options: IacOptions | None = None) -> Inventory:
    options = options or IacOptions()
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise InputError(str(path), "plan file is larger than 512 MiB")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not valid UTF-8 (at offset {exc.start})") from None
    try:
        plan = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(str(path), f"not valid JSON: {getattr(exc, 'msg', exc)}", line) from None
    if not isinstance(plan, dict) or "planned_values" not in plan:
        raise InputError(str(path), "not a `terraform show -json` plan (no planned_values)")
    return _Plan(path, text, plan, options).inventory()


class _Plan:
    def __init__(self, path: Path, text: str, plan: dict[str, Any], options: IacOptions) -> None:
        self.path = path
        self.text = text
        self.options = options
        self.account = options.account or TEMPLATE_ACCOUNT
        self.region = options.region or REGION_PLACEHOLDER
        self.unknown: dict[str, Any] = {}
        for change in plan.get("resource_changes") or []:
            if isinstance(change, dict) and isinstance(change.get("change"), dict):
                self.unknown[str(change.get("address"))] = (
                    change["change"].get("after_unknown") or {}
                )
        self.config: dict[str, dict[str, Any]] = {}
        config = plan.get("configuration") or {}
        self._index_config(config.get("root_module") or {}, "")
        self._search_from = max(text.find('"planned_values"'), 0)
        self.resources: dict[str, _PlanRes] = {}
        self._collect((plan.get("planned_values") or {}).get("root_module") or {})

    def _index_config(self, module: dict[str, Any], prefix: str) -> None:
        for res in module.get("resources") or []:
            if isinstance(res, dict):
                self.config[prefix + str(res.get("address"))] = res.get("expressions") or {}
        for name, call in (module.get("module_calls") or {}).items():
            if isinstance(call, dict):
                self._index_config(call.get("module") or {}, f"{prefix}module.{name}.")

    def _collect(self, module: dict[str, Any]) -> None:
        for res in module.get("resources") or []:
            if isinstance(res, dict) and res.get("mode", "managed") == "managed":
                item = _PlanRes(self, res)
                self.resources[item.address] = item
        for child in module.get("child_modules") or []:
            if isinstance(child, dict):
                self._collect(child)

    def line_of(self, address: str) -> int | None:
        for needle in (f'"address": {json.dumps(address)}', f'"address":{json.dumps(address)}'):
            pos = self.text.find(needle, self._search_from)
            if pos >= 0:
                return self.text.count("\n", 0, pos) + 1
        return None

    def resolve(self, module_prefix: str, ref: str) -> Any:
        match = _REF_RE.match(ref)
        if match is None:
            return None
        target = module_prefix + match.group(2)
        res = self.resources.get(target) or next(
            (r for a, r in self.resources.items() if a.startswith(target + "[")), None
        )
        if res is None:
            return None
        return res.attr(match.group(3))

    def inventory(self) -> Inventory:
        return build_inventory(
            list(self.resources.values()), self.account, self.options.region, FORMAT
        )


def _merge_unknown(value: Any, unknown: Any, where: str) -> Any:
    if unknown is True:
        return Unknown(f"{where} is known only after apply")
    if isinstance(unknown, dict):
        base = dict(value) if isinstance(value, dict) else {}
        for key, flag in unknown.items():
            base[key] = _merge_unknown(base.get(key), flag, f"{where}.{key}")
        return base if (value is not None or base) else value
    if isinstance(unknown, list) and isinstance(value, list):
        return [
            _merge_unknown(v, unknown[i] if i < len(unknown) else None, f"{where}[{i}]")
            for i, v in enumerate(value)
        ]
    return value


class _PlanObj(Obj):
    def __init__(
        self, plan: _Plan, values: dict[str, Any], unknown: Any, exprs: Any, where: str, prefix: str
    ) -> None:
        self.plan = plan
        self.values = values
        self.unknown_map = unknown if isinstance(unknown, dict) else {}
        self.exprs = exprs if isinstance(exprs, dict) else {}
        self.where = where
        self.prefix = prefix

    def get(self, name: str) -> Any:
        value = self.values.get(name)
        flag = self.unknown_map.get(name)
        if flag is True:
            for ref in (self.exprs.get(name) or {}).get("references") or []:
                resolved = self.plan.resolve(self.prefix, ref)
                if resolved is not None:
                    return resolved
            return Computed(f"{self.where}.{name} is known only after apply", ref="")
        if flag:
            return _merge_unknown(value, flag, f"{self.where}.{name}")
        return value

    def blocks(self, name: str) -> list[Obj] | Unknown:
        value = self.values.get(name)
        flag = self.unknown_map.get(name)
        if flag is True:
            return Unknown(f"{self.where}.{name} is known only after apply")
        if not isinstance(value, list):
            return []
        exprs = self.exprs.get(name)
        out: list[Obj] = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                sub_unknown = flag[i] if isinstance(flag, list) and i < len(flag) else {}
                sub_exprs = exprs[i] if isinstance(exprs, list) and i < len(exprs) else {}
                out.append(
                    _PlanObj(
                        self.plan, item, sub_unknown, sub_exprs, f"{self.where}.{name}", self.prefix
                    )
                )
        return out

    def expression(self, name: str) -> str | None:
        refs = (self.exprs.get(name) or {}).get("references") or []
        return str(refs[0]) if refs else None

    def ref_of(self, name: str) -> str | None:
        refs = (self.exprs.get(name) or {}).get("references") or []
        for ref in refs:
            match = _REF_RE.match(ref)
            if match:
                return f"{match.group(2).split('.')[0] if not match.group(2).startswith('data.') else 'data.' + match.group(2).split('.')[1]}.{match.group(3)}"
        return None


class _PlanRes(_PlanObj, Res):
    def __init__(self, plan: _Plan, res: dict[str, Any]) -> None:
        address = str(res.get("address"))
        config_address = re.sub(r"\[[^\]]*\]", "", address)
        prefix = (
            config_address.rsplit(".", 2)[0] + "." if config_address.startswith("module.") else ""
        )
        exprs = plan.config.get(config_address) or {}
        values = res.get("values") if isinstance(res.get("values"), dict) else {}
        super().__init__(
            plan, values or {}, plan.unknown.get(address) or {}, exprs, address, prefix
        )
        self.type = str(res.get("type"))
        self.address = address
        self.origin = Origin(
            source=FORMAT,
            account=plan.account,
            region=plan.options.region,
            file=str(plan.path),
            line=plan.line_of(address),
            logical_id=address,
        )
        self._memo: dict[str, Any] = {}

    def attr(self, name: str) -> Any:
        if name in self._memo:
            return self._memo[name]
        self._memo[name] = Unknown(f"{self.address}.{name} refers to itself")
        value = self.get(name)
        if value is None or isinstance(value, Unknown):
            synthetic = synthetic_attr(self, name, self.plan.account, self.plan.region)
            if synthetic is not None:
                value = synthetic
            elif value is None:
                value = Computed(f"{self.address}.{name} is not set", ref=f"{self.type}.{name}")
        self._memo[name] = value
        return value


__all__ = ["FORMAT", "detect", "load"]
