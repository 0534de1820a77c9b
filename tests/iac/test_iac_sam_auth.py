"""SAM API authorization for routes written in ``DefinitionBody``, as the SAM translator does it:
``Auth.DefaultAuthorizer`` on routes without their own authorizer, OPTIONS per
``AddDefaultAuthorizerToCorsPreflight`` (REST; never on HTTP APIs), the ``NONE`` marker and
per-event ``Authorizer: NONE`` leaving a route open.

The expectations are not written by hand: the installed aws-sam-translator transforms the same
fixture offline and its output (each method's ``security``) is what our routes must say.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fortress.config import ScanConfig
from fortress.findings import Status
from fortress.inventory import ApiRoute, Inventory
from fortress.rules.engine import evaluate, select_rules
from fortress.sources import cloudformation
from fortress.sources.base import IacOptions

FIXTURES = Path(__file__).parent / "fixtures" / "sam" / "auth"
REST = FIXTURES / "rest-default-authorizer.yaml"
HTTP = FIXTURES / "http-default-authorizer.yaml"


def _translated(path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str | None]:
    """``"METHOD /path"`` → the authorizer the SAM translator puts on it (None: none)."""
    samtranslator = pytest.importorskip("samtranslator")
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    assert samtranslator is not None
    output = transform(
        yaml_parse(path.read_text(encoding="utf-8")),
        {"AWS::Region": "us-east-1"},
        NoManagedPolicies(),
    )
    api = next(
        r
        for r in output["Resources"].values()
        if r["Type"] in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api")
    )
    found: dict[str, str | None] = {}
    for path_key, item in api["Properties"]["Body"]["paths"].items():
        for method, op in item.items():
            security: list[dict[str, Any]] = op.get("security") or []
            names = [name for entry in security for name in entry if name != "NONE"]
            found[f"{method.upper()} {path_key}"] = names[0] if names else None
    return found


def _ours(inventory: Inventory) -> dict[str, ApiRoute]:
    [api] = inventory.apis
    return {r.key: r for r in api.routes}


def _authorizer(route: ApiRoute) -> str | None:
    if route.authorization_type == "NONE":
        return None
    if route.authorization_type == "AWS_IAM":
        return "AWS_IAM"
    return route.authorizer_id


@pytest.mark.parametrize("preflight", ["false", "true"])
def test_rest_default_authorizer_matches_the_translator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, preflight: str
) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        REST.read_text().replace(
            "AddDefaultAuthorizerToCorsPreflight: false",
            f"AddDefaultAuthorizerToCorsPreflight: {preflight}",
        )
    )
    expected = _translated(template, monkeypatch)
    ours = _ours(cloudformation.load(template, IacOptions()))
    assert {key: _authorizer(ours[key]) for key in expected} == expected
    # What the translator wrote, spelled out (so a translator change is noticed here too).
    assert expected == {
        "GET /plain": "Pool",
        "OPTIONS /plain": "Pool" if preflight == "true" else None,
        "GET /token": "Token",
        "GET /none": None,
    }
    assert ours["GET /plain"].authorization_type == "COGNITO_USER_POOLS"
    assert ours["GET /token"].authorization_type == "CUSTOM"


def test_http_default_authorizer_matches_the_translator(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _translated(HTTP, monkeypatch)
    ours = _ours(cloudformation.load(HTTP, IacOptions()))
    assert {key: _authorizer(ours[key]) for key in expected} == expected
    assert expected == {
        "GET /plain": "Jwt",
        "OPTIONS /plain": None,  # HTTP APIs never put the default on OPTIONS
        "GET /other": "Other",
        "GET /empty-security": "Jwt",  # an empty security list still gets the default
        "GET /open-event": None,  # the event's Authorizer: NONE
    }
    assert ours["GET /plain"].authorization_type == "JWT"


def test_event_authorizer_none_and_default() -> None:
    ours = _ours(cloudformation.load(REST, IacOptions()))
    assert _authorizer(ours["GET /open-event"]) is None
    assert _authorizer(ours["GET /default-event"]) == "Pool"


def test_without_default_a_named_sam_authorizer_is_still_read(tmp_path: Path) -> None:
    """Before, a body route naming an ``Auth.Authorizers`` entry was an unknown scheme."""
    template = tmp_path / "template.yaml"
    template.write_text(
        REST.read_text().replace("DefaultAuthorizer: Pool", "ApiKeyRequired: false")
    )
    ours = _ours(cloudformation.load(template, IacOptions()))
    assert _authorizer(ours["GET /token"]) == "Token"
    assert _authorizer(ours["GET /plain"]) is None


def test_rules_flag_exactly_the_open_routes() -> None:
    rest = list(
        evaluate(
            cloudformation.load(REST, IacOptions()), select_rules(["FTR-API-003"]), ScanConfig()
        )
    )
    [finding] = rest
    assert finding.status is Status.FAIL
    assert "GET /none" in finding.message and "GET /open-event" in finding.message
    for closed in ("GET /plain", "GET /token", "GET /default-event"):
        assert closed not in finding.message
    http = list(
        evaluate(
            cloudformation.load(HTTP, IacOptions()), select_rules(["FTR-API-004"]), ScanConfig()
        )
    )
    [finding] = http
    assert finding.status is Status.FAIL and "GET /open-event" in finding.message
    for closed in ("GET /plain", "GET /other", "GET /empty-security"):
        assert closed not in finding.message
