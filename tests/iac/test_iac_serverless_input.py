"""Serverless Framework input handling: fields of the wrong type are one-line input errors naming
file, function and property while the rest is scanned; non-AWS providers are skipped with a
warning; only a ``serverless.yml`` with ``service`` is a service; no message carries a repr."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from fortress.config import ScanConfig
from fortress.errors import InputError
from fortress.inventory import NOTE_ERROR, NOTE_GAP, NOTE_WARNING, Inventory, Unknown
from fortress.rules import engine
from fortress.sources import serverless
from fortress.sources.base import IacOptions

FIXTURES = Path(__file__).parent / "fixtures"

BASE = """service: s
provider:
  name: aws
  runtime: python3.12
{provider}functions:
  f:
    handler: h.f
{f}  g:
    handler: h.g
    events:
      - httpApi: GET /g
{resources}"""


def _write(tmp_path: Path, provider: str = "", f: str = "", resources: str = "") -> Path:
    path = tmp_path / "serverless.yml"
    path.write_text(BASE.format(provider=provider, f=f, resources=resources))
    return path


@pytest.mark.parametrize(
    ("parts", "line", "message"),
    [
        ({"f": "    events: http GET /\n"}, 8, "function f: events must be a list, not a string"),
        ({"f": "    layers: {a: b}\n"}, 8, "function f: layers must be a list, not a mapping"),
        (
            {"f": "    environment: [A, B]\n"},
            8,
            "function f: environment must be a mapping, not a list",
        ),
        (
            {"f": "    timeout: [1]\n"},
            8,
            "function f: timeout must be a number or a string, not a list",
        ),
        ({"f": "    vpc: true\n"}, 8, "function f: vpc must be a mapping, not a boolean"),
        (
            {"f": "    events:\n      - http\n"},
            9,
            "function f: events[0] must be a mapping with one event type (- http: ...), "
            "not a string",
        ),
        (
            {"f": "    events:\n      - http: [GET, /]\n"},
            9,
            "function f: events[0].http must be a mapping or 'METHOD /path', not a list",
        ),
        (
            {"provider": "  environment: A=1\n"},
            5,
            "provider: environment must be a mapping, not a string",
        ),
        (
            {"provider": "  iam:\n    role:\n      statements: {Effect: Allow}\n"},
            7,
            "provider.iam.role: statements must be a list, not a mapping",
        ),
        (
            {"resources": "resources:\n  Resources: [a]\n"},
            13,
            "resources.Resources must be a mapping, not a list",
        ),
        (
            {"resources": "resources:\n  Resources:\n    Bucket: just-a-name\n"},
            14,
            "resource Bucket must be a mapping (Type: ...), not a string",
        ),
        (
            {"resources": "resources:\n  Resources:\n    Bucket: {Properties: {}}\n"},
            14,
            "resource Bucket has no Type",
        ),
    ],
)
def test_wrong_types_are_input_errors_and_the_rest_is_scanned(
    tmp_path: Path, parts: dict[str, str], line: int, message: str
) -> None:
    inv = serverless.load(_write(tmp_path, **parts), IacOptions())
    errors = [(Path(n.file).name, n.line, n.message) for n in inv.notes if n.kind == NOTE_ERROR]
    assert errors == [("serverless.yml", line, message)]
    assert sorted(f.name for f in inv.functions) == ["s-dev-f", "s-dev-g"]
    assert [r.key for r in inv.apis[0].routes] == ["GET /g"]
    assert InputError("serverless.yml", message, line).args[0].count("\n") == 0


def test_function_or_provider_of_the_wrong_kind(tmp_path: Path) -> None:
    path = tmp_path / "serverless.yml"
    path.write_text(
        "service: s\nprovider: aws-lambda\nfunctions:\n  f: handler.f\n  g:\n    handler: h.g\n"
    )
    inv = serverless.load(path, IacOptions())
    assert [(n.line, n.message) for n in inv.notes if n.kind == NOTE_ERROR] == [
        (2, "provider must be a mapping (name: aws, ...), not a string"),
        (4, "function f must be a mapping (handler: ...), not a string"),
    ]
    assert [f.name for f in inv.functions] == ["s-dev-g"]


def test_a_valid_service_has_no_error_notes() -> None:
    inv = serverless.load(FIXTURES / "serverless" / "serverless.yml", IacOptions())
    assert [n for n in inv.notes if n.kind in (NOTE_ERROR, NOTE_GAP)] == []


@pytest.mark.parametrize(
    "provider", ["google", "azure", "openwhisk", "kubeless", "aliyun", "tencent", "knative"]
)
def test_non_aws_provider_is_skipped_with_a_warning(tmp_path: Path, provider: str) -> None:
    path = tmp_path / "serverless.yml"
    path.write_text(
        f"service: fn\nprovider:\n  name: {provider}\n  runtime: nodejs18\n"
        "functions:\n  first:\n    handler: http\n    events:\n      - http: path\n"
    )
    inv = serverless.load(path, IacOptions())
    assert inv.functions == [] and inv.roles == [] and inv.apis == []
    assert [(n.kind, n.line, n.message) for n in inv.notes] == [
        (NOTE_WARNING, 2, f"provider {provider} is not AWS Lambda; skipped")
    ]


def test_aws_provider_in_any_case_is_scanned(tmp_path: Path) -> None:
    path = tmp_path / "serverless.yml"
    path.write_text("service: fn\nprovider:\n  name: AWS\nfunctions:\n  f:\n    handler: h.f\n")
    assert len(serverless.load(path, IacOptions()).functions) == 1


def test_only_a_serverless_yml_with_service_is_detected(tmp_path: Path) -> None:
    snippet = tmp_path / "plugin" / "serverless.yml"
    snippet.parent.mkdir()
    snippet.write_text("custom:\n  webpack: {includeModules: true}\n")
    assert not serverless.detect(snippet) and not serverless.detect(snippet.parent)
    with pytest.raises(InputError, match="no 'service'"):
        serverless.load(snippet, IacOptions())
    service = tmp_path / "svc" / "serverless.yaml"
    service.parent.mkdir()
    service.write_text("# a service\nservice: x\nprovider: {name: aws}\n")
    assert serverless.detect(service) and serverless.detect(service.parent)


# --------------------------------------------------------------------------- no repr anywhere

REPR = re.compile(r"Unknown\(|StrNode|DictNode|ListNode|object at 0x|\{'|\['|<class ")


def _texts(value: Any, seen: set[int]) -> list[str]:
    """Every Unknown reason inside an inventory object."""
    if isinstance(value, Unknown):
        return [value.reason]
    if isinstance(value, (str, int, float)) or value is None or id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v, seen)]
    if isinstance(value, (list, tuple, set)):
        return [t for v in value for t in _texts(v, seen)]
    if dataclasses.is_dataclass(value):
        return [t for f in dataclasses.fields(value) for t in _texts(getattr(value, f.name), seen)]
    return []


def _services() -> list[Path]:
    found = sorted(FIXTURES.rglob("serverless.yml"))
    assert len(found) >= 6
    return found


@pytest.mark.parametrize("path", _services(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_no_repr_in_any_message(path: Path) -> None:
    inv = serverless.load(path, IacOptions())
    _assert_no_repr(inv)


def test_no_repr_in_messages_of_malformed_services(tmp_path: Path) -> None:
    bodies = [
        {"f": "    events: http GET /\n    layers: {a: b}\n    name: ${env:FN}\n"},
        {"f": "    events:\n      - http: {path: x, authorizer: [1]}\n"},
        {"provider": "  environment: ${file(./missing.yml)}\n  tags: [a]\n"},
        {"resources": "resources:\n  Resources:\n    Q: 3\n"},
    ]
    for i, parts in enumerate(bodies):
        folder = tmp_path / str(i)
        folder.mkdir()
        _assert_no_repr(serverless.load(_write(folder, **parts), IacOptions()))


def _assert_no_repr(inv: Inventory) -> None:
    texts = [n.message for n in inv.notes] + _texts(inv, set())
    findings = engine.evaluate(inv, engine.all_rules(), ScanConfig(as_of=date(2026, 3, 1)))
    texts += [f.message for f in findings]
    texts += [f.resource.name for f in findings] + [f.resource.id for f in findings]
    bad = [t for t in texts if REPR.search(t)]
    assert bad == []


def test_provider_role_given_as_getatt_serves_every_function(tmp_path: Path) -> None:
    path = tmp_path / "serverless.yml"
    path.write_text(
        "service: s\nprovider:\n  name: aws\n  iam:\n    role: !GetAtt AppRole.Arn\n"
        "functions:\n  f:\n    handler: h.f\n  g:\n    handler: h.g\n"
        "resources:\n  Resources:\n    AppRole:\n      Type: AWS::IAM::Role\n"
        "      Properties:\n        AssumeRolePolicyDocument: {Statement: []}\n"
    )
    inv = serverless.load(path, IacOptions())
    assert [r.name for r in inv.roles] == ["AppRole"]  # no framework role
    assert {f.role_arn for f in inv.functions} == {inv.roles[0].arn}
