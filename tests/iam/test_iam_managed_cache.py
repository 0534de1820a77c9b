"""The compact index of AWS managed policies (moto's offline dataset): the same documents from
the disk cache as from moto's file, and a corrupt cache ignored and rebuilt."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from fortress.iam import managed


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder and no index in memory (restored afterwards)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(managed, "_POLICIES", None)
    managed._document.cache_clear()
    yield tmp_path / "cache" / "fortress"
    managed._document.cache_clear()


def _moto_document(name: str) -> dict[str, object]:
    """The document as moto's own module gives it (parsed here independently)."""
    import importlib.util

    path = managed._moto_file()
    spec = importlib.util.spec_from_file_location("_test_moto_managed", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    entry = json.loads(module.aws_managed_policies_data)[name]
    document = entry["Document"]
    return json.loads(document) if isinstance(document, str) else document


def test_documents_from_the_cache_equal_moto_s(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = managed.get_managed_policy("service-role/AWSLambdaBasicExecutionRole")
    assert first is not None and first.path == "/service-role/"
    assert len(list(fresh.glob("aws-managed-policies-*.marshal"))) == 1
    # a new process: the index comes from the cache file, not from moto's module
    managed._POLICIES = None
    managed._document.cache_clear()
    parses: list[Path] = []
    real = managed._parse

    def counting(path: Path) -> dict[str, tuple[str, str | None, bytes]]:
        parses.append(path)
        return real(path)

    monkeypatch.setattr(managed, "_parse", counting)
    again = managed.get_managed_policy("arn:aws:iam::aws:policy/AdministratorAccess")
    assert parses == []
    assert again is not None and again.document == _moto_document("AdministratorAccess")
    assert again.arn == "arn:aws:iam::aws:policy/AdministratorAccess"
    assert managed.get_managed_policy("service-role/AdministratorAccess") is None  # wrong path
    assert managed.get_managed_policy("NoSuchPolicyAnywhere") is None
    assert len(managed.managed_policy_names()) > 1000


@pytest.mark.parametrize("garbage", [b"", b"not marshal", b"\x00" * 32], ids=repr)
def test_a_corrupt_cache_is_rebuilt(fresh: Path, garbage: bytes) -> None:
    managed.get_managed_policy("AdministratorAccess")
    (cached,) = fresh.glob("aws-managed-policies-*.marshal")
    cached.write_bytes(garbage)
    managed._POLICIES = None
    managed._document.cache_clear()
    policy = managed.get_managed_policy("ReadOnlyAccess")
    assert policy is not None and policy.document == _moto_document("ReadOnlyAccess")
    assert cached.read_bytes() != garbage  # written again
