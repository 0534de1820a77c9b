"""Each action and the playbook on the emulator: plan writes nothing, apply contains, a second
apply changes nothing, undo restores every touched resource exactly (compared field by field)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from response_env import FOREIGN, compromised, records, snapshot

from fortress.cli import main


def respond(aws: str, *args: str) -> int:
    return main(["respond", *args, "--endpoint-url", aws])


def undo(aws: str, *args: str) -> int:
    return main(["undo", *args, "--endpoint-url", aws])


def test_plan_writes_nothing(client: Any, aws: str, capsys: Any) -> None:
    target = compromised(client)
    before = snapshot(client, "victim", "victim-role")
    assert respond(aws, "victim", "--playbook", "contain", "--format", "json") == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["dry_run"] is True
    assert snapshot(client, "victim", "victim-role") == before
    assert (
        list(client("lambda").list_versions_by_function(FunctionName="victim")["Versions"])[-1][
            "Version"
        ]
        == "1"
    ), "the evidence step is only planned, no version is published"
    by_action: dict[str, list[str]] = {}
    for step in plan["steps"]:
        by_action.setdefault(step["action"], []).append(step["target"])
    assert set(by_action) == {
        "evidence",
        "throttle",
        "cut-public",
        "close-url",
        "pause-triggers",
        "quarantine-role",
        "revoke-sessions",
    }
    cut = " ".join(by_action["cut-public"])
    assert (
        "'anyone'" in cut
        and "'partner'" in cut
        and "victim:live policy statement 'alias-public'" in cut
    )
    assert "org-only" not in cut, "a public grant pinned to an organization stays"
    paused = " ".join(by_action["pause-triggers"])
    assert target["mapping"] in paused and "'s3'" in paused and "'sns'" in paused
    quarantine = next(s for s in plan["steps"] if s["action"] == "quarantine-role")
    assert any("sibling" in w for w in quarantine["warnings"]), "shared role is warned about"
    throttle = next(s for s in plan["steps"] if s["action"] == "throttle")
    assert throttle["before"] == {"ReservedConcurrentExecutions": 25}
    assert throttle["after"] == {"ReservedConcurrentExecutions": 0}


ACTION_CHANGES = {
    "throttle": lambda s: s["concurrency"] == 0,
    "cut-public": lambda s: (
        {x["Sid"] for x in s["policies"]["$LATEST"]} == {"s3", "sns", "org-only"}
    ),
    "close-url": lambda s: s["urls"]["$LATEST"]["AuthType"] == "AWS_IAM",
    "pause-triggers": lambda s: (
        {m["State"] for m in s["mappings"].values()} == {"Disabled"}
        and not {"s3", "sns"} & {x["Sid"] for x in s["policies"]["$LATEST"]}
    ),
    "quarantine-role": lambda s: "FortressQuarantine" in s["role_inline_policies"],
    "revoke-sessions": lambda s: "AWSRevokeOlderSessions" in s["role_inline_policies"],
}


@pytest.mark.parametrize("action", sorted(ACTION_CHANGES))
def test_each_action_applies_is_idempotent_and_undoes_exactly(
    action: str, client: Any, aws: str, tmp_path: Path, capsys: Any
) -> None:
    compromised(client)
    before = snapshot(client, "victim", "victim-role")
    journal = tmp_path / "j.jsonl"
    args = ["victim", "--action", action, "--no-evidence", "--incident", "IR-7"]
    assert respond(aws, *args, "--apply", "--journal", str(journal)) == 0
    contained = snapshot(client, "victim", "victim-role")
    assert contained != before and ACTION_CHANGES[action](contained)
    assert not ACTION_CHANGES[action](before)

    # A second apply plans nothing, writes no journal and changes nothing.
    again = tmp_path / "again.jsonl"
    capsys.readouterr()
    assert respond(aws, *args, "--apply", "--journal", str(again)) == 0
    assert "nothing to change" in capsys.readouterr().out
    assert not again.exists()
    assert snapshot(client, "victim", "victim-role") == contained

    # Journal: an intent with the prior state before each change, a result after it.
    recs = records(journal)
    assert recs[0]["type"] == "start" and recs[0]["incident"] == "IR-7"
    assert recs[0]["caller"]["Account"] == "123456789012" and recs[0]["region"] == "us-east-1"
    kinds = [r["type"] for r in recs]
    assert kinds[-1] == "end" and kinds.count("intent") == kinds.count("result") >= 1
    for i, r in enumerate(recs):
        if r["type"] == "intent":
            assert recs[i + 1]["type"] == "result" and recs[i + 1]["step"] == r["step"]
            assert recs[i + 1]["status"] == "done" and recs[i + 1]["caller"].endswith("user/moto")

    # Undo: dry run first (changes nothing), then restore, then nothing left to do.
    assert undo(aws, str(journal)) == 0
    assert snapshot(client, "victim", "victim-role") == contained
    assert undo(aws, str(journal), "--apply") == 0
    assert snapshot(client, "victim", "victim-role") == before
    capsys.readouterr()
    assert undo(aws, str(journal), "--apply", "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    assert {s["status"] for s in report["steps"]} == {"already-restored"}
    assert snapshot(client, "victim", "victim-role") == before


def test_playbook_apply_then_undo_restores_everything(
    client: Any, aws: str, tmp_path: Path, capsys: Any
) -> None:
    compromised(client)
    before = snapshot(client, "victim", "victim-role")
    journal = tmp_path / "j.jsonl"
    assert (
        respond(
            aws,
            "victim",
            "--playbook",
            "contain",
            "--no-evidence",
            "--apply",
            "--journal",
            str(journal),
        )
        == 0
    )
    after = snapshot(client, "victim", "victim-role")
    assert after["concurrency"] == 0
    assert {s["Sid"] for s in after["policies"]["$LATEST"]} == {"org-only"}
    assert after["urls"]["$LATEST"]["AuthType"] == "AWS_IAM"
    assert set(after["role_inline_policies"]) == {
        "app",
        "FortressQuarantine",
        "AWSRevokeOlderSessions",
    }
    revoke = after["role_inline_policies"]["AWSRevokeOlderSessions"]["Statement"][0]
    assert revoke["Effect"] == "Deny" and revoke["Condition"]["DateLessThan"][
        "aws:TokenIssueTime"
    ].endswith("Z")
    assert respond(aws, "victim", "--playbook", "contain", "--no-evidence", "--apply") == 0
    assert snapshot(client, "victim", "victim-role") == after
    assert undo(aws, str(journal), "--apply") == 0
    assert snapshot(client, "victim", "victim-role") == before


def test_revoke_sessions_refresh_replaces_and_undo_puts_back_the_prior_document(
    client: Any, aws: str, tmp_path: Path
) -> None:
    compromised(client)
    iam = client("iam")
    older = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": ["*"],
                "Resource": ["*"],
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}},
            }
        ],
    }
    iam.put_role_policy(
        RoleName="victim-role",
        PolicyName="AWSRevokeOlderSessions",
        PolicyDocument=json.dumps(older),
    )
    before = snapshot(client, "victim", "victim-role")
    args = ["victim", "--action", "revoke-sessions", "--no-evidence", "--apply"]
    assert respond(aws, *args, "--journal", str(tmp_path / "noop.jsonl")) == 0
    assert not (tmp_path / "noop.jsonl").exists(), "already revoked: nothing to do"
    journal = tmp_path / "j.jsonl"
    assert respond(aws, *args, "--refresh-sessions", "--journal", str(journal)) == 0
    refreshed = snapshot(client, "victim", "victim-role")["role_inline_policies"]
    assert refreshed["AWSRevokeOlderSessions"] != older
    assert undo(aws, str(journal), "--apply") == 0
    assert snapshot(client, "victim", "victim-role") == before, "the prior document is back"


def test_pin_version_points_the_alias_back_and_undo_restores_it(
    client: Any, aws: str, tmp_path: Path
) -> None:
    compromised(client)
    lam = client("lambda")
    lam.update_function_code(FunctionName="victim", ZipFile=b"PK\x05\x06" + b"\x00" * 18)
    lam.publish_version(FunctionName="victim")
    lam.update_alias(FunctionName="victim", Name="live", FunctionVersion="2")
    before = snapshot(client, "victim", "victim-role")
    journal = tmp_path / "j.jsonl"
    base = ["victim", "--action", "pin-version", "--no-evidence"]
    assert respond(aws, *base, "--qualifier", "live", "--pin-to", "9") == 2  # no version 9
    assert respond(aws, *base, "--pin-to", "1") == 2  # no alias named
    assert (
        respond(
            aws, *base, "--qualifier", "live", "--pin-to", "1", "--apply", "--journal", str(journal)
        )
        == 0
    )
    assert snapshot(client, "victim", "victim-role")["aliases"]["live"]["FunctionVersion"] == "1"
    assert undo(aws, str(journal), "--apply") == 0
    assert snapshot(client, "victim", "victim-role") == before


def test_trusted_account_is_kept_and_inexpressible_statement_is_warned(
    client: Any, aws: str, capsys: Any
) -> None:
    compromised(client)
    assert (
        respond(aws, "victim", "--action", "cut-public", "--no-evidence", "--format", "json") == 0
    )
    steps = json.loads(capsys.readouterr().out)["steps"]
    partner = next(s for s in steps if s["resource"]["sid"] == "partner")
    assert partner["warnings"] == [], "lambda:* for one account is re-creatable by AddPermission"
    # A trusted account's invocation-only grant stays; its lambda:* grant still goes.
    client("lambda").add_permission(
        FunctionName="victim",
        StatementId="trusted-invoke",
        Action="lambda:InvokeFunction",
        Principal=FOREIGN,
    )
    assert (
        respond(
            aws,
            "victim",
            "--action",
            "cut-public",
            "--no-evidence",
            "--trust-account",
            FOREIGN,
            "--format",
            "json",
        )
        == 0
    )
    sids = {s["resource"]["sid"] for s in json.loads(capsys.readouterr().out)["steps"]}
    assert "trusted-invoke" not in sids and "partner" in sids


def test_add_permission_params_and_what_cannot_be_recreated() -> None:
    from fortress.response.permissions import add_permission_params

    ok = {
        "Sid": "s3",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f:live",
        "Condition": {
            "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"},
            "StringEquals": {"AWS:SourceAccount": "123456789012"},
        },
    }
    params, problems = add_permission_params("f", "live", ok)
    assert problems == []
    assert params == {
        "FunctionName": "f",
        "StatementId": "s3",
        "Qualifier": "live",
        "Action": "lambda:InvokeFunction",
        "Principal": "s3.amazonaws.com",
        "SourceArn": "arn:aws:s3:::b",
        "SourceAccount": "123456789012",
    }
    odd = dict(ok, Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, Action=["a", "b"])
    _, problems = add_permission_params("f", None, odd)
    assert problems == ["more than one Action", "Condition IpAddress aws:SourceIp"]


def test_cut_public_reasons() -> None:
    from fortress.response.cut_public import reasons_to_cut

    home, none = "123456789012", frozenset[str]()
    stmt = {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"}
    assert reasons_to_cut({**stmt, "Principal": "*"}, home, none) == ["grants everyone (*)"]
    assert reasons_to_cut({**stmt, "Principal": {"AWS": home}}, home, none) == []
    assert reasons_to_cut({**stmt, "Principal": {"AWS": FOREIGN}}, home, none)
    assert reasons_to_cut({**stmt, "Principal": {"AWS": FOREIGN}}, home, frozenset({FOREIGN})) == []
    beyond = {**stmt, "Principal": {"AWS": home}, "Action": "lambda:UpdateFunctionCode"}
    assert reasons_to_cut(beyond, home, none) == [
        "allows more than invocation (lambda:UpdateFunctionCode)"
    ]
    pinned = {
        **stmt,
        "Principal": {"Service": "s3.amazonaws.com"},
        "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"}},
    }
    assert reasons_to_cut(pinned, home, none) == []
