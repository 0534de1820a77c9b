"""What changed between two versions of a function in a bundle: configuration and code."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fortress.errors import FortressError
from fortress.forensics.acquire import REDACTED
from fortress.forensics.archive import ArchiveLimits, Member, UnsafeArchive, iter_members
from fortress.forensics.bundle import BundleReader, as_dict, as_list, version_dir

TEXT_DIFF_LIMIT = 64 * 1024
MAX_DIFF_LINES = 400
HIDDEN = "<redacted>"

# Configuration fields compared as plain values: (label, path in the configuration).
_SCALARS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("role", ("Role",)),
    ("handler", ("Handler",)),
    ("runtime", ("Runtime",)),
    ("package_type", ("PackageType",)),
    ("code_sha256", ("CodeSha256",)),
    ("code_size", ("CodeSize",)),
    ("memory_size", ("MemorySize",)),
    ("timeout", ("Timeout",)),
    ("kms_key_arn", ("KMSKeyArn",)),
    ("tracing", ("TracingConfig", "Mode")),
    ("architectures", ("Architectures",)),
    ("ephemeral_storage", ("EphemeralStorage", "Size")),
    ("dead_letter_target", ("DeadLetterConfig", "TargetArn")),
    ("log_group", ("LoggingConfig", "LogGroup")),
    ("file_systems", ("FileSystemConfigs",)),
    ("image_config", ("ImageConfigResponse",)),
    ("vpc_subnets", ("VpcConfig", "SubnetIds")),
    ("vpc_security_groups", ("VpcConfig", "SecurityGroupIds")),
    ("description", ("Description",)),
)


@dataclass
class ConfigChange:
    field: str
    change: str  # "added" | "removed" | "changed"
    before: Any = None
    after: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "change": self.change,
            "before": self.before,
            "after": self.after,
        }


@dataclass
class FileChange:
    path: str
    change: str  # "added" | "removed" | "modified"
    before_sha256: str | None = None
    after_sha256: str | None = None
    before_size: int | None = None
    after_size: int | None = None
    diff: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "change": self.change,
            "before_sha256": self.before_sha256,
            "after_sha256": self.after_sha256,
            "before_size": self.before_size,
            "after_size": self.after_size,
            "diff": self.diff,
        }


@dataclass
class DiffResult:
    function: str
    from_version: str
    to_version: str
    config: list[ConfigChange] = field(default_factory=list)
    code: list[FileChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # a code package could not be read (refused as hostile or corrupt): code drift unknown
    incomplete: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.config or self.code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "from": self.from_version,
            "to": self.to_version,
            "config": [c.to_dict() for c in self.config],
            "code": [c.to_dict() for c in self.code],
            "notes": self.notes,
            "incomplete": self.incomplete,
        }


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def resolve_version(reader: BundleReader, wanted: str) -> str:
    """A version number, ``$LATEST`` (also ``LATEST``), or an alias name -> a bundle version."""
    manifest = reader.manifest()
    versions = [str(v) for v in as_list(as_dict(manifest.get("function")).get("versions"))]
    if wanted.upper() in ("$LATEST", "LATEST"):
        wanted = "$LATEST"
    if wanted in versions:
        return wanted
    if reader.exists("function/aliases.json"):
        for alias in as_list(reader.read_json("function/aliases.json")):
            if isinstance(alias, dict) and alias.get("Name") == wanted:
                return str(alias.get("FunctionVersion"))
    known = ", ".join(versions) or "none"
    raise FortressError(
        f"{reader.location}: version {wanted!r} is not in the bundle (versions: {known})"
    )


def _config(reader: BundleReader, version: str) -> dict[str, Any]:
    path = f"versions/{version_dir(version)}/function.json"
    if not reader.exists(path):
        raise FortressError(f"{reader.location}: no configuration for version {version} ({path})")
    data = reader.read_json(path) or {}
    config = data.get("Configuration") if isinstance(data, dict) else None
    return config if isinstance(config, dict) else {}


def _statements(reader: BundleReader, version: str) -> dict[str, dict[str, Any]]:
    path = f"versions/{version_dir(version)}/policy.json"
    if not reader.exists(path):
        return {}
    policy = as_dict(reader.read_json(path)).get("Policy") or {}
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    out: dict[str, dict[str, Any]] = {}
    for number, statement in enumerate(statements or []):
        if isinstance(statement, dict):
            out[str(statement.get("Sid") or f"#{number}")] = statement
    return out


def _urls(reader: BundleReader, version: str) -> dict[str, Any]:
    """URL configs that reach this version: its own qualifier or an alias pointing at it."""
    if not reader.exists("function/url_configs.json"):
        return {}
    aliases = (
        reader.read_json("function/aliases.json") if reader.exists("function/aliases.json") else []
    )
    names = {version} | {
        str(a.get("Name"))
        for a in as_list(aliases)
        if isinstance(a, dict) and str(a.get("FunctionVersion")) == version
    }
    out: dict[str, Any] = {}
    for url in as_list(reader.read_json("function/url_configs.json")):
        if (
            isinstance(url, dict)
            and isinstance(url.get("qualifier"), str)
            and url["qualifier"] in names
        ):
            out[str(url["qualifier"])] = {
                "AuthType": url.get("AuthType"),
                "Cors": url.get("Cors"),
                "InvokeMode": url.get("InvokeMode"),
            }
    return out


def _env_changes(
    before: dict[str, Any], after: dict[str, Any], show_values: bool, notes: list[str]
) -> list[ConfigChange]:
    b = _dig(before, ("Environment", "Variables")) or {}
    a = _dig(after, ("Environment", "Variables")) or {}
    changes: list[ConfigChange] = []

    def shown(value: Any) -> Any:
        return value if show_values else HIDDEN

    b, a = as_dict(b), as_dict(a)
    for key in sorted(set(b) | set(a)):
        label = f"environment.{key}"
        if key not in b:
            changes.append(ConfigChange(label, "added", None, shown(a[key])))
        elif key not in a:
            changes.append(ConfigChange(label, "removed", shown(b[key]), None))
        elif b[key] != a[key]:
            changes.append(ConfigChange(label, "changed", shown(b[key]), shown(a[key])))
        elif b[key] == REDACTED and (
            "environment values are redacted in this bundle: value changes cannot be seen"
            not in notes
        ):
            notes.append(
                "environment values are redacted in this bundle: value changes cannot be seen"
            )
    return changes


def config_changes(
    before: dict[str, Any],
    after: dict[str, Any],
    show_values: bool = False,
    notes: list[str] | None = None,
) -> list[ConfigChange]:
    notes = notes if notes is not None else []
    changes: list[ConfigChange] = []
    for label, path in _SCALARS:
        b, a = _dig(before, path), _dig(after, path)
        if b in (None, "", []) and a in (None, "", []):
            continue
        if b != a:
            kind = (
                "added" if b in (None, "", []) else "removed" if a in (None, "", []) else "changed"
            )
            changes.append(ConfigChange(label, kind, b, a))
    b_layers = [str(x.get("Arn")) for x in as_list(before.get("Layers")) if isinstance(x, dict)]
    a_layers = [str(x.get("Arn")) for x in as_list(after.get("Layers")) if isinstance(x, dict)]
    for arn in a_layers:
        if arn not in b_layers:
            changes.append(ConfigChange("layers", "added", None, arn))
    for arn in b_layers:
        if arn not in a_layers:
            changes.append(ConfigChange("layers", "removed", arn, None))
    changes.extend(_env_changes(before, after, show_values, notes))
    return changes


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _unified(path: str, before: bytes | None, after: bytes | None) -> str | None:
    if (before is not None and not _is_text(before)) or (after is not None and not _is_text(after)):
        return None
    old = before.decode("utf-8").splitlines(keepends=True) if before is not None else []
    new = after.decode("utf-8").splitlines(keepends=True) if after is not None else []
    lines = list(
        difflib.unified_diff(
            old,
            new,
            fromfile=f"a/{path}" if before is not None else "/dev/null",
            tofile=f"b/{path}" if after is not None else "/dev/null",
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... ({len(lines) - MAX_DIFF_LINES} more diff lines)\n"]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _package(
    reader: BundleReader, version: str, limits: ArchiveLimits
) -> dict[str, tuple[Member, bytes | None]] | str:
    path = f"versions/{version_dir(version)}/code.zip"
    if not reader.exists(path):
        return f"no code package for version {version} in the bundle"
    try:
        with reader.local_path(path) as local:
            return {
                m.name: (m, data)
                for m, data in iter_members(local, limits, keep_content_below=TEXT_DIFF_LIMIT)
            }
    except UnsafeArchive as exc:
        return f"code package of version {version} refused: {exc.reason}"


def code_changes(
    before: dict[str, tuple[Member, bytes | None]], after: dict[str, tuple[Member, bytes | None]]
) -> list[FileChange]:
    changes: list[FileChange] = []
    for name in sorted(set(before) | set(after)):
        if name not in before:
            member, data = after[name]
            changes.append(
                FileChange(
                    name,
                    "added",
                    None,
                    member.sha256,
                    None,
                    member.size,
                    _unified(name, None, data) if data is not None else None,
                )
            )
        elif name not in after:
            member, _ = before[name]
            changes.append(FileChange(name, "removed", member.sha256, None, member.size, None))
        else:
            (bm, bdata), (am, adata) = before[name], after[name]
            if bm.sha256 != am.sha256:
                diff = (
                    _unified(name, bdata, adata)
                    if bdata is not None and adata is not None
                    else None
                )
                changes.append(
                    FileChange(name, "modified", bm.sha256, am.sha256, bm.size, am.size, diff)
                )
    return changes


def diff_bundle(
    bundle: str | Path,
    from_version: str,
    to_version: str,
    show_values: bool = False,
    limits: ArchiveLimits | None = None,
) -> DiffResult:
    """Configuration and code drift between two versions acquired in ``bundle``."""
    limits = limits or ArchiveLimits()
    with BundleReader(bundle) as reader:
        v1 = resolve_version(reader, from_version)
        v2 = resolve_version(reader, to_version)
        name = str(as_dict(reader.manifest().get("function")).get("name") or "")
        result = DiffResult(function=name, from_version=v1, to_version=v2)
        before, after = _config(reader, v1), _config(reader, v2)
        result.config = config_changes(before, after, show_values, result.notes)
        b_urls, a_urls = _urls(reader, v1), _urls(reader, v2)
        if b_urls != a_urls:
            result.config.append(
                ConfigChange("function_url", "changed", b_urls or None, a_urls or None)
            )
        b_st, a_st = _statements(reader, v1), _statements(reader, v2)
        for sid in sorted(set(b_st) | set(a_st)):
            if sid not in b_st:
                result.config.append(
                    ConfigChange(f"resource_policy.{sid}", "added", None, a_st[sid])
                )
            elif sid not in a_st:
                result.config.append(
                    ConfigChange(f"resource_policy.{sid}", "removed", b_st[sid], None)
                )
            elif json.dumps(b_st[sid], sort_keys=True) != json.dumps(a_st[sid], sort_keys=True):
                result.config.append(
                    ConfigChange(f"resource_policy.{sid}", "changed", b_st[sid], a_st[sid])
                )
        old, new = _package(reader, v1, limits), _package(reader, v2, limits)
        for side in (old, new):
            if isinstance(side, str):
                result.notes.append(side)
                result.incomplete = result.incomplete or " refused: " in side
        if not isinstance(old, str) and not isinstance(new, str):
            result.code = code_changes(old, new)
        return result
