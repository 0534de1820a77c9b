"""The detections over a function's history run in little memory however wide the events are.

A trail's Lambda changes and reads carry large request and response documents (environment,
layers, VPC, tags), and exports of it come as one large JSON Lines file. The windows of FTR-DET-003/005/009/013 (who changed the function before)
and FTR-DET-016 (who read it before) used to hold those whole rows in DuckDB's window operator:
on a large trail they ran out of ``--memory-limit``. They now run over
the row id and the few columns they read (``ruledefs.windowed``), and FTR-DET-016 holds the
assumed-role calls of the watched roles only. A large JSON Lines file is loaded in parts
sized to the limit (``convert_fallback``); in one piece it did not fit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ftr_detection_events import (
    ACCOUNT,
    CLI_UA,
    assumed_role,
    ci_role,
    event,
    fn_arn,
    iam_user,
    update_code,
)

from fortress.detection import rules
from fortress.detection.hunt import run_detections
from fortress.detection.sql import HuntSettings
from fortress.detection.store import EventStore

FUNCTIONS = 40
CHANGES = 3_000
READS = 3_000
# a large configuration in every response (an environment of 50 variables): ~4 KB an event
ENVIRONMENT = {f"SETTING_{i:02d}": "x" * 200 for i in range(50)}


def _wide(record: dict[str, Any]) -> dict[str, Any]:
    response = record.get("responseElements") or {}
    record["responseElements"] = {**response, "environment": {"variables": ENVIRONMENT}}
    return record


def _trail() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    ci = ci_role()
    scanner = assumed_role("inventory-scanner", "scan", "ASIAEXAMPLESCAN00001")
    for i in range(CHANGES):
        minute, second = divmod(i // 10, 60)
        hour = 8 + minute // 60
        time = f"2024-08-01T{hour:02d}:{minute % 60:02d}:{second:02d}Z"
        records.append(_wide(update_code(f"fn-{i % FUNCTIONS}", ci, time=time)))
    for i in range(READS):
        name = f"fn-{i % FUNCTIONS}"
        records.append(
            _wide(
                event(
                    "GetFunctionConfiguration20150331v2",
                    scanner,
                    time=f"2024-08-01T20:{(i // 60) % 60:02d}:{i % 60:02d}Z",
                    request={"functionName": name},
                    response={"functionName": name, "functionArn": fn_arn(name)},
                    read_only=True,
                )
            )
        )
    # the planted hit: a human overwrites code the pipeline has always deployed
    records.append(update_code("fn-3", iam_user("mallory"), ua=CLI_UA, time="2024-08-01T23:00:00Z"))
    return records


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventStore]:
    trail = _trail()
    # about 60 MB of request and response documents against a 64 MB limit
    temp = str(tmp_path_factory.mktemp("hunt"))
    with EventStore(HuntSettings(), memory_limit="64MB", on_disk=True, temp_dir=temp) as store:
        assert store.load_records(trail) == len(trail)  # in parts the limit allows
        assert store.unreadable == []
        yield store


@pytest.mark.parametrize("rule_id", ["FTR-DET-003", "FTR-DET-005", "FTR-DET-013", "FTR-DET-016"])
def test_history_detections_run_within_a_small_memory_limit(
    store: EventStore, rule_id: str
) -> None:
    settings = HuntSettings()
    found = run_detections(store, rules.select(rule_id), settings)  # OutOfMemory before
    if rule_id == "FTR-DET-005":
        assert [(d.function, d.principal, d.severity.name) for d in found] == [
            (fn_arn("fn-3"), f"arn:aws:iam::{ACCOUNT}:user/mallory", "HIGH")
        ]
    else:
        assert found == []
