"""The peer map (data/peers.yaml) and the rules' own references agree, both ways; and
`fortress rules --peer NAME` prints it as a migration table."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from fortress.cli import main
from fortress.compliance import get_framework
from fortress.peers import PEERS, all_peers, get_peer
from fortress.rules.engine import all_rules


def _rule_side(peer: str) -> dict[str, set[str]]:
    """peer check id -> the rules whose metadata names it."""
    named: dict[str, set[str]] = defaultdict(set)
    for r in all_rules():
        for check_id in r.meta.references.get(peer, []):
            named[check_id].add(r.meta.id)
        if peer == "securityhub":
            for control in r.meta.controls.get("aws-fsbp", []):
                named[control].add(r.meta.id)
    return named


def _map_side(peer: str) -> dict[str, set[str]]:
    return {c.id: set(c.rules) for c in get_peer(peer).covered}


def test_every_peer_is_mapped_with_its_version() -> None:
    peers = all_peers()
    assert tuple(peers) == PEERS
    for p in peers.values():
        assert p.version and p.read and p.source, p.id
        assert len(p.covered) >= 4 and p.uncovered, p.id


@pytest.mark.parametrize("peer", PEERS)
def test_map_ids_are_well_formed_unique_and_explained(peer: str) -> None:
    p = get_peer(peer)
    ids = [c.id for c in p.checks]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    bad = [i for i in ids if not p.well_formed(i)]
    assert not bad, bad
    known = {r.meta.id for r in all_rules()}
    for c in p.checks:
        assert c.title, c.id
        assert set(c.rules) <= known, (c.id, set(c.rules) - known)
        assert bool(c.rules) != bool(c.why), c.id


@pytest.mark.parametrize("peer", PEERS)
def test_rule_references_name_every_peer_check_the_map_records(peer: str) -> None:
    named = _rule_side(peer)
    missing = [
        (check_id, rid)
        for check_id, rules in _map_side(peer).items()
        for rid in rules
        if rid not in named.get(check_id, set())
    ]
    assert not missing, "\n".join(
        f"{rid} should name {peer} {check_id} in its references (data/peers.yaml gives it)"
        for check_id, rid in missing
    )


@pytest.mark.parametrize("peer", PEERS)
def test_every_rule_reference_is_in_the_map(peer: str) -> None:
    p = get_peer(peer)
    mapped = _map_side(peer)
    extra = [
        (check_id, rid)
        for check_id, rules in _rule_side(peer).items()
        for rid in rules
        if rid not in mapped.get(check_id, set())
    ]
    assert not extra, "\n".join(
        f"data/peers.yaml: list {rid} under rules: of {peer} {check_id} (its references name it)"
        for check_id, rid in extra
    )
    bad = [i for i in _rule_side(peer) if not p.well_formed(i)]
    assert not bad, f"malformed {peer} ids in rule references: {bad}"


def test_security_hub_references_and_fsbp_controls_are_the_same() -> None:
    for r in all_rules():
        refs = set(r.meta.references.get("securityhub", []))
        controls = set(r.meta.controls.get("aws-fsbp", []))
        assert refs == controls, r.meta.id
    fsbp = {c.id: set(c.rules) for c in get_framework("fsbp").controls}
    sh = get_peer("securityhub")
    assert {c.id for c in sh.checks} == set(fsbp)
    for c in sh.checks:
        assert set(c.rules) == fsbp[c.id], c.id


def test_a_wrong_reference_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The agreement check can fail: a rule naming a check the map gives to another rule."""
    (rule,) = [r for r in all_rules() if r.meta.id == "FTR-EPH-001"]
    monkeypatch.setitem(rule.meta.references, "checkov", ["CKV_AWS_258"])
    with pytest.raises(AssertionError):
        test_every_rule_reference_is_in_the_map("checkov")


# --------------------------------------------------------------------------- the command


@pytest.fixture
def run_cli(capsys: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("COLUMNS", "100")

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_rules_peer_console_table(run_cli: Any) -> None:
    code, out, err = run_cli("rules", "--peer", "checkov")
    assert code == 0, err
    assert "Checkov" in out and "CKV_AWS_258" in out and "FTR-API-001" in out
    assert "not covered" in out and "CKV_AWS_206" in out and "planned" in out
    width = max(len(line) for line in out.splitlines())
    assert width <= 100


@pytest.mark.parametrize("columns", [60, 80])
def test_rules_peer_console_fits_a_narrow_terminal(
    run_cli: Any, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """KICS ids are 36-character UUIDs: the table folds them rather than overflow."""
    monkeypatch.setenv("COLUMNS", str(columns))
    code, out, _ = run_cli("rules", "--peer", "kics")
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= columns
    assert "8152e0cf" in out and "FTR-LOG-003" in out


def test_rules_peer_json(run_cli: Any) -> None:
    code, out, _ = run_cli("rules", "--peer", "KICS", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["peer"] == "kics" and data["version"]
    by_id = {c["id"]: c for c in data["checks"]}
    assert by_id["0a96ce49-4163-4ee6-8169-eb3b0797d694"]["rules"] == ["FTR-API-003"]
    assert by_id["4e1cc5d3-2811-4fb2-861c-ee9b3cb7f90b"]["rules"] == ["FTR-API-011"]
    assert "not_covered" in by_id["0ca1017d-3b80-423e-bb9c-6cd5898d34bd"]
    assert data["covered"] + data["not_covered"] == len(data["checks"])
    # One query, one UUID per platform: the SAM query is its own entry.
    sam = by_id["4ba74f01-aba5-4be2-83bc-be79ff1a3b92"]
    assert sam["platform"] == "SAM" and sam["rules"] == ["FTR-IAM-005"]


def test_rules_peer_markdown(run_cli: Any) -> None:
    code, out, _ = run_cli("rules", "--peer", "securityhub", "--format", "markdown")
    assert code == 0
    assert "| Lambda.1 |" in out and "FTR-IAM-007" in out
    assert "| APIGateway.5 |" in out and "not covered" in out


@pytest.mark.parametrize("peer", ["prowler", "trivy"])
def test_rules_peer_each(run_cli: Any, peer: str) -> None:
    code, out, _ = run_cli("rules", "--peer", peer, "--format", "markdown")
    assert code == 0
    for c in get_peer(peer).checks:
        assert f"| {c.id} |" in out


def test_rules_peer_unknown_is_one_line_exit_2(run_cli: Any) -> None:
    code, out, err = run_cli("rules", "--peer", "tfsec\x1b[31m")
    assert code == 2
    assert out == ""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "checkov, prowler, kics, trivy, securityhub" in lines[0]
    assert "\x1b" not in err and "Traceback" not in err


def test_rules_peer_and_compliance_do_not_combine(run_cli: Any) -> None:
    with pytest.raises(SystemExit) as exc:
        run_cli("rules", "--peer", "checkov", "--compliance", "fsbp")
    assert exc.value.code == 2
