"""Where a Terraform ``aws_lambda_function`` or ``aws_lambda_layer_version`` takes its code from.

``filename`` names a zip on disk; when that zip is the ``output_path`` of a ``data
"archive_file"`` in the same module (the usual pattern, and the zip does not exist before
``terraform apply``), the archive's ``source_dir`` or ``source_file`` is read instead — the
same bytes the zip will hold. ``s3_bucket``/``s3_key`` and ``image_uri`` are not part of the
configuration: recorded, not read.
"""

from __future__ import annotations

import os
import weakref
from typing import Any

from fortress.inventory import (
    CODE_DIR,
    CODE_IMAGE,
    CODE_S3,
    CODE_UNKNOWN,
    CODE_ZIP,
    CodeSource,
    Unknown,
)
from fortress.sources.tf_attrs import Res, str_of


def code_of(r: Res) -> CodeSource | None:
    """The code location of a function or layer resource (None: the resource names none)."""
    image = str_of(r.get("image_uri"))
    if isinstance(image, str):
        return CodeSource(CODE_IMAGE, uri=image)
    if r.get("s3_bucket") is not None:
        bucket, key = str_of(r.get("s3_bucket")), str_of(r.get("s3_key"))
        uri = f"s3://{bucket}/{key}" if isinstance(bucket, str) and isinstance(key, str) else None
        return CodeSource(CODE_S3, uri=uri, reason="code in S3 only")
    raw = r.get("filename")
    if raw is None:
        return None
    filename = str_of(raw)
    if isinstance(filename, Unknown) or not isinstance(filename, str):
        reason = filename.reason if isinstance(filename, Unknown) else "not a string"
        return CodeSource(CODE_UNKNOWN, reason=f"filename not resolvable: {reason}")
    base = os.path.dirname(os.path.abspath(r.origin.file or "."))
    path = os.path.abspath(os.path.join(base, filename))
    archive = _archive(r, filename)
    if archive is not None:
        source_dir = str_of(archive.get("source_dir"))
        if isinstance(source_dir, str):
            return CodeSource(CODE_DIR, path=os.path.abspath(os.path.join(base, source_dir)))
        source_file = str_of(archive.get("source_file"))
        if isinstance(source_file, str):
            full = os.path.abspath(os.path.join(base, source_file))
            # The folder holding the file, filtered down to that one file.
            return CodeSource(
                CODE_DIR, path=os.path.dirname(full), patterns=["!*", os.path.basename(full)]
            )
        return CodeSource(CODE_UNKNOWN, reason=f"archive for {filename} has no readable source")
    return CodeSource(CODE_ZIP, path=path)


def _archive(r: Res, filename: str) -> Any:
    """The ``data "archive_file"`` instance of ``r``'s module whose output is ``filename``."""
    module = getattr(r, "module", None)
    resources = getattr(module, "resources", None)
    if not isinstance(resources, dict):
        return None
    try:
        outputs = _ARCHIVES[module]
    except KeyError:
        outputs = _ARCHIVES[module] = _archive_outputs(resources)
    except TypeError:  # a module object that cannot be weakly referenced
        outputs = _archive_outputs(resources)
    return outputs.get(filename)


# Module → {output_path: archive instance}, built once per module: looking the archives up per
# function walked every resource of the module each time (quadratic: 4 s for 1,000 functions).
_ARCHIVES: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def _archive_outputs(resources: dict[Any, Any]) -> dict[str, Any]:
    outputs: dict[str, Any] = {}
    for key, block in resources.items():
        if not (isinstance(key, tuple) and key[:2] == ("data", "archive_file")):
            continue
        try:
            instances = block.instances()
        except (AttributeError, TypeError, ValueError, RecursionError):
            continue
        for inst in instances if isinstance(instances, list) else []:
            output = str_of(inst.attr("output_path"))
            if isinstance(output, str):
                outputs.setdefault(output, inst)
    return outputs
