"""The peer map: which checks of Checkov, Prowler, KICS, Trivy and Security Hub each Fortress
rule covers, and which peer checks no rule covers, with why.

One data file, ``data/peers.yaml``, holds it; rules name the same ids in their own
``references`` (tests/governance/test_governance_peers.py keeps the two in agreement).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

# The order ``fortress rules --peer`` lists them in its error message.
PEERS = ("checkov", "prowler", "kics", "trivy", "securityhub")


@dataclass(frozen=True)
class PeerCheck:
    id: str
    title: str
    rules: tuple[str, ...]  # empty: not covered
    why: str  # why not covered ("" when covered)
    verified: bool = True
    # The IaC format a KICS query is for (KICS gives each platform's query its own UUID).
    platform: str = ""

    @property
    def label(self) -> str:
        """The title, with the platform when the peer has several."""
        return f"{self.title} ({self.platform})" if self.platform else self.title

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "title": self.title}
        if self.platform:
            data["platform"] = self.platform
        if self.rules:
            data["rules"] = list(self.rules)
        else:
            data["not_covered"] = self.why
        if not self.verified:
            data["verified"] = False
        return data


@dataclass(frozen=True)
class Peer:
    id: str
    name: str
    version: str
    read: str
    source: str
    id_pattern: str
    checks: tuple[PeerCheck, ...]

    @property
    def covered(self) -> tuple[PeerCheck, ...]:
        return tuple(c for c in self.checks if c.rules)

    @property
    def uncovered(self) -> tuple[PeerCheck, ...]:
        return tuple(c for c in self.checks if not c.rules)

    def well_formed(self, check_id: str) -> bool:
        return re.fullmatch(self.id_pattern, check_id) is not None

    def title_of(self, check_id: str) -> str | None:
        for c in self.checks:
            if c.id == check_id:
                return c.title
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "peer": self.id,
            "name": self.name,
            "version": self.version,
            "read": self.read,
            "source": self.source,
            "covered": len(self.covered),
            "not_covered": len(self.uncovered),
            "checks": [c.to_dict() for c in self.checks],
        }


def _check(peer: str, entry: Any) -> PeerCheck:
    """One check entry; a malformed shipped file is a bug, so it fails loudly."""
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise ValueError(f"data/peers.yaml: {peer}: malformed check {entry!r}")
    rules = entry.get("rules") or []
    why = entry.get("not_covered") or ""
    if not isinstance(rules, list) or not isinstance(why, str) or bool(rules) == bool(why):
        raise ValueError(
            f"data/peers.yaml: {peer} {entry['id']}: give either rules or not_covered, not both"
        )
    return PeerCheck(
        id=entry["id"],
        title=str(entry.get("title") or ""),
        rules=tuple(map(str, rules)),
        why=why,
        verified=entry.get("verified", True) is not False,
        platform=str(entry.get("platform") or ""),
    )


def _peer(name: str, data: Any) -> Peer:
    if not isinstance(data, dict) or not isinstance(data.get("checks"), list):
        raise ValueError(f"data/peers.yaml: {name}: not a peer entry")
    return Peer(
        id=name,
        name=str(data.get("name") or name),
        version=str(data.get("version") or ""),
        read=str(data.get("read") or ""),
        source=str(data.get("source") or ""),
        id_pattern=str(data.get("id_pattern") or ".+"),
        checks=tuple(_check(name, e) for e in data["checks"]),
    )


@functools.cache
def all_peers() -> dict[str, Peer]:
    text = (resources.files("fortress") / "data" / "peers.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("peers"), dict):
        raise ValueError("data/peers.yaml: no peers mapping")
    return {name: _peer(name, entry) for name, entry in data["peers"].items()}


def get_peer(name: str) -> Peer:
    """The peer called ``name`` (case-insensitive); ValueError naming the valid ones."""
    peers = all_peers()
    wanted = name.strip().lower()
    if wanted in peers:
        return peers[wanted]
    raise ValueError(f"unknown peer {name!r} (choose from {', '.join(peers)})")


__all__ = ["PEERS", "Peer", "PeerCheck", "all_peers", "get_peer"]
