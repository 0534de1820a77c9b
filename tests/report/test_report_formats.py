"""JSON and SARIF through orjson: the same documents as before, without the asdict round trip."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from reportdata import BREAKOUT, sample_result

from fortress.findings import Finding
from fortress.report import jsonreport, sarif
from fortress.scan import iac_inputs, load_iac, run_rules

FIXTURES = Path(__file__).parents[1] / "iac" / "fixtures"


def old_finding_dict(f: Finding) -> dict[str, Any]:
    """What Finding.to_dict returned before (dataclasses.asdict), the reference."""
    data = dataclasses.asdict(f)
    data["severity"] = f.severity.label
    data["practice"] = str(f.practice)
    data["status"] = str(f.status)
    return data


def iac_result() -> Any:
    from datetime import UTC, datetime

    from fortress.config import ScanConfig
    from fortress.sources.base import IacOptions

    paths = [FIXTURES / "sam", FIXTURES / "terraform", FIXTURES / "cloudformation"]
    loaded = load_iac(iac_inputs(paths, None), IacOptions())
    return run_rules(
        loaded.inventory, None, ScanConfig(), loaded.gaps, loaded.sources, datetime.now(UTC)
    )


def test_finding_to_dict_equals_the_asdict_form() -> None:
    result = iac_result()
    assert len(result.findings) > 100
    for f in [*result.findings, *sample_result().findings]:
        fast = json.loads(json.dumps(f.to_dict(), default=str))
        assert fast == json.loads(json.dumps(old_finding_dict(f), default=str))


def test_json_report_is_the_same_document() -> None:
    result = iac_result()
    data = jsonreport.render_bytes(result)
    assert data.endswith(b"\n") and data.startswith(b'{\n  "schema_version"')
    reference = jsonreport.build(result)
    reference["findings"] = [old_finding_dict(f) for f in result.findings]
    assert json.loads(data) == json.loads(json.dumps(reference, default=str))


def test_sets_and_odd_values_in_evidence_serialize(tmp_path: Path) -> None:
    result = sample_result()
    result.findings[0].evidence = {"actions": {"s3:b", "s3:a"}, "path": tmp_path, 1: "int key"}
    doc = json.loads(jsonreport.render(result))
    assert doc["findings"][0]["evidence"] == {
        "actions": ["s3:a", "s3:b"],
        "path": str(tmp_path),
        "1": "int key",
    }


def test_sarif_results_and_escaping() -> None:
    result = sample_result()
    doc = json.loads(sarif.render_bytes(result))
    run = doc["runs"][0]
    reported = [f for f in result.findings if str(f.status) != "pass"]
    assert len(run["results"]) == len(reported)
    assert {r["ruleId"] for r in run["results"]} == {
        d["id"] for d in run["tool"]["driver"]["rules"]
    }
    assert any(BREAKOUT in r["message"]["text"] for r in run["results"])  # data kept, as JSON


class _Writes:
    """A binary sink that records the size of each write."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.data = bytearray()

    def write(self, chunk: bytes) -> int:
        self.sizes.append(len(chunk))
        self.data += chunk
        return len(chunk)


def test_stream_writes_bounded_chunks_of_the_same_document() -> None:
    # 4,000 items of ~1 KB: a count-based batch (2,000 items) wrote ~2 MB at a time and held
    # ~12 MB at the peak; chunks are now bounded by bytes, whatever the item count.
    items = [{"id": i, "text": "x" * 1000} for i in range(4000)]
    sink = _Writes()
    jsonreport.stream(sink, {"head": 1}, "items", iter(items))  # type: ignore[arg-type]
    assert json.loads(bytes(sink.data)) == {"head": 1, "items": items}
    assert len(sink.sizes) > 10
    assert max(sink.sizes) < 2 * jsonreport._CHUNK_BYTES
    compact = _Writes()
    jsonreport.stream(compact, {}, "items", iter(items[:3]), pretty=False)  # type: ignore[arg-type]
    assert json.loads(bytes(compact.data)) == {"items": items[:3]}
