"""Analyse the code an IaC template deploys: every function's and layer's ``code`` read from
disk and handed to :func:`fortress.packages.analyse.analyse`.

Code that exists only in S3 or as a container image is not read: the package is recorded as
unknown with the reason (an image keeps its URI). The same folder or zip used by several
functions is read once (cached by resolved path, runtime and patterns); distinct packages are
spread over worker processes when there are several.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

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
from fortress.safeio import within

if TYPE_CHECKING:
    from fortress.packages.osv import VulnDb

RootOf = Mapping[str, Path] | Callable[[Function | LayerVersion], Path]
# The OSV index, asked for when the first package is really read (loading it imports the
# version parsers and may read a large file; a template whose code is not built needs neither).
VulnDbOf = Callable[[], "VulnDb | None"]


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
    vulndb: VulnDbOf | None,
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
    # The analysers (secret scanners, dependency and code parsers: ~60 ms to import) only when
    # there is code to read: a template whose code is not built yet never needs them.
    if code.kind not in _LOCAL:
        from fortress.packages.analyse import unreadable

        return unreadable(_location(code), code.reason or "code not available locally")
    if code.path is not None and "\0" in code.path:  # no file system takes it (a hostile value)
        from fortress.packages.analyse import unreadable

        return unreadable(_location(code), "the path holds a NUL byte: not a file name")
    if code.path is not None and within(root, code.path) and not os.path.lexists(code.path):
        # A build output (the zip CI makes before `terraform apply`, a `sam build`
        # folder): not part of the input, so the package rules do not run; a warning
        # says so. A path that exists but is refused is a coverage gap instead.
        return PackageAnalysis(
            status=PACKAGE_NOT_RUN,
            location=code.path,
            reason=f"{code.path} does not exist (not built yet?); the package is not read",
        )
    from fortress.packages.analyse import analyse, unreadable

    files = local.files_of(code, root, workdir, limits, runtime=runtime, layer=layer)
    if isinstance(files, str):
        return unreadable(_location(code), files)
    db = vulndb() if vulndb is not None else None
    return analyse(files, location=_location(code), handler=handler, runtime=runtime, vulndb=db)


_LOCAL = (CODE_DIR, CODE_ZIP, CODE_INLINE)


def reads_local_code(inventory: Inventory) -> bool:
    """Whether any function or layer of ``inventory`` deploys code from the local disk."""
    items: list[Function | LayerVersion] = [*inventory.functions, *inventory.layers]
    return any(item.code is not None and item.code.kind in _LOCAL for item in items)


@dataclass
class _Unit:
    """One distinct package to analyse and the functions or layers that deploy it."""

    code: CodeSource
    root: Path
    handler: str | None
    runtime: str | None
    layer: str | None
    items: list[tuple[str, Function | LayerVersion]] = field(default_factory=list)


# Distinct local packages from which analysis is spread over worker processes: below it,
# starting workers (each imports the analysers) costs more than it saves.
PARALLEL_FROM = 4
MAX_WORKERS = 4


def _units(items: list[tuple[str, Function | LayerVersion]], root_of: RootOf) -> list[_Unit]:
    units: dict[tuple[str, ...], _Unit] = {}
    for index, (subject, item) in enumerate(items):
        code = item.code
        assert code is not None
        handler = runtime = layer = None
        if isinstance(item, Function):
            handler = item.handler if isinstance(item.handler, str) else None
            runtime = item.runtime if isinstance(item.runtime, str) else None
        else:
            layer = item.arn
        root = _root(root_of, item)
        key: tuple[str, ...] = ("item", str(index))
        if code.kind in (CODE_DIR, CODE_ZIP) and code.path and "\0" not in code.path:
            key = (
                code.kind,
                os.path.realpath(code.path),
                str(root),
                runtime or "",
                handler or "",
                layer or "",
                "\0".join(code.patterns),
            )
        unit = units.setdefault(key, _Unit(code, root, handler, runtime, layer))
        unit.items.append((subject, item))
    return list(units.values())


def _workers(units: list[_Unit], wanted: int | None) -> int:
    local_units = sum(1 for u in units if u.code.kind in (CODE_DIR, CODE_ZIP))
    if wanted is not None:
        return max(1, min(wanted, local_units))
    if local_units < PARALLEL_FROM:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS, local_units))


def _analyse_units(
    units: list[_Unit],
    workdir: Path,
    vulndb: VulnDbOf | None,
    limits: local.LocalLimits,
    workers: int,
) -> Iterator[tuple[_Unit, PackageAnalysis]]:
    """Each unit with its analysis. With ``workers`` > 1, local folders and zips are analysed
    by this process and ``workers`` - 1 worker processes (the secret scan is CPU-bound; threads would share one core) and
    matched against the OSV index here; a worker that fails hands its unit back to this
    process, so a broken pool never loses a package."""

    def here(unit: _Unit, folder: Path, db: VulnDbOf | None) -> PackageAnalysis:
        return _one(
            unit.code,
            unit.root,
            folder,
            handler=unit.handler,
            runtime=unit.runtime,
            layer=unit.layer,
            vulndb=db,
            limits=limits,
        )

    pooled = [u for u in units if u.code.kind in (CODE_DIR, CODE_ZIP)] if workers > 1 else []
    in_pool = {id(u) for u in pooled}
    for unit in units:
        if id(unit) not in in_pool:
            yield unit, here(unit, workdir, vulndb)
    if not pooled:
        return
    # This process works too: ``workers`` - 1 helper processes, and this one takes the next
    # unit whenever it is free (one process less in memory; the helpers' start-up overlaps
    # with work done here).
    queue = deque(enumerate(pooled))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers - 1, mp_context=context) as pool:
        running: dict[Future[PackageAnalysis], tuple[_Unit, Path]] = {}

        broken: list[bool] = []  # the pool refused work: this process does the rest

        def submit() -> None:
            while queue and not broken and len(running) < workers - 1:
                number, unit = queue[0]
                folder = workdir / f"worker-{number}"
                folder.mkdir(mode=0o700, exist_ok=True)  # before the worker can use it
                try:
                    future = pool.submit(
                        _one,
                        unit.code,
                        unit.root,
                        folder,
                        handler=unit.handler,
                        runtime=unit.runtime,
                        layer=unit.layer,
                        vulndb=None,
                        limits=limits,
                    )
                except (BrokenExecutor, RuntimeError, OSError):
                    broken.append(True)
                    return
                queue.popleft()
                running[future] = (unit, folder)

        def collect(
            futures: Iterable[Future[PackageAnalysis]],
        ) -> Iterator[tuple[_Unit, PackageAnalysis]]:
            for future in list(futures):
                unit, folder = running.pop(future)
                try:
                    from fortress.packages.analyse import add_vulnerabilities

                    db = vulndb() if vulndb is not None else None
                    package = add_vulnerabilities(future.result(), db)
                except Exception:  # a dead or failing worker: analyse the unit here
                    package = here(unit, folder, vulndb)
                yield unit, package

        while queue or running:
            submit()
            if queue:
                number, unit = queue.popleft()
                folder = workdir / f"worker-{number}"
                folder.mkdir(mode=0o700, exist_ok=True)
                yield unit, here(unit, folder, vulndb)
            else:
                wait(list(running), return_when=FIRST_COMPLETED)
            yield from collect([f for f in running if f.done()])


def analyse_inventory(
    inventory: Inventory,
    root_of: RootOf,
    vulndb: VulnDbOf | None = None,
    on_progress: Callable[[str], None] | None = None,
    limits: local.LocalLimits | None = None,
    workers: int | None = None,
) -> IacPackages:
    """Set ``package`` on every function and layer of ``inventory`` that has ``code``.

    ``vulndb`` gives the OSV index when the first package is read. Each distinct package (same
    resolved path, runtime, handler and patterns) is analysed once, however many functions
    deploy it; ``workers`` processes (default: one per core, up
    to ``MAX_WORKERS``, once there are ``PARALLEL_FROM`` distinct local packages; this process
    is one of them) share the work.
    """
    limits = limits or local.LocalLimits()
    result = IacPackages()
    items: list[tuple[str, Function | LayerVersion]] = [
        (f"function {fn.name}", fn) for fn in inventory.functions if fn.code is not None
    ]
    items += [(f"layer {ly.name}", ly) for ly in inventory.layers if ly.code is not None]
    units = _units(items, root_of)
    with tempfile.TemporaryDirectory(prefix="fortress-iac-") as tmp:
        workdir = Path(tmp)
        done = _analyse_units(units, workdir, vulndb, limits, _workers(units, workers))
        packages: dict[int, PackageAnalysis] = {}
        for unit, package in done:
            packages[id(unit)] = package
            for subject, _ in unit.items:
                if on_progress:
                    on_progress(subject)
        for unit in units:  # in input order, whatever order the workers finished in
            package = packages[id(unit)]
            for subject, item in unit.items:
                item.package = package
                _count(result, subject, unit.code, package)
    return result


def _count(result: IacPackages, subject: str, code: CodeSource, package: PackageAnalysis) -> None:
    if package.status == PACKAGE_ANALYSED:
        result.analysed += 1
    elif code.kind in _LOCAL and package.status == PACKAGE_NOT_RUN:
        result.missing.append((subject, package.reason))
    elif code.kind in _LOCAL:
        result.unreadable.append((subject, package.reason))
    else:
        result.remote += 1


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
            vulndb=lambda: vulndb,
            limits=limits or local.LocalLimits(),
        )
