"""Read the code packages of a live account: download, verify, extract, analyse.

``fortress scan --packages`` calls :func:`analyse_account` after collection. For each Zip
function ($LATEST) and each layer version the account owns:

1. ``GetFunction`` / ``GetLayerVersion`` gives the pre-signed ``Code.Location`` (read-only
   calls; with ``--code-mirror`` the package is fetched from ``<mirror>/<CodeSha256>`` instead,
   for an artifact store or the demo, whose emulator cannot serve packages);
2. the download streams to a temporary file (HTTPS, or HTTP on loopback only), capped, and its
   SHA-256 must equal ``CodeSha256`` — a package that does not match is not analysed;
3. :func:`fortress.forensics.archive.safe_extract` unpacks it (no ``../`` members, no bombs);
4. :func:`fortress.packages.analyse.analyse` reads the files.

A package is analysed once per CodeSha256 (and handler): functions sharing one make one
``GetFunction`` call and one download between them, and packages are read a few at a time
(``LiveOptions.workers``, from ``--workers``, at most 8). A failed call or download is a coverage gap and the package's
rules answer unknown; container images are recorded as images (not pulled).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fortress.findings import CoverageGap
from fortress.forensics.acquire import (
    DownloadError,
    mirror_url,
    open_location,
    stream_response,
    strip_query,
)
from fortress.forensics.archive import ArchiveLimits, UnsafeArchive, safe_extract
from fortress.inventory import (
    PACKAGE_UNKNOWN,
    Function,
    Inventory,
    LayerVersion,
    PackageAnalysis,
)
from fortress.packages import local
from fortress.packages.analyse import analyse, unreadable

if TYPE_CHECKING:
    from fortress.aws.client import AwsClient
    from fortress.packages.osv import VulnDb


@dataclass(frozen=True)
class LiveOptions:
    mirror: str | None = None
    max_download_bytes: int = 256 * 1024 * 1024  # a zipped package is at most 50 MB direct
    timeout: float = 60.0
    workers: int = 4  # packages read at a time
    limits: local.LocalLimits = field(default_factory=local.LocalLimits)


def _download(url: str, target: Path, options: LiveOptions) -> str:
    """Stream ``url`` into ``target`` (capped); its base64 SHA-256; DownloadError on failure."""
    response = open_location(url, options.timeout)
    with target.open("wb") as out:
        return stream_response(response, out.write, options.max_download_bytes)


class _Reader:
    def __init__(
        self,
        client: AwsClient,
        workdir: Path,
        options: LiveOptions,
        vulndb: VulnDb | None,
    ) -> None:
        self.client = client
        self.workdir = workdir
        self.options = options
        self.vulndb = vulndb
        self.cache: dict[tuple[str, str, str, str], PackageAnalysis] = {}
        self.gaps: list[CoverageGap] = []

    def gap(self, region: str | None, resource: str, message: str) -> None:
        self.gaps.append(
            CoverageGap(
                service="lambda",
                operation="read-package",
                error_code="PackageUnreadable",
                message=message[:300],
                region=region,
                resource=resource,
            )
        )

    def package(
        self,
        *,
        subject: str,
        region: str | None,
        location: Any,
        expected: Any,
        handler: str | None = None,
        runtime: str | None = None,
        layer: str | None = None,
    ) -> PackageAnalysis:
        where = strip_query(location) if isinstance(location, str) else subject
        if not isinstance(expected, str) or not expected:
            return self._failed(region, subject, where, "no CodeSha256 to verify the package")
        key = (expected, handler or "", runtime or "", layer or "")
        if key in self.cache:
            return self.cache[key]
        if self.options.mirror:
            url = mirror_url(self.options.mirror, expected)
            where = url
        elif isinstance(location, str):
            url = location
        else:
            return self._failed(region, subject, where, "no Code.Location in the answer")
        fd, name = tempfile.mkstemp(prefix="pkg-", suffix=".zip", dir=self.workdir)
        os.close(fd)
        archive = Path(name)
        try:
            actual = _download(url, archive, self.options)
        except DownloadError as exc:
            archive.unlink(missing_ok=True)
            return self._failed(region, subject, where, f"download failed: {exc}")
        if actual != expected:
            return self._failed(
                region,
                subject,
                where,
                f"package SHA-256 {actual} does not match CodeSha256 {expected}; not analysed",
            )
        target = archive.with_suffix("")
        limits = self.options.limits
        try:
            safe_extract(
                archive,
                target,
                ArchiveLimits(max_total_bytes=limits.max_bytes, max_files=limits.max_files),
            )
        except UnsafeArchive as exc:
            return self._failed(region, subject, where, f"package refused: {exc.reason}")
        except (OSError, RuntimeError, ValueError, zipfile.BadZipFile) as exc:
            return self._failed(region, subject, where, f"package refused: {exc}")
        finally:
            archive.unlink(missing_ok=True)
        try:
            files = local.walk(target, target, limits, layer=layer)
            if isinstance(files, str):
                return self._failed(region, subject, where, files)
            result = analyse(
                files,
                location=where,
                handler=handler,
                runtime=runtime,
                vulndb=self.vulndb,
                sha256=expected,
            )
        finally:
            shutil.rmtree(target, ignore_errors=True)  # the facts are kept, not the files
        self.cache[key] = result
        return result

    def _failed(self, region: str | None, subject: str, where: str, reason: str) -> PackageAnalysis:
        self.gap(region, subject, reason)
        return unreadable(where, reason)


def _image(fn: Function) -> PackageAnalysis:
    return PackageAnalysis(
        status=PACKAGE_UNKNOWN,
        location=fn.arn,
        image_uri=fn.arn,
        reason="container image: not pulled",
    )


def _functions(reader: _Reader, group: list[Function]) -> int:
    """Read the package shared by ``group`` (same CodeSha256, handler and runtime) once: one
    GetFunction just before the download (its URL lives minutes), the facts set on every
    member. When the call fails for one member the next is tried."""
    for index, fn in enumerate(group):
        answer = reader.client.call(
            "lambda", fn.region, "get_function", resource=fn.arn, FunctionName=fn.arn
        )
        if answer is None:
            fn.package = unreadable(fn.arn, "GetFunction failed (see coverage gaps)")
            continue
        code = answer.get("Code") or {}
        config = answer.get("Configuration") or {}
        facts = reader.package(
            subject=fn.arn,
            region=fn.region,
            location=code.get("Location"),
            expected=config.get("CodeSha256") or fn.code_sha256,
            handler=fn.handler if isinstance(fn.handler, str) else None,
            runtime=fn.runtime if isinstance(fn.runtime, str) else None,
        )
        for member in group[index:]:
            member.package = facts
        break
    return len(group)


def _layer(reader: _Reader, layer: LayerVersion) -> int:
    answer = reader.client.call(
        "lambda",
        layer.origin.region,
        "get_layer_version",
        resource=layer.arn,
        LayerName=layer.arn.rsplit(":", 1)[0],
        VersionNumber=layer.version,
    )
    if answer is None:
        layer.package = unreadable(layer.arn, "GetLayerVersion failed")
        return 1
    content = answer.get("Content") or {}
    layer.package = reader.package(
        subject=layer.arn,
        region=layer.origin.region,
        location=content.get("Location"),
        expected=content.get("CodeSha256"),
        layer=layer.arn,
    )
    return 1


def analyse_account(
    inventory: Inventory,
    client: AwsClient,
    *,
    vulndb: VulnDb | None = None,
    options: LiveOptions | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> list[CoverageGap]:
    """Set ``package`` on every function and owned layer version; the gaps met on the way.

    Functions that share a package (same CodeSha256, handler and runtime) are read once;
    packages are read ``options.workers`` at a time (downloads overlap; each one is capped)."""
    options = options or LiveOptions()
    groups: dict[tuple[str, str, str], list[Function]] = {}
    for fn in inventory.functions:
        if fn.package_type == "Image":
            fn.package = _image(fn)
            continue
        key = (fn.code_sha256 or fn.arn, str(fn.handler), str(fn.runtime))
        groups.setdefault(key, []).append(fn)
    total = len(inventory.functions) + len(inventory.layers)
    done = total - sum(map(len, groups.values())) - len(inventory.layers)
    with tempfile.TemporaryDirectory(prefix="fortress-packages-") as tmp:
        reader = _Reader(client, Path(tmp), options, vulndb)
        pool = ThreadPoolExecutor(max_workers=max(1, options.workers))
        try:
            jobs = [pool.submit(_functions, reader, group) for group in groups.values()]
            jobs += [pool.submit(_layer, reader, layer) for layer in inventory.layers]
            for job in as_completed(jobs):
                done += job.result()
                if on_progress:
                    on_progress("reading packages", done, total)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return reader.gaps


@dataclass
class LiveFunction:
    """One live function's package facts and those of every layer it uses (any account's
    layer, read by its ARN when the caller may)."""

    name: str
    arn: str
    runtime: str | None
    package: PackageAnalysis
    layers: list[tuple[str, PackageAnalysis]] = field(default_factory=list)


def analyse_function(
    client: AwsClient,
    name: str,
    *,
    region: str | None = None,
    vulndb: VulnDb | None = None,
    options: LiveOptions | None = None,
) -> tuple[LiveFunction | None, list[CoverageGap]]:
    """Read one function (name or ARN) and its layers; None when GetFunction fails (the
    client's gaps say why)."""
    options = options or LiveOptions()
    region = region or client.default_region
    answer = client.call("lambda", region, "get_function", resource=name, FunctionName=name)
    if answer is None:
        return None, []
    config = answer.get("Configuration") or {}
    arn = str(config.get("FunctionArn") or name)
    runtime = config.get("Runtime") if isinstance(config.get("Runtime"), str) else None
    with tempfile.TemporaryDirectory(prefix="fortress-packages-") as tmp:
        reader = _Reader(client, Path(tmp), options, vulndb)
        if config.get("PackageType") == "Image":
            image = (answer.get("Code") or {}).get("ImageUri") or arn
            package = PackageAnalysis(
                status=PACKAGE_UNKNOWN,
                location=str(image),
                image_uri=str(image),
                reason="container image: not pulled",
            )
        else:
            package = reader.package(
                subject=arn,
                region=region,
                location=(answer.get("Code") or {}).get("Location"),
                expected=config.get("CodeSha256"),
                handler=config.get("Handler") if isinstance(config.get("Handler"), str) else None,
                runtime=runtime,
            )
        found = LiveFunction(str(config.get("FunctionName") or name), arn, runtime, package)
        for ref in config.get("Layers") or []:
            layer_arn = ref.get("Arn") if isinstance(ref, dict) else None
            name, _, number = str(layer_arn).rpartition(":")
            if not isinstance(layer_arn, str) or not number.isdigit():
                continue
            # GetLayerVersion takes a layer ARN as LayerName: any account's layer the caller
            # may read (as GetLayerVersionByArn, which the emulator lacks).
            layer = client.call(
                "lambda",
                region,
                "get_layer_version",
                resource=layer_arn,
                LayerName=name,
                VersionNumber=int(number),
            )
            if layer is None:
                found.layers.append((layer_arn, unreadable(layer_arn, "GetLayerVersion failed")))
                continue
            content = layer.get("Content") or {}
            found.layers.append(
                (
                    layer_arn,
                    reader.package(
                        subject=layer_arn,
                        region=region,
                        location=content.get("Location"),
                        expected=content.get("CodeSha256"),
                        layer=layer_arn,
                    ),
                )
            )
    return found, reader.gaps
