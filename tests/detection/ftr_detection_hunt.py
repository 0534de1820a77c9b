"""Run the built-in detections on records three ways (full store, prefiltered store, the
multi-process reader on a gzipped delivery file) and check that all three agree."""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from typing import Any

from fortress.detection import rules
from fortress.detection.cloudtrail import InputFile
from fortress.detection.hunt import run_detections
from fortress.detection.model import Detection
from fortress.detection.sql import HuntSettings
from fortress.detection.store import EventStore


def hunt(records: list[dict[str, Any]], settings: HuntSettings | None = None) -> list[Detection]:
    """Detections on a full store; a prefiltered store (the fast path of a hunt without Sigma
    rules) must find exactly the same ones."""
    settings = settings or HuntSettings()
    with EventStore(settings) as store:
        assert store.load_records(records) == len(records)
        found = run_detections(store, rules.DETECTIONS, settings)
    with EventStore(settings, prefilter=True) as narrow:
        narrow.load_records(records)
        assert narrow.scanned == len(records)
        again = run_detections(narrow, rules.DETECTIONS, settings)
    assert sorted(map(_key, again)) == sorted(map(_key, found))
    # the same records as a gzipped delivery file, through the multi-process reader's filter
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "111122223333_CloudTrail_us-east-1_20240801T1350Z_x.json.gz")
        with gzip.open(path, "wt") as fh:
            json.dump({"Records": records}, fh)
        with EventStore(settings, prefilter=True, fast_reader=True) as fast:
            fast.load([InputFile(path, "records")])
            assert fast.scanned == len(records) and fast.unreadable == []
            third = run_detections(fast, rules.DETECTIONS, settings)
    assert sorted(map(_key, third)) == sorted(map(_key, found))
    return found


def _key(d: Detection) -> str:
    return repr(sorted(d.to_dict().items()))


def hits(records: list[dict[str, Any]], rule_id: str, **kw: Any) -> list[Detection]:
    return [d for d in hunt(records, **kw) if d.rule_id == rule_id]
