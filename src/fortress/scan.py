"""Pick the sources, build one Inventory, run the rules, return a ScanResult."""

from __future__ import annotations

import importlib
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fortress import TOOL_NAME, __version__, safeio
from fortress.config import ScanConfig
from fortress.errors import InputError
from fortress.findings import CoverageGap, Finding, Severity, Status
from fortress.inventory import NOTE_ERROR, NOTE_GAP, NOTE_WARNING, RESOURCE_LISTS, Inventory
from fortress.rules.engine import Rule, all_rules, evaluate
from fortress.scope import Identities
from fortress.sources.base import IacOptions
from fortress.sources.detect import DETECTORS, tf_dirs

if TYPE_CHECKING:
    from fortress.packages.osv import VulnDb

# IaC source modules (detection order and detectors: fortress.sources.detect.DETECTORS).
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
# Files found by walking a folder that are never templates, even when a detector would take them
# (a package.json with a "Transform" key, CDK's cdk.json, linters' and compilers' settings).
# A file named on the command line is still loaded (and refused if it is not a template).
SKIP_FILES = frozenset(
    {
        "package.json",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "composer.json",
        "composer.lock",
        "tsconfig.json",
        "jsconfig.json",
        "cdk.json",
        "cdk.context.json",
        "tslint.json",
        "angular.json",
        "lerna.json",
        "nx.json",
        "renovate.json",
        "pyproject.toml",
        "Pipfile.lock",
        "poetry.lock",
        "docker-compose.yml",
        "docker-compose.yaml",
        "mkdocs.yml",
        "codecov.yml",
        "buildspec.yml",
        ".pre-commit-config.yaml",
        ".travis.yml",
        ".gitlab-ci.yml",
    }
)
SKIP_PATTERNS = (
    re.compile(r"^\.(eslintrc|prettierrc|babelrc|stylelintrc|markdownlint)"),
    re.compile(r"\.(deps|runtimeconfig|assets)\.json$"),  # .NET build outputs
    re.compile(r"^(appsettings|launchSettings)(\..*)?\.json$"),
    # Vendored AWS service models (aws-sdk's apis/*.normal.json, botocore's data/*/service-2.json).
    re.compile(r"\.(normal|min|paginators|waiters2?|examples|schema)\.json$"),
    re.compile(
        r"^(service|paginators|waiters|examples|endpoint-rule-set)-\d+(\.sdk-extras)?\.json$"
    ),
)


def skipped_when_walking(name: str) -> bool:
    """True for a file name that is never a template (skipped silently when walking)."""
    return name in SKIP_FILES or any(p.search(name) for p in SKIP_PATTERNS)


class IacInput(tuple[str, Path]):
    """``(format, path)``, and whether it was found by walking a folder: such an input that
    holds nothing to scan (no resources, no functions) is skipped silently."""

    walked: bool

    def __new__(cls, kind: str, path: Path, walked: bool = False) -> IacInput:
        made = super().__new__(cls, (kind, path))
        made.walked = walked
        return made


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
    # Asked-for report sections (fortress.cli.governance): per-control compliance, baseline.
    compliance: dict[str, Any] | None = None
    baseline: dict[str, Any] | None = None
    # An organization scan (fortress.scan_org): one summary per account, sorted by id.
    accounts: list[dict[str, Any]] | None = None

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


def iac_inputs(paths: list[Path], forced: str | None) -> list[IacInput]:
    """Expand files and folders into (format, path) pairs.

    A Terraform configuration is a folder; every other format is a file. Folders are walked;
    files no source recognises, and files that are never templates (``SKIP_FILES``), are
    ignored unless named explicitly.
    """
    found: list[IacInput] = []
    for path in paths:
        if not path.exists():
            raise InputError(str(path), "no such file or directory")
        if not path.is_dir() and not safeio.is_regular(path):  # a FIFO or device: never opened
            raise InputError(str(path), safeio.not_regular_reason(path) or "not a regular file")
        if path.is_file():
            kind = forced or _detect(path)
            if kind is None:
                raise InputError(
                    str(path), "not a recognised CloudFormation, SAM, Serverless or Terraform file"
                )
            found.append(
                IacInput(
                    kind, path.parent if kind == "terraform" and path.suffix == ".tf" else path
                )
            )
            continue
        if forced in (None, "terraform"):
            found.extend(IacInput("terraform", root, True) for root in _terraform_roots(path))
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
            folder = Path(root)
            for name in sorted(files):
                file = folder / name
                if (
                    name.endswith(".tf")
                    or skipped_when_walking(name)
                    or not safeio.is_regular(file)
                ):
                    continue
                if not file.is_file() or file.stat().st_size == 0:
                    continue  # empty files and sockets, fifos, dangling links
                kind = forced if forced and forced != "terraform" else _detect(file)
                if kind and kind != "terraform":
                    found.append(IacInput(kind, file, True))
    # Files a Serverless service includes with ${file(...)} are part of it, not inputs of their
    # own (a resources.yml fragment looks like a template).
    included: set[Path] = set()
    services = [item[1] for item in found if item[0] == "serverless"]
    serverless = _source_module(IAC_SOURCES["serverless"]) if services else None
    if serverless is not None:
        for service in services:
            included |= serverless.included_files(service)
    kept = [
        item
        for item in found
        if not (item.walked and item[0] != "serverless" and item[1].resolve() in included)
    ]
    # De-duplicate while keeping order.
    return list(dict.fromkeys(kept))


