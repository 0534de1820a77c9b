"""Every detection on the record shapes AWS writes (request named, request not recorded,
console-style), for every API version suffix, with and without history in the data.

Each case runs through :func:`ftr_detection_hunt.hunt`: full store, prefiltered store and
the multi-process reader must agree.
"""

from __future__ import annotations

from typing import Any

import pytest
from ftr_detection_events import (
    ACCOUNT,
    CI_UA,
    CLI_UA,
    FOREIGN,
    REGION,
    assumed_role,
    ci_role,
    create_function,
    event,
    fn_arn,
    function_config,
    iam_user,
    update_code,
)
from ftr_detection_hunt import hits
from ftr_detection_shapes import (
    SHAPES,
    add_permission,
    concurrency,
    env_update,
    event_source_mapping,
    layer_permission,
    layers_update,
    url_config,
)

from fortress.findings import Severity

OWN_LAYER = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:ext:1"
FOREIGN_LAYER = f"arn:aws:lambda:{REGION}:{FOREIGN}:layer:ext:3"


def severities(found: list[Any]) -> list[str]:
    return sorted(d.severity.label for d in found)


# ---------------------------------------------------------------- 001 resource policy


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ["AddPermission20150331", "AddPermission20150331v2"])
def test_backdoor_every_shape_and_suffix(shape: str, name: str) -> None:
    recs = [
        add_permission(iam_user(), "*", shape, name),
        add_permission(iam_user(), FOREIGN, shape, name),
        add_permission(iam_user(), f"arn:aws:iam::{FOREIGN}:role/x", shape, name),
    ]
    found = hits(recs, "FTR-DET-001")
    assert [d.severity for d in found] == [Severity.HIGH] * 3
    assert {d.function for d in found} == {fn_arn("orders")}
    assert all(" to " in d.message and d.message.split(" to ")[1] for d in found)


@pytest.mark.parametrize("shape", SHAPES)
def test_backdoor_conditions_read_from_either_shape(shape: str) -> None:
    conditioned = add_permission(iam_user(), "*", shape, sourceArn="arn:aws:s3:::bucket")
    in_org = add_permission(iam_user(), "*", shape, principalOrgID="o-abc123")
    found = hits([conditioned, in_org], "FTR-DET-001")
    by_id = {d.event_ids[0]: d.severity for d in found}
    assert by_id == {conditioned["eventID"]: Severity.MEDIUM, in_org["eventID"]: Severity.LOW}


@pytest.mark.parametrize("shape", SHAPES)
def test_backdoor_negatives_every_shape(shape: str) -> None:
    recs = [
        add_permission(iam_user(), "s3.amazonaws.com", shape, sourceAccount=ACCOUNT),
        add_permission(iam_user(), ACCOUNT, shape),
    ]
    assert hits(recs, "FTR-DET-001") == []


# ---------------------------------------------------------------- 002 function URL


@pytest.mark.parametrize("shape", SHAPES)
def test_url_created_public_every_shape(shape: str) -> None:
    rec = url_config(iam_user(), "NONE", shape)
    private = url_config(iam_user(), "AWS_IAM", shape, function="other")
    found = hits([rec, private], "FTR-DET-002")
    assert [(d.event_ids, d.severity) for d in found] == [([rec["eventID"]], Severity.HIGH)]


def test_url_update_changes_not_states() -> None:
    # AWS_IAM -> NONE is a change (high); NONE -> NONE again (Terraform re-sending it) is not
    recs = [
        url_config(iam_user(), "AWS_IAM"),
        url_config(iam_user(), "NONE", action="UpdateFunctionUrlConfig"),
        url_config(iam_user(), "NONE", action="UpdateFunctionUrlConfig"),
        # a CORS-only update of the public URL: the response says NONE, nothing changed
        url_config(iam_user(), None, action="UpdateFunctionUrlConfig", current="NONE"),
    ]
    found = hits(recs, "FTR-DET-002")
    assert [(d.event_ids, d.severity) for d in found] == [([recs[1]["eventID"]], Severity.HIGH)]


