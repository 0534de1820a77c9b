"""Sigma side by side: rules written after the logic of public SigmaHQ rules (fixtures in
fixtures/sigma_side_by_side) run through ``hunt --sigma`` next to the built-in detections, on
the record shapes AWS writes; what each of ours adds is asserted, not assumed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ftr_detection_events import (
    CI_UA,
    FOREIGN,
    REGION,
    ci_role,
    create_function,
    event,
    iam_user,
)
from ftr_detection_shapes import env_update, layers_update

from fortress.detection.hunt import HuntRequest, hunt

RULES = Path(__file__).parent / "fixtures" / "sigma_side_by_side"
FOREIGN_LAYER = f"arn:aws:lambda:{REGION}:{FOREIGN}:layer:ext:3"


def _run(tmp_path: Path, records: list[dict[str, Any]]) -> dict[str, set[str]]:
    path = tmp_path / "trail.json"
    path.write_text(json.dumps({"Records": records}))
    result = hunt(HuntRequest(paths=[str(path)], sigma_paths=[str(RULES)]))
    assert result.sigma_skipped == []
    by_event: dict[str, set[str]] = {}
    for d in result.detections:
        for i in d.event_ids[:1]:
            by_event.setdefault(i, set()).add(d.rule_id)
    return by_event


def test_layers_side_by_side(tmp_path: Path) -> None:
    stratus = layers_update(iam_user(), [FOREIGN_LAYER], "request", function="a")
    console = layers_update(ci_role(), [FOREIGN_LAYER], "console", function="b", ua=CI_UA)
    restated = env_update(iam_user(), [FOREIGN_LAYER], function="a")
    recs = [
        create_function("a", ci_role(), time="2024-08-01T09:00:00Z"),
        create_function("b", ci_role(), time="2024-08-01T09:00:01Z"),
        stratus,
        console,
        restated,
    ]
    found = _run(tmp_path, recs)
    sigma_id = "SIGMA-5d0f3c2e-8a41-4e7b-9c55-2b7f1f0a9e10"
    # both see the Stratus shape
    assert {"FTR-DET-003", sigma_id} <= found[stratus["eventID"]]
    # the layers of the console shape are only in responseElements: ours alone
    assert "FTR-DET-003" in found[console["eventID"]]
    assert sigma_id not in found.get(console["eventID"], set())
    # a change restating the layers is no attachment for either
    assert restated["eventID"] not in found


def test_trail_side_by_side(tmp_path: Path) -> None:
    update = event(
        "UpdateTrail",
        iam_user(),
        source="cloudtrail.amazonaws.com",
        request={"name": "main", "s3BucketName": "new-bucket"},
    )
    wide = event(
        "PutEventSelectors",
        iam_user(),
        source="cloudtrail.amazonaws.com",
        request={
            "trailName": "main",
            "eventSelectors": [
                {
                    "readWriteType": "All",
                    "includeManagementEvents": True,
                    "dataResources": [
                        {"type": "AWS::Lambda::Function", "values": ["arn:aws:lambda"]}
                    ],
                }
            ],
        },
    )
    narrow = json.loads(json.dumps(wide))
    narrow["eventID"] = "narrow-1"
    narrow["eventTime"] = "2024-08-01T23:00:00Z"
    narrow["requestParameters"]["eventSelectors"][0]["dataResources"] = []
    found = _run(tmp_path, [update, wide, narrow])
    sigma_id = "SIGMA-7a2e9d41-3c6b-4f08-a1d2-9e5b0c7f4a21"
    assert found[update["eventID"]] == {sigma_id}  # a bucket change: Sigma only
    assert found["narrow-1"] == {"FTR-DET-010"}  # Lambda data events dropped: ours only
    assert wide["eventID"] not in found
