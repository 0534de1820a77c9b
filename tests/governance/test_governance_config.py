"""The configuration file .fortress.yaml: discovery, settings, suppressions, and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fortress import configfile
from fortress.cli import main

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  LegacyFn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: legacy-report
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/r
      Code: {ZipFile: "def handler(e, c): pass"}
  OrdersFn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: orders
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/r
      Code: {ZipFile: "def handler(e, c): pass"}
"""

CONFIG = """\
version: 1
trusted_accounts: ["111122223333"]
required_tags: [cost-center]
severity:
  FTR-LOG-001: high
rules:
  FTR-EPH: false
  FTR-EPH-003: true
suppressions:
  - rule: FTR-CODE-001
    resource: "legacy-*"
    reason: legacy build pipeline cannot sign yet
    owner: platform-team
    expires: 2099-12-31
  - rule: FTR-NET-001
    resource: "*:function:orders"
    reason: moved into the VPC next sprint
    expires: 2020-01-31
deployers: [arn:aws:iam::123456789012:role/deploy]
expected_regions: [us-east-1]
"""


def _project(tmp_path: Path, config: str | None = CONFIG) -> Path:
    sub = tmp_path / "project" / "stacks"
    sub.mkdir(parents=True)
    (sub / "template.yaml").write_text(TEMPLATE)
    if config is not None:
        (tmp_path / "project" / ".fortress.yaml").write_text(config)
    return sub / "template.yaml"


