"""The fast template decoder gives exactly what cfn-lint's decoder gives (values, types, marks).

Also: what it leaves to cfn-lint (anchors, merge keys, duplicate keys, bad YAML) still produces
cfn-lint's result and errors; the collector is paused only while loading; SAM expansion no
longer deep-copies shared data, so that data must stay untouched.
"""

from __future__ import annotations

import datetime
import gc
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.decode import cfn_yaml

from fortress.errors import InputError
from fortress.sources import cloudformation, serverless
from fortress.sources.base import IacOptions
from fortress.sources.cloudformation import decode, sam

FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATES = sorted(
    p for p in FIXTURES.rglob("*") if p.suffix in (".yaml", ".yml", ".json", ".template")
)

RICH = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Env: {Type: String, Default: dev}
  Size: {Type: Number, Default: 128}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "${Env}-fn"
      Role: !GetAtt Role.Arn
      Other: !GetAtt [Role, Arn]
      Nested: !Join ["-", [!Ref Env, !Select [0, !GetAZs ""], !Base64 x]]
      Mem: !If [IsProd, 1024, !Ref Size]
      Timeout: 30
      Ratio: 0.5
      Enabled: true
      Off: no
      Nothing: null
      Tilde: ~
      Hex: 0x1F
      When: 2012-10-17
      Stamp: 2001-12-14t21:59:43.10-05:00
      Quoted: "2012-10-17"
      Multi: |
        line one
        line two
      Folded: >
        folded
        text
      Sub2: !Sub
        - "${A}-${B}"
        - {A: !Ref Env, B: b}
      Tmpl: !Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}
      Empty: ""
      List: [1, "two", 3.0, [nested, list], {k: v}]
      123: numeric key
      true: bool key
Outputs:
  Out: {Value: !Ref Fn}
