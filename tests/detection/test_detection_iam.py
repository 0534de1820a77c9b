"""Detections that join the trail with an inventory (``hunt --inventory``): FTR-DET-015 (a
role passed that can do more than its caller) and FTR-DET-016 (configuration read-out by a
new principal followed by use of the function's role or keys)."""

from __future__ import annotations

import argparse
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ftr_detection_events import (
    ACCOUNT,
    CI_UA,
    CLI_UA,
    assumed_role,
    ci_role,
    create_function,
    event,
    fn_arn,
    iam_user,
)

from fortress.cli import hunt as hunt_cli
from fortress.detection import iamfacts, rules
from fortress.detection.athena import AthenaTarget, detection_sql
from fortress.detection.hunt import run_detections
from fortress.detection.model import Detection
from fortress.detection.sql import HuntSettings
from fortress.detection.store import EventStore
from fortress.findings import Severity
from fortress.inventory import EnvVar, Function, Inventory, Origin, Policy, Role

ADMIN = f"arn:aws:iam::{ACCOUNT}:role/ops-admin"
DEV = f"arn:aws:iam::{ACCOUNT}:role/dev"
WORKER = f"arn:aws:iam::{ACCOUNT}:role/worker"
KEY_ID = "AKIAEXAMPLEKEYINENV1"


def _role(arn: str, *statements: dict[str, Any]) -> Role:
    doc = {"Version": "2012-10-17", "Statement": list(statements)}
    return Role(
        name=arn.rsplit("/", 1)[-1],
        arn=arn,
        origin=Origin("snapshot", ACCOUNT, "us-east-1", arn),
        inline_policies=[Policy("p", doc, inline=True)],
    )


def inventory(env_key: Any = KEY_ID) -> Inventory:
    allow = {"Effect": "Allow", "Resource": "*"}
    roles = [
        _role(ADMIN, {**allow, "Action": "*"}),
        _role(DEV, {**allow, "Action": ["lambda:*", "iam:PassRole", "logs:*"]}),
        _role(WORKER, {**allow, "Action": ["sqs:ReceiveMessage", "dynamodb:PutItem"]}),
    ]
    fn = Function(
        name="orders",
        arn=fn_arn("orders"),
        origin=Origin("snapshot", ACCOUNT, "us-east-1", fn_arn("orders")),
        role_arn=WORKER,
        environment=[EnvVar("AWS_ACCESS_KEY_ID", env_key), EnvVar("STAGE", "prod")],
    )
    return Inventory(functions=[fn], roles=roles)


def run(records: list[dict[str, Any]], inv: Inventory | None) -> list[Detection]:
    """Full and prefiltered stores with the same inventory must agree."""
    settings = HuntSettings()
    out = []
    for prefilter in (False, True):
        with EventStore(settings, prefilter=prefilter) as store:
            if inv is not None:
                store.load_facts(iamfacts.facts(inv))
            store.load_records(records)
            out.append(run_detections(store, rules.DETECTIONS, settings))
    assert sorted(repr(d) for d in out[0]) == sorted(repr(d) for d in out[1])
    return out[0]


def hits(records: list[dict[str, Any]], rule_id: str, inv: Inventory | None) -> list[Detection]:
    return [d for d in run(records, inv) if d.rule_id == rule_id]


def test_facts_rank_roles_and_fingerprint_keys() -> None:
    facts = iamfacts.facts(inventory())
    ranks = {arn: rank for arn, _name, rank, _summary in facts.rows["iam_roles"]}
    assert ranks == {ADMIN: 3, DEV: 2, WORKER: 1}  # dev: PassRole + Lambda = escalation
    actions = {(a, x) for a, x in facts.rows["iam_role_actions"]}
    assert (ADMIN, "iam:createuser") in actions and (DEV, "iam:passrole") in actions
    assert not any(a == WORKER for a, _ in actions)
    from fortress.secrets.detect import fingerprint

    assert facts.rows["inventory_env_keys"] == [
        (fn_arn("orders"), "orders", "AWS_ACCESS_KEY_ID", fingerprint(KEY_ID))
    ]
    assert facts.rows["inventory_functions"] == [(fn_arn("orders"), "orders", WORKER)]
    # a snapshot withholds the value but keeps the kind and fingerprint: still matched
    withheld = inventory(env_key="x")
    withheld.functions[0].environment[0].redacted = "AWS access key ID"
    withheld.functions[0].environment[0].fingerprint = fingerprint(KEY_ID)
    assert iamfacts.facts(withheld).rows["inventory_env_keys"][0][3] == fingerprint(KEY_ID)


# ---------------------------------------------------------------- 015


def _dev_session() -> dict[str, Any]:
    return assumed_role("dev", "alice", "ASIAEXAMPLEDEVSESS01")


