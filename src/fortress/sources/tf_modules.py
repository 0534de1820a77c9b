"""Where a Terraform module call's code is: a local folder, or what ``terraform init`` fetched.

A local source (``./``, ``../``) is a folder next to the caller. Any other source (the registry,
``git::``, ``s3::``, ``http(s)://``, ``github.com/...``) is followed only through the manifest
``terraform init`` writes, ``.terraform/modules/modules.json`` in the root module: its ``Key``
is the chain of call names (``lambda``, ``app.lambda``), ``Dir`` the folder (relative to the
root) holding the downloaded code. Scanning skips ``.terraform`` when it walks folders, but a
folder named by the manifest is still read. A module that cannot be followed is a gap the scan
reports (exit 3), with the fix; it is never read as "nothing there".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from fortress.sources.tf_files import inside, read_regular

MANIFEST = Path(".terraform") / "modules" / "modules.json"
_MAX_MANIFEST_BYTES = 16 * 1024 * 1024
FIX = "run `terraform init` before scanning, or scan a `terraform show -json` plan"


def is_local(source: str) -> bool:
    return source.startswith(("./", "../"))


@dataclass
class Manifest:
    """The modules ``terraform init`` installed for one root module."""

    root: Path
    dirs: dict[str, Path] = field(default_factory=dict)  # key -> folder (resolved, inside root)
    sources: dict[str, str] = field(default_factory=dict)  # key -> source as recorded
    problem: str | None = None  # the manifest exists but cannot be used

    @classmethod
    def load(cls, root: Path) -> Manifest:
        manifest = cls(root)
        path = root / MANIFEST
        if not path.exists():
            return manifest
        data = read_regular(path, _MAX_MANIFEST_BYTES)
        if isinstance(data, str):
            manifest.problem = f"{MANIFEST} is {data}"
            return manifest
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            manifest.problem = f"{MANIFEST} is not valid JSON"
            return manifest
        entries = doc.get("Modules") if isinstance(doc, dict) else None
        if not isinstance(entries, list):
            manifest.problem = f"{MANIFEST} has no Modules list"
            return manifest
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            key, source, folder = entry.get("Key"), entry.get("Source"), entry.get("Dir")
            if not isinstance(key, str) or not key or not isinstance(folder, str):
                continue
            resolved = inside(root / folder, [root])
            if resolved is not None and resolved.is_dir():
                manifest.dirs[key] = resolved
                manifest.sources[key] = source if isinstance(source, str) else ""
        return manifest


@dataclass
class Resolved:
    """The folder of a module call, or why it is not followed (a gap), plus a warning."""

    folder: Path | None = None
    gap: str | None = None
    warning: str | None = None


def resolve(
    address: str, source: str | None, caller: Path, key: str, manifest: Manifest
) -> Resolved:
    """Find the code of the call ``address`` (``module.a.module.b``) made from ``caller``.

    ``key`` is the manifest key of the call (``a.b``); ``source`` its literal ``source``. A gap
    message does not repeat the address: the note's subject names the call and its source.
    """
    if source is None:
        return Resolved(gap="not followed: the module source is not a literal string")
    if "\0" in source:  # no file system takes it (a hostile value)
        return Resolved(gap="not followed: the module source holds a NUL byte")
    if is_local(source):
        folder = (caller / source).resolve()
        if not folder.is_dir():
            return Resolved(gap=f"not followed: the module folder {source} does not exist")
        return Resolved(folder=folder)
    fetched = manifest.dirs.get(key)
    if fetched is None:
        why = manifest.problem or f"{source} is not downloaded"
        return Resolved(gap=f"module not followed: {why}; {FIX}")
    recorded = manifest.sources.get(key, "")
    warning = None
    if recorded and _plain(recorded) != _plain(source):
        warning = (
            f"{address}: {MANIFEST} records source {recorded}, the configuration says {source}; "
            "run `terraform init` again"
        )
    return Resolved(folder=fetched, warning=warning)


def _plain(source: str) -> str:
    for prefix in ("registry.terraform.io/",):
        if source.startswith(prefix):
            source = source[len(prefix) :]
    return source.rstrip("/")
