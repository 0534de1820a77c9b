"""Analyse the code an IaC template deploys: every function's and layer's ``code`` read from
disk and handed to :func:`fortress.packages.analyse.analyse`.

Code that exists only in S3 or as a container image is not read: the package is recorded as
unknown with the reason (an image keeps its URI). The same folder or zip used by several
functions is read once (cached by resolved path, runtime and patterns).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fortress.inventory import (
    CODE_DIR,
    CODE_IMAGE,
    CODE_INLINE,
    CODE_S3,
    CODE_ZIP,
    PACKAGE_ANALYSED,
    PACKAGE_NOT_RUN,
    CodeSource,
    Function,
    Inventory,
    LayerVersion,
    PackageAnalysis,
)
from fortress.packages import local
from fortress.packages.analyse import analyse, unreadable
from fortress.packages.osv import VulnDb
from fortress.safeio import within

RootOf = Mapping[str, Path] | Callable[[Function | LayerVersion], Path]


@dataclass
class IacPackages:
    """What reading local code produced; local code that could not be read, as (subject,
    reason)."""

    analysed: int = 0
    remote: int = 0  # code only in S3 or an image: not part of the input, not a gap
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # local code not on disk


def _root(root_of: RootOf, item: Function | LayerVersion) -> Path:
    if callable(root_of):
        return root_of(item)
    return root_of.get(item.origin.file or "", Path(item.origin.file or ".").parent)


def _location(code: CodeSource) -> str:
    if code.kind == CODE_INLINE:
        return "inline code"
    return code.path or code.uri or code.kind


def _one(
    code: CodeSource,
    root: Path,
    workdir: Path,
    *,
    handler: str | None,
    runtime: str | None,
    layer: str | None,
    vulndb: VulnDb | None,
    limits: local.LocalLimits,
) -> PackageAnalysis:
    if code.kind in (CODE_IMAGE, CODE_S3):
        # Not part of the input: like a live scan without --packages, the package rules do
        # not run (the live scan with --packages reads it).
        return PackageAnalysis(
            status=PACKAGE_NOT_RUN,
            location=code.uri or "",
            image_uri=code.uri if code.kind == CODE_IMAGE else None,
            reason=f"{'container image' if code.kind == CODE_IMAGE else 'code in S3'}: "
            "not part of the template; scan the account with --packages",
        )
    if code.kind not in _LOCAL:
        return unreadable(_location(code), code.reason or "code not available locally")
    if code.path is not None and within(root, code.path) and not os.path.lexists(code.path):
        # A build output (the zip CI makes before `terraform apply`, a `sam build`
        # folder): not part of the input, so the package rules do not run; a warning
        # says so. A path that exists but is refused is a coverage gap instead.
        return PackageAnalysis(
            status=PACKAGE_NOT_RUN,
            location=code.path,
            reason=f"{code.path} does not exist (not built yet?); the package is not read",
        )
    files = local.files_of(code, root, workdir, limits, runtime=runtime, layer=layer)
    if isinstance(files, str):
        return unreadable(_location(code), files)
    return analyse(files, location=_location(code), handler=handler, runtime=runtime, vulndb=vulndb)


_LOCAL = (CODE_DIR, CODE_ZIP, CODE_INLINE)


def reads_local_code(inventory: Inventory) -> bool:
    """Whether any function or layer of ``inventory`` deploys code from the local disk."""
    items: list[Function | LayerVersion] = [*inventory.functions, *inventory.layers]
    return any(item.code is not None and item.code.kind in _LOCAL for item in items)


def analyse_inventory(
    inventory: Inventory,
    root_of: RootOf,
    vulndb: VulnDb | None = None,
    on_progress: Callable[[str], None] | None = None,
    limits: local.LocalLimits | None = None,
) -> IacPackages:
    """Set ``package`` on every function and layer of ``inventory`` that has ``code``."""
    limits = limits or local.LocalLimits()
    result = IacPackages()
    cache: dict[tuple[str, ...], PackageAnalysis] = {}
    items: list[tuple[str, Function | LayerVersion]] = [
        (f"function {fn.name}", fn) for fn in inventory.functions if fn.code is not None
    ]
    items += [(f"layer {ly.name}", ly) for ly in inventory.layers if ly.code is not None]
    with tempfile.TemporaryDirectory(prefix="fortress-iac-") as tmp:
        workdir = Path(tmp)
        for subject, item in items:
            code = item.code
            assert code is not None
            handler = runtime = layer = None
            if isinstance(item, Function):
                handler = item.handler if isinstance(item.handler, str) else None
                runtime = item.runtime if isinstance(item.runtime, str) else None
            else:
                layer = item.arn
            root = _root(root_of, item)
            key: tuple[str, ...] | None = None
            if code.kind in (CODE_DIR, CODE_ZIP) and code.path:
                key = (
                    code.kind,
                    os.path.realpath(code.path),
                    str(root),
                    runtime or "",
                    handler or "",
                    layer or "",
                    "\0".join(code.patterns),
                )
            if on_progress:
                on_progress(subject)
            if key is not None and key in cache:
                package = cache[key]
            else:
                package = _one(
                    code,
                    root,
                    workdir,
                    handler=handler,
                    runtime=runtime,
                    layer=layer,
                    vulndb=vulndb,
                    limits=limits,
                )
                if key is not None:
                    cache[key] = package
            item.package = package
            if package.status == PACKAGE_ANALYSED:
                result.analysed += 1
            elif code.kind in _LOCAL and package.status == PACKAGE_NOT_RUN:
                result.missing.append((subject, package.reason))
            elif code.kind in _LOCAL:
                result.unreadable.append((subject, package.reason))
            else:
                result.remote += 1
    return result


def analyse_path(
    path: Path,
    *,
    vulndb: VulnDb | None = None,
    runtime: str | None = None,
    handler: str | None = None,
    limits: local.LocalLimits | None = None,
) -> PackageAnalysis:
    """The facts of one code folder or ``.zip`` given directly (``fortress sbom PATH``)."""
    kind = CODE_DIR if path.is_dir() else CODE_ZIP
    root = path if kind == CODE_DIR else path.parent
    code = CodeSource(kind=kind, path=str(path.absolute()))
    with tempfile.TemporaryDirectory(prefix="fortress-code-") as tmp:
        return _one(
            code,
            root.absolute(),
            Path(tmp),
            handler=handler,
            runtime=runtime,
            layer=None,
            vulndb=vulndb,
            limits=limits or local.LocalLimits(),
        )
