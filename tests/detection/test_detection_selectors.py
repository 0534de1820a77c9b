"""FTR-DET-010 on event selectors: changes, not states. A selector state is judged against
the previous one seen for the trail (a trail created in the data starts from CloudTrail's
default: all management events, no data events); with none known, a state that does not
log management or Lambda data events is medium, saying so."""

from __future__ import annotations

from typing import Any

import pytest
from ftr_detection_events import ACCOUNT, REGION, event, iam_user
from ftr_detection_hunt import hits

TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/main"
LAMBDA_DATA = {"type": "AWS::Lambda::Function", "values": ["arn:aws:lambda"]}


def basic(mgmt: bool = True, rw: str = "All", lambda_data: bool = False) -> list[Any]:
    return [
        {
            "readWriteType": rw,
            "includeManagementEvents": mgmt,
            "dataResources": [LAMBDA_DATA] if lambda_data else [],
            "excludeManagementEventSources": [],
        }
    ]


def advanced(mgmt: bool = True, read_only: str | None = None, lambda_data: bool = False) -> Any:
    out: list[Any] = []
    if mgmt:
        fields: list[Any] = [{"field": "eventCategory", "equals": ["Management"]}]
        if read_only is not None:
            fields.append({"field": "readOnly", "equals": [read_only]})
        out.append({"name": "Management events", "fieldSelectors": fields})
    if lambda_data:
        out.append(
            {
                "name": "Lambda invocations",
                "fieldSelectors": [
                    {"field": "eventCategory", "equals": ["Data"]},
                    {"field": "resources.type", "equals": ["AWS::Lambda::Function"]},
                ],
            }
        )
    return out


def put(selectors: Any, kind: str = "eventSelectors", shape: str = "request", **kw: Any) -> Any:
    """PutEventSelectors; the response echoes the trail ARN and the selectors."""
    request = {"trailName": kw.pop("trail", "main"), kind: selectors}
    response = {"trailARN": TRAIL_ARN, kind: selectors}
    return event(
        "PutEventSelectors",
        iam_user(),
        source="cloudtrail.amazonaws.com",
        request=request if shape == "request" else None,
        response=response,
        **kw,
    )


def create_trail(**kw: Any) -> Any:
    kw.setdefault("time", "2024-08-01T09:00:00Z")  # before the selector changes
    return event(
        "CreateTrail",
        iam_user(),
        source="cloudtrail.amazonaws.com",
        request={"name": "main", "s3BucketName": "trail-bucket", "isMultiRegionTrail": True},
        response={"name": "main", "trailARN": TRAIL_ARN, "s3BucketName": "trail-bucket"},
        **kw,
    )


def found(recs: list[Any]) -> list[tuple[str, str]]:
    return sorted((d.event_ids[0], d.severity.label) for d in hits(recs, "FTR-DET-010"))


def test_never_wider_is_not_narrowing() -> None:
    """A trail created in the data, then selectors that keep the default (management events
    only): nothing was removed, nothing reported."""
    recs = [create_trail(), put(basic())]
    assert found(recs) == []


def test_never_wider_without_history_is_medium_once() -> None:
    first = put(basic(lambda_data=False))
    again = put(basic(lambda_data=False))
    assert found([first, again]) == [(first["eventID"], "medium")]
    message = hits([first], "FTR-DET-010")[0].message
    assert "no earlier selector state" in message and "Lambda data events" in message
    assert "stopped" not in message


@pytest.mark.parametrize("shape", ["request", "response"])
def test_lambda_data_events_removed_is_high(shape: str) -> None:
    wide = put(basic(lambda_data=True), shape=shape)
    narrow = put(basic(lambda_data=False), shape=shape)
    got = hits([wide, narrow], "FTR-DET-010")
    assert [(d.event_ids, d.severity.label) for d in got] == [
        ([narrow["eventID"], wide["eventID"]], "high")
    ]
    assert "stopped logging Lambda data events" in got[0].message


def test_management_events_removed_after_create_trail() -> None:
    # Stratus Red Team aws.defense-evasion.cloudtrail-event-selectors, after a known state
    off = put(basic(mgmt=False))
    assert found([create_trail(), off]) == [(off["eventID"], "high")]
    # without the trail's creation in the data: medium, with the reason
    assert found([off]) == [(off["eventID"], "medium")]


def test_write_events_removed_high_read_events_removed_medium() -> None:
    read_only = put(basic(rw="ReadOnly"), trail=TRAIL_ARN)  # the trail by ARN, same trail
    write_only = put(basic(rw="WriteOnly"))
    assert found([create_trail(), read_only]) == [(read_only["eventID"], "high")]
    assert found([create_trail(), write_only]) == [(write_only["eventID"], "medium")]


def test_advanced_selectors() -> None:
    wide = put(advanced(lambda_data=True), "advancedEventSelectors")
    no_lambda = put(advanced(), "advancedEventSelectors")
    read_only = put(advanced(read_only="true"), "advancedEventSelectors")
    assert found([wide, no_lambda]) == [(no_lambda["eventID"], "high")]
    assert found([wide, read_only]) == [(read_only["eventID"], "high")]
    # widening is never reported
    wider_again = put(advanced(lambda_data=True), "advancedEventSelectors")
    assert found([no_lambda, wider_again]) == [(no_lambda["eventID"], "medium")]
    # everything logged and no earlier state: nothing to say
    assert found([wide]) == []


def test_selectors_of_other_trails_are_separate() -> None:
    wide = put(basic(lambda_data=True))
    other = put(basic(lambda_data=False), trail="audit")
    assert found([wide, other]) == [(other["eventID"], "medium")]


@pytest.mark.parametrize("selectors", ["all", 7, {"readWriteType": "All"}, None])
def test_selector_values_that_are_not_lists_say_nothing(selectors: Any) -> None:
    assert found([create_trail(), put(selectors)]) == []


def test_hostile_selector_items_never_raise() -> None:
    junk = [None, "x", 3, {"dataResources": "y", "readWriteType": 5}, {"fieldSelectors": 1}]
    for kind in ("eventSelectors", "advancedEventSelectors"):
        for d in hits([create_trail(), put(junk, kind)], "FTR-DET-010"):
            assert d.severity.label in {"medium", "high"}
