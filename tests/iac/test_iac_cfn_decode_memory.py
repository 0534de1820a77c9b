"""What a decoded template holds: packed key lines, no process-wide string table (issue 9).

A large template of small resources is the shape where the decoder's per-mapping overhead
decides the memory of a scan; these bounds failed before the key lines were packed (925 bytes
per resource decoded) and the short strings went through ``sys.intern`` (a slot per distinct
string kept after the template was gone).
"""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from fortress.sources.cloudformation import decode

RESOURCE = "  R{i}:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: t{i}\n"


def _template(count: int) -> str:
    body = "".join(RESOURCE.format(i=i) for i in range(count))
    return "AWSTemplateFormatVersion: 2010-09-09\nResources:\n" + body


def test_small_resources_decode_within_850_bytes_each_and_leave_nothing_behind() -> None:
    count = 20000
    text = _template(count)
    decode.fast_decode("a: 1\n")  # the one-time cost (PyYAML's loader) outside the measure
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        doc = decode.fast_decode(text)
        held = tracemalloc.get_traced_memory()[0] - base
        assert doc is not None and len(doc["Resources"]) == count
        assert (
            decode.key_line(doc["Resources"]["R19999"]["Properties"], "TopicName") == 4 * 19999 + 6
        )
        del doc
        gc.collect()
        left = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert held / count < 850, held / count
    assert left / count < 10, left / count  # the strings' table went with the document


def test_packed_key_lines_follow_changes() -> None:
    doc = decode.fast_decode("a: 1\nb: 2\nc:\n  d: 3\n")
    assert isinstance(doc.key_lines, bytes)  # packed once decoded
    assert decode.key_lines(doc) == {"a": 1, "b": 2, "c": 3}
    doc["z"] = 9  # added after decoding: no line
    del doc["a"]
    assert decode.key_lines(doc) == {"b": 2, "c": 3}
    assert decode.key_line(doc, "z") is None and decode.key_line(doc, "c") == 3
    doc.update(decode.fast_decode("q: 1\n"))
    assert decode.key_line(doc, "q") == 1
    assert doc.pop("b") == 2 and decode.key_lines(doc) == {"c": 3, "q": 1}
    inner = doc["c"]
    assert decode.node_line(inner) == 4 and decode.key_lines(inner) == {"d": 4}


def test_a_template_is_read_once(tmp_path: Path, monkeypatch: Any) -> None:
    """The transform test reads the text the decoder read: a second read of a large template
    held another copy of it beside the decoded tree (uncapped, too)."""
    from fortress import safeio
    from fortress.sources import cloudformation
    from fortress.sources.base import IacOptions

    path = tmp_path / "template.yaml"
    path.write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n"
        "  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {Runtime: python3.12, Handler: a.h, InlineCode: x}\n"
    )
    reads: list[str] = []
    real = safeio.read_template
    monkeypatch.setattr(safeio, "read_template", lambda p: reads.append(str(p)) or real(p))
    monkeypatch.setattr(Path, "read_text", lambda *a, **k: pytest.fail("read again"))
    inventory = cloudformation.load(path, IacOptions())
    assert reads == [str(path)]
    assert [f.name for f in inventory.functions]  # the SAM transform was still seen