def _detect(path: Path) -> str | None:
    for kind, accepts in DETECTORS.items():
        if accepts(path):
            return kind
    return None


def _terraform_roots(folder: Path) -> list[Path]:
    """The Terraform configurations under ``folder``, each loaded on its own.

    The Terraform source decides what is a root module (a folder no other folder uses as a
    local module); a root nested inside another is loaded with it, so it is not listed twice.
    A folder without ``.tf`` files does not import the Terraform source.
    """
    if next(tf_dirs(folder), None) is None:
        return []
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
    """Load every input on its own, each its own scope (see :mod:`fortress.scope`).

    A source's gap notes become coverage gaps (exit 3), its error notes input errors (the rest
    of that input is still scanned), its warnings input warnings. An input found by walking a
    folder that holds nothing to scan and says nothing is skipped silently.
    """
    result = IacLoad(Inventory(scope="template"))
    vulndb = _VulnDbOnce(options.osv_db)
    identities = Identities()
    labels = _labels([path for _, path in inputs])
    for item in inputs:
        kind, path = item
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
        if getattr(item, "walked", False) and _empty(part):
            continue
        not_followed: list[str] = []
        for note in part.notes:
            if note.kind == NOTE_WARNING:
                result.warnings.append(InputError(note.file, note.message, note.line))
                continue
            if note.kind == NOTE_ERROR:
                result.errors.append(InputError(note.file, note.message, note.line))
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
        if options.packages:
            _read_packages(part, kind, path, _code_root(path, options), vulndb, result)
        identities.separate(part, labels[path])
        result.inventory.extend(part)
    result.inventory.scope = "template"
    return result


def _code_root(path: Path, options: IacOptions) -> Path:
    """The folder an input's local code must stay inside: the scanned folder holding it."""
    own = path if path.is_dir() else path.parent
    for root in options.code_roots:
        if safeio.within(root, own):
            return root
    return own


class _VulnDbOnce:
    """The OSV data, loaded the first time a package is read (it can be large)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.loaded = False
        self.db: VulnDb | None = None

    def __call__(self) -> VulnDb | None:
        if not self.loaded:
            from fortress.packages import osv

            self.loaded = True
            self.db = osv.scan_db(self.path)
        return self.db


def _read_packages(
    part: Inventory, kind: str, path: Path, root: Path, vulndb: _VulnDbOnce, result: IacLoad
) -> None:
    """Analyse the code the input deploys: code that exists but cannot be read is a coverage
    gap; code not on disk (a build output) a warning."""
    from fortress.packages.iac import analyse_inventory, reads_local_code

    if not reads_local_code(part):
        return
    done = analyse_inventory(part, lambda _item: root, vulndb)  # the OSV index when needed
    # One warning per reason: 1,000 functions deploying the same unbuilt folder say it once.
    by_reason: dict[str, list[str]] = {}
    for subject, reason in done.missing:
        by_reason.setdefault(reason, []).append(subject)
    for reason, subjects in by_reason.items():
        shown = ", ".join(subjects[:3]) + (
            f" and {len(subjects) - 3} more" if len(subjects) > 3 else ""
        )
        result.warnings.append(InputError(str(path), f"{shown}: {reason}"))
    for subject, reason in done.unreadable:
        result.gaps.append(
            CoverageGap(
                service=kind,
                operation="read-package",
                error_code="PackageUnreadable",
                message=reason,
                resource=subject,
            )
        )


def _empty(part: Inventory) -> bool:
    """Nothing to scan and nothing to tell (a detector matched a file that is no template)."""
    # Buckets and parameters are read only as context (where packages and values are kept):
    # a file of those alone has nothing the rules judge.
    judged = (name for name in RESOURCE_LISTS if name not in ("buckets", "parameters"))
    return not part.notes and not any(getattr(part, name) for name in judged)


def _labels(paths: list[Path]) -> dict[Path, str]:
    """A short, stable name per input: its path relative to the folder all inputs share."""
    if not paths:
        return {}
    absolute = [p.absolute() for p in paths]
    try:
        common = Path(os.path.commonpath(absolute))
    except ValueError:  # different drives
        return {p: str(p) for p in paths}
    out: dict[Path, str] = {}
    for path, full in zip(paths, absolute, strict=True):
        rel = full.relative_to(common) if full != common else Path(full.name)
        out[path] = str(rel) if str(rel) != "." else full.name
    return out
