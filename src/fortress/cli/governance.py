"""Governance wiring of `fortress scan` and `fortress rules`: the config file, compliance,
baselines, the ecosystem formats (OCSF, ASFF, JUnit, CSV) and the Security Hub push.

``cli.posture`` calls into this module at a few fixed points (options, before the scan,
after the scan, exit code), so the governance features stay in one place.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fortress.cli import EXIT_CLEAN, EXIT_FINDINGS, EXIT_INCOMPLETE
from fortress.config import ScanConfig
from fortress.errors import FortressError, InputError
from fortress.findings import Severity, Status
from fortress.rules.engine import Rule, all_rules

# Output formats this module renders (besides console, json and sarif).
FORMATS = ("ocsf", "asff", "junit", "csv")


def add_scan_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("governance")
    group.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="configuration file (default: the nearest .fortress.yaml above the scanned path "
        "or the working directory)",
    )
    group.add_argument("--no-config", action="store_true", help="do not look for a .fortress.yaml")
    group.add_argument(
        "--compliance",
        action="append",
        default=[],
        metavar="NAME",
        help="per-control pass/fail/not assessed for a framework: fsbp, cis, nist-800-53, "
        "pci-dss, soc2, iso27001, or all (repeatable, comma-separated)",
    )
    group.add_argument(
        "--baseline",
        type=Path,
        metavar="REPORT",
        help="an earlier JSON report: fail only on failures not in it; list new and fixed",
    )
    group.add_argument(
        "--only-iac",
        action="store_true",
        help="ignore PATHs no IaC source recognises (pre-commit passes every changed file); "
        "a changed .tf file scans its folder",
    )
    group.add_argument(
        "--push-securityhub",
        action="store_true",
        help="import the findings into AWS Security Hub (BatchImportFindings) — writes to the "
        "account",
    )


def add_rules_options(parser: argparse.ArgumentParser) -> None:
    views = parser.add_mutually_exclusive_group()
    views.add_argument(
        "--compliance",
        action="append",
        default=[],
        metavar="NAME",
        help="list which rules cover each control of a framework (or all)",
    )
    views.add_argument(
        "--peer",
        metavar="NAME",
        help="the migration table from a peer tool's checks to Fortress rules, with the checks "
        "no rule covers and why: checkov, prowler, kics, trivy or securityhub",
    )


# --------------------------------------------------------------------------- before the scan


@dataclass
class Governance:
    """What the options asked for, resolved before the scan runs."""

    config_file: Any = None  # configfile.FileConfig | None
    frameworks: list[Any] | None = None  # compliance frameworks
    baseline: Any = None  # baseline.Baseline | None
    comparison: Any = None  # baseline.Comparison, after the scan
    # --only-iac left no path to scan: the run is clean without scanning anything.
    nothing_to_scan: bool = False


def prepare(
    args: argparse.Namespace, config: ScanConfig, rules: list[Rule]
) -> tuple[Governance, list[Rule]]:
    """Load the config file, the frameworks and the baseline (each error exits 2, before any
    scanning), merge the file into ``config`` and narrow ``rules`` by its on/off switches."""
    from fortress import configfile

    gov = Governance()
    if args.only_iac and args.paths:
        args.paths = iac_paths(args.paths)
        gov.nothing_to_scan = not args.paths
    if args.compliance:
        from fortress.compliance import select_frameworks

        try:
            gov.frameworks = select_frameworks(args.compliance)
        except ValueError as exc:
            raise FortressError(f"--compliance: {exc}") from None
    path = args.config
    if path is None and not args.no_config:
        starts = [*args.paths, *([args.snapshot] if args.snapshot else []), Path.cwd()]
        path = configfile.find(starts)
    if path is not None:
        gov.config_file = cfg = configfile.load(path)
        _check_rule_ids(cfg)
        config.trusted_accounts |= set(cfg.trusted_accounts)
        config.required_tags = list(dict.fromkeys([*cfg.required_tags, *config.required_tags]))
        config.secret_ignore = [*cfg.secret_ignore, *config.secret_ignore]
        config.suppressions = list(cfg.suppressions)
        config.severity_overrides = dict(cfg.severity)
        config.deployers = list(cfg.deployers)
        config.expected_regions = list(cfg.expected_regions)
        rules = [r for r in rules if _switched_on(r.meta.id, cfg.rules)]
    if args.baseline is not None:
        from fortress import baseline

        gov.baseline = baseline.load(args.baseline)
    return gov, rules


def iac_paths(paths: list[Path]) -> list[Path]:
    """The paths an IaC source recognises; a .tf file stands for its folder (once)."""
    from fortress.scan import iac_inputs

    kept: list[Path] = []
    for path in paths:
        if path.is_file() and path.suffix == ".tf":
            path = path.parent
        try:
            found = iac_inputs([path], None)
        except InputError:
            continue
        if found and path not in kept:
            kept.append(path)
    return kept


def _longest(rule_id: str, keys: dict[str, Any]) -> str | None:
    matches = [k for k in keys if rule_id.startswith(k)]
    return max(matches, key=len) if matches else None


def _switched_on(rule_id: str, switches: dict[str, bool]) -> bool:
    key = _longest(rule_id, switches)
    return True if key is None else bool(switches[key])


def _check_rule_ids(cfg: Any) -> None:
    known = [r.meta.id for r in all_rules()]
    for section in ("severity", "rules"):
        for prefix in getattr(cfg, section):
            if not any(rid.startswith(prefix) for rid in known):
                raise cfg.error((section, prefix), f"no rule matches {prefix!r}")
    for i, s in enumerate(cfg.suppressions):
        if s.rule not in known:
            raise cfg.error(("suppressions", i, "rule"), f"no rule {s.rule!r}")


# --------------------------------------------------------------------------- after the scan


def finish(gov: Governance, result: Any, config: ScanConfig, rules: list[Rule]) -> None:
    """Apply severity overrides, then compute the compliance and baseline sections."""
    if config.severity_overrides:
        overrides = config.severity_overrides
        for f in result.findings:
            key = _longest(f.rule_id, overrides)
            if key is not None:
                f.severity = Severity.parse(overrides[key])
        result.findings.sort(key=lambda f: (-f.severity, f.rule_id, f.resource.id))
    if gov.frameworks is not None:
        from fortress.compliance import summarize

        result.compliance = summarize(gov.frameworks, result.findings, [r.meta.id for r in rules])
    if gov.baseline is not None:
        from fortress import baseline

        gov.comparison = baseline.compare(gov.baseline, result.findings)
        result.baseline = gov.comparison.to_dict()


def render(fmt: str, result: Any) -> str:
    if fmt == "ocsf":
        from fortress.report import ocsf

        return ocsf.render(result)
    if fmt == "asff":
        from fortress.report import asff

        return asff.render(result, _scanned_account(result))
    if fmt == "junit":
        from fortress.report import junit

        return junit.render(result)
    if fmt == "csv":
        from fortress.report import csv

        return csv.render(result)
    raise ValueError(fmt)


def _scanned_account(result: Any) -> str | None:
    accounts = {
        a for f in result.findings if (a := f.resource.account) and len(a) == 12 and a.isdigit()
    }
    return accounts.pop() if len(accounts) == 1 else None


def show(gov: Governance, result: Any, fmt: str) -> None:
    """Console views: compliance tables and the baseline comparison (stdout with the console
    report; with a machine-readable format on stdout, the baseline summary goes to stderr)."""
    if result.compliance is None and result.baseline is None:
        return
    from rich.console import Console

    from fortress.report import governance as view

    out = Console() if fmt == "console" else Console(stderr=True)
    if result.compliance is not None and fmt == "console":
        out.print(view.compliance_table(result.compliance))
    if result.baseline is not None:
        path = gov.baseline.path
        if fmt == "console":
            out.print(view.baseline_table(result.baseline, path))
        else:
            b = result.baseline
            print(
                f"Baseline {path}: {len(b['new'])} new, {len(b['fixed'])} fixed, "
                f"{b['unchanged']} unchanged failures",
                file=sys.stderr,
            )


def push_securityhub(args: argparse.Namespace, result: Any, client: Any) -> None:
    """BatchImportFindings into the caller's account; failures become coverage gaps."""
    from fortress.aws import securityhub
    from fortress.report import asff

    account = client.account_id()
    region = client.regions()[0]
    findings = asff.build(result, account, region)
    # Security Hub takes findings into the caller's account only.
    for f in findings:
        f["AwsAccountId"] = account
        f["ProductArn"] = f"arn:aws:securityhub:{region}:{account}:product/{account}/default"
    pushed = securityhub.push(client, findings, region)
    result.gaps.extend(pushed.gaps)
    print(
        f"Security Hub ({account}, {region}): {pushed.imported} findings imported in "
        f"{pushed.batches} batches, {pushed.failed} failed",
        file=sys.stderr,
    )


