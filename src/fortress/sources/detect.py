"""Which IaC format a file or folder holds, decided without importing any source.

Each source module's ``detect`` is one of these. The scanner asks them here so that a scan
imports only the sources it loads: detection used to import every source to call its
``detect``, so a SAM scan loaded the Terraform parser and a Terraform scan the CloudFormation
and Serverless builders (~1-2 MB and ~0.02 s each, at the start of every scan).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

# --------------------------------------------------------------------------- Serverless

SERVERLESS_FILES = ("serverless.yml", "serverless.yaml")
_SERVICE_KEY = re.compile(rb"^service\s*:", re.M)


def serverless(path: Path) -> bool:
    """A ``serverless.yml`` (or a folder holding one) with a top-level ``service`` key."""
    if path.is_dir():
        return any(_is_service(path / name) for name in SERVERLESS_FILES)
    return path.name in SERVERLESS_FILES and _is_service(path)


def _is_service(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(1024 * 1024)
    except OSError:
        return False
    return _SERVICE_KEY.search(head) is not None


# --------------------------------------------------------------------------- CloudFormation

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
_NOT_TEMPLATE_DIRS = ("node_modules", ".git", ".serverless", ".aws-sam", ".terraform")


def cloudformation(path: Path) -> bool:
    """A CloudFormation/SAM template file, a ``cdk.out`` folder, or a folder holding templates."""
    if path.is_dir():
        return bool(template_files(path))
    return path.suffix.lower() in TEMPLATE_SUFFIXES and looks_like_template(path)


def looks_like_template(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:200_000]
    except OSError:
        return False
    if "AWSTemplateFormatVersion" in head or "AWS::Serverless" in head:
        return True
    return (
        "Resources" in head and re.search(r"[\"']?Type[\"']?\s*:\s*[\"']?AWS::", head) is not None
    )


def template_files(folder: Path) -> list[Path]:
    """The templates under ``folder`` (CDK: ``cdk.out/*.template.json``)."""
    files: list[Path] = []
    for file in sorted(folder.rglob("*")):
        parts = file.relative_to(folder).parts
        if any(p in _NOT_TEMPLATE_DIRS for p in parts):
            continue
        if "cdk.out" in parts or folder.name == "cdk.out":
            if file.name.endswith(".template.json"):
                files.append(file)
            continue
        if file.is_file() and file.suffix.lower() in TEMPLATE_SUFFIXES:
            if file.name.startswith("serverless.") or file.name.endswith("tfvars.json"):
                continue
            if looks_like_template(file):
                files.append(file)
    return files


# --------------------------------------------------------------------------- Terraform

TF_SKIP_DIRS = {".terraform", ".git", "node_modules", ".venv", "__pycache__"}


def terraform(path: Path) -> bool:
    if path.is_file():
        return path.suffix == ".tf"
    if path.is_dir():
        return next(tf_dirs(path), None) is not None
    return False


def tf_dirs(folder: Path) -> Iterator[Path]:
    """Folders under ``folder`` (itself included) that hold ``.tf`` files."""
    for current, subdirs, files in os.walk(folder):
        subdirs[:] = sorted(s for s in subdirs if s not in TF_SKIP_DIRS and not s.startswith("."))
        if any(f.endswith(".tf") for f in files):
            yield Path(current)


def terraform_plan(path: Path) -> bool:
    """A ``terraform show -json`` plan or state file."""
    if not path.is_file() or path.suffix.lower() != ".json":
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return b'"format_version"' in head and (
        b'"terraform_version"' in head or b'"planned_values"' in head
    )


# In detection order: the first that accepts a file wins (keys are ``scan.IAC_SOURCES``').
DETECTORS: dict[str, Callable[[Path], bool]] = {
    "serverless": serverless,
    "cloudformation": cloudformation,
    "terraform-plan": terraform_plan,
    "terraform": terraform,
}
