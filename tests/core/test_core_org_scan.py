"""Organization scans on the emulator: an organization of 3 accounts (the caller's management
account and two members), 2 functions in each of 2 regions per account, every member read
through an assumed role.

The tests share one seeded organization (seeding and the emulator's first calls per account
cost seconds); the last test changes it (it deletes an account's functions).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from orgproxy import proxy

from conftest import reset_emulator
from fortress.cli import main
from fortress.demo.organization import SeededOrg, account_credentials, seed_organization

REGIONS = ["--region", "us-east-1", "--region", "eu-west-1"]
ROLE = ["--role-name", "FortressAudit"]


@pytest.fixture(scope="module")
def org(emulator: str) -> SeededOrg:
    reset_emulator(emulator)
    return seed_organization(emulator, accounts=3, functions=2)


def scan(endpoint: str, *extra: str) -> int:
    return main(["scan", "--endpoint-url", endpoint, "--organization", *ROLE, *REGIONS, *extra])


def report(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def accounts_of(document: dict[str, Any]) -> set[str]:
    return {f["resource"]["account"] for f in document["findings"]}


def comparable(document: dict[str, Any], examples: bool = True) -> dict[str, Any]:
    """A JSON report without its times and sources. ``examples=False`` also drops the example
    resources of each gap group: an operation the endpoint lacks is one gap per region, naming
    whichever function met it first, so two collections of one account can name different
    functions."""
    kept = {k: document[k] for k in ("findings", "coverage_gaps", "summary", "accounts")}
    if not examples:
        kept["coverage_gaps"] = [{**g, "resources": []} for g in kept["coverage_gaps"]]
    return kept


@pytest.fixture(scope="module")
def full(org: SeededOrg, emulator: str, tmp_path_factory: Any) -> tuple[dict[str, Any], Path]:
    """The unsharded scan of the whole organization, with its per-account snapshots."""
    folder = tmp_path_factory.mktemp("org-full")
    out = folder / "report.json"
    code = scan(emulator, "--format", "json", "--output", str(out), "--output-dir", str(folder))
    assert code == 1  # FTR-GOV-001 (high) fails in every account
    return report(out), folder


def test_one_report_holds_every_account(org: SeededOrg, full: tuple[dict[str, Any], Path]) -> None:
    document, folder = full
    assert [a["id"] for a in document["accounts"]] == sorted(org.accounts)
    for entry in document["accounts"]:
        assert entry["status"] == "scanned"
        assert entry["functions"] == 4, entry
        assert entry["name"] == org.names[entry["id"]]
        assert entry["by_status"]["fail"] > 0
    assert document["summary"]["resources"]["functions"] == 12
    assert accounts_of(document) == set(org.accounts)
    functions = {
        f["resource"]["id"]
        for f in document["findings"]
        if f["resource"]["type"] == "AWS::Lambda::Function"
    }
    assert functions == {arn for arns in org.functions.values() for arn in arns}
    # Every finding's account is the account its ARN names.
    for f in document["findings"]:
        if f["resource"]["id"].startswith("arn:"):
            assert f["resource"]["id"].split(":")[4] == f["resource"]["account"]
    assert sorted(p.name for p in folder.glob("*.json") if p.name != "report.json") == sorted(
        f"{a}.json" for a in org.accounts
    )


def test_every_format_carries_the_account(
    org: SeededOrg, full: tuple[dict[str, Any], Path], tmp_path: Path, capsys: Any
) -> None:
    _, folder = full
    snapshots = [str(folder / f"{a}.json") for a in org.accounts]
    for fmt in ("sarif", "ocsf", "csv", "html", "asff", "console"):
        out = tmp_path / f"report.{fmt}"
        assert main(["merge", *snapshots, "--format", fmt, "--output", str(out)]) == 1
        text = out.read_text()
        if fmt == "sarif":
            results = json.loads(text)["runs"][0]["results"]
            assert {r["properties"]["account"] for r in results} == set(org.accounts)
        elif fmt == "ocsf":
            events = json.loads(text)
            assert {e["cloud"]["account"]["uid"] for e in events} == set(org.accounts)
        elif fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(text)))
            assert {r["account"] for r in rows} == set(org.accounts)
        elif fmt == "asff":
            findings = json.loads(text)["Findings"]
            assert {f["AwsAccountId"] for f in findings} == set(org.accounts)
        else:  # html and console: the per-account summary names every account
            for account in org.accounts:
                assert account in text
                assert org.names[account] in text, fmt
    console = capsys.readouterr().out
    assert all(a in console for a in org.accounts)  # the summary printed with --output


def test_shards_cover_every_account_once_and_merge_equals_the_unsharded_run(
    org: SeededOrg, emulator: str, full: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    seen: list[str] = []
    folders = []
    for index in (1, 2):
        folder = tmp_path / f"shard{index}"
        out = tmp_path / f"shard{index}.json"
        scan(
            emulator,
            "--shard",
            f"{index}/2",
            "--output-dir",
            str(folder),
            "--format",
            "json",
            "--output",
            str(out),
        )
        ids = [a["id"] for a in report(out)["accounts"]]
        assert sorted(p.stem for p in folder.glob("*.json")) == ids
        seen.extend(ids)
        folders.append(str(folder))
    assert sorted(seen) == sorted(org.accounts)  # each account in exactly one shard
    merged = tmp_path / "merged.json"
    assert main(["merge", *folders, "--format", "json", "--output", str(merged)]) == 1
    assert comparable(report(merged), False) == comparable(full[0], False)
    # The unsharded run's own snapshots merge into exactly its report.
    again = tmp_path / "again.json"
    assert main(["merge", str(full[1]), "--format", "json", "--output", str(again)]) == 1
    assert comparable(report(again)) == comparable(full[0])


def test_an_account_whose_role_cannot_be_assumed_is_a_gap(
    org: SeededOrg, emulator: str, tmp_path: Path, capsys: Any
) -> None:
    """The emulator assumes any role, so a proxy gives STS's AccessDenied for one member."""
    denied = org.accounts[2]
    folder = tmp_path / "out"
    out = tmp_path / "report.json"
    with proxy(emulator, refuse={denied}) as front:
        code = scan(
            front.endpoint,
            "--format",
            "json",
            "--output",
            str(out),
            "--output-dir",
            str(folder),
            "--fail-on",
            "critical",
            "--external-id",
            "ext-1234",
        )
        sessions = set(front.sessions)
    assert code == 3  # no critical finding; incomplete
    assert len(sessions) == 1  # one session name for the run, naming Fortress
    ((session, external),) = sessions
    assert session.startswith("fortress-") and external == "ext-1234"
    document = report(out)
    status = {a["id"]: a["status"] for a in document["accounts"]}
    assert status == {a: "failed" if a == denied else "scanned" for a in org.accounts}
    gaps = [g for g in document["coverage_gaps"] if g["account"] == denied]
    assert len(gaps) == 1
    assert gaps[0]["operation"] == "assume_role" and gaps[0]["error_code"] == "AccessDenied"
    assert f"arn:aws:iam::{denied}:role/FortressAudit" in gaps[0]["message"]
    assert accounts_of(document) == set(org.accounts) - {denied}
    assert {a["functions"] for a in document["accounts"] if a["id"] != denied} == {4}
    assert f"account {denied}: cannot assume" in capsys.readouterr().err
    assert (folder / f"{denied}.failed.json").is_file()
    assert not (folder / f"{denied}.json").exists()
    # merge keeps the gap.
    merged = tmp_path / "merged.json"
    main(["merge", str(folder), "--format", "json", "--output", str(merged)])
    assert comparable(report(merged)) == comparable(document)


