"""Load the framework mapping files shipped in ``compliance/data/*.yaml``."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class Framework:
    id: str
    name: str
    version: str
    # The key rules use for this framework in their own ``controls`` metadata (aws-fsbp, …).
    metadata_key: str
    aliases: tuple[str, ...]
    source: str
    controls: tuple[Control, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Every name ``--compliance`` accepts for this framework."""
        return (self.id, self.metadata_key, *self.aliases)


def _framework(name: str, data: Any) -> Framework:
    """One mapping file; a malformed shipped file is a bug, so it fails loudly."""
    if not isinstance(data, dict) or not isinstance(data.get("controls"), list):
        raise ValueError(f"compliance/data/{name}: not a framework mapping")
    controls = []
    for entry in data["controls"]:
        rules = entry.get("rules") or []
        if not isinstance(entry.get("id"), str) or not isinstance(rules, list):
            raise ValueError(f"compliance/data/{name}: malformed control {entry!r}")
        controls.append(Control(str(entry["id"]), str(entry["title"]), tuple(map(str, rules))))
    return Framework(
        id=str(data["id"]),
        name=str(data["name"]),
        version=str(data["version"]),
        metadata_key=str(data.get("metadata_key") or data["id"]),
        aliases=tuple(map(str, data.get("aliases") or [])),
        source=str(data.get("source", "")),
        controls=tuple(controls),
    )


@functools.cache
def all_frameworks() -> tuple[Framework, ...]:
    folder = resources.files("fortress.compliance") / "data"
    found = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith((".yaml", ".yml")):
            found.append(_framework(item.name, yaml.safe_load(item.read_text(encoding="utf-8"))))
    return tuple(found)


def get_framework(name: str) -> Framework:
    wanted = name.strip().lower()
    for framework in all_frameworks():
        if wanted in (n.lower() for n in framework.names):
            return framework
    known = ", ".join(f.id for f in all_frameworks())
    raise ValueError(f"unknown compliance framework {name!r} (choose from {known}, or all)")


def select_frameworks(names: list[str]) -> list[Framework]:
    """Frameworks named by ``--compliance`` values (comma-separated, repeatable, or ``all``)."""
    wanted = [n.strip() for value in names for n in value.split(",") if n.strip()]
    if any(n.lower() == "all" for n in wanted):
        return list(all_frameworks())
    return list({f.id: f for f in map(get_framework, wanted)}.values())