def exit_code(gov: Governance, result: Any, threshold: Severity, default: int) -> int:
    """With a baseline, only new failures fail the run; otherwise ``default`` stands."""
    if gov.baseline is None:
        return default
    new = gov.comparison.new_keys()
    failing = [
        f
        for f in result.findings
        if f.status is Status.FAIL and f.severity >= threshold and (f.rule_id, f.resource.id) in new
    ]
    if failing:
        return EXIT_FINDINGS
    if result.gaps or result.input_errors:
        return EXIT_INCOMPLETE
    return EXIT_CLEAN


# --------------------------------------------------------------------------- rules --compliance


def rules_compliance(names: list[str], fmt: str) -> int:
    from rich.table import Table
    from rich.text import Text

    from fortress.compliance import select_frameworks

    try:
        frameworks = select_frameworks(names)
    except ValueError as exc:
        raise FortressError(f"--compliance: {exc}") from None
    titles = {r.meta.id: r.meta.title for r in all_rules()}
    if fmt == "json":
        data = {
            "frameworks": [
                {
                    "id": fw.id,
                    "name": f"{fw.name} {fw.version}",
                    "controls": [
                        {"id": c.id, "title": c.title, "rules": list(c.rules)} for c in fw.controls
                    ],
                }
                for fw in frameworks
            ]
        }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return EXIT_CLEAN
    from rich.console import Console

    console = Console()
    for fw in frameworks:
        covered = sum(1 for c in fw.controls if c.rules)
        table = Table(
            title=f"{fw.name} {fw.version}: {covered} of {len(fw.controls)} controls covered",
            title_justify="left",
        )
        for col in ("Control", "Title", "Covered by"):
            table.add_column(col, overflow="fold")
        for c in fw.controls:
            cover = "\n".join(f"{rid} {titles.get(rid, '?')}" for rid in c.rules)
            table.add_row(
                Text(c.id),
                Text(c.title),
                Text(
                    cover or "not covered (reported as not assessed)",
                    style="" if cover else "yellow",
                ),
            )
        console.print(table)
    return EXIT_CLEAN


__all__ = [
    "FORMATS",
    "Governance",
    "add_rules_options",
    "add_scan_options",
    "exit_code",
    "finish",
    "prepare",
    "push_securityhub",
    "render",
    "rules_compliance",
    "show",
]