def test_role_passed_by_a_weaker_known_role_is_high() -> None:
    recs = [create_function("pwn", _dev_session(), ua=CLI_UA, role=ADMIN)]
    found = hits(recs, "FTR-DET-015", inventory())
    assert [d.severity for d in found] == [Severity.HIGH]
    assert "administrator-level" in found[0].message and "ranks lower" in found[0].message


def test_role_passed_by_an_unknown_caller_denied_what_the_role_allows() -> None:
    mallory = iam_user("mallory", "AKIAEXAMPLEMALLORY01")
    recs = [
        event("CreateUser", mallory, source="iam.amazonaws.com", error="AccessDenied"),
        create_function("pwn", mallory, ua=CLI_UA, role=ADMIN),
    ]
    found = hits(recs, "FTR-DET-015", inventory())
    assert [d.severity for d in found] == [Severity.HIGH]
    assert "iam:createuser, which the caller was denied" in found[0].message
    # without the denial: the caller's permissions are unknown -> medium, saying so
    found = hits(recs[1:], "FTR-DET-015", inventory())
    assert [d.severity for d in found] == [Severity.MEDIUM]
    assert "not in the inventory" in found[0].message


def test_role_passed_negatives() -> None:
    mallory = iam_user("mallory", "AKIAEXAMPLEMALLORY01")
    recs = [
        # a role that can do little: nothing to say
        create_function("w", mallory, ua=CLI_UA, role=WORKER),
        # the admin role passing a weaker role
        create_function("x", assumed_role("ops-admin", "s", "ASIAEXAMPLEADMIN0001"), role=DEV),
        # an update that does not change the role
        event(
            "UpdateFunctionConfiguration20150331v2",
            mallory,
            request={"functionName": "w", "timeout": 30},
            response={"functionName": "w", "role": ADMIN},
        ),
    ]
    assert hits(recs, "FTR-DET-015", inventory()) == []
    # no inventory and no admin policy in the data: nothing is known about the roles
    assert hits([create_function("p", mallory, ua=CLI_UA, role=ADMIN)], "FTR-DET-015", None) == []


def test_role_changed_by_update_and_role_made_admin_in_the_data() -> None:
    mallory = iam_user("mallory", "AKIAEXAMPLEMALLORY01")
    recs = [
        event(
            "AttachRolePolicy",
            iam_user("ops"),
            source="iam.amazonaws.com",
            request={
                "roleName": "shadow",
                "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
            },
        ),
        event(
            "UpdateFunctionConfiguration20150331v2",
            mallory,
            request={"functionName": "w", "role": f"arn:aws:iam::{ACCOUNT}:role/shadow"},
        ),
    ]
    found = hits(recs, "FTR-DET-015", None)
    assert [d.severity for d in found] == [Severity.MEDIUM]
    assert "administrator policy was attached to it in the data" in found[0].message
    # from a CI user agent, even with evidence: medium at most
    ci = create_function("pwn", _dev_session(), ua=CI_UA, role=ADMIN)
    assert [d.severity for d in hits([ci], "FTR-DET-015", inventory())] == [Severity.MEDIUM]


# ---------------------------------------------------------------- 016


def _read(identity: dict[str, Any], time: str, name: str = "GetFunction20150331v2") -> Any:
    return event(name, identity, read_only=True, time=time, request={"functionName": "orders"})


EVE = iam_user("eve", "AKIAEXAMPLEEVE000001")


def test_readout_then_role_assumed_by_the_reader() -> None:
    recs = [
        _read(EVE, "2024-08-01T14:00:00Z"),
        _read(EVE, "2024-08-01T14:00:05Z", "GetFunctionConfiguration20150331v2"),
        event(
            "AssumeRole",
            EVE,
            source="sts.amazonaws.com",
            time="2024-08-01T14:10:00Z",
            request={"roleArn": WORKER, "roleSessionName": "x"},
        ),
    ]
    found = hits(recs, "FTR-DET-016", inventory())
    assert [(d.event_ids, d.severity) for d in found] == [
        ([recs[0]["eventID"], recs[2]["eventID"]], Severity.HIGH)
    ]
    assert "2 GetFunction" in found[0].message and "assumed its role" in found[0].message
    # the role known from the data instead of the inventory: same verdict
    known = create_function("orders", ci_role(), role=WORKER, time="2024-08-01T09:00:00Z")
    assert [d.severity for d in hits([known, *recs], "FTR-DET-016", None)] == [Severity.HIGH]


def test_readout_then_session_outside_lambda() -> None:
    session = assumed_role("worker", "orders", "ASIAEXAMPLEWORKER001")
    same_ip = event(
        "ListBuckets",
        session,
        source="s3.amazonaws.com",
        ip="203.0.113.10",
        time="2024-08-01T15:00:00Z",
        ua="aws-cli/2",
    )
    other_ip = {**same_ip, "eventID": "other", "sourceIPAddress": "198.51.100.1"}
    read = _read(EVE, "2024-08-01T14:00:00Z")  # EVE calls from 203.0.113.10
    assert [d.severity for d in hits([read, same_ip], "FTR-DET-016", inventory())] == [
        Severity.HIGH
    ]
    assert [d.severity for d in hits([read, other_ip], "FTR-DET-016", inventory())] == [
        Severity.MEDIUM
    ]


