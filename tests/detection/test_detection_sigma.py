"""Sigma rules in SigmaHQ format run unmodified on the hunt store; unsupported ones are reported."""

from __future__ import annotations

from pathlib import Path

from ftr_detection_events import CI_UA, event, iam_user, update_code

from fortress.detection import sigma
from fortress.detection.hunt import HuntRequest, hunt
from fortress.detection.store import EventStore
from fortress.findings import Severity

RULES = Path(__file__).parent / "fixtures" / "sigma"


def test_load_reports_skipped_rules_with_reason() -> None:
    compiled, skipped = sigma.load_rules([str(RULES)])
    assert sorted(c.title for c in compiled) == [
        "AWS Lambda Function Code Updated",
        "AWS Lambda Permission Opened To Everyone",
    ]
    reasons = {s.title: s.reason for s in skipped}
    assert "keyword" in reasons["Keyword Rule"]
    assert "logsource" in reasons["Windows Rule"]


def test_sigma_rules_match_like_sigma_says() -> None:
    compiled, _ = sigma.load_rules([str(RULES)])
    by_title = {c.title: c for c in compiled}
    recs = [
        update_code("orders", iam_user(), ua="stratus-red-team_1"),  # match
        update_code("orders", iam_user(), ua=CI_UA),  # filtered: Terraform (case-insensitive)
        {**update_code("orders", iam_user(), ua="x"), "errorCode": "AccessDenied"},  # filtered
        event(
            "AddPermission20150331v2",
            iam_user(),
            ip="198.51.100.1",
            request={"functionName": "f", "principal": "*"},
        ),  # match
        event(
            "AddPermission20150331v2",
            iam_user(),
            ip="10.1.2.3",
            request={"functionName": "f", "principal": "*"},
        ),  # from office: filtered
        event(
            "AddPermission20150331v2",
            iam_user(),
            request={"functionName": "f", "principal": "s3.amazonaws.com"},
        ),
    ]
    with EventStore() as store:
        store.load_records(recs)
        code = sigma.run(store, by_title["AWS Lambda Function Code Updated"])
        perm = sigma.run(store, by_title["AWS Lambda Permission Opened To Everyone"])
    assert [d.event_ids for d in code] == [[recs[0]["eventID"]]]
    assert code[0].severity is Severity.MEDIUM and code[0].technique == "T1525"
    assert [d.event_ids for d in perm] == [[recs[3]["eventID"]]]
    assert perm[0].rule_id.startswith("SIGMA-") and perm[0].severity is Severity.HIGH


def test_hunt_with_sigma_only(tmp_path: Path) -> None:
    import json

    (tmp_path / "e.jsonl").write_text(json.dumps(update_code("f", iam_user(), ua="evil")) + "\n")
    result = hunt(HuntRequest(paths=[str(tmp_path)], sigma_paths=[str(RULES)], builtin=False))
    assert [d.title for d in result.detections] == ["AWS Lambda Function Code Updated"]
    assert len(result.sigma_skipped) == 2


def test_rules_for_other_log_sources_do_not_make_the_hunt_incomplete(tmp_path: Path) -> None:
    """A SigmaHQ folder is mostly Windows/Linux rules: listed, not a gap. A CloudTrail rule the
    compiler cannot express did not run, so the hunt is incomplete (exit 3)."""
    import json

    from fortress.cli import main

    _, skipped = sigma.load_rules([str(RULES)])
    by_title = {s.title: s for s in skipped}
    assert by_title["Windows Rule"].incomplete is False
    assert by_title["Keyword Rule"].incomplete is True

    trail = tmp_path / "t.jsonl"
    trail.write_text(json.dumps(update_code("f", iam_user(), ua=CI_UA)) + "\n")
    only_other = tmp_path / "other"
    only_other.mkdir()
    windows = (RULES / "aws_multiple.yml").read_text().split("\n---\n")
    (only_other / "win.yml").write_text(next(d for d in windows if "Windows Rule" in d))
    assert main(["hunt", str(trail), "--sigma", str(only_other), "--no-builtin"]) == 0
    assert main(["hunt", str(trail), "--sigma", str(RULES), "--no-builtin"]) == 3
