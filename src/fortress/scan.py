"""Pick the sources, build one Inventory, run the rules, return a ScanResult."""

from __future__ import annotations

import importlib
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fortress import TOOL_NAME, __version__
from fortress.config import ScanConfig
from fortress.errors import InputError
from fortress.findings import CoverageGap, Finding, Severity, Status
from fortress.inventory import NOTE_GAP, NOTE_WARNING, Inventory
from fortress.rules.engine import Rule, all_rules, evaluate
from fortress.sources.base import IacOptions

# IaC source modules, in detection order (the first whose detect() accepts a file wins).
IAC_SOURCES = {
    "serverless": "fortress.sources.serverless",
    "cloudformation": "fortress.sources.cloudformation",
    "terraform-plan": "fortress.sources.terraform_plan",
    "terraform": "fortress.sources.terraform",
}

SKIP_DIRS = {
    ".git",
    ".terraform",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    ".serverless",
    ".aws-sam",
}


@dataclass
class SourceInfo:
    """One source a scan read: its kind, what it read, how many functions it found, and what it
    could not follow (registry modules, unresolvable file references, …: each also a gap)."""

    kind: str
    target: str
    functions: int | None = None
    not_followed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "target": self.target}
        if self.functions is not None:
            out["functions"] = self.functions
        if self.not_followed:
            out["not_followed"] = list(self.not_followed)
        return out


@dataclass
class ScanResult:
    findings: list[Finding]
    gaps: list[CoverageGap]
    sources: list[SourceInfo]
    started_at: datetime
    finished_at: datetime
    input_errors: list[InputError] = field(default_factory=list)
    # Inputs accepted as the deploy tool accepts them, with something worth telling.
    input_warnings: list[InputError] = field(default_factory=list)
    rules_run: int = 0
    inventory_counts: dict[str, int] = field(default_factory=dict)
    tool: str = TOOL_NAME
    version: str = __version__

    def failing(self, threshold: Severity) -> list[Finding]:
        return [f for f in self.findings if f.status is Status.FAIL and f.severity >= threshold]

    def summary(self) -> dict[str, Any]:
        # One pass counting (practice, status) and failing severities by identity: a report of
        # 26,000 findings called this several times, at ~0.1 s each with per-finding dicts.
        pairs = Counter((f.practice, f.status) for f in self.findings)
        by_severity_enum = Counter(f.severity for f in self.findings if f.status is Status.FAIL)
        by_status = Counter[str]()
        practices: dict[str, dict[str, int]] = {}
        for practice in dict.fromkeys(p for p, _ in pairs):  # first-seen order, as before
            practices[practice.value] = {s.value: pairs.get((practice, s), 0) for s in Status}
        for (_, status), n in pairs.items():
            by_status[status.value] += n
        by_severity = {sev.label: n for sev, n in by_severity_enum.items()}
        return {
            "total": len(self.findings),
            "by_status": {s.value: by_status.get(s.value, 0) for s in Status},
            "failures_by_severity": {
                s.label: by_severity.get(s.label, 0) for s in reversed(Severity)
            },
            "by_practice": practices,
            "coverage_gaps": len(self.gaps),
            "input_errors": len(self.input_errors),
            "input_warnings": len(self.input_warnings),
            "rules_run": self.rules_run,
            "resources": self.inventory_counts,
        }


def run_rules(
    inventory: Inventory,
    rules: list[Rule] | None,
    config: ScanConfig,
    gaps: list[CoverageGap],
    sources: list[SourceInfo],
    started_at: datetime,
    input_errors: list[InputError] | None = None,
    input_warnings: list[InputError] | None = None,
) -> ScanResult:
    rules = rules if rules is not None else all_rules()
    findings = evaluate(inventory, rules, config)
    findings.sort(key=lambda f: (-f.severity, f.rule_id, f.resource.id))
    return ScanResult(
        findings=findings,
        gaps=gaps,
        sources=sources,
        started_at=started_at,
        finished_at=datetime.now(UTC),
        input_errors=input_errors or [],
        input_warnings=input_warnings or [],
        rules_run=len(rules),
        inventory_counts=counts(inventory),
    )


