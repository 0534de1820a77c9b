"""Bad input is one clear line and exit 2 with nothing changed; drift stops undo; evidence first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from response_env import compromised, records, snapshot

from fortress.cli import main


def respond(aws: str, *args: str) -> int:
    return main(["respond", *args, "--endpoint-url", aws])


def undo(aws: str, *args: str) -> int:
    return main(["undo", *args, "--endpoint-url", aws])


def one_error_line(capsys: Any) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fortress: error:"), err
    return err


@pytest.fixture
def applied(client: Any, aws: str, tmp_path: Path) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    """The playbook applied (without evidence) to the compromised function: journal, states."""
    compromised(client)
    before = snapshot(client, "victim", "victim-role")
    journal = tmp_path / "j.jsonl"
    args = [
        "victim",
        "--playbook",
        "contain",
        "--no-evidence",
        "--apply",
        "--journal",
        str(journal),
    ]
    assert respond(aws, *args) == 0
    return journal, before, snapshot(client, "victim", "victim-role")


def test_unknown_function_or_qualifier_is_one_line(client: Any, aws: str, capsys: Any) -> None:
    compromised(client)
    before = snapshot(client, "victim", "victim-role")
    assert respond(aws, "nope", "--playbook", "contain", "--apply") == 2
    assert "nope: no such function" in one_error_line(capsys)
    assert respond(aws, "victim", "--qualifier", "ghost", "--playbook", "contain", "--apply") == 2
    assert "no version or alias 'ghost'" in one_error_line(capsys)
    assert respond(aws, "victim") == 2
    assert "nothing to do" in one_error_line(capsys)
    assert snapshot(client, "victim", "victim-role") == before


def test_existing_journal_path_is_refused(
    client: Any, aws: str, tmp_path: Path, capsys: Any
) -> None:
    compromised(client)
    before = snapshot(client, "victim", "victim-role")
    journal = tmp_path / "j.jsonl"
    journal.write_text("keep me\n")
    args = ["victim", "--action", "throttle", "--no-evidence", "--apply", "--journal", str(journal)]
    assert respond(aws, *args) == 2
    assert "already exists; journals are never overwritten" in one_error_line(capsys)
    assert journal.read_text() == "keep me\n"
    assert snapshot(client, "victim", "victim-role") == before


def test_missing_edited_truncated_journal(
    applied: tuple[Path, dict[str, Any], dict[str, Any]], client: Any, aws: str, capsys: Any
) -> None:
    journal, _, contained = applied
    assert undo(aws, str(journal.with_name("missing.jsonl")), "--apply") == 2
    assert "no such journal" in one_error_line(capsys)

    lines = journal.read_text().splitlines(keepends=True)
    edited = journal.with_name("edited.jsonl")
    record = json.loads(lines[2])
    record["before"] = {"ReservedConcurrentExecutions": 1000}  # someone "fixes" the prior state
    edited.write_text("".join([*lines[:2], json.dumps(record) + "\n", *lines[3:]]))
    assert undo(aws, str(edited), "--apply") == 2
    assert "edited.jsonl:3: the record was edited" in one_error_line(capsys)

    removed = journal.with_name("removed.jsonl")
    removed.write_text("".join([*lines[:2], *lines[3:]]))
    assert undo(aws, str(removed), "--apply") == 2
    assert "out of sequence" in one_error_line(capsys)

    truncated = journal.with_name("truncated.jsonl")
    data = journal.read_bytes()
    truncated.write_bytes(data[: len(data) - 40])
    assert undo(aws, str(truncated), "--apply") == 2
    assert "truncated" in one_error_line(capsys)

    garbage = journal.with_name("garbage.jsonl")
    garbage.write_text("{not json\n")
    assert undo(aws, str(garbage)) == 2
    assert "garbage.jsonl:1: not JSON" in one_error_line(capsys)
    assert snapshot(client, "victim", "victim-role") == contained, "nothing was changed"


def test_journal_of_another_account_is_refused(
    applied: tuple[Path, dict[str, Any], dict[str, Any]],
    client: Any,
    aws: str,
    monkeypatch: Any,
    capsys: Any,
) -> None:
    journal, _, contained = applied
    creds = client("sts").assume_role(
        RoleArn="arn:aws:iam::210987654321:role/responder", RoleSessionName="other"
    )["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds["SessionToken"])
    assert undo(aws, str(journal), "--apply") == 2
    err = one_error_line(capsys)
    assert "journal is for account 123456789012" in err and "210987654321" in err
    assert respond(aws, "--resume", str(journal), "--apply") == 2
    one_error_line(capsys)
    monkeypatch.undo()
    assert snapshot(client, "victim", "victim-role") == contained


def test_drift_stops_undo_before_any_change_unless_forced(
    applied: tuple[Path, dict[str, Any], dict[str, Any]], client: Any, aws: str, capsys: Any
) -> None:
    journal, before, _ = applied
    lam = client("lambda")
    lam.put_function_concurrency(FunctionName="victim", ReservedConcurrentExecutions=7)
    drifted = snapshot(client, "victim", "victim-role")
    capsys.readouterr()
    assert undo(aws, str(journal), "--apply") == 1
    out = capsys.readouterr().out
    assert "drifted" in out and "expected" in out and "found 7" in out.replace('"', "")
    assert snapshot(client, "victim", "victim-role") == drifted, "undo changed nothing"
    assert undo(aws, str(journal), "--apply", "--force") == 0
    assert snapshot(client, "victim", "victim-role") == before


def test_apply_stops_on_drift_since_the_plan_and_resume_completes(
    client: Any, aws: str, tmp_path: Path, capsys: Any
) -> None:
    """A journal whose apply stopped midway (here: the state changed under it) is completed by
    `respond --resume` and reversed by `undo`."""
    compromised(client)
    before = snapshot(client, "victim", "victim-role")
    journal = tmp_path / "j.jsonl"
    from fortress.aws.client import AwsClient, AwsOptions
    from fortress.response import apply as applying
    from fortress.response.context import PlanOptions
    from fortress.response.ops import Ops
    from fortress.response.plan import build_plan

    aws_client = AwsClient(AwsOptions(endpoint_url=aws, max_attempts=1))
    plan = build_plan(
        aws_client,
        "us-east-1",
        "victim",
        None,
        ["throttle", "close-url", "quarantine-role"],
        PlanOptions(),
        None,
    )
    # Between plan and apply, someone opens the URL with CORS changes… and sets AuthType to
    # AWS_IAM themselves: close-url is then already done; quarantine fails to read its role.
    client("iam").put_role_policy(
        RoleName="victim-role",
        PolicyName="FortressQuarantine",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}],
            }
        ),
    )
    writer, who = applying.start(aws_client, plan, journal, {})
    with writer:
        result = applying.run(
            Ops(aws_client, "us-east-1"),
            writer,
            plan.steps,
            list(range(len(plan.steps))),
            who,
            None,
            None,
        )
    assert result.failed is not None and result.failed.status == "drifted"
    assert result.failed.step.action == "quarantine-role"
    assert [r["type"] for r in records(journal)][-1] == "end"

    capsys.readouterr()
    assert respond(aws, "--resume", str(journal)) == 0  # dry run
    assert "1 step(s) to complete" in capsys.readouterr().out
    assert respond(aws, "--resume", str(journal), "--apply") == 3  # still drifted
    assert respond(aws, "--resume", str(journal), "--apply", "--force") == 0
    assert respond(aws, "--resume", str(journal), "--apply") == 0
    assert "nothing to resume" in capsys.readouterr().out
    contained = snapshot(client, "victim", "victim-role")
    assert contained["concurrency"] == 0
    assert contained["role_inline_policies"]["FortressQuarantine"]["Statement"][0]["Action"] == "*"
    assert undo(aws, str(journal), "--apply") == 0
    restored = snapshot(client, "victim", "victim-role")
    # The prior state journaled for the forced step is what was there when it ran.
    assert (
        restored["role_inline_policies"]["FortressQuarantine"]["Statement"][0]["Action"] == "s3:*"
    )
    restored["role_inline_policies"].pop("FortressQuarantine")
    assert restored == before


def test_evidence_is_secured_before_any_change(
    client: Any, aws: str, tmp_path: Path, capsys: Any
) -> None:
    compromised(client)
    before = snapshot(client, "victim", "victim-role")
    # A bundle that cannot be written: the apply stops before changing anything.
    bad = tmp_path / "no-such-dir" / "bundle"
    journal = tmp_path / "j.jsonl"
    args = ["victim", "--action", "throttle", "--apply", "--journal", str(journal)]
    assert respond(aws, *args, "--evidence-output", str(bad)) == 3
    assert snapshot(client, "victim", "victim-role") == before
    versions = client("lambda").list_versions_by_function(FunctionName="victim")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1"]
    assert [r.get("status") for r in records(journal) if r["type"] == "result"] == ["failed"]

    # The code changed since version 1 (the overwrite to preserve): evidence publishes it.
    from response_env import package

    client("lambda").update_function_code(FunctionName="victim", ZipFile=package("# evil\n"))
    bundle = tmp_path / "evidence"
    journal2 = tmp_path / "j2.jsonl"
    assert (
        respond(
            aws,
            "victim",
            "--action",
            "throttle",
            "--apply",
            "--journal",
            str(journal2),
            "--evidence-output",
            str(bundle),
        )
        == 0
    )
    recs = records(journal2)
    evidence = next(r for r in recs if r["type"] == "result" and r["step"] == 0)
    assert evidence["details"]["bundle"] == str(bundle) and evidence["details"]["version"] == "2"
    throttle_intent = next(r for r in recs if r["type"] == "intent" and r["step"] == 1)
    assert recs.index(throttle_intent) > recs.index(evidence), "evidence before the change"
    capsys.readouterr()
    assert main(["verify", str(bundle)]) == 0
    # Undo keeps the evidence: the published version stays.
    assert undo(aws, str(journal2), "--apply") == 0
    assert snapshot(client, "victim", "victim-role") == before
    versions = client("lambda").list_versions_by_function(FunctionName="victim")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]


def test_from_hunt_proposes_plans_for_flagged_functions(
    client: Any, aws: str, tmp_path: Path, capsys: Any
) -> None:
    compromised(client)
    before = snapshot(client, "victim", "victim-role")
    hunt = tmp_path / "hunt.json"
    hunt.write_text(
        json.dumps(
            {
                "schema_version": "1.0",
                "detections": [
                    {"rule_id": "FTR-DET-001", "function": "victim"},
                    {"rule_id": "FTR-DET-005", "function": "victim"},
                    {"rule_id": "FTR-DET-010", "function": None},
                    {"rule_id": "FTR-DET-002", "function": "gone-already"},
                ],
            }
        )
    )
    assert respond(aws, "--from-hunt", str(hunt), "--format", "json") == 3
    plans = json.loads(capsys.readouterr().out)["plans"]
    assert [p["function"] for p in plans] == ["victim", "gone-already"]
    assert plans[0]["rules"] == ["FTR-DET-001", "FTR-DET-005"]
    assert "throttle" in {s["action"] for s in plans[0]["plan"]["steps"]}
    assert "no such function" in plans[1]["error"]
    assert respond(aws, "--from-hunt", str(hunt), "--apply") == 2
    one_error_line(capsys)
    (tmp_path / "bad.json").write_text("[1, 2]")
    assert respond(aws, "--from-hunt", str(tmp_path / "bad.json")) == 2
    assert "not a `fortress hunt --format json` report" in one_error_line(capsys)
    assert snapshot(client, "victim", "victim-role") == before


def test_crash_between_intent_and_result_is_recovered_by_resume_and_undo(
    applied: tuple[Path, dict[str, Any], dict[str, Any]], client: Any, aws: str, tmp_path: Path
) -> None:
    """A process killed right after a change (its intent is on disk, its result is not)."""
    journal, before, contained = applied
    lines = journal.read_text().splitlines(keepends=True)
    last_intent = max(i for i, line in enumerate(lines) if json.loads(line)["type"] == "intent")
    crashed = tmp_path / "crashed.jsonl"
    crashed.write_text("".join(lines[: last_intent + 1]))
    assert respond(aws, "--resume", str(crashed), "--apply") == 0
    resumed = records(crashed)
    assert resumed[last_intent + 2]["status"] == "already", "the change had been made"
    assert snapshot(client, "victim", "victim-role") == contained
    assert undo(aws, str(crashed), "--apply") == 0
    assert snapshot(client, "victim", "victim-role") == before
