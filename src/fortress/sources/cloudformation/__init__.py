"""CloudFormation, SAM and CDK (``cdk.out/*.template.json``) templates → Inventory.

Parsing uses cfn-lint's decoder (JSON and YAML with short-form tags, line numbers on every
node). Intrinsics are resolved by :mod:`fortress.sources.cfn_intrinsics`; SAM resources are
expanded the way the SAM translator deploys them by :mod:`.sam`. Every object's
Origin carries the file, the line of its logical id and the logical id; in-code suppressions come
from ``Metadata: {fortress: {skip: [{id: FTR-..., reason: ...}]}}``.

Resource identities a template cannot know (physical names, ARNs) are stable placeholders built
on the template account (``inventory.TEMPLATE_ACCOUNT`` unless ``--account``), so a function,
its role, its log group and its permissions link up exactly as they will once deployed.

Layout: :mod:`.decode` reads a file into line-aware nodes, :mod:`.builder` maps a template family
by family (:mod:`.iam`, :mod:`.functions`, :mod:`.network`, :mod:`.observability`, :mod:`.keys`,
:mod:`.api`) on the shared :mod:`.model`; :mod:`.sam` sits on top of them and expands SAM
resources before the families run. Only this entry module composes the two: the builder and
the families never import SAM.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fortress import safeio
from fortress.errors import InputError
from fortress.inventory import Inventory, Origin, SourceNote
from fortress.sources.base import IacOptions, gc_paused
from fortress.sources.cloudformation import includes, sam
from fortress.sources.cloudformation.builder import Builder
from fortress.sources.cloudformation.decode import fast_decode, parse_template
from fortress.sources.cloudformation.model import (
    LAMBDA_TRUST,
    PACKAGE_BUCKET,
    Resource,
    key_line,
    key_lines,
    suppressions_of,
)
from fortress.sources.detect import cloudformation as detect
from fortress.sources.detect import template_files

__all__ = [
    "FORMAT",
    "LAMBDA_TRUST",
    "PACKAGE_BUCKET",
    "Resource",
    "build_inventory",
    "detect",
    "fast_decode",
    "key_line",
    "key_lines",
    "load",
    "load_file",
    "parse_template",
    "suppressions_of",
]

FORMAT = "cloudformation"


# --------------------------------------------------------------------------- detection & loading


def load(path: Path, options: IacOptions) -> Inventory:
    """Load one template, or every template under a folder (CDK: ``cdk.out/*.template.json``).

    Each template is its own scope (see :func:`load_file`); ``AWS::Include`` fragments are read
    from inside the scanned folder (a file's own folder when one file is scanned).
    """
    if not path.exists():
        raise InputError(str(path), "no such file or folder")
    with gc_paused():
        if path.is_dir():
            inventory = Inventory(scope="template", sources=[FORMAT])
            for file in template_files(path):
                inventory.extend(load_file(file, options, path))
            inventory.scope = "template"
            return inventory
        return load_file(path, options, path.parent)


def load_file(path: Path, options: IacOptions, root: Path | None = None) -> Inventory:
    """One template → Inventory. Duplicate keys and wrong shapes are notes, not refusals."""
    notes: list[SourceNote] = []
    try:
        text: str | None = safeio.read_template(path)
    except (OSError, ValueError):
        text = None  # cfn-lint's decoder reads it and words the error
    template = parse_template(path, notes, text)
    # the transform test reads the text the decoder read (it read the file again, uncapped)
    transform = includes.mentions_transform(
        text if text is not None else path.read_text(encoding="utf-8", errors="replace")
    )
    text = None
    resource_files: dict[str, tuple[str, int | None]] = {}
    if transform:
        included = includes.expand(template, path, root or path.parent)
        notes.extend(included.notes)
        resource_files = included.resource_files
    builder = Builder(template, str(path), FORMAT, options, {}, resource_files)
    inventory = _build(builder)
    inventory.notes[:0] = notes
    return inventory


# --------------------------------------------------------------------------- building


def build_inventory(
    template: Mapping[str, Any],
    file: str,
    source: str,
    options: IacOptions,
    origins: Mapping[str, Origin] | None = None,
) -> Inventory:
    """Map a decoded template to an Inventory. ``origins`` overrides the origin per logical id
    (the Serverless source passes the serverless.yml lines of the resources it generates)."""
    return _build(Builder(template, file, source, options, origins or {}))


def _build(builder: Builder) -> Inventory:
    serverless = any(r.type.startswith("AWS::Serverless::") for r in builder.resources.values())
    return builder.build(sam.expand if serverless else None)
