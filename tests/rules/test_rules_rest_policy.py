"""FTR-API-010: a REST API resource policy letting any principal invoke it unconditionally."""

from __future__ import annotations

from typing import Any

from test_rules_api_exposure import api, one, run

from fortress.findings import Status
from fortress.inventory import Inventory, Unknown

ALLOW_ALL = {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"}


def _inv(policy: Any, kind: str = "rest", endpoint: str = "REGIONAL") -> Inventory:
    made = api(kind, [], endpoint_type=endpoint)
    made.resource_policy = policy
    return Inventory(apis=[made])


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_allow_anyone_without_condition_fails() -> None:
    f = one(run(_inv(doc(ALLOW_ALL)), "FTR-API-010"))
    assert f.status is Status.FAIL and "no condition" in f.message
    assert f.evidence["grants"][0]["principal"] == "*"
    private = one(run(_inv(doc(ALLOW_ALL), endpoint="PRIVATE"), "FTR-API-010"))
    assert "any VPC endpoint, in any account" in private.message


def test_wildcard_actions_and_aws_star_principal_count() -> None:
    statement = {**ALLOW_ALL, "Principal": {"AWS": "*"}, "Action": "execute-api:*"}
    assert one(run(_inv(doc(statement)), "FTR-API-010")).status is Status.FAIL


def test_restricting_condition_or_named_principal_passes() -> None:
    vpce = {**ALLOW_ALL, "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}
    account = {**ALLOW_ALL, "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}
    for statement in (vpce, account):
        assert one(run(_inv(doc(statement)), "FTR-API-010")).status is Status.PASS


def test_deny_unless_source_ip_guards_an_allow_all() -> None:
    guard = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "execute-api:Invoke",
        "Resource": "execute-api:/*",
        "Condition": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}},
    }
    f = one(run(_inv(doc(ALLOW_ALL, guard)), "FTR-API-010"))
    assert f.status is Status.PASS and "aws:SourceIp" in f.message


def test_a_block_list_deny_does_not_guard() -> None:
    """Deny *from* some addresses (IpAddress) still lets everyone else in."""
    block = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "execute-api:Invoke",
        "Resource": "*",
        "Condition": {"IpAddress": {"aws:SourceIp": ["198.51.100.7/32"]}},
    }
    assert one(run(_inv(doc(ALLOW_ALL, block)), "FTR-API-010")).status is Status.FAIL


def test_other_actions_only_pass_and_unknown_is_unknown() -> None:
    other = {**ALLOW_ALL, "Action": "execute-api:ManageConnections"}
    assert one(run(_inv(doc(other)), "FTR-API-010")).status is Status.PASS
    f = one(run(_inv(Unknown("a parameter")), "FTR-API-010"))
    assert f.status is Status.UNKNOWN and "a parameter" in f.message


def test_no_policy_or_not_a_rest_api_does_not_apply() -> None:
    assert run(_inv(None), "FTR-API-010") == []
    assert run(_inv(doc(ALLOW_ALL), kind="http"), "FTR-API-010") == []
