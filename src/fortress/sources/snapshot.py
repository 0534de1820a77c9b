"""Snapshots: an Inventory (and the coverage gaps of its collection) saved as JSON.

``fortress collect --output snap.json`` writes one; ``fortress scan --snapshot snap.json``
reads it back and runs the same rules offline, giving the same findings.

The encoding is generic over the Inventory dataclasses (driven by their type hints), so a new
Inventory field needs no change here. Unknown values are kept as ``{"$unknown": reason}``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import tempfile
import types
import typing
from datetime import datetime
from pathlib import Path
from typing import Any

from fortress import __version__, safeio
from fortress.errors import InputError
from fortress.findings import CoverageGap
from fortress.inventory import WITHHELD, Inventory, Unknown

FORMAT = "fortress-snapshot"
VERSION = 1


def encode(value: Any) -> Any:
    if isinstance(value, Unknown):
        return {"$unknown": value.reason}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(encode(v) for v in value)
    return value


def decode(value: Any, hint: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$unknown"}:
        return Unknown(str(value["$unknown"]))
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return _decode_union(value, typing.get_args(hint))
    if hint is Any or value is None:
        return value
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        hints = typing.get_type_hints(hint)
        kwargs = {
            f.name: decode(value[f.name], hints[f.name])
            for f in dataclasses.fields(hint)
            if f.name in value
        }
        return hint(**kwargs)
    if origin in (list, set, frozenset):
        (item,) = typing.get_args(hint) or (Any,)
        items = [decode(v, item) for v in value]
        return items if origin is list else origin(items)
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(v, args[0]) for v in value)
        return tuple(decode(v, a) for v, a in zip(value, args, strict=False))
    if origin is dict:
        _, item = typing.get_args(hint) or (str, Any)
        return {k: decode(v, item) for k, v in value.items()}
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is float and isinstance(value, int):
        return float(value)
    return value


def _decode_union(value: Any, options: tuple[Any, ...]) -> Any:
    if value is None:
        return None
    for option in options:
        if option is type(None) or option is Unknown:
            continue
        if option is datetime and isinstance(value, str):
            return datetime.fromisoformat(value)
        if dataclasses.is_dataclass(option) and isinstance(value, dict):
            return decode(value, option)
        base = typing.get_origin(option) or option
        if isinstance(base, type) and isinstance(value, base):
            return decode(value, option)
        if base in (list, set, frozenset, tuple) and isinstance(value, list):
            return decode(value, option)
    return value


def save(
    path: Path,
    inventory: Inventory,
    gaps: list[CoverageGap],
    collected_at: datetime,
    account: dict[str, str] | None = None,
) -> None:
    """Write the snapshot atomically (a temporary file renamed over ``path``): a reader, or a
    ``--resume`` after a crash, sees the whole snapshot or none. ``account`` (id and name) is
    set by an organization scan, one snapshot per account."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "tool_version": __version__,
        "collected_at": collected_at.isoformat(),
        "inventory": encode(inventory),
        "coverage_gaps": [g.to_dict() for g in gaps],
    }
    if account is not None:
        document["account"] = account
    write_atomic(path, json.dumps(document, indent=1, sort_keys=True) + "\n")


def write_atomic(path: Path, text: str) -> None:
    """``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def load(path: Path) -> tuple[Inventory, list[CoverageGap]]:
    inventory, gaps, _ = load_with_account(path)
    return inventory, gaps


def load_with_account(path: Path) -> tuple[Inventory, list[CoverageGap], dict[str, str] | None]:
    """:func:`load`, and the ``account`` (id, name) an organization scan recorded, if any."""
    if path.exists() and not safeio.is_regular(path):  # a FIFO or device: never opened
        raise InputError(str(path), safeio.not_regular_reason(path) or "not a regular file")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(path), "no such snapshot file") from None
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"not valid JSON ({exc.msg})", exc.lineno) from None
    except (RecursionError, UnicodeDecodeError):
        raise InputError(str(path), "not a Fortress snapshot (undecodable JSON)") from None
    except OSError as exc:
        raise InputError(str(path), exc.strerror or "cannot read") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InputError(str(path), "not a Fortress snapshot (missing format: fortress-snapshot)")
    if document.get("version") != VERSION:
        raise InputError(str(path), f"unsupported snapshot version {document.get('version')!r}")
    try:
        inventory = decode(document["inventory"], Inventory)
        gaps = [CoverageGap(**g) for g in document.get("coverage_gaps") or []]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(str(path), f"malformed snapshot ({exc})") from None
    if "snapshot" not in inventory.sources:
        inventory.sources.append("snapshot")
    account = document.get("account")
    if not (isinstance(account, dict) and all(isinstance(v, str) for v in account.values())):
        account = None
    return inventory, gaps, account


def withhold_secrets(inventory: Inventory, ignore: list[str] | None = None) -> None:
    """Redact secrets in place before the inventory is saved (``collect`` without
    ``--show-secrets``), with the redaction pass every output shares
    (:mod:`fortress.secrets.redact`).

    * environment variables: a secret value becomes ``Unknown`` (withheld) and keeps its kind
      and fingerprint, so that FTR-SEC-001 still reports it from the snapshot; a password
      inside a URL or connection string is masked in place (``postgres://admin:****@db``) and
      the kind is kept the same way;
    * stage variables: a secret value is withheld whole (FTR-SEC-002 reads the withheld marker);
    * tags (of every object that has them) and descriptions: secret values are replaced by a
      marker naming kind and fingerprint; passwords in URLs are masked.
    """
    from fortress.secrets.redact import redact_mapping, redact_text, redact_value

    ignore = ignore or []
    for fn in inventory.functions:
        for var in fn.environment:
            if isinstance(var.value, str):
                done = redact_value(var.name, var.value, ignore)
                if done.changed:
                    var.redacted = done.kind
                    var.fingerprint = done.fingerprint
                    var.value = Unknown(WITHHELD) if done.whole else done.value
    for api in inventory.apis:
        for stage in api.stages:
            for name, value in list(stage.variables.items()):
                if isinstance(value, str):
                    done = redact_value(name, value, ignore)
                    if done.changed:
                        stage.variables[name] = Unknown(
                            f"{WITHHELD} ({done.kind}, {done.fingerprint})"
                        )
    for obj in _objects(inventory):
        tags = getattr(obj, "tags", None)
        if isinstance(tags, dict):
            obj.tags = redact_mapping(tags, ignore)
        description = getattr(obj, "description", None)
        if isinstance(description, str) and description:
            obj.description = redact_text(description)


def _objects(value: Any) -> list[Any]:
    """Every dataclass object reachable from ``value`` (the Inventory's tree)."""
    found: list[Any] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            found.append(item)
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return found
