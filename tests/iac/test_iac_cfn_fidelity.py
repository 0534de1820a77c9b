"""CloudFormation accepts what the deploy tools accept: duplicate keys (last one wins, with a
warning), ``AWS::Include`` of local fragments (templates and OpenAPI bodies), and wrong shapes
reported as one-line notes while the rest of the template is scanned. End to end through
``fortress scan`` where the user-visible channel (warnings, gaps, exit code) is the point."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from fortress.cli import main
from fortress.config import ScanConfig
from fortress.findings import Finding, Status
from fortress.inventory import NOTE_GAP, NOTE_WARNING, Inventory
from fortress.rules.engine import evaluate, select_rules
from fortress.sources import cloudformation
from fortress.sources.base import IacOptions

PUBLIC_URL = """\
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: open
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::111122223333:role/r
      Code: {ZipFile: "def handler(e, c): pass"}
  FnUrl:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !GetAtt Fn.Arn
      AuthType: NONE
"""


def _scan_json(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, dict[str, Any], str]:
    code = main(["scan", str(path), "--format", "json", "--as-of", "2026-03-01"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def _findings(inventory: Inventory, rule: str) -> list[Finding]:
    return list(evaluate(inventory, select_rules([rule]), ScanConfig()))


# --------------------------------------------------------------------------- duplicate keys


def test_duplicate_key_in_an_unrelated_resource_warns_and_the_url_is_found(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"
        "  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n"
        "      VisibilityTimeout: 30\n      VisibilityTimeout: 60\n" + PUBLIC_URL
    )
    inventory = cloudformation.load(template, IacOptions())
    [note] = inventory.notes
    assert (note.kind, note.line) == (NOTE_WARNING, 7)
    assert note.message == (
        "duplicate key `VisibilityTimeout` in Resources.Queue.Properties; the last one is used"
    )

    code, report, err = _scan_json(capsys, template)
    assert report["input_warnings"] == [{"file": str(template), "line": 7, "message": note.message}]
    assert f"fortress: warning: {template}:7: duplicate key `VisibilityTimeout`" in err
    urls = [f for f in report["findings"] if f["rule_id"] == "FTR-API-001"]
    assert [(u["status"], u["resource"]["logical_id"]) for u in urls] == [("fail", "Fn")]
    assert code == 1  # findings; the warning does not make the scan incomplete


def test_duplicate_key_takes_the_last_value(tmp_path: Path) -> None:
    """A duplicated AuthType: the last one decides, in YAML and in JSON."""
    yaml_file = tmp_path / "t.yaml"
    yaml_file.write_text(
        "Resources:\n"
        + PUBLIC_URL.replace("AuthType: NONE", "AuthType: NONE\n      AuthType: AWS_IAM")
    )
    json_file = tmp_path / "t.json"
    json_file.write_text(
        '{"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": '
        '{"Runtime": "python3.12", "Handler": "a.h", "Role": "arn:aws:iam::1:role/r"}},\n'
        '"Url": {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": '
        '{"Fn::GetAtt": ["Fn", "Arn"]},\n"AuthType": "AWS_IAM",\n"AuthType": "NONE"}}}}\n'
    )
    assert [
        u.auth_type for f in cloudformation.load(yaml_file, IacOptions()).functions for u in f.urls
    ] == ["AWS_IAM"]
    inventory = cloudformation.load(json_file, IacOptions())
    assert [u.auth_type for f in inventory.functions for u in f.urls] == ["NONE"]
    assert [(n.kind, n.line) for n in inventory.notes] == [(NOTE_WARNING, 4)]  # the last one
    assert "Resources.Url.Properties" in inventory.notes[0].message


def test_duplicate_resource_keeps_the_last_with_its_line(tmp_path: Path) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"
        "  Q:\n    Type: AWS::Lambda::Function\n    Properties: {Runtime: python3.12}\n"
    )
    inventory = cloudformation.load(template, IacOptions())
    assert [(f.origin.logical_id, f.origin.line) for f in inventory.functions] == [("Q", 4)]
    assert [n.message for n in inventory.notes] == [
        "duplicate key `Q` in Resources; the last one is used"
    ]


# --------------------------------------------------------------------------- AWS::Include


def _include_tree(tmp_path: Path) -> Path:
    (tmp_path / "fragments").mkdir()
    (tmp_path / "fragments" / "functions.yaml").write_text(PUBLIC_URL.replace("\n  ", "\n")[2:])
    (tmp_path / "template.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"
        "  Queue:\n    Type: AWS::SQS::Queue\n"
        "  Fn::Transform:\n    Name: AWS::Include\n"
        "    Parameters: {Location: fragments/functions.yaml}\n"
    )
    return tmp_path / "template.yaml"


def test_include_of_a_local_fragment_brings_its_resources(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    template = _include_tree(tmp_path)
    inventory = cloudformation.load(template, IacOptions())
    assert inventory.notes == []
    [fn] = inventory.functions
    # Reported where it is written: in the fragment, at its own line.
    assert (fn.name, fn.origin.file, fn.origin.line) == (
        "open",
        str(tmp_path / "fragments" / "functions.yaml"),
        1,
    )
    [finding] = _findings(inventory, "FTR-API-001")
    assert finding.status is Status.FAIL
    code, report, _ = _scan_json(capsys, tmp_path)
    assert code == 1 and report["coverage_gaps"] == []


def test_include_as_an_openapi_body(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n"
        "  /open:\n    get:\n      x-amazon-apigateway-integration:\n"
        "        type: aws_proxy\n        httpMethod: POST\n"
        "        uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
        "${Fn.Arn}/invocations\n"
        "  /closed:\n    get:\n      security: [{iam: []}]\n"
        "      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: x}\n"
        "components:\n  securitySchemes:\n"
        "    iam: {type: apiKey, name: Authorization, in: header, "
        "x-amazon-apigateway-authtype: awsSigv4}\n"
    )
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n"
        "  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {Runtime: python3.12, Handler: a.h, CodeUri: src}\n"
        "  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: prod\n"
        "      DefinitionBody:\n        Fn::Transform:\n          Name: AWS::Include\n"
        "          Parameters: {Location: ./api.yaml}\n"
    )
    inventory = cloudformation.load(tmp_path / "template.yaml", IacOptions())
    assert inventory.notes == []
    [api] = inventory.apis
    routes = {r.key: r for r in api.routes}
    assert routes["GET /open"].authorization_type == "NONE"
    assert routes["GET /open"].function_arns == [inventory.functions[0].arn]
    assert routes["GET /closed"].authorization_type == "AWS_IAM"
    [finding] = _findings(inventory, "FTR-API-003")
    assert finding.status is Status.FAIL and "GET /open" in finding.message
    assert "/closed" not in finding.message


def _refused(tmp_path: Path, location: str, body: bool = False) -> Inventory:
    if body:
        resource = (
            "  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Body:\n"
            f"        Fn::Transform: {{Name: AWS::Include, Parameters: {{Location: '{location}'}}}}\n"
        )
    else:
        resource = (
            f"  Fn::Transform: {{Name: AWS::Include, Parameters: {{Location: '{location}'}}}}\n"
        )
    folder = tmp_path / "scanned"
    folder.mkdir(exist_ok=True)
    (folder / "template.yaml").write_text(
        "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n" + resource
    )
    return cloudformation.load(folder, IacOptions())


@pytest.mark.parametrize(
    ("location", "why"),
    [
        ("s3://bucket/fragment.yaml", "the fragment is in S3"),
        ("../outside.yaml", "outside the folder being scanned"),
        ("missing.yaml", "no such file"),
        ("sub", "not a regular file"),
        ("link.yaml", "outside the folder being scanned"),  # a symlink out of the folder
        ("broken.yaml", "does not parse"),
        ("template.yaml", "include cycle"),
    ],
)
@pytest.mark.parametrize("body", [False, True], ids=["fragment", "openapi-body"])
def test_include_not_followed_is_a_gap_naming_the_location(
    tmp_path: Path, location: str, why: str, body: bool
) -> None:
    (tmp_path / "outside.yaml").write_text("Extra: {Type: AWS::SQS::Queue}\n")
    folder = tmp_path / "scanned"
    (folder / "sub").mkdir(parents=True)
    (folder / "broken.yaml").write_text("a: [unclosed\n")
    os.symlink(tmp_path / "outside.yaml", folder / "link.yaml")
    inventory = _refused(tmp_path, location, body)
    gaps = [n for n in inventory.notes if n.kind == NOTE_GAP]
    assert len(gaps) == 1, inventory.notes
    assert gaps[0].subject == location and why in gaps[0].message
    assert gaps[0].line == (8 if body else 4)  # the Fn::Transform line
    if body:
        [api] = inventory.apis
        assert api.opaque_reason is not None and location in api.opaque_reason
        assert _findings(inventory, "FTR-API-003")[0].status is Status.UNKNOWN


def test_include_too_large_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fortress.sources.cloudformation import includes

    monkeypatch.setattr(includes, "MAX_BYTES", 10)
    (tmp_path / "scanned").mkdir()
    (tmp_path / "scanned" / "big.yaml").write_text("Extra: {Type: AWS::SQS::Queue}\n")
    [gap] = _refused(tmp_path, "big.yaml").notes
    assert gap.kind == NOTE_GAP and "larger than" in gap.message


def test_gap_makes_the_scan_incomplete(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _refused(tmp_path, "s3://bucket/fragment.yaml")
    code, report, _ = _scan_json(capsys, tmp_path / "scanned")
    assert code == 3
    [source] = report["sources"]
    assert any("s3://bucket/fragment.yaml" in entry for entry in source["not_followed"])


def test_nested_include_and_a_duplicate_key_in_a_fragment(tmp_path: Path) -> None:
    (tmp_path / "inner.yaml").write_text(PUBLIC_URL.replace("\n  ", "\n")[2:])
    (tmp_path / "outer.yaml").write_text(
        "Queue:\n  Type: AWS::SQS::Queue\n  Type: AWS::SQS::Queue\n"
        "Fn::Transform: {Name: AWS::Include, Parameters: {Location: inner.yaml}}\n"
    )
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Fn::Transform: {Name: AWS::Include, Parameters: {Location: outer.yaml}}\n"
    )
    inventory = cloudformation.load(tmp_path / "template.yaml", IacOptions())
    assert [f.name for f in inventory.functions] == ["open"]
    [note] = inventory.notes
    assert (note.kind, note.file, note.line) == (NOTE_WARNING, str(tmp_path / "outer.yaml"), 3)
    assert note.message == "duplicate key `Type` in Queue; the last one is used"


def test_includes_nest_at_most_five_deep(tmp_path: Path) -> None:
    for i in range(7):
        (tmp_path / f"f{i}.yaml").write_text(
            f"Q{i}: {{Type: AWS::SQS::Queue}}\n"
            f"Fn::Transform: {{Name: AWS::Include, Parameters: {{Location: f{i + 1}.yaml}}}}\n"
        )
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Fn::Transform: {Name: AWS::Include, Parameters: {Location: f0.yaml}}\n"
    )
    [gap] = cloudformation.load(tmp_path / "template.yaml", IacOptions()).notes
    assert gap.kind == NOTE_GAP and "nest deeper than 5" in gap.message
