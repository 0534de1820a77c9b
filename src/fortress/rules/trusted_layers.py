"""Publishers of well-known public Lambda layers (AWS and major vendors), trusted by default.

Reads the packaged, dated data file ``fortress/data/trusted_layers.json``: for each publisher,
its account ids, the shell-style patterns its layer names follow, and the sources the account
ids were checked against. A layer is trusted by default when its account is listed *and* its
name matches one of that publisher's patterns, so an unrelated layer that happens to live in a
vendor's account is still judged. ``--trusted-account`` / ``ScanConfig.trusted_accounts`` extend
the list with whole accounts.

Layer ARNs from templates often carry intrinsics in the region
(``arn:aws:lambda:${AWS::Region}:017000801446:layer:AWSLambdaPowertoolsPythonV3:7``) — and
``${AWS::Region}`` itself contains ``::``, so the ARN cannot be split on colons. The parser below
reads the account and name from the right-hand end instead, whatever the region holds.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

from fortress.errors import FortressError
from fortress.inventory import TEMPLATE_ACCOUNT

DATA_FILE = "trusted_layers.json"

# arn:<partition>:lambda:<region, possibly an intrinsic>:<account>:layer:<name>[:<version>]
_LAYER_ARN = re.compile(
    r"^arn:(?P<partition>[^:]*):lambda:(?P<region>.*):"
    r"(?P<account>\d{12}|\$\{AWS::AccountId\}):layer:(?P<name>[A-Za-z0-9_-]+)"
    r"(?::(?P<version>[^:]*))?$"
)


@dataclass(frozen=True)
class LayerArn:
    account: str  # 12 digits, or TEMPLATE_ACCOUNT
    name: str
    region: str  # as written: "us-east-1", "${AWS::Region}", or a placeholder
    version: str | None


def parse_layer_arn(arn: str) -> LayerArn | None:
    """Account, name, region and version of a layer (version) ARN; None when it is not one."""
    m = _LAYER_ARN.match(arn.strip())
    if m is None:
        return None
    return LayerArn(
        account=m.group("account"),
        name=m.group("name"),
        region=m.group("region"),
        version=m.group("version") or None,
    )


@dataclass(frozen=True)
class Publisher:
    name: str
    accounts: frozenset[str]
    layers: tuple[str, ...]  # shell-style patterns of layer names
    sources: tuple[str, ...]

    def publishes(self, layer: LayerArn) -> bool:
        return layer.account in self.accounts and any(
            fnmatch.fnmatchcase(layer.name, p) for p in self.layers
        )


@dataclass(frozen=True)
class PublisherTable:
    compiled: date
    publishers: tuple[Publisher, ...]

    def publisher_of(self, layer: LayerArn) -> Publisher | None:
        for publisher in self.publishers:
            if publisher.publishes(layer):
                return publisher
        return None

    def known_account(self, account: str) -> Publisher | None:
        for publisher in self.publishers:
            if account in publisher.accounts:
                return publisher
        return None


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise FortressError(f"{DATA_FILE}: {where} must be a non-empty list of strings")
    return tuple(value)


def parse_table(doc: Any) -> PublisherTable:
    """Validate and convert the JSON document (raises FortressError naming the bad entry)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("publishers"), list):
        raise FortressError(f"{DATA_FILE}: expected an object with a 'publishers' list")
    try:
        compiled = date.fromisoformat(str(doc.get("compiled")))
    except ValueError:
        raise FortressError(f"{DATA_FILE}: 'compiled' must be a YYYY-MM-DD date") from None
    publishers: list[Publisher] = []
    for i, entry in enumerate(doc["publishers"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("publisher"), str):
            raise FortressError(f"{DATA_FILE}: publishers[{i}] has no publisher name")
        name = entry["publisher"]
        accounts = _strings(entry.get("accounts"), f"{name}.accounts")
        bad = [a for a in accounts if not re.fullmatch(r"\d{12}", a)]
        if bad:
            raise FortressError(f"{DATA_FILE}: {name}: {bad[0]!r} is not a 12-digit account id")
        publishers.append(
            Publisher(
                name=name,
                accounts=frozenset(accounts),
                layers=_strings(entry.get("layers"), f"{name}.layers"),
                sources=_strings(entry.get("sources"), f"{name}.sources"),
            )
        )
    return PublisherTable(compiled, tuple(publishers))


@lru_cache(maxsize=1)
def publisher_table() -> PublisherTable:
    try:
        text = resources.files("fortress.data").joinpath(DATA_FILE).read_text(encoding="utf-8")
        doc = json.loads(text)
    except (OSError, ValueError) as err:
        raise FortressError(
            f"{DATA_FILE}: cannot read packaged layer publisher data: {err}"
        ) from None
    return parse_table(doc)


__all__ = [
    "TEMPLATE_ACCOUNT",
    "LayerArn",
    "Publisher",
    "PublisherTable",
    "parse_layer_arn",
    "parse_table",
    "publisher_table",
]
