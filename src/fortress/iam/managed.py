"""AWS managed policy documents, by name or ARN, from the offline dataset moto bundles.

moto ships ``moto/iam/aws_managed_policies.py`` holding one JSON string
(``aws_managed_policies_data``: name -> {Document, Path, DefaultVersionId, ...}). Importing it
the normal way would first import ``moto.iam`` and its backends (~0.6 s), so we load that one
file directly and keep a compact index of it (documents as JSON text, parsed per name when
asked; the index is cached on disk beside the IAM action catalogue). IaC sources use this to turn
``ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]`` into a document.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fortress.errors import FortressError
from fortress.iam import diskcache

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
# name -> (path, default version, the document as compact JSON): parsed on demand, per name
_POLICIES: dict[str, tuple[str, str | None, bytes]] | None = None
_CACHE_FORMAT = 1
_CACHE_NAME = "aws-managed-policies"


def _moto_file() -> Path:
    spec = importlib.util.find_spec("moto")
    if spec is None or not spec.submodule_search_locations:
        raise FortressError("moto is not installed: AWS managed policy data is missing")
    return Path(next(iter(spec.submodule_search_locations))) / "iam" / "aws_managed_policies.py"


def _load() -> dict[str, tuple[str, str | None, bytes]]:
    """The compact index: from the on-disk cache when it matches moto's file, else parsed
    from that file and cached.

    The dataset parsed into Python objects is ~12 MB that every IaC scan held for its life to
    look up a few policies (AWSLambdaBasicExecutionRole...); documents kept as JSON text are
    ~3 MB, and the cache spares each process parsing the whole file (~0.1 s)."""
    global _POLICIES
    if _POLICIES is not None:
        return _POLICIES
    with _LOCK:
        if _POLICIES is None:
            path = _moto_file()
            try:
                key: tuple[object, ...] | None = diskcache.key(_CACHE_FORMAT, path)
            except OSError:
                key = None
            cached = _read_cache(key) if key is not None else None
            if cached is None:
                cached = _parse(path)
                if key is not None:
                    diskcache.write(_CACHE_NAME, key, cached)
            _POLICIES = cached
    return _POLICIES


def _parse(path: Path) -> dict[str, tuple[str, str | None, bytes]]:
    import orjson

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
    out: dict[str, tuple[str, str | None, bytes]] = {}
    for name, entry in data.items():
        if not isinstance(entry, dict):
            continue
        document = entry.get("Document")
        if isinstance(document, str):  # a document stored as JSON text
            try:
                document = json.loads(document)
            except ValueError:
                continue
        if not isinstance(document, dict):
            continue
        version = entry.get("DefaultVersionId")
        out[str(name)] = (
            str(entry.get("Path") or "/"),
            version if isinstance(version, str) else None,
            orjson.dumps(document),
        )
    return out


def _read_cache(key: tuple[object, ...]) -> dict[str, tuple[str, str | None, bytes]] | None:
    payload = diskcache.read(_CACHE_NAME, key)
    return payload if isinstance(payload, dict) and payload else None


@functools.cache
def _document(name: str) -> dict[str, Any]:
    """A policy's document, parsed once (shared: callers must not change it)."""
    import orjson

    document: dict[str, Any] = orjson.loads(_load()[name][2])
    return document


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
    path, version, _ = entry
    # A path, when given, must agree with the dataset: "service-role/X" is not "/X". An ARN
    # always carries its path; a bare name matches whatever path the policy has.
    given = ref.strip()
    rest = given.split(":policy/", 1)[1] if is_aws_managed_arn(given) else given
    if "/" in rest.strip("/") or is_aws_managed_arn(given):
        parent = rest.strip("/").rsplit("/", 1)[0] if "/" in rest.strip("/") else ""
        if ("/" + parent + "/" if parent else "/") != path:
            return None
    return ManagedPolicy(name, path, _document(name), version)


def managed_policy_names() -> list[str]:
    return sorted(_load())


__all__ = [
    "AWS_MANAGED_ARN_PREFIX",
    "ManagedPolicy",
    "get_managed_policy",
    "is_aws_managed_arn",
    "managed_policy_names",
]
