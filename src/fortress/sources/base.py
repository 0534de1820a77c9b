"""What every infrastructure-as-code source shares: options and the loader contract.

Each IaC source module (``cloudformation``, ``serverless``, ``terraform``) exposes::

    FORMAT: str                                   # "cloudformation", "serverless", "terraform", ...
    def detect(path: Path) -> bool                # is this file/folder in my format?
    def load(path: Path, options: IacOptions) -> Inventory

``load`` raises :class:`fortress.errors.InputError` (file, line, message) for input it cannot
parse; the scan records it and goes on with the other inputs. The Inventory it returns has
``scope="template"`` and every object's Origin carries file, line and logical id / address.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fortress.inventory import Unknown


@dataclass
class IacOptions:
    # CloudFormation parameters given with --parameter Name=Value (override defaults).
    parameters: dict[str, str] = field(default_factory=dict)
    # Terraform variables given with --var name=value, and extra --var-file paths.
    variables: dict[str, str] = field(default_factory=dict)
    var_files: list[Path] = field(default_factory=list)
    # The deploying account, when the user gives it (--account); otherwise the template's own
    # account is the placeholder inventory.TEMPLATE_ACCOUNT, which rules treat as "self".
    account: str | None = None
    region: str | None = None
    # Read the code each function and layer deploys from the local disk (--no-packages: off).
    packages: bool = True
    # The folders local code must stay inside (the scanned folders); an input outside all of
    # them is held to its own folder.
    code_roots: list[Path] = field(default_factory=list)
    # OSV data for the package vulnerability rules (None: the `fortress vulndb update` cache).
    osv_db: Path | None = None


def kind_of(value: Any) -> str:
    """What a value is, in words for a message (never its repr): "a string", "a list", …"""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    if isinstance(value, Unknown):
        return "unresolved"
    return "a value of another type"


def weakest_policy(policies: list[Any]) -> Any:
    """The security policy that lets in the oldest TLS: an unknown one first, then TLS_1_0."""
    for policy in policies:
        if isinstance(policy, Unknown):
            return policy
    for policy in policies:
        if isinstance(policy, str) and policy.upper() == "TLS_1_0":
            return policy
    return next((p for p in policies if p is not None), None)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while IaC is parsed and mapped (every source).

    Loading allocates hundreds of thousands of long-lived objects and no reference cycles worth
    collecting while it runs; with the collector running, half of a template's load time went
    to collections walking that growing heap. Reference counting still frees everything else
    at once; the rule engine's own pause collects the cycles a load leaves behind.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