def test_url_update_with_request_not_recorded() -> None:
    # no history, the response alone says NONE: medium, saying why
    rec = url_config(iam_user(), "NONE", "response", action="UpdateFunctionUrlConfig")
    found = hits([rec], "FTR-DET-002")
    assert [d.severity for d in found] == [Severity.MEDIUM]
    assert "not recorded" in found[0].message
    # with the earlier state known to be NONE, nothing changed
    earlier = url_config(iam_user(), "NONE", time="2024-08-01T10:00:00Z")
    again = url_config(iam_user(), "NONE", "response", action="UpdateFunctionUrlConfig")
    found = hits([earlier, again], "FTR-DET-002")
    assert [d.event_ids for d in found] == [[earlier["eventID"]]]


# ---------------------------------------------------------------- 003 layers


@pytest.mark.parametrize("shape", ["request", "response", "console"])
def test_foreign_layer_every_shape_with_history(shape: str) -> None:
    """With the function's earlier configuration in the data, a layer that appears in any
    shape is compared with it: a new foreign layer is high."""
    recs = [
        create_function("orders", ci_role(), time="2024-08-01T10:00:00Z"),
        layers_update(ci_role(), [FOREIGN_LAYER], shape, ua=CI_UA),
    ]
    found = hits(recs, "FTR-DET-003")
    assert [(d.event_ids, d.severity) for d in found] == [([recs[1]["eventID"]], Severity.HIGH)]
    assert FOREIGN_LAYER in found[0].message


@pytest.mark.parametrize("shape", ["response", "console"])
def test_foreign_layer_response_only_without_history_is_medium(shape: str) -> None:
    """The known miss: layers only in responseElements. Without an earlier configuration
    the call may or may not have added them: medium, saying so."""
    rec = layers_update(ci_role(), [FOREIGN_LAYER], shape, ua=CI_UA)
    found = hits([rec], "FTR-DET-003")
    assert [d.severity for d in found] == [Severity.MEDIUM]
    assert "named only in the response" in found[0].message


def test_foreign_layer_named_in_request_without_history_is_high() -> None:
    # Stratus Red Team's aws.persistence.lambda-layer-extension shape
    rec = layers_update(iam_user(), [FOREIGN_LAYER], "request", ua="stratus-red-team_x")
    assert [d.severity for d in hits([rec], "FTR-DET-003")] == [Severity.HIGH]


def test_layer_restated_is_not_an_attachment() -> None:
    recs = [
        create_function("orders", ci_role(), layers=[FOREIGN_LAYER], time="2024-08-01T10:00:00Z"),
        env_update(iam_user(), [FOREIGN_LAYER]),  # a human changing the timeout
        layers_update(ci_role(), [FOREIGN_LAYER], "request", ua=CI_UA),  # re-sent as is
    ]
    found = hits(recs, "FTR-DET-003")
    # only the creation attached the foreign layer
    assert [d.event_ids for d in found] == [[recs[0]["eventID"]]]


def test_second_layer_added_reports_only_the_new_one() -> None:
    recs = [
        create_function("orders", ci_role(), layers=[OWN_LAYER], time="2024-08-01T10:00:00Z"),
        layers_update(ci_role(), [OWN_LAYER, FOREIGN_LAYER], "console", ua=CI_UA),
    ]
    found = hits(recs, "FTR-DET-003")
    assert [d.severity for d in found] == [Severity.HIGH]
    assert found[0].message.endswith(f"(added: {FOREIGN_LAYER})")


@pytest.mark.parametrize("shape", SHAPES)
def test_create_function_layers_in_either_shape(shape: str) -> None:
    rec = create_function("a", ci_role(), layers=[FOREIGN_LAYER])
    if shape == "response":
        rec["requestParameters"] = None
    assert [d.severity for d in hits([rec], "FTR-DET-003")] == [Severity.HIGH]


