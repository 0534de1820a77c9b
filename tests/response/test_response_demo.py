"""The demo flow of docs/response.md: plan, apply and undo the contain playbook on orders-api,
and plans proposed from the demo's own hunt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from response_env import records, snapshot

from conftest import reset_emulator
from fortress.cli import main
from fortress.demo import cloudtrail as demo_trail
from fortress.demo import package_mirror
from fortress.demo.seed import seed
from fortress.demo.shopfast import Seeded


@pytest.fixture(scope="module")
def seeded(emulator: str) -> Seeded:
    reset_emulator(emulator)
    return seed(emulator)


def _client(endpoint: str) -> Any:
    def make(service: str, region: str = "us-east-1") -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=endpoint,
            config=Config(retries={"max_attempts": 1}),
        )

    return make


def test_contain_orders_api_then_undo(seeded: Seeded, tmp_path: Path, capsys: Any) -> None:
    client = _client(seeded.endpoint)
    before = snapshot(client, "orders-api", "shopfast-orders")
    worker_before = snapshot(client, "orders-worker", "shopfast-orders")
    base = ["respond", "orders-api", "--playbook", "contain", "--endpoint-url", seeded.endpoint]

    capsys.readouterr()
    assert main(base) == 0
    plan = capsys.readouterr().out
    assert "Containment plan for orders-api" in plan and "Dry run: nothing was changed" in plan
    assert "50 → 0" in plan and "orders-worker will be denied too" in plan
    assert snapshot(client, "orders-api", "shopfast-orders") == before

    bundle = tmp_path / "evidence"
    with package_mirror(seeded.packages) as mirror:
        code = main(
            [
                *base,
                "--apply",
                "--incident",
                "IR-2026-11",
                "--code-mirror",
                mirror,
                "--evidence-output",
                str(bundle),
            ]
        )
    assert code == 0, capsys.readouterr().err
    journal = tmp_path / "evidence.journal.jsonl"  # the default: beside the bundle
    assert journal.exists() and main(["verify", str(bundle)]) == 0
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert {c["status"] for c in manifest["code_checks"] if c["kind"] == "function"} == {"match"}
    contained = snapshot(client, "orders-api", "shopfast-orders")
    assert contained["concurrency"] == 0
    assert {"FortressQuarantine", "AWSRevokeOlderSessions"} <= set(
        contained["role_inline_policies"]
    )
    assert all(r.get("incident") == "IR-2026-11" for r in records(journal) if r["type"] != "start")

    capsys.readouterr()
    assert main(["undo", str(journal), "--apply", "--endpoint-url", seeded.endpoint]) == 0
    assert "Restored 3 change(s)" in capsys.readouterr().out
    assert snapshot(client, "orders-api", "shopfast-orders") == before
    assert snapshot(client, "orders-worker", "shopfast-orders") == worker_before


def test_plans_from_the_demo_hunt(seeded: Seeded, tmp_path: Path, capsys: Any) -> None:
    client = _client(seeded.endpoint)
    before = snapshot(client, "admin-tools", "shopfast-admin-tools")
    trail = tmp_path / "cloudtrail"
    demo_trail.write(trail)
    hunted = tmp_path / "hunt.json"
    assert main(["hunt", str(trail), "--format", "json", "--output", str(hunted)]) == 1
    capsys.readouterr()
    code = main(
        [
            "respond",
            "--from-hunt",
            str(hunted),
            "--format",
            "json",
            "--endpoint-url",
            seeded.endpoint,
        ]
    )
    plans = {
        p["function"].rsplit(":", 1)[-1]: p for p in json.loads(capsys.readouterr().out)["plans"]
    }
    assert code == 0, plans
    assert {"orders-api", "admin-tools"} <= set(plans)
    admin = {s["resource"].get("sid") for s in plans["admin-tools"]["plan"]["steps"]}
    assert {"anyone", "partner"} <= admin, "the backdoor grants are cut"
    assert snapshot(client, "admin-tools", "shopfast-admin-tools") == before
