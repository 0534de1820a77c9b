"""Picking findings by rule and place, for the per-format rule tests of tests/iac."""

from __future__ import annotations

from fortress.findings import Finding

# (logical id or Terraform address, line) where a finding is expected.
Where = tuple[str, int]


def at(findings: list[Finding], rule_id: str, where: Where) -> list[Finding]:
    """The findings of ``rule_id`` on the resource at ``where``."""
    return [
        f
        for f in findings
        if f.rule_id == rule_id and (f.resource.logical_id, f.resource.line) == where
    ]


def seen(findings: list[Finding], rule_id: str) -> list[tuple[str | None, int | None, str]]:
    """Where ``rule_id`` did report, and how: the message of a failed place assertion."""
    return [
        (f.resource.logical_id, f.resource.line, f.status.value)
        for f in findings
        if f.rule_id == rule_id
    ]


def package_rules() -> set[str]:
    """The rules judged on the code a template deploys (local folders, zips, inline code):
    tested on real code trees in tests/iac/test_iac_packages.py, not on the rule fixtures."""
    from fortress.rules import engine

    return {
        r.meta.id
        for r in engine.all_rules()
        if r.func.__module__.startswith("fortress.rules.package_")
    }