def test_own_layer_by_human_with_history_and_negatives() -> None:
    recs = [
        create_function("orders", ci_role(), time="2024-08-01T10:00:00Z"),
        layers_update(iam_user(), [OWN_LAYER], "console"),  # human, own layer: medium
    ]
    assert severities(hits(recs, "FTR-DET-003")) == ["medium"]
    # own-account layers only in the response, no history: not reported (nothing foreign)
    assert hits([layers_update(iam_user(), [OWN_LAYER], "response")], "FTR-DET-003") == []
    # a layer publication is not an attachment
    publish = event(
        "PublishLayerVersion20181031",
        iam_user(),
        request={"layerName": "ext", "content": {}},
        response={"layerVersionArn": FOREIGN_LAYER, "version": 3},
    )
    assert hits([publish], "FTR-DET-003") == []


# ---------------------------------------------------------------- 004 layer sharing


@pytest.mark.parametrize("shape", SHAPES)
def test_layer_shared_every_shape(shape: str) -> None:
    recs = [
        layer_permission(iam_user(), "*", shape),
        layer_permission(iam_user(), FOREIGN, shape),
        layer_permission(iam_user(), "*", shape, organizationId="o-abc123"),
        layer_permission(iam_user(), ACCOUNT, shape),
    ]
    found = hits(recs, "FTR-DET-004")
    by_id = {d.event_ids[0]: d.severity.label for d in found}
    assert by_id == {recs[0]["eventID"]: "high", recs[1]["eventID"]: "medium"}


# ---------------------------------------------------------------- 005 code


def test_code_update_suffixes_and_dry_run() -> None:
    recs = [create_function("orders", ci_role(), time="2024-08-01T10:00:00Z")]
    for name in ("UpdateFunctionCode20150331", "UpdateFunctionCode20150331v2"):
        rec = update_code("orders", iam_user(), ua=CLI_UA)
        rec["eventName"] = name
        recs.append(rec)
    dry = update_code("orders", iam_user("dana", "AKIAEXAMPLEDANA00001"), ua=CLI_UA)
    dry["requestParameters"]["dryRun"] = True
    recs.append(dry)
    found = hits(recs, "FTR-DET-005")
    # alice's first overwrite is high; her second is by a known deployer now; a dry run
    # changes nothing
    assert [(d.event_ids, d.severity) for d in found] == [([recs[1]["eventID"]], Severity.HIGH)]


def test_code_update_with_only_the_response_naming_the_function() -> None:
    rec = update_code("orders", iam_user(), ua=CLI_UA)
    rec["requestParameters"] = None
    recs = [create_function("orders", ci_role(), time="2024-08-01T10:00:00Z"), rec]
    found = hits(recs, "FTR-DET-005")
    assert [(d.function, d.severity) for d in found] == [(fn_arn("orders"), Severity.HIGH)]


# ---------------------------------------------------------------- 006 / 007 roles


def test_escalation_role_only_in_response() -> None:
    dev = iam_user("mallory", "AKIAEXAMPLEMALLORY01")
    role = f"arn:aws:iam::{ACCOUNT}:role/worker"
    created = create_function("w", dev, ua=CLI_UA, role=role, time="2024-08-01T14:00:00Z")
    created["requestParameters"] = None
    invoke = event(
        "Invoke",
        dev,
        request={"functionName": fn_arn("w")},
        category="Data",
        time="2024-08-01T14:01:00Z",
    )
    found = hits([created, invoke], "FTR-DET-006")
    assert [(d.function, d.severity) for d in found] == [(fn_arn("w"), Severity.MEDIUM)]
    assert role in found[0].message


def test_exec_role_known_from_response_role() -> None:
    created = create_function("orders", ci_role())
    created["requestParameters"] = None  # the role is in responseElements.role only
    session = assumed_role("orders-role", "orders", "ASIAOTHERKEY00000001")
    stolen = event(
        "ListBuckets",
        session,
        source="s3.amazonaws.com",
        ua="python-requests/2.31",
        ip="198.51.100.9",
        read_only=True,
    )
    found = hits([created, stolen], "FTR-DET-007")
    assert [d.event_ids for d in found] == [[stolen["eventID"]]]


# ---------------------------------------------------------------- 009 triggers


