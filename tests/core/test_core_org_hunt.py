"""``hunt --lookup`` across an organization: LookupEvents in every account x region, the
members' through an assumed role, a refused role a coverage gap and the others hunted.

The emulator lacks LookupEvents (500): the loopback proxy of :mod:`orgproxy` answers it with one
public ``AddPermission`` per account and region (FTR-DET-001), telling the accounts apart by
the access keys of the AssumeRole answers; every other call (Organizations, STS) reaches the
emulator as boto3 sent it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from orgproxy import proxy

from conftest import reset_emulator
from fortress.cli import main
from fortress.demo.organization import SeededOrg, seed_organization

ROLE = ["--role-name", "FortressAudit"]


@pytest.fixture(scope="module")
def org(emulator: str) -> SeededOrg:
    reset_emulator(emulator)
    return seed_organization(emulator, accounts=3, functions=0)


def _page(account: str, region: str) -> dict[str, Any]:
    """One public AddPermission on a function of ``account`` in ``region``, an hour ago."""
    when = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    record = {
        "eventVersion": "1.08",
        "eventTime": when,
        "eventSource": "lambda.amazonaws.com",
        "eventName": "AddPermission20150331v2",
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15.0",
        "recipientAccountId": account,
        "eventID": f"evt-{account}-{region}",
        "userIdentity": {
            "type": "IAMUser",
            "arn": f"arn:aws:iam::{account}:user/mallory",
            "accountId": account,
            "accessKeyId": "AKIAEXAMPLEMALLORY01",
            "userName": "mallory",
        },
        "requestParameters": {
            "functionName": f"arn:aws:lambda:{region}:{account}:function:orders",
            "statementId": "open",
            "action": "lambda:InvokeFunction",
            "principal": "*",
        },
        "responseElements": None,
    }
    return {
        "Events": [
            {
                "EventId": record["eventID"],
                "EventName": record["eventName"],
                "CloudTrailEvent": json.dumps(record),
            }
        ]
    }


def test_lookup_fans_out_over_accounts_and_regions(
    org: SeededOrg, emulator: str, tmp_path: Path
) -> None:
    refused = org.accounts[2]
    out = tmp_path / "hunt.json"
    with proxy(emulator, refuse={refused}, lookup=_page, caller=org.management) as state:
        code = main(
            [
                "hunt",
                "--lookup",
                "--organization",
                *ROLE,
                "--region",
                "us-east-1",
                "--region",
                "eu-west-1",
                "--endpoint-url",
                state.endpoint,
                "--format",
                "json",
                "--output",
                str(out),
            ]
        )
    assert code == 3  # incomplete: one account could not be read
    read = sorted(state.lookups)
    expected = sorted((a, r) for a in org.accounts[:2] for r in ("us-east-1", "eu-west-1"))
    assert read == expected  # each readable account x region once, the refused one never
    document = json.loads(out.read_text())
    found = sorted(
        (d["account"], d["region"]) for d in document["detections"] if d["rule_id"] == "FTR-DET-001"
    )
    assert found == expected
    (gap,) = [g for g in document["coverage_gaps"] if g.get("operation") == "assume_role"]
    assert refused in gap["message"] and "FortressAudit" in gap["message"]


def test_account_options_need_lookup(org: SeededOrg, emulator: str, tmp_path: Path) -> None:
    (tmp_path / "trail.json").write_text('{"Records": []}')
    code = main(["hunt", str(tmp_path), "--organization", "--endpoint-url", emulator])
    assert code == 2