"""


def _same(fast: Any, slow: Any, path: str = "$", string_marks: bool = False) -> None:
    """Recursively: same types, values, key order, start/end marks (line and column) of
    mappings and sequences, and the line of every key.

    Strings carry marks only with ``string_marks``; otherwise their lines live in the mapping
    (``key_line``), which is what every reader uses.
    """
    marked = isinstance(slow, (Mapping, list)) or string_marks
    for name in ("start_mark", "end_mark"):
        a, b = getattr(fast, name, None), getattr(slow, name, None)
        if not marked:
            break
        assert (a is None) == (b is None), f"{path}: {name} present in one decoding only"
        if a is not None:
            assert (a.line, a.column) == (b.line, b.column), f"{path}: {name} differs"
    if isinstance(slow, Mapping):
        assert isinstance(fast, Mapping), path
        assert list(fast) == list(slow), f"{path}: keys differ"
        assert type(fast).__name__ == "DictNode" or type(slow) is dict, path
        slow_lines = decode.key_lines(slow)
        fast_lines = decode.key_lines(fast)
        for key, line in slow_lines.items():
            assert fast_lines.get(key) == line, f"{path}.{key!r}: key line differs"
        for (kf, vf), (ks, vs) in zip(fast.items(), slow.items(), strict=True):
            _same(kf, ks, f"{path}.{ks!r}(key)", string_marks)
            _same(vf, vs, f"{path}.{ks}", string_marks)
    elif isinstance(slow, list):
        assert isinstance(fast, list) and len(fast) == len(slow), path
        for i, (f, s) in enumerate(zip(fast, slow, strict=True)):
            _same(f, s, f"{path}[{i}]", string_marks)
    else:
        assert isinstance(fast, str) == isinstance(slow, str), path
        if not isinstance(slow, str):
            assert type(fast) is type(slow), f"{path}: {type(fast)} vs {type(slow)}"
        assert fast == slow, f"{path}: {fast!r} != {slow!r}"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_decodes_as_cfn_lint(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    fast = cloudformation.fast_decode(text)
    slow = cfn_yaml.loads(text, str(template))
    assert fast is not None
    _same(fast, slow)


def test_fixtures_are_found() -> None:
    assert len(TEMPLATES) >= 10


def test_aliased_scalars_decode_as_cfn_lint() -> None:
    text = "Resources:\n  A:\n    Type: &t AWS::SQS::Queue\n  B:\n    Type: *t\n"
    fast = cloudformation.fast_decode(text)
    assert fast is not None
    _same(fast, cfn_yaml.loads(text, "alias.yaml"))
    assert fast["Resources"]["B"]["Type"] == "AWS::SQS::Queue"


def test_alias_amplification_is_left_to_cfn_lint_guard(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    text = "\n".join(lines) + "\nResources: {R: {Type: T, P: *a6}}\n"
    assert cloudformation.fast_decode(text) is None
    path = tmp_path / "laughs.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        cloudformation.parse_template(path)
    assert "YAML aliases" in str(err.value)


def test_rich_template_decodes_as_cfn_lint() -> None:
    fast = cloudformation.fast_decode(RICH)
    assert fast is not None
    _same(fast, cfn_yaml.loads(RICH, "rich.yaml"))
    props = fast["Resources"]["Fn"]["Properties"]
    assert props["Role"] == {"Fn::GetAtt": ["Role", "Arn"]}
    assert props["When"] == datetime.date(2012, 10, 17) and props["Quoted"] == "2012-10-17"
    # YAML 1.1, as cfn-lint: the key "Off" is the boolean False, "no" too.
    assert props[False] is False and props[True] == "bool key" and props[123] == "numeric key"
    assert props["Hex"] == 31 and props["Nothing"] is None and props["Ratio"] == 0.5
    assert props["FunctionName"].start_mark.line == 12  # 0-based, as in cfn-lint
    assert cloudformation.key_lines(fast["Resources"]) == {"Fn": 10}


def test_json_template_decodes_as_cfn_lint() -> None:
    text = '{\n  "Resources": {\n    "Q": {"Type": "AWS::SQS::Queue", "N": [1, 2.5, true, null]}\n  }\n}\n'
    fast = cloudformation.fast_decode(text)
    assert fast is not None
    _same(fast, cfn_yaml.loads(text, "t.json"))
    assert fast["Resources"]["Q"].start_mark.line == 2


@pytest.mark.parametrize(
    "text",
    [
        "Resources:\n  A: &x {Type: T}\n  B: *x\n",  # anchors/aliases: cfn-lint guards them
        "Base: &b {Type: T}\nResources:\n  A:\n    <<: *b\n",  # merge key
        "Resources:\n  A: {Type: T}\n  A: {Type: U}\n",  # duplicate key: cfn-lint reports it
        "Resources:\n  ~: {Type: T}\n",  # null key
        "a: 1\n---\nb: 2\n",  # several documents
        "a: !!python/name:os.system x\n",  # unknown tag
        "Resources: [unclosed\n",  # does not parse
        "",  # empty
    ],
)
def test_left_to_cfn_lint(text: str) -> None:
    assert cloudformation.fast_decode(text) is None


def test_errors_are_still_cfn_lint_errors(tmp_path: Path) -> None:
    dup = tmp_path / "dup.yaml"
    dup.write_text("Resources:\n  A:\n    Type: AWS::SQS::Queue\n  A:\n    Type: X\n")
    with pytest.raises(InputError) as err:
        cloudformation.parse_template(dup)
    assert "Duplicate found" in str(err.value) and "dup.yaml" in str(err.value)
    bad = tmp_path / "bad.yaml"
    bad.write_text("Resources:\n  A: [unclosed\n")
    with pytest.raises(InputError) as err:
        cloudformation.parse_template(bad)
    assert "does not parse" in str(err.value)


def test_anchored_template_still_loads_through_cfn_lint(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text(
        "Resources:\n  Q1: &q\n    Type: AWS::SQS::Queue\n  Q2: *q\n"
        "  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {Runtime: python3.12}\n"
    )
    template = cloudformation.parse_template(path)
    assert type(template).__name__ == "dict_node"  # cfn-lint's own node class
    inv = cloudformation.load(path, IacOptions())
    assert [(f.runtime, f.origin.line) for f in inv.functions] == [("python3.12", 5)]


def test_gc_paused_only_while_loading(tmp_path: Path) -> None:
    assert gc.isenabled()
    seen: list[bool] = []
    original = cloudformation.load_file

    def spy(path: Path, options: IacOptions, *root: Path) -> Any:
        seen.append(gc.isenabled())
        return original(path, options, *root)

    good = FIXTURES / "cloudformation" / "vulnerable.yaml"
    bad = tmp_path / "bad.yaml"
    bad.write_text("Resources: [unclosed\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cloudformation, "load_file", spy)
        cloudformation.load(good, IacOptions())
        with pytest.raises(InputError):
            cloudformation.load(bad, IacOptions())
    assert seen == [False, False]
    assert gc.isenabled()  # restored after success and after an error
    gc.disable()
    try:
        cloudformation.load(good, IacOptions())
        assert not gc.isenabled()  # a caller's own pause is left alone
    finally:
        gc.enable()


def test_terraform_load_pauses_gc_too(tmp_path: Path) -> None:
    from fortress.sources import terraform

    seen: list[bool] = []
    original = terraform._load

    def spy(path: Path, options: IacOptions) -> Any:
        seen.append(gc.isenabled())
        return original(path, options)

    good = tmp_path / "main.tf"
    good.write_text('resource "aws_sns_topic" "t" {\n  name = "t"\n}\n')
    bad = tmp_path / "bad" / "main.tf"
    bad.parent.mkdir()
    bad.write_text("resource {\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(terraform, "_load", spy)
        terraform.load(good, IacOptions())
        with pytest.raises(InputError):
            terraform.load(bad, IacOptions())
    assert seen == [False, False]
    assert gc.isenabled()  # restored after success and after an error


def test_serverless_still_decodes(tmp_path: Path) -> None:
    path = tmp_path / "serverless.yml"
    path.write_text(
        "service: svc\nprovider:\n  name: aws\n  runtime: python3.12\n"
        "functions:\n  hello:\n    handler: h.main\n"
    )
    inv = serverless.load(path, IacOptions())
    assert [f.runtime for f in inv.functions] == ["python3.12"]
    assert inv.functions[0].origin.line == 6
    broken = tmp_path / "serverless.yaml"
    broken.write_text("service: svc\nprovider: [unclosed\n")
    with pytest.raises(InputError) as err:
        serverless.load(broken, IacOptions())
    assert "does not parse" in str(err.value)


def test_policy_template_expansion_leaves_shared_data_untouched() -> None:
    if sam.policy_templates() is None:
        pytest.skip("aws-sam-translator not installed")
    before = yaml.safe_dump(sam.policy_templates()["S3ReadPolicy"])
    first = sam.expand_policy_template("S3ReadPolicy", {"BucketName": "one"})
    first["Statement"][0]["Action"].append("s3:DeleteObject")
    first["Statement"][0]["Resource"].clear()
    second = sam.expand_policy_template("S3ReadPolicy", {"BucketName": "two"})
    assert "s3:DeleteObject" not in second["Statement"][0]["Action"]
    assert "two" in str(second["Statement"][0]["Resource"])
    assert yaml.safe_dump(sam.policy_templates()["S3ReadPolicy"]) == before