def test_collect_writes_one_snapshot_per_account(
    org: SeededOrg, emulator: str, tmp_path: Path
) -> None:
    folder = tmp_path / "snaps"
    base = ["collect", "--endpoint-url", emulator, "--organization", *ROLE, *REGIONS]
    assert main([*base, "--output-dir", str(folder)]) == 3  # the emulator lacks two reads
    assert sorted(p.stem for p in folder.glob("*.json")) == sorted(org.accounts)
    member = org.accounts[1]
    out = tmp_path / "one.json"
    main(
        [
            "scan",
            "--snapshot",
            str(folder / f"{member}.json"),
            "--format",
            "json",
            "--output",
            str(out),
        ]
    )
    assert accounts_of(report(out)) == {member}
    assert not list(folder.glob(".*.tmp"))  # atomic writes leave no temporary file


def test_resume_skips_accounts_already_done(org: SeededOrg, emulator: str, tmp_path: Path) -> None:
    """Runs last: it deletes the functions of a member account."""
    done, redo = org.accounts[1], org.accounts[2]
    folder = tmp_path / "resume"
    with proxy(emulator) as front:
        scan(
            front.endpoint,
            "--output-dir",
            str(folder),
            "--format",
            "json",
            "--output",
            str(tmp_path / "first.json"),
        )
        # The run "stopped" before `redo` was saved; `done` changes after it was saved.
        (folder / f"{redo}.json").unlink()
        creds = account_credentials(emulator, done)
        for region in ("us-east-1", "eu-west-1"):
            lam = boto3.client(
                "lambda",
                endpoint_url=emulator,
                region_name=region,
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
                config=Config(retries={"max_attempts": 1}),
            )
            for fn in lam.list_functions()["Functions"]:
                lam.delete_function(FunctionName=fn["FunctionName"])
        front.assumed.clear()
        out = tmp_path / "resumed.json"
        scan(front.endpoint, "--resume", str(folder), "--format", "json", "--output", str(out))
        assumed_accounts = {arn.split(":")[4] for arn in front.assumed}
    assert done not in assumed_accounts  # no call into the account already done
    assert redo in assumed_accounts
    document = report(out)
    functions = {a["id"]: a["functions"] for a in document["accounts"]}
    assert functions[done] == 4  # its saved inventory, not the emptied account
    assert functions[redo] == 4
    assert (folder / f"{redo}.json").is_file()