def test_readout_then_environment_key_used() -> None:
    thief = {
        "type": "IAMUser",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/svc",
        "accountId": ACCOUNT,
        "accessKeyId": KEY_ID,
        "principalId": "AIDASVC",
    }
    use = event(
        "GetCallerIdentity",
        thief,
        source="sts.amazonaws.com",
        ip="198.51.100.1",
        time="2024-08-01T14:30:00Z",
        read_only=True,
    )
    found = hits([_read(EVE, "2024-08-01T14:00:00Z"), use], "FTR-DET-016", inventory())
    assert [d.severity for d in found] == [Severity.HIGH]
    assert "AWS_ACCESS_KEY_ID" in found[0].message


def test_readout_negatives() -> None:
    late = event(
        "AssumeRole",
        EVE,
        source="sts.amazonaws.com",
        time="2024-08-03T14:10:00Z",
        request={"roleArn": WORKER, "roleSessionName": "x"},
    )
    assert hits([_read(EVE, "2024-08-01T14:00:00Z"), late], "FTR-DET-016", inventory()) == []
    # a principal that deployed the function before is not new to it
    deployed = create_function("orders", EVE, ua=CLI_UA, role=WORKER, time="2024-08-01T09:00:00Z")
    soon = {**late, "eventID": "soon", "eventTime": "2024-08-01T14:10:00Z"}
    assert hits([deployed, _read(EVE, "2024-08-01T14:00:00Z"), soon], "FTR-DET-016", None) == []
    # use before the read, or a read with no use at all
    before = {**soon, "eventID": "before", "eventTime": "2024-08-01T13:00:00Z"}
    assert hits([before, _read(EVE, "2024-08-01T14:00:00Z")], "FTR-DET-016", inventory()) == []
    # the function's own role reading its configuration and using itself
    self_read = _read(
        assumed_role("worker", "orders", "ASIAEXAMPLEWORKER001"), "2024-08-01T14:00:00Z"
    )
    self_use = {**soon, "userIdentity": self_read["userIdentity"], "eventID": "self"}
    assert hits([self_read, self_use], "FTR-DET-016", inventory()) == []


# ---------------------------------------------------------------- the command and Athena


def _snapshot(path: Path, inv: Inventory) -> Path:
    from fortress.sources import snapshot

    snapshot.save(path, inv, [], datetime(2024, 8, 1, tzinfo=UTC))
    return path


def test_cli_inventory_option(tmp_path: Path) -> None:
    trail = tmp_path / "trail.json.gz"
    recs = [create_function("pwn", _dev_session(), ua=CLI_UA, role=ADMIN)]
    with gzip.open(trail, "wt") as fh:
        json.dump({"Records": recs}, fh)
    snap = _snapshot(tmp_path / "snap.json", inventory())
    out = tmp_path / "out.json"
    parser = argparse.ArgumentParser(prog="fortress")
    hunt_cli.register(parser.add_subparsers())

    def detections(*extra: str) -> list[str]:
        ns = parser.parse_args(
            ["hunt", str(trail), "--no-config", "--format", "json", "--output", str(out), *extra]
        )
        ns.func(ns)
        return [d["rule_id"] for d in json.loads(out.read_text())["detections"]]

    assert "FTR-DET-015" in detections("--inventory", str(snap))
    assert "FTR-DET-015" not in detections()


@pytest.mark.parametrize("with_facts", [False, True])
def test_athena_sql_carries_inventory_tables(with_facts: bool) -> None:
    target = AthenaTarget("security", "cloudtrail_logs", "s3://r/")
    facts = iamfacts.facts(inventory()) if with_facts else None
    reads = {
        "FTR-DET-015": ("iam_roles", ADMIN),
        "FTR-DET-016": ("inventory_functions", WORKER),
        "FTR-DET-006": ("iam_roles", ADMIN),
    }
    for rule_id, (table, arn) in reads.items():
        sql = detection_sql(rules.BY_ID[rule_id], target, HuntSettings(), facts=facts)
        assert sql.count("WITH ") == 1 and sql.count("(") == sql.count(")")
        assert f"{table} AS (" in sql
        assert (arn in sql) is with_facts
        assert "list_filter" not in sql and "json_extract_string" not in sql


def test_role_passed_read_from_the_response_when_the_request_is_not_recorded() -> None:
    rec = create_function("pwn", _dev_session(), ua=CLI_UA, role=ADMIN)
    rec["requestParameters"] = None  # the role is in responseElements.role only
    assert [d.severity for d in hits([rec], "FTR-DET-015", inventory())] == [Severity.HIGH]