@pytest.mark.parametrize("shape", SHAPES)
def test_event_source_mapping_every_shape(shape: str) -> None:
    rec = event_source_mapping(iam_user(), shape)
    found = hits([rec], "FTR-DET-009")
    assert [(d.function, d.severity) for d in found] == [(fn_arn("orders"), Severity.MEDIUM)]
    assert "arn:aws:sqs:" in found[0].message
    assert "no history of this principal in the data" in found[0].message
    # the same human wiring a second trigger to a function they changed before: known
    again = event_source_mapping(iam_user(), shape)
    found = hits([rec, again], "FTR-DET-009")
    assert [d.event_ids for d in found] == [[rec["eventID"]]]


# ---------------------------------------------------------------- 013 impact


@pytest.mark.parametrize("shape", ["request", "console"])
def test_concurrency_zero_value_in_either_place(shape: str) -> None:
    recs = [
        create_function("orders", ci_role(), time="2024-08-01T10:00:00Z"),
        concurrency(iam_user(), 0, shape),
        concurrency(iam_user(), 50, shape),
    ]
    found = hits(recs, "FTR-DET-013")
    assert [(d.event_ids, d.severity) for d in found] == [([recs[1]["eventID"]], Severity.HIGH)]


def test_function_named_only_by_response_arn() -> None:
    """Event source mappings and URL configs answer with ``functionArn`` alone."""
    rec = event(
        "CreateEventSourceMapping20150331",
        iam_user(),
        request=None,
        response={"functionArn": fn_arn("billing"), "eventSourceArn": "arn:aws:sqs:x:1:q"},
    )
    found = hits([rec], "FTR-DET-009")
    assert [d.function for d in found] == [fn_arn("billing")]


def test_response_config_fixture_is_the_whole_configuration() -> None:
    # guard on the builder the layer tests rely on: the response restates layers
    config = function_config("orders", "r", [FOREIGN_LAYER])
    assert config["layers"] == [{"arn": FOREIGN_LAYER, "codeSize": 2120}]


# ---------------------------------------------------------------- hostile field types


HOSTILE_VALUES: list[Any] = ["x", 7, None, True, [1, {"a": 1}], {"arn": 5}, "{not json", [[[]]]]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_fields_of_the_wrong_type_never_raise(value: Any) -> None:
    """Attacker-written records: every field a detection reads holds the wrong type."""
    lam = [
        ("CreateFunction20150331", {"functionName": "a", "role": value, "layers": value}),
        ("UpdateFunctionConfiguration20150331v2", {"functionName": "a", "layers": value}),
        ("UpdateFunctionCode20150331v2", {"functionName": "a", "dryRun": value}),
        ("AddPermission20150331v2", {"functionName": "a", "principal": value}),
        ("CreateFunctionUrlConfig20211031", {"functionName": "a", "authType": value}),
        ("AddLayerVersionPermission20181031", {"layerName": value, "principal": value}),
        (
            "PutFunctionConcurrency20171031",
            {"functionName": value, "reservedConcurrentExecutions": value},
        ),
        ("CreateEventSourceMapping20150331", {"functionName": "a", "eventSourceArn": value}),
        ("GetFunction20150331v2", {"functionName": value}),
    ]
    recs = [
        event(
            name,
            iam_user(),
            request=rp,
            response={"layers": value, "statement": value, "role": value, "functionArn": value},
        )
        for name, rp in lam
    ]
    recs += [
        event(
            "PutEventSelectors",
            iam_user(),
            source="cloudtrail.amazonaws.com",
            request={
                "trailName": value,
                "eventSelectors": value,
                "advancedEventSelectors": [{"fieldSelectors": value}],
            },
        ),
        event("AssumeRole", iam_user(), source="sts.amazonaws.com", request={"roleArn": value}),
        event(
            "AttachRolePolicy",
            iam_user(),
            source="iam.amazonaws.com",
            request={"roleName": value, "policyArn": value},
        ),
    ]
    for d in hits(recs, "FTR-DET-001") + hits(recs, "FTR-DET-003"):
        assert d.severity.label in {"low", "medium", "high"}
