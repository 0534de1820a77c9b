"""The on-disk cache of the IAM action catalogue: identical on a hit, rebuilt when stale/corrupt."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fortress.iam import actions

DEFINITION = {
    "policy_sentry_schema_version": "v2",
    "s3": {
        "prefix": "s3",
        "privileges": {
            "GetObject": {"access_level": "Read", "resource_types": {"object": {}}},
            "ListAllMyBuckets": {"access_level": "List", "resource_types": {"": {}}},
            "PutBucketPolicy": {"access_level": "Write", "resource_types": {"bucket": {}}},
        },
    },
    "iam": {
        "prefix": "iam",
        "privileges": {"PassRole": {"access_level": "Write", "resource_types": {"role": {}}}},
    },
}


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "fortress"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    definition = tmp_path / "iam-definition.json"
    definition.write_text(json.dumps(DEFINITION))
    overrides = tmp_path / "access-level-overrides.yml"
    overrides.write_text("s3:\n  Permissions management:\n    - PutBucketPolicy\n")
    return definition, overrides


def _table(cat: actions.ActionCatalogue) -> dict[str, dict[str, actions.ActionInfo]]:
    return cat.services


def _count_builds(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = actions.build_catalogue

    def counting(definition: Path, overrides: Path | None = None) -> actions.ActionCatalogue:
        calls.append(definition)
        return real(definition, overrides)

    monkeypatch.setattr(actions, "build_catalogue", counting)
    return calls


def test_hit_gives_identical_catalogue(
    cache_home: Path, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    builds = _count_builds(monkeypatch)
    first = actions.load_catalogue(*files)
    assert len(builds) == 1 and len(list(cache_home.glob("iam-actions-*.marshal"))) == 1
    second = actions.load_catalogue(*files)
    assert len(builds) == 1  # served from disk
    assert second is not first and _table(second) == _table(first)
    assert second.access_level("s3:putbucketpolicy") == "Permissions management"  # override kept
    assert second.info("s3:ListAllMyBuckets") == actions.ActionInfo(
        "s3:ListAllMyBuckets", "List", False
    )
    assert second.expand("s3:Get*") == first.expand("s3:Get*") == {"s3:GetObject"}
    assert second.all_actions == first.all_actions and len(second) == 4


@pytest.mark.parametrize("garbage", [b"", b"not marshal at all", b"\x00" * 64, None], ids=str)
def test_corrupt_cache_is_ignored_and_rebuilt(
    cache_home: Path,
    files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    garbage: bytes | None,
) -> None:
    reference = actions.build_catalogue(*files)
    actions.load_catalogue(*files)
    (cache,) = cache_home.glob("iam-actions-*.marshal")
    if garbage is None:  # valid marshal, wrong shape
        import marshal

        garbage = marshal.dumps(("another key", ((1, 2),)))
    cache.write_bytes(garbage)
    builds = _count_builds(monkeypatch)
    rebuilt = actions.load_catalogue(*files)
    assert len(builds) == 1 and _table(rebuilt) == _table(reference)
    again = actions.load_catalogue(*files)  # the rebuilt file was written back and is valid
    assert len(builds) == 1 and _table(again) == _table(reference)


def test_changed_definition_is_not_served_stale(
    cache_home: Path, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    definition, overrides = files
    actions.load_catalogue(definition, overrides)
    changed = json.loads(definition.read_text())
    changed["s3"]["privileges"]["DeleteObject"] = {
        "access_level": "Write",
        "resource_types": {"object": {}},
    }
    definition.write_text(json.dumps(changed))
    stat = definition.stat()
    os.utime(definition, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    fresh = actions.load_catalogue(definition, overrides)
    assert fresh.access_level("s3:DeleteObject") == "Write"


def test_unwritable_cache_is_skipped(
    tmp_path: Path, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    cat = actions.load_catalogue(*files)
    assert cat.access_level("iam:PassRole") == "Write"
    assert blocker.read_text().startswith("a file")


def test_real_catalogue_round_trips(cache_home: Path) -> None:
    definition, overrides = actions._datastore_paths()
    built = actions.load_catalogue(definition, overrides)
    cached = actions.load_catalogue(definition, overrides)
    assert len(cached) == len(built) > 10_000
    assert _table(cached) == _table(built)
    assert cached.expand("iam:Pass*") == built.expand("iam:Pass*")


def test_cached_catalogue_decodes_only_the_services_asked_for(cache_home: Path) -> None:
    # A scan's policies name a handful of the ~450 services: decoding all of them from the
    # cache held ~10 MB for the whole process.
    definition, overrides = actions._datastore_paths()
    built = actions.load_catalogue(definition, overrides)
    cached = actions.load_catalogue(definition, overrides)
    assert len(cached) == len(built) and len(cached.prefixes) > 300
    assert len(cached._packed) == len(cached.prefixes)  # nothing decoded yet
    assert cached.info("S3:getobject") == built.info("s3:GetObject") is not None
    assert cached.expand("lambda:Invoke*") == built.expand("lambda:Invoke*")
    assert cached.info("nosuchservice:Thing") is None and cached.info("no-colon") is None
    assert set(cached._tables) == {"s3", "lambda"}
    for pattern in ("*:List*", "s3*:Get*", "?am:PassRole", " IAM:pass* ", "S3:", "ec2:*"):
        assert cached.expand(pattern) == built.expand(pattern), pattern
    assert cached.expand_all(["lambda:*"], not_action=True) == built.expand_all(
        ["lambda:*"], not_action=True
    )
    assert cached.expand("*") == built.all_actions  # everything, decoded on demand
    assert not cached._packed and _table(cached) == _table(built)


def test_corrupt_packed_table_is_a_clear_error(cache_home: Path, files: tuple[Path, Path]) -> None:
    from fortress.errors import FortressError

    actions.load_catalogue(*files)
    cat = actions.load_catalogue(*files)
    cat._packed["s3"] = b"\x00not marshal"
    with pytest.raises(FortressError, match="IAM action cache is corrupt"):
        cat.info("s3:GetObject")