def counts(inventory: Inventory) -> dict[str, int]:
    return {
        "functions": len(inventory.functions),
        "roles": len(inventory.roles),
        "layers": len(inventory.layers),
        "apis": len(inventory.apis),
        "security_groups": len(inventory.security_groups),
        "log_groups": len(inventory.log_groups),
        "trails": len(inventory.trails),
        "secrets": len(inventory.secrets),
    }


# --------------------------------------------------------------------------- IaC inputs


def iac_inputs(paths: list[Path], forced: str | None) -> list[tuple[str, Path]]:
    """Expand files and folders into (format, path) pairs.

    A Terraform configuration is a folder; every other format is a file. Folders are walked;
    files no source recognises are ignored unless named explicitly.
    """
    found: list[tuple[str, Path]] = []
    for path in paths:
        if not path.exists():
            raise InputError(str(path), "no such file or directory")
        if path.is_file():
            kind = forced or _detect(path)
            if kind is None:
                raise InputError(
                    str(path), "not a recognised CloudFormation, SAM, Serverless or Terraform file"
                )
            found.append(
                (kind, path.parent if kind == "terraform" and path.suffix == ".tf" else path)
            )
            continue
        if forced in (None, "terraform"):
            found.extend(("terraform", root) for root in _terraform_roots(path))
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
            folder = Path(root)
            for name in sorted(files):
                file = folder / name
                if name.endswith(".tf"):
                    continue
                kind = forced if forced and forced != "terraform" else _detect(file)
                if kind and kind != "terraform":
                    found.append((kind, file))
    # De-duplicate while keeping order.
    return list(dict.fromkeys(found))


def _detect(path: Path) -> str | None:
    for kind, module_name in IAC_SOURCES.items():
        module = _source_module(module_name)
        if module is not None and module.detect(path):
            return kind
    return None


def _terraform_roots(folder: Path) -> list[Path]:
    """The Terraform configurations under ``folder``, each loaded on its own.

    The Terraform source decides what is a root module (a folder no other folder uses as a
    local module); a root nested inside another is loaded with it, so it is not listed twice.
    """
    module = _source_module(IAC_SOURCES["terraform"])
    if module is None:
        return []
    roots: list[Path] = module.root_modules(folder)
    return [r for r in roots if not any(other in r.parents for other in roots)]


def _source_module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


@dataclass
class IacLoad:
    """What loading IaC inputs produced: one inventory, and per input what happened."""

    inventory: Inventory
    errors: list[InputError] = field(default_factory=list)
    warnings: list[InputError] = field(default_factory=list)
    gaps: list[CoverageGap] = field(default_factory=list)
    sources: list[SourceInfo] = field(default_factory=list)


def load_iac(
    inputs: list[tuple[str, Path]],
    options: IacOptions,
    on_file: Callable[[Path], None] | None = None,
) -> IacLoad:
    """Load every input on its own; a source's gap notes become coverage gaps (exit 3)."""
    result = IacLoad(Inventory(scope="template"))
    for kind, path in inputs:
        module = _source_module(IAC_SOURCES[kind])
        if module is None:
            result.errors.append(InputError(str(path), f"{kind} support is not installed"))
            continue
        if on_file:
            on_file(path)
        try:
            part = module.load(path, options)
        except InputError as exc:
            result.errors.append(exc)
            continue
        except RecursionError:
            result.errors.append(InputError(str(path), "too deeply nested to resolve"))
            continue
        not_followed: list[str] = []
        for note in part.notes:
            if note.kind == NOTE_WARNING:
                result.warnings.append(InputError(note.file, note.message, note.line))
                continue
            if note.kind != NOTE_GAP:
                continue
            not_followed.append(f"{note.subject or note.where()}: {note.message}")
            result.gaps.append(
                CoverageGap(
                    service=kind,
                    operation="read",
                    error_code="NotFollowed",
                    message=note.message,
                    resource=f"{note.where()} {note.subject}".strip(),
                )
            )
        result.sources.append(
            SourceInfo(kind, str(path), functions=len(part.functions), not_followed=not_followed)
        )
        result.inventory.extend(part)
    result.inventory.scope = "template"
    return result