def _scan(args: list[str], capsys: Any) -> tuple[int, dict[str, Any], str]:
    code = main(["scan", *args, "--format", "json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else {}, captured.err


def _by(report: dict[str, Any], rule: str, name: str) -> dict[str, Any]:
    return next(
        f for f in report["findings"] if f["rule_id"] == rule and f["resource"]["name"] == name
    )


def test_config_found_upward_from_the_scanned_path_applies_every_setting(
    tmp_path: Path, capsys: Any
) -> None:
    template = _project(tmp_path)
    code, report, _ = _scan([str(template)], capsys)
    # FTR-LOG-001 is raised to high by the file, so the default --fail-on high fails the run.
    assert code == 1
    log = _by(report, "FTR-LOG-001", "orders")
    assert log["severity"] == "high" and log["status"] == "fail"
    signing = _by(report, "FTR-CODE-001", "legacy-report")
    assert signing["status"] == "suppressed"
    assert "legacy build pipeline" in signing["suppression"]
    assert "platform-team" in signing["suppression"]
    assert _by(report, "FTR-CODE-001", "orders")["status"] == "fail"  # glob does not match
    rules = {f["rule_id"] for f in report["findings"]}
    assert "FTR-EPH-001" not in rules and "FTR-EPH-002" not in rules
    assert "FTR-EPH-003" in rules  # the longer key switches it back on
    tags = _by(report, "FTR-GOV-002", "orders")
    assert "cost-center" in tags["message"]


def test_expired_suppression_fails_again_and_says_so(tmp_path: Path, capsys: Any) -> None:
    template = _project(tmp_path)
    _, report, _ = _scan([str(template)], capsys)
    vpc = _by(report, "FTR-NET-001", "orders")
    assert vpc["status"] == "fail"
    assert "expired on 2020-01-31" in vpc["message"]
    assert ".fortress.yaml:15 " in vpc["message"]
    assert vpc["evidence"]["expired_suppression"]["expired"] == "2020-01-31"


def test_without_the_file_nothing_is_suppressed(tmp_path: Path, capsys: Any) -> None:
    template = _project(tmp_path, config=None)
    code, report, _ = _scan([str(template), "--no-config"], capsys)
    assert code == 0
    assert _by(report, "FTR-CODE-001", "legacy-report")["status"] == "fail"


def test_explicit_config_file(tmp_path: Path, capsys: Any) -> None:
    template = _project(tmp_path, config=None)
    other = tmp_path / "ci.yaml"
    other.write_text("rules:\n  FTR-LOG: off\n")
    _, report, _ = _scan([str(template), "--config", str(other)], capsys)
    assert report["findings"] and not any(
        f["rule_id"].startswith("FTR-LOG") for f in report["findings"]
    )


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("trusted_acounts: ['111122223333']\n", 1, "unknown key 'trusted_acounts'"),
        (
            "suppressions:\n  - rule: FTR-NET-001\n    resource: '*'\n    colour: red\n    reason: x\n",
            4,
            "unknown key 'suppressions[0].colour'",
        ),
        ("trusted_accounts: 111122223333\n", 1, "trusted_accounts: expected a list, got a int"),
        ("required_tags: [owner, 7]\n", 1, "required_tags[1]: expected a string, got a int"),
        ("severity:\n  FTR-LOG-001: urgent\n", 2, "severity.FTR-LOG-001: 'urgent' is not one of"),
        ("rules:\n  FTR-LOG-001: maybe\n", 2, "rules.FTR-LOG-001: expected true or false"),
        ("version: 2\n", 1, "version: must be 1"),
        (
            "suppressions:\n  - rule: FTR-NET-001\n    resource: '*'\n",
            2,
            "suppressions[0]: a suppression must give a reason",
        ),
        (
            "suppressions:\n  - rule: FTR-NET-001\n    resource: '*'\n    reason: '  '\n",
            4,
            "suppressions[0].reason: a suppression must give a reason",
        ),
        (
            "suppressions:\n  - rule: FTR-NET-001\n    resource: '*'\n    reason: r\n    expires: soon\n",
            5,
            "suppressions[0].expires: 'soon' is not a date",
        ),
        (
            "suppressions:\n  - rule: FTR-NET-999\n    resource: '*'\n    reason: r\n",
            2,
            "suppressions[0].rule: no rule 'FTR-NET-999'",
        ),
        ("severity:\n  FTR-NOPE: low\n", 2, "severity.FTR-NOPE: no rule matches 'FTR-NOPE'"),
        ("secret_ignore: ['(unclosed']\n", 1, "secret_ignore[0]: not a regular expression"),
        ("trusted_accounts: [\n", 2, "not valid YAML"),
        ("- just\n- a list\n", 1, "expected a mapping of settings"),
        ("required_tags: [a]\nrequired_tags: [b]\n", 2, "duplicate key 'required_tags'"),
    ],
)
def test_bad_config_is_one_line_naming_file_line_and_key(
    tmp_path: Path, capsys: Any, text: str, line: int, needle: str
) -> None:
    template = _project(tmp_path, config=text)
    code = main(["scan", str(template)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1, err
    assert f".fortress.yaml:{line}: " in err[0], err[0]
    assert needle in err[0], err[0]


def test_missing_config_file_is_an_error(tmp_path: Path, capsys: Any) -> None:
    template = _project(tmp_path, config=None)
    assert main(["scan", str(template), "--config", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope.yaml: no such file" in err[0]


def test_shipped_schema_is_valid_and_accepts_the_documented_example() -> None:
    schema = configfile.schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    docs = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    example = docs.split("```yaml\n", 1)[1].split("```", 1)[0]
    import yaml

    data = configfile._jsonable(yaml.safe_load(example))
    jsonschema.validate(data, schema)
    assert set(data) == set(schema["properties"])  # the example shows every key


SHARED = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  SharedFn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: shared
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/r
      Code: {ZipFile: "def handler(e, c): pass"}
      Environment:
        Variables:
          STRIPE_KEY: sk_live_4eC39HqLyjWDarjtT1zdp7dcAbCdEfGh
  PartnerInvoke:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref SharedFn
      Action: lambda:InvokeFunction
      Principal: "111122223333"
"""


def test_trusted_accounts_and_secret_ignore_from_the_file(
    tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(SHARED)
    _, before, _ = _scan([str(template), "--no-config"], capsys)
    assert _by(before, "FTR-IAM-008", "shared")["status"] == "fail"
    assert _by(before, "FTR-SEC-001", "shared")["status"] == "fail"
    # Not above the template: found from the working directory.
    work = tmp_path / "work"
    work.mkdir()
    (work / ".fortress.yaml").write_text(
        "trusted_accounts: ['111122223333']\nsecret_ignore: ['^STRIPE_KEY$']\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    moved = elsewhere / "template.yaml"
    template.rename(moved)
    monkeypatch.chdir(work)
    _, after, _ = _scan([str(moved)], capsys)
    assert _by(after, "FTR-IAM-008", "shared")["status"] == "pass"
    assert _by(after, "FTR-SEC-001", "shared")["status"] == "pass"
