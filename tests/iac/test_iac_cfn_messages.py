"""No Python ``repr`` in any message the CloudFormation/SAM source or the rules produce from
it: unknown reasons, notes, finding messages. Over every CFN/SAM fixture of tests/iac and over
templates written to hit each malformed-intrinsic path."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fortress.config import ScanConfig
from fortress.inventory import Inventory, Unknown
from fortress.rules.engine import all_rules, evaluate
from fortress.sources import cloudformation
from fortress.sources.base import IacOptions

FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATES = sorted(
    p
    for p in FIXTURES.rglob("*")
    if p.is_file()
    and p.name != "serverless.yml"
    # Serverless services' included fragments are checked by the Serverless message tests.
    and "serverless" not in p.relative_to(FIXTURES).parts
    and cloudformation.detect(p)
)
# What reprs look like: a dict, list or tuple of strings, an object, a node or Unknown class.
REPR = re.compile(
    r"\{'[^']*': |\['[^']*'(?:, '|\])|\('[^']*', '|<[\w.]+ object at"
    r"|\b(?:StrNode|DictNode|ListNode|dict_node|str_node|list_node|Unknown)\("
)
MALFORMED = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Env: {Type: String}
Mappings:
  Sizes: {dev: {mem: 128}}
Conditions:
  Odd: {"Fn::Whatever": [1, 2]}
  Unknown: !Equals [!Ref Env, prod]
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: {"Fn::GetAtt": {a: b}}
      Handler: !Join [only-one]
      PackageType: !If [Odd, a]
      MemorySize: big
      Timeout: !FindInMap [Sizes, prod, mem]
      Role: !Select [x, {a: b}]
      KmsKeyArn: !Split [",", {k: v}]
      Description: !Sub [a, b, c]
      TracingConfig: !If [Unknown, {Mode: Active}, [PassThrough, x]]
      Environment:
        Variables:
          A: !Sub "${Env}-x"
          B: !If [Odd, {k: v}, [1]]
  Url:
    Type: AWS::Lambda::Url
    Properties: {TargetFunctionArn: !GetAtt Fn.Arn, AuthType: NONE, Cors: {AllowCredentials: maybe}}
  SamFn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s
      Runtime: python3.12
      Handler: a.h
      Events:
        Get:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /x, Method: get, Auth: {Authorizer: {a: b}}}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth: {Authorizers: {A: {Weird: 1}}, DefaultAuthorizer: A}
      DefinitionBody:
        openapi: 3.0.1
        components: {securitySchemes: {s: {type: [x]}}}
        paths:
          /y: {get: {security: [{s: []}], x-amazon-apigateway-integration: {uri: x}}}
"""


def _texts(inventory: Inventory) -> Iterator[tuple[str, str]]:
    seen: set[int] = set()

    def walk(value: Any, where: str) -> Iterator[tuple[str, str]]:
        if isinstance(value, Unknown):
            yield where, value.reason
        elif isinstance(value, (str, int, float, bool)) or value is None or id(value) in seen:
            return
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            seen.add(id(value))
            for f in dataclasses.fields(value):
                yield from walk(getattr(value, f.name), f"{where}.{f.name}")
        elif isinstance(value, dict):
            seen.add(id(value))
            for k, v in value.items():
                yield from walk(v, f"{where}[{k}]")
        elif isinstance(value, (list, tuple, set)):
            seen.add(id(value))
            for i, v in enumerate(value):
                yield from walk(v, f"{where}[{i}]")

    yield from walk(inventory, "inventory")
    for note in inventory.notes:
        yield "note", note.message
    for finding in evaluate(inventory, all_rules(), ScanConfig()):
        yield f"{finding.rule_id} {finding.resource.logical_id}", finding.message


def _assert_no_repr(inventory: Inventory) -> int:
    count = 0
    for where, text in _texts(inventory):
        count += 1
        assert not REPR.search(text), f"{where}: {text}"
    return count


def test_fixtures_are_found() -> None:
    assert len(TEMPLATES) >= 8


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_no_repr_in_fixture_messages(template: Path) -> None:
    assert _assert_no_repr(cloudformation.load(template, IacOptions())) > 0


def test_no_repr_for_malformed_intrinsics(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(MALFORMED)
    inventory = cloudformation.load(path, IacOptions())
    reasons = [text for _, text in _texts(inventory)]
    # The malformed paths were taken (so the check above them means something).
    for expected in ("malformed Fn::GetAtt", "malformed Fn::Join", "not a number: big"):
        assert any(expected in r for r in reasons), expected
    assert any("the authorizer is a mapping" in r for r in reasons)
    assert _assert_no_repr(inventory) > 0


def test_the_check_catches_a_repr() -> None:
    assert REPR.search(str({"a": 1})) and REPR.search(str(["x"]))
    assert REPR.search(repr(Unknown("r"))) and REPR.search(str(("a", "b")))
    assert not REPR.search("Sid 'Perm' allows *") and not REPR.search("any origin ('*')")
