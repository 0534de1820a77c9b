"""AWS managed policy documents, by name or ARN, from the offline dataset moto bundles.

moto ships ``moto/iam/aws_managed_policies.py`` holding one JSON string
(``aws_managed_policies_data``: name -> {Document, Path, DefaultVersionId, ...}). Importing it
the normal way would first import ``moto.iam`` and its backends (~0.6 s), so we load that one
file directly, parse it once and cache the result. IaC sources use this to turn
``ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]`` into a document.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fortress.errors import FortressError

AWS_MANAGED_ARN_PREFIX = "arn:aws:iam::aws:policy/"
_PARTITION_PREFIXES = ("arn:aws:", "arn:aws-us-gov:", "arn:aws-cn:")


@dataclass(frozen=True)
class ManagedPolicy:
    name: str
    path: str  # "/", "/service-role/", ...
    document: dict[str, Any]
    version: str | None = None

    @property
    def arn(self) -> str:
        return f"{AWS_MANAGED_ARN_PREFIX}{self.path.lstrip('/')}{self.name}"


_LOCK = threading.Lock()
_POLICIES: dict[str, dict[str, Any]] | None = None


def dataset() -> dict[str, dict[str, Any]]:
    """Every AWS managed policy entry by name (moto's offline data, parsed once)."""
    return _load()


def _load() -> dict[str, dict[str, Any]]:
    global _POLICIES
    if _POLICIES is not None:
        return _POLICIES
    with _LOCK:
        if _POLICIES is not None:
            return _POLICIES
        spec = importlib.util.find_spec("moto")
        if spec is None or not spec.submodule_search_locations:
            raise FortressError("moto is not installed: AWS managed policy data is missing")
        path = Path(next(iter(spec.submodule_search_locations))) / "iam" / "aws_managed_policies.py"
        try:
            # Load that one module file on its own, without running moto/iam/__init__.py.
            file_spec = importlib.util.spec_from_file_location("_fortress_moto_managed", path)
            if file_spec is None or file_spec.loader is None:
                raise OSError("not loadable")
            module = importlib.util.module_from_spec(file_spec)
            file_spec.loader.exec_module(module)
            data = json.loads(module.aws_managed_policies_data)
        except (OSError, AttributeError, ValueError, SyntaxError) as exc:
            raise FortressError(f"{path}: cannot read AWS managed policies ({exc})") from None
        if not isinstance(data, dict):
            raise FortressError(f"{path}: AWS managed policy data is not a JSON object")
        _POLICIES = {str(k): v for k, v in data.items() if isinstance(v, dict)}
        return _POLICIES


def _name_of(ref: str) -> str:
    """ "AdministratorAccess", "service-role/X", "/service-role/X" or an ARN -> "X"."""
    ref = ref.strip()
    for prefix in _PARTITION_PREFIXES:
        full = f"{prefix}iam::aws:policy/"
        if ref.startswith(full):
            ref = ref[len(full) :]
            break
    return ref.rsplit("/", 1)[-1]


def is_aws_managed_arn(ref: str) -> bool:
    return any(ref.startswith(f"{p}iam::aws:policy/") for p in _PARTITION_PREFIXES)


def get_managed_policy(ref: str) -> ManagedPolicy | None:
    """The AWS managed policy named by ``ref`` (name, path/name or ARN); None if not known."""
    data = _load()
    name = _name_of(ref)
    entry = data.get(name)
    if entry is None:
        return None
    path = str(entry.get("Path") or "/")
    # A path, when given, must agree with the dataset: "service-role/X" is not "/X". An ARN
    # always carries its path; a bare name matches whatever path the policy has.
    given = ref.strip()
    rest = given.split(":policy/", 1)[1] if is_aws_managed_arn(given) else given
    if "/" in rest.strip("/") or is_aws_managed_arn(given):
        parent = rest.strip("/").rsplit("/", 1)[0] if "/" in rest.strip("/") else ""
        if ("/" + parent + "/" if parent else "/") != path:
            return None
    document = entry.get("Document")
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return None
    if not isinstance(document, dict):
        return None
    version = entry.get("DefaultVersionId")
    return ManagedPolicy(name, path, document, version if isinstance(version, str) else None)


def managed_policy_names() -> list[str]:
    return sorted(_load())


__all__ = [
    "AWS_MANAGED_ARN_PREFIX",
    "ManagedPolicy",
    "get_managed_policy",
    "is_aws_managed_arn",
    "managed_policy_names",
]
