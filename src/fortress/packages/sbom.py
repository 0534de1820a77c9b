"""CycloneDX SBOM of a function and its layers, written by the CycloneDX library.

One SBOM per function: the function is ``metadata.component`` (an application, with its ARN or
IaC id, runtime and package hash); the dependencies found in its own package are top-level
components; each layer it uses is a component of its own with the layer's dependencies nested
inside it, as Lambda mounts the layer next to the code. The OSV advisories matched by the scan
are listed under ``vulnerabilities`` with the component they affect.

A dependency declared only as a range (``"lodash": "^4.17.0"`` in a ``package.json`` with no
lock file) is not a version: it is written without one and the range is kept in the property
``fortress:declared-range``. Every SBOM is validated against the CycloneDX 1.6 JSON schema
before it is returned; an SBOM that does not validate is a bug and raises.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from cyclonedx.model import HashAlgorithm, HashType, Property, XsUri
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.tool import ToolRepository
from cyclonedx.model.vulnerability import (
    BomTarget,
    VulnerabilityRating,
    VulnerabilitySeverity,
    VulnerabilitySource,
)
from cyclonedx.model.vulnerability import (
    Vulnerability as CdxVulnerability,
)
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packageurl import PackageURL

import fortress
from fortress.inventory import PACKAGE_ANALYSED, Dependency, Inventory, PackageAnalysis
from fortress.safeio import sha256_hex

SCHEMA = SchemaVersion.V1_6
_OSV_URL = "https://osv.dev/vulnerability/"
_SEVERITIES = {s.value: s for s in VulnerabilitySeverity}


class SbomInvalid(RuntimeError):
    """The SBOM Fortress built does not validate against the CycloneDX schema (a bug)."""


@dataclass(frozen=True)
class SbomSubject:
    """A function to describe: its name, its ARN (or IaC id), its package facts and those of
    the layers it uses, as (layer ARN or id, facts or None when the layer was not read)."""

    name: str
    ref: str
    analysis: PackageAnalysis
    runtime: str | None = None
    layers: tuple[tuple[str, PackageAnalysis | None], ...] = ()


def _hex_sha256(value: str | None) -> str | None:
    """Lambda's CodeSha256 is base64; CycloneDX wants hex."""
    if not value:
        return None
    if re.fullmatch(r"[0-9a-fA-F]{64}", value):
        return value.lower()
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 32 else None


def _hashes(analysis: PackageAnalysis | None) -> list[HashType]:
    digest = _hex_sha256(analysis.sha256 if analysis else None)
    return [HashType(alg=HashAlgorithm.SHA_256, content=digest)] if digest else []


def _purl(dep: Dependency) -> PackageURL | None:
    if not dep.purl:
        return None
    try:
        return PackageURL.from_string(dep.purl)
    except ValueError:
        return None


def _ref(*parts: str) -> str:
    return "fortress:" + sha256_hex("\x00".join(parts))[:20]


def _dependency(dep: Dependency, owner: str) -> Component:
    properties = [Property(name="fortress:path", value=dep.path)] if dep.path else []
    if not dep.pinned:
        properties.append(Property(name="fortress:declared-range", value=dep.version))
    group, name = None, dep.name
    if dep.ecosystem == "Maven" and ":" in dep.name:
        group, name = dep.name.split(":", 1)
    return Component(
        name=name,
        group=group,
        version=dep.version if dep.pinned else None,
        type=ComponentType.LIBRARY,
        purl=_purl(dep),
        bom_ref=_ref(owner, dep.ecosystem, dep.name, dep.version, dep.path),
        properties=properties,
    )


def _status(analysis: PackageAnalysis | None) -> list[Property]:
    if analysis is None:
        return [Property(name="fortress:package-status", value="not-read")]
    out = [Property(name="fortress:package-status", value=analysis.status)]
    if analysis.status != PACKAGE_ANALYSED and analysis.reason:
        out.append(Property(name="fortress:package-reason", value=analysis.reason))
    out.extend(
        Property(name=f"fortress:skipped:{part}", value=why)
        for part, why in sorted(analysis.skipped.items())
    )
    return out


def _vulnerabilities(
    analysis: PackageAnalysis | None, refs: dict[tuple[str, str, str], str]
) -> Iterable[CdxVulnerability]:
    if analysis is None:
        return
    for vuln in analysis.vulnerabilities:
        target = refs.get((vuln.ecosystem, vuln.package, vuln.version))
        if not vuln.ids or target is None:
            continue
        rating = VulnerabilityRating(
            severity=_SEVERITIES.get(vuln.severity, VulnerabilitySeverity.UNKNOWN),
            score=Decimal(str(vuln.score)) if vuln.score is not None else None,
        )
        properties = [Property(name="fortress:may-be-affected", value="true")]
        yield CdxVulnerability(
            bom_ref=_ref("vuln", vuln.ids[0], target),
            id=vuln.ids[0],
            source=VulnerabilitySource(name="OSV", url=XsUri(_OSV_URL + vuln.ids[0])),
            description=vuln.summary or None,
            recommendation=f"upgrade to {vuln.fixed}" if vuln.fixed else None,
            ratings=[rating],
            affects=[BomTarget(ref=target)],
            properties=properties if vuln.may_be_affected else [],
        )


