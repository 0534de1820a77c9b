"""CloudFormation source: parsing, intrinsics, parameters, conditions, lines, references."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fortress.errors import InputError
from fortress.inventory import TEMPLATE_ACCOUNT, Unknown
from fortress.sources import cloudformation
from fortress.sources.base import IacOptions
from fortress.sources.cfn_intrinsics import NO_VALUE, Resolver
from fortress.sources.cloudformation.builder import stack_suffix

FIXTURES = Path(__file__).parent / "fixtures" / "cloudformation"
VULNERABLE = FIXTURES / "vulnerable.yaml"


def _fn(inv, name):  # type: ignore[no-untyped-def]
    return next(f for f in inv.functions if f.origin.logical_id == name)


def test_intrinsics_resolve() -> None:
    template = {
        "Parameters": {
            "Env": {"Type": "String", "Default": "dev"},
            "Ids": {"Type": "CommaDelimitedList", "Default": "a,b"},
        },
        "Mappings": {"Sizes": {"dev": {"Mem": 256}}},
        "Resources": {"Q": {"Type": "AWS::SQS::Queue"}},
    }
    r = Resolver(template, region="eu-west-1")
    r.resource_types["Q"] = "AWS::SQS::Queue"
    assert (
        r.resolve({"Fn::Sub": "x-${Env}-${AWS::Region}-${!Literal}"})
        == "x-dev-eu-west-1-${Literal}"
    )
    assert r.resolve({"Fn::Sub": ["${A}/${Env}", {"A": "z"}]}) == "z/dev"
    assert r.resolve({"Fn::Join": ["-", [{"Ref": "Env"}, "y"]]}) == "dev-y"
    assert r.resolve({"Fn::Select": [1, {"Ref": "Ids"}]}) == "b"
    assert r.resolve({"Fn::Split": [",", "p,q"]}) == ["p", "q"]
    assert r.resolve({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Mem"]}) == 256
    assert r.resolve({"Ref": "AWS::AccountId"}) == TEMPLATE_ACCOUNT
    assert r.resolve({"Fn::GetAtt": ["Q", "Arn"]}).startswith("arn:aws:sqs:eu-west-1:")
    assert r.resolve({"a": {"Ref": "AWS::NoValue"}, "b": 1}) == {"b": 1}
    assert r.resolve({"Ref": "AWS::NoValue"}) is NO_VALUE
    imported = r.resolve({"Fn::ImportValue": "shared-role"})
    assert isinstance(imported, Unknown) and "another stack" in imported.reason
    missing = r.resolve({"Fn::Sub": "${Nope}"})
    assert isinstance(missing, Unknown) and "Nope" in missing.reason


def test_condition_unknown_keeps_both_branches() -> None:
    template = {
        "Parameters": {"Env": {"Type": "String"}},
        "Conditions": {"Prod": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
        "Resources": {},
    }
    r = Resolver(template)
    value = r.resolve({"Fn::If": ["Prod", "AWS_IAM", "NONE"]})
    assert isinstance(value, Unknown)
    assert "AWS_IAM" in value.reason and "NONE" in value.reason
    # In a list, both branches are kept (a superset: never safer than reality).
    assert r.resolve([{"Fn::If": ["Prod", "a", "b"]}]) == ["a", "b"]
    assert Resolver(template, {"Env": "prod"}).resolve({"Fn::If": ["Prod", "x", "y"]}) == "x"


def test_parameters_defaults_and_overrides() -> None:
    default = cloudformation.load(VULNERABLE, IacOptions())
    fn = _fn(default, "OrderFunction")
    assert fn.name == "orders-dev"
    assert {e.name: e.value for e in fn.environment}["MODE"] == "lax"
    prod = cloudformation.load(
        VULNERABLE, IacOptions(parameters={"Stage": "prod"}, account="111122223333")
    )
    fn = _fn(prod, "OrderFunction")
    assert fn.name == "orders-prod"
    assert {e.name: e.value for e in fn.environment}["MODE"] == "strict"
    assert fn.origin.account == "111122223333"
    # An unnamed role is named after its stack, as CloudFormation does: the template's suffix.
    assert (
        fn.role_arn == f"arn:aws:iam::111122223333:role/OrderRole-{stack_suffix(str(VULNERABLE))}"
    )
    # A parameter without default is Unknown with the reason, never a safe value.
    layer = fn.layers[1].arn
    assert isinstance(layer, Unknown) and "ExternalLayer" in layer.reason


def test_lines_links_and_references() -> None:
    inv = cloudformation.load(VULNERABLE, IacOptions())
    assert inv.scope == "template"
    fn = _fn(inv, "OrderFunction")
    assert (fn.origin.file, fn.origin.line, fn.origin.account) == (
        str(VULNERABLE),
        37,
        TEMPLATE_ACCOUNT,
    )
    role = next(r for r in inv.roles if r.name == "OrderRole")
    assert role.origin.line == 16 and role.arn == fn.role_arn
    admin = next(p for p in role.attached_policies if p.name == "AdministratorAccess")
    assert admin.aws_managed and admin.document["Statement"][0]["Action"] == "*"  # type: ignore[index]
    env = {e.name: e for e in fn.environment}
    assert env["AWS_SECRET"].reference == "AWS::IAM::AccessKey.SecretAccessKey"
    assert isinstance(env["AWS_SECRET"].value, Unknown)
    assert env["DB_PASSWORD"].reference and "NoEcho" in env["DB_PASSWORD"].reference
    assert fn.urls[0].auth_type == "NONE" and fn.urls[0].cors_allow_credentials
    sids = {s["Sid"]: s for s in fn.resource_policy["Statement"]}  # type: ignore[index]
    assert sids["PublicInvoke"]["Principal"] == "*"
    assert sids["BucketInvoke"]["Principal"] == {"Service": "s3.amazonaws.com"}
    api = next(a for a in inv.apis if a.id == "OrderApi")
    route = api.routes[0]
    assert (route.key, route.authorization_type, route.origin.line) == ("POST /orders", "NONE", 84)  # type: ignore[union-attr]
    assert route.function_arns == [fn.arn]
    assert api.stages[0].name == "dev" and api.stages[0].variables["dbPassword"]
    vpc_fn = _fn(inv, "VpcFunction")
    suffix = stack_suffix(str(VULNERABLE))
    assert vpc_fn.vpc is not None and vpc_fn.vpc.security_group_ids == [f"OrderSg-{suffix}"]
    group = inv.security_groups[0]
    assert group.id == f"OrderSg-{suffix}" and group.egress[0].cidrs == ["0.0.0.0/0"]  # type: ignore[index]


def test_hardened_links_log_group_key_trail_and_waf() -> None:
    inv = cloudformation.load(FIXTURES / "hardened.yaml", IacOptions())
    fn = inv.functions[0]
    assert fn.code_signing.untrusted_artifact_on_deployment == "Enforce"  # type: ignore[union-attr]
    assert [g.name for g in inv.log_groups if g.retention_days == 90] == ["/aws/lambda/orders"]
    assert fn.tracing_mode == "Active" and fn.reserved_concurrency == 10
    assert inv.subnets[0].availability_zone != inv.subnets[1].availability_zone
    stage = inv.apis[0].stages[0]
    assert stage.web_acl_arn and stage.throttled and stage.execution_logging_level == "ERROR"
    assert inv.secrets[0].rotation_enabled is True
    assert "alias/orders" in inv.kms_keys[0].aliases
    assert inv.trails[0].is_multi_region is True


def test_condition_false_drops_resource(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Parameters:\n  Flag: {Type: String, Default: 'no'}\n"
        "Conditions:\n  Enabled: !Equals [!Ref Flag, 'yes']\n"
        "Resources:\n  G:\n    Type: AWS::Logs::LogGroup\n    Condition: Enabled\n"
    )
    assert cloudformation.load(path, IacOptions()).log_groups == []
    assert len(cloudformation.load(path, IacOptions(parameters={"Flag": "yes"})).log_groups) == 1


def test_unparsable_template_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  A: [\n")
    with pytest.raises(InputError) as err:
        cloudformation.load(bad, IacOptions())
    assert err.value.file == str(bad) and err.value.line == 4
    assert str(err.value).startswith(f"{bad}:4: ")


def test_cdk_out_json_templates(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    out.mkdir()
    template = {
        "Resources": {
            "Fn9270CBC0": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "i.h",
                    "Role": "arn:aws:iam::111122223333:role/r",
                },
            }
        }
    }
    (out / "Stack.template.json").write_text(json.dumps(template, indent=1))
    (out / "manifest.json").write_text("{}")
    assert cloudformation.detect(tmp_path)
    inv = cloudformation.load(tmp_path, IacOptions())
    assert [(f.name, f.origin.line) for f in inv.functions] == [("Fn9270CBC0", 3)]
    assert inv.scope == "template"
