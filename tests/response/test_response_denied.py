"""A failure injected midway: one change is refused with AccessDenied. The journal tells what
happened, names the missing action, and both `undo` and `respond --resume` finish from it.

How the failure is injected: a botocore ``before-call`` handler (the mechanism botocore's
``Stubber`` uses) answers one operation with an AccessDenied error; every other call goes to the
emulator over HTTP as usual. The emulator's own IAM enforcement (``INITIAL_NO_AUTH_ACTION_COUNT``)
cannot be used here: with it, moto 5.2.5 rejects every Lambda GET call (GetFunction, GetPolicy,
ListAliases…) with SignatureDoesNotMatch, whatever the caller's policy, so no plan can be made.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from response_env import compromised, records, snapshot

from fortress.aws.client import AwsClient
from fortress.cli import main


@pytest.fixture
def deny(monkeypatch: Any) -> Callable[[str, str], None]:
    """``deny("iam", "PutRolePolicy")``: Fortress's clients get AccessDenied for that call."""
    denied: set[tuple[str, str]] = set()
    original = AwsClient.client

    def refuse(model: Any, **_: Any) -> Any:
        service = model.service_model.endpoint_prefix
        if (service, model.name) not in denied:
            return None
        message = f"User is not authorized to perform: {service}:{model.name}"
        return (
            AWSResponse("https://denied.invalid", 403, {}, None),
            {
                "Error": {"Code": "AccessDenied", "Message": message},
                "ResponseMetadata": {"HTTPStatusCode": 403},
            },
        )

    def client(self: AwsClient, service: str, region: str | None = None) -> Any:
        made = original(self, service, region)
        if not getattr(made, "_fortress_test_deny", False):
            made.meta.events.register("before-call.*.*", refuse)
            made._fortress_test_deny = True
        return made

    monkeypatch.setattr(AwsClient, "client", client)

    def add(service: str, operation: str) -> None:
        denied.add((service, operation))

    add.clear = denied.clear  # type: ignore[attr-defined]
    return add


def test_access_denied_midway_leaves_a_journal_that_undo_and_resume_finish(
    client: Any, aws: str, deny: Any, tmp_path: Path, capsys: Any
) -> None:
    compromised(client)
    before = snapshot(client, "victim", "victim-role")
    args = ["victim", "--playbook", "contain", "--no-evidence", "--endpoint-url", aws]
    journal = tmp_path / "j.jsonl"

    deny("iam", "PutRolePolicy")
    capsys.readouterr()
    assert main(["respond", *args, "--apply", "--journal", str(journal)]) == 3
    out = capsys.readouterr().out
    assert "Stopped" in out and "needs iam:PutRolePolicy" in out
    recs = records(journal)
    failed = [r for r in recs if r["type"] == "result" and r["status"] == "failed"]
    assert len(failed) == 1
    assert failed[0]["missing_action"] == "iam:PutRolePolicy"
    assert failed[0]["error_code"] == "AccessDenied"
    assert recs[-1]["type"] == "end" and recs[-1]["status"] == "stopped"
    partly = snapshot(client, "victim", "victim-role")
    assert partly["concurrency"] == 0 and partly["urls"]["$LATEST"]["AuthType"] == "AWS_IAM"
    assert "FortressQuarantine" not in partly["role_inline_policies"]

    # Someone with the permission undoes what was done (the refused step changed nothing).
    deny.clear()
    assert main(["undo", str(journal), "--apply", "--endpoint-url", aws]) == 0
    assert snapshot(client, "victim", "victim-role") == before

    # Again, and this time the interrupted apply is completed instead.
    deny("iam", "PutRolePolicy")
    journal2 = tmp_path / "j2.jsonl"
    assert main(["respond", *args, "--apply", "--journal", str(journal2)]) == 3
    deny.clear()
    assert main(["respond", "--resume", str(journal2), "--apply", "--endpoint-url", aws]) == 0
    contained = snapshot(client, "victim", "victim-role")
    assert {"FortressQuarantine", "AWSRevokeOlderSessions"} <= set(
        contained["role_inline_policies"]
    )
    resumed = records(journal2)
    assert [r["type"] for r in resumed].count("resume") == 1
    assert resumed[-1]["type"] == "end" and resumed[-1]["status"] == "complete"
    assert main(["undo", str(journal2), "--apply", "--endpoint-url", aws]) == 0
    assert snapshot(client, "victim", "victim-role") == before


def test_access_denied_during_undo_stops_and_a_second_undo_finishes(
    client: Any, aws: str, deny: Any, tmp_path: Path
) -> None:
    compromised(client)
    before = snapshot(client, "victim", "victim-role")
    journal = tmp_path / "j.jsonl"
    args = ["victim", "--playbook", "contain", "--no-evidence", "--endpoint-url", aws]
    assert main(["respond", *args, "--apply", "--journal", str(journal)]) == 0
    deny("lambda", "AddPermission")
    assert main(["undo", str(journal), "--apply", "--endpoint-url", aws]) == 3
    undo_results = [r for r in records(journal) if r["type"] == "undo-result"]
    assert undo_results[-1]["status"] == "failed"
    assert undo_results[-1]["missing_action"] == "lambda:AddPermission"
    deny.clear()
    assert main(["undo", str(journal), "--apply", "--endpoint-url", aws]) == 0
    assert snapshot(client, "victim", "victim-role") == before


def test_access_denied_while_planning_names_the_missing_action(
    client: Any, aws: str, deny: Any, capsys: Any
) -> None:
    compromised(client)
    deny("lambda", "GetPolicy")
    capsys.readouterr()
    code = main(
        ["respond", "victim", "--action", "cut-public", "--no-evidence", "--endpoint-url", aws]
    )
    out = capsys.readouterr().out
    assert code == 3, "a plan that could not read the policy is incomplete, never clean"
    assert "not covered" in out and "needs lambda:GetPolicy" in out