def build(subject: SbomSubject, *, now: datetime | None = None) -> Bom:
    """The CycloneDX model of one function (see the module docstring for the layout)."""
    root = Component(
        name=subject.name,
        type=ComponentType.APPLICATION,
        bom_ref=_ref("function", subject.ref),
        hashes=_hashes(subject.analysis),
        properties=[
            Property(name="fortress:resource", value=subject.ref),
            *(
                [Property(name="fortress:runtime", value=subject.runtime)]
                if subject.runtime
                else []
            ),
            Property(name="fortress:location", value=subject.analysis.location),
            *_status(subject.analysis)[1:],
        ],
    )
    tool = Component(name="fortress", version=fortress.__version__, type=ComponentType.APPLICATION)
    bom = Bom(
        serial_number=uuid.uuid5(uuid.NAMESPACE_URL, f"fortress:{subject.ref}:{now}"),
        metadata=BomMetaData(
            component=root,
            tools=ToolRepository(components=[tool]),
            timestamp=now or datetime.now(UTC),
        ),
    )
    refs: dict[tuple[str, str, str], str] = {}
    top: list[Component] = []
    for dep in subject.analysis.dependencies:
        component = _dependency(dep, subject.ref)
        refs.setdefault((dep.ecosystem, dep.name, dep.version), str(component.bom_ref))
        top.append(component)
    vulns = list(_vulnerabilities(subject.analysis, refs))
    for layer_ref, facts in subject.layers:
        nested = [_dependency(dep, layer_ref) for dep in (facts.dependencies if facts else [])]
        layer_refs = {
            (d.ecosystem, d.name, d.version): str(c.bom_ref)
            for d, c in zip(facts.dependencies if facts else [], nested, strict=True)
        }
        layer = Component(
            name=_layer_name(layer_ref),
            version=_layer_version(layer_ref),
            type=ComponentType.LIBRARY,
            bom_ref=_ref("layer", layer_ref),
            hashes=_hashes(facts),
            components=nested,
            properties=[
                Property(name="fortress:resource", value=layer_ref),
                Property(name="fortress:kind", value="lambda-layer"),
                *_status(facts),
            ],
        )
        top.append(layer)
        bom.register_dependency(layer, nested)
        vulns.extend(_vulnerabilities(facts, layer_refs))
    bom.components.update(top)
    bom.register_dependency(root, top)
    bom.vulnerabilities.update(vulns)
    return bom


def _layer_name(ref: str) -> str:
    parts = ref.split(":")
    if ref.startswith("arn:") and len(parts) >= 7:
        return parts[6]
    return ref


def _layer_version(ref: str) -> str | None:
    parts = ref.split(":")
    return parts[7] if ref.startswith("arn:") and len(parts) >= 8 else None


def to_json(subject: SbomSubject, *, now: datetime | None = None) -> str:
    """The SBOM as CycloneDX 1.6 JSON, validated against the schema."""
    text = JsonV1Dot6(build(subject, now=now)).output_as_string(indent=2)
    error = JsonStrictValidator(SCHEMA).validate_str(text)
    if error is not None:
        raise SbomInvalid(f"SBOM of {subject.ref} does not validate: {error}")
    return text


def file_name(subject: SbomSubject) -> str:
    """A file name that says which function and never collides (a short hash of the ref)."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", subject.name)[:80].strip("._") or "function"
    return f"{base}-{sha256_hex(subject.ref)[:8]}.cdx.json"


def subjects(inventory: Inventory) -> tuple[list[SbomSubject], list[tuple[str, str]]]:
    """The functions of a scanned inventory that have an SBOM to give, and (function, why not)
    for the others (packages not read, container images, unreadable code)."""
    layers = {layer.arn: layer.package for layer in inventory.layers}
    out: list[SbomSubject] = []
    skipped: list[tuple[str, str]] = []
    for fn in inventory.functions:
        facts = fn.package
        if facts is None or facts.status != PACKAGE_ANALYSED:
            reason = facts.reason if facts is not None and facts.reason else "package not read"
            skipped.append((fn.arn, reason))
            continue
        used = tuple(
            (ref.arn, layers.get(ref.arn)) for ref in fn.layers if isinstance(ref.arn, str)
        )
        runtime = fn.runtime if isinstance(fn.runtime, str) else None
        out.append(SbomSubject(fn.name, fn.arn, facts, runtime, used))
    return out, skipped


def write(items: Iterable[SbomSubject], folder: Path, *, now: datetime | None = None) -> list[Path]:
    """Write one ``<function>-<hash>.cdx.json`` per subject into ``folder``; the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    stamp = now or datetime.now(UTC)
    for subject in items:
        path = folder / file_name(subject)
        path.write_text(to_json(subject, now=stamp), encoding="utf-8")
        written.append(path)
    return written
