"""Terraform source: HCL value conversion, resolution, locations, errors, plans."""

from __future__ import annotations

from pathlib import Path

import pytest

from fortress.errors import InputError
from fortress.inventory import TEMPLATE_ACCOUNT, Function, Inventory, Unknown
from fortress.sources import terraform, terraform_plan
from fortress.sources.base import IacOptions
from fortress.sources.hcl import parse_bytes
from fortress.sources.tf_expr import Evaluator
from fortress.sources.tf_values import JsonDoc

FIXTURES = Path(__file__).parent / "fixtures" / "terraform"


def _eval(source: str, **names: object) -> object:
    body = parse_bytes(source.encode(), "t.tf")
    ev = Evaluator(lambda n: names.get(n, Unknown(f"{n} is not known")), FIXTURES)
    return ev.eval(body.attrs["x"].expr)


def _fn(inv: Inventory, address: str) -> Function:
    return next(f for f in inv.functions if f.origin.logical_id == address)


@pytest.fixture(scope="module")
def basic() -> Inventory:
    return terraform.load(FIXTURES / "basic", IacOptions())


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('x = "a${1 + 2}b"', "a3b"),
        ("x = [1, 2.5, true, null]", [1, 2.5, True, None]),
        ('x = { a = 1, "b-c" = "d" }', {"a": 1, "b-c": "d"}),
        ('x = "q\\"uote\\n $${lit}"', 'q"uote\n ${lit}'),
        ("x = <<-EOT\n    line1\n      line2\n    EOT\n", "line1\n  line2\n"),
        ('x = format("%s-%03d", "f", 7)', "f-007"),
        ('x = join(",", concat(["a"], ["b", "c"]))', "a,b,c"),
        ("x = merge({ a = 1 }, { b = 2 }, { a = 3 })", {"a": 3, "b": 2}),
        ('x = lookup({ a = "x" }, "b", "dflt")', "dflt"),
        ('x = upper(replace("a-b-c", "-", "_"))', "A_B_C"),
        ('x = coalesce("", null, "z")', "z"),
        ("x = length(toset([1, 1, 2]))", 2),
        ('x = [for s in ["a", "b", "c"] : upper(s) if s != "b"]', ["A", "C"]),
        ("x = { for k, v in { a = 1, b = 2 } : k => v * 10 }", {"a": 10, "b": 20}),
        ('x = true ? "yes" : "no"', "yes"),
        ("x = !false && 2 > 1", True),
        ("x = lower(tostring(-3))", "-3"),
        ('x = split(",", "a,b")[1]', "b"),
        ('x = "%{ if 1 == 1 }on%{ else }off%{ endif }"', "on"),
    ],
)
def test_hcl_values(source: str, expected: object) -> None:
    assert _eval(source) == expected


def test_unknowns_carry_reasons() -> None:
    value = _eval(
        'x = "${module.m.out}-suffix"',
        module=Unknown("value of module.m.out is not known before apply"),
    )
    assert isinstance(value, Unknown)
    assert "module.m.out" in value.reason
    value = _eval("x = cidrsubnet(var.c, 1, 1)")
    assert isinstance(value, Unknown) and "cidrsubnet" in value.reason
    # a conditional on an unknown picks no branch (unless both are equal)
    assert isinstance(_eval('x = var.flag ? "NONE" : "AWS_IAM"'), Unknown)
    assert _eval('x = var.flag ? "same" : "same"') == "same"


def test_jsonencode_keeps_structure_and_text() -> None:
    value = _eval('x = jsonencode({ Statement = [{ Action = "s3:*", Resource = "*" }] })')
    assert isinstance(value, JsonDoc)
    assert value.text() == '{"Statement":[{"Action":"s3:*","Resource":"*"}]}'


def test_file_reads_relative_to_module(tmp_path: Path) -> None:
    (tmp_path / "policy.json").write_text('{"Version": "2012-10-17", "Statement": []}')
    body = parse_bytes(b'x = jsondecode(file("${path.module}/policy.json"))', "t.tf")
    ev = Evaluator(lambda n: {"module": str(tmp_path)} if n == "path" else Unknown(n), tmp_path)
    assert ev.eval(body.attrs["x"].expr) == {"Version": "2012-10-17", "Statement": []}


# --------------------------------------------------------------------------- resolution


def test_variables_tfvars_locals_and_modules(basic: Inventory) -> None:
    api = _fn(basic, "aws_lambda_function.api")
    assert api.name == "demo-api"  # local built from a variable default
    assert api.runtime == "python3.9"  # terraform.tfvars
    env = {e.name: e for e in api.environment}
    assert env["TABLE"].value == "orders"  # *.auto.tfvars
    assert env["GREETING"].value == "hello DEMO"
    assert api.tags == {"team": "payments", "name": "demo-api"}
    worker = _fn(basic, "module.worker.aws_lambda_function.this")
    assert worker.name == "demo-worker"  # module input
    assert worker.runtime == "nodejs20.x"  # module variable default
    assert env["UPSTREAM"].value == worker.arn  # module output
    assert api.role_arn == worker.role_arn == basic.roles[0].arn
    assert api.origin.account == TEMPLATE_ACCOUNT


def test_cli_variables_override_tfvars() -> None:
    inv = terraform.load(
        FIXTURES / "basic",
        IacOptions(variables={"runtime": "python3.12", "copies": "2"}, account="111122223333"),
    )
    api = _fn(inv, "aws_lambda_function.api")
    assert api.runtime == "python3.12"
    assert api.arn.startswith("arn:aws:lambda:") and ":111122223333:function:demo-api" in api.arn
    assert {f.origin.logical_id for f in inv.functions} >= {
        "aws_lambda_function.counted[0]",
        "aws_lambda_function.counted[1]",
    }
    assert _fn(inv, "aws_lambda_function.counted[1]").name == "copy-1"


def test_var_files_option(tmp_path: Path) -> None:
    extra = tmp_path / "prod.tfvars"
    extra.write_text('runtime = "java21"\n')
    inv = terraform.load(FIXTURES / "basic", IacOptions(var_files=[extra]))
    assert _fn(inv, "aws_lambda_function.api").runtime == "java21"


def test_for_each_and_count_instances(basic: Inventory) -> None:
    addresses = {f.origin.logical_id for f in basic.functions}
    assert 'aws_lambda_function.many["a"]' in addresses
    assert _fn(basic, 'aws_lambda_function.many["b"]').name == "demo-b"
    # count from a variable without value: one symbolic instance, name unknown
    counted = _fn(basic, "aws_lambda_function.counted[*]")
    assert counted.runtime == "nodejs20.x"


def test_policy_documents_and_managed_policies(basic: Inventory) -> None:
    role = basic.roles[0]
    assert role.name == "demo-api-role"
    assert role.trust_policy["Statement"][0]["Principal"] == {"Service": ["lambda.amazonaws.com"]}  # type: ignore[index]
    inline = role.inline_policies[0]
    statement = inline.document["Statement"][0]  # type: ignore[index]
    assert statement["Sid"] == "Tables" and statement["Action"] == ["dynamodb:*"]
    assert statement["Resource"] == [f"arn:aws:dynamodb:us-east-1:{TEMPLATE_ACCOUNT}:table/orders"]
    managed = role.attached_policies[0]
    assert managed.aws_managed and managed.name == "AmazonS3FullAccess"
    actions = managed.document["Statement"][0]["Action"]  # type: ignore[index]
    assert "s3:*" in actions  # the real document, not the name


def test_access_key_secret_wired_into_environment(basic: Inventory) -> None:
    env = {e.name: e for e in _fn(basic, "aws_lambda_function.api").environment}
    assert env["AWS_SECRET"].reference == "aws_iam_access_key.secret"
    assert isinstance(env["AWS_SECRET"].value, Unknown)
    assert env["TABLE"].reference is None


def test_permissions_and_urls_link_to_function(basic: Inventory) -> None:
    api = _fn(basic, "aws_lambda_function.api")
    assert isinstance(api.resource_policy, dict)
    statement = api.resource_policy["Statement"][0]
    assert statement["Principal"] == "*" and statement["Sid"] == "AllowAll"
    assert [u.auth_type for u in api.urls] == ["NONE"]


def test_locations_and_suppressions(basic: Inventory) -> None:
    api = _fn(basic, "aws_lambda_function.api")
    assert api.origin.file is not None and api.origin.file.endswith("basic/main.tf")
    assert api.origin.line == 59
    assert api.origin.suppressions == (
        ("FTR-CODE-001", "signed in the pipeline"),
        ("FTR-OBS-009", ""),
    )
    worker = _fn(basic, "module.worker.aws_lambda_function.this")
    assert worker.origin.file is not None and worker.origin.file.endswith("modules/fn/main.tf")
    assert worker.origin.line == 7
    assert basic.scope == "template"


def test_unknown_module_output_is_not_safe(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'module "remote" {\n  source = "terraform-aws-modules/lambda/aws"\n}\n'
        'resource "aws_lambda_function_url" "u" {\n'
        "  function_name      = aws_lambda_function.f.function_name\n"
        "  authorization_type = module.remote.auth\n}\n"
        'resource "aws_lambda_function" "f" {\n  function_name = "f"\n  role = module.remote.role_arn\n}\n'
    )
    inv = terraform.load(tmp_path)
    fn = inv.functions[0]
    assert isinstance(fn.role_arn, Unknown) and "module.remote" in fn.role_arn.reason
    assert isinstance(fn.urls[0].auth_type, Unknown)


def test_several_root_modules(tmp_path: Path) -> None:
    folder = FIXTURES / "multiroot"
    roots = terraform.root_modules(folder)
    assert sorted(p.name for p in roots) == ["app1", "app2"]
    inv = terraform.load(folder)
    by_name = {f.name: f for f in inv.functions}
    assert set(by_name) == {"app1-fn", "app2-solo"}
    assert by_name["app1-fn"].origin.logical_id == "module.fn.aws_lambda_function.this"
    assert (
        by_name["app2-solo"].origin.file is not None and "app2" in by_name["app2-solo"].origin.file
    )


def test_detect() -> None:
    assert terraform.detect(FIXTURES / "basic")
    assert terraform.detect(FIXTURES / "basic" / "main.tf")
    assert not terraform.detect(FIXTURES / "plan")
    assert terraform_plan.detect(FIXTURES / "plan" / "plan.json")
    assert not terraform_plan.detect(FIXTURES / "basic" / "main.tf")


# --------------------------------------------------------------------------- errors


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "main.tf"
    bad.write_text(
        'resource "aws_lambda_function" "f" {\n  function_name = "f"\n  timeout = = 3\n}\n'
    )
    with pytest.raises(InputError) as info:
        terraform.load(tmp_path)
    assert info.value.file == str(bad)
    assert info.value.line == 3
    assert str(info.value).startswith(f"{bad}:3: HCL syntax error")


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        terraform.load(tmp_path / "nope")
    with pytest.raises(InputError, match="no Terraform"):
        terraform.load(tmp_path)


# --------------------------------------------------------------------------- plans


def test_plan_json() -> None:
    inv = terraform_plan.load(FIXTURES / "plan" / "plan.json")
    fn = inv.functions[0]
    role = inv.roles[0]
    assert fn.name == "plan-fn" and fn.runtime == "python3.8" and fn.timeout == 60
    assert fn.tracing_mode == "Active"
    assert fn.role_arn == role.arn  # linked through configuration references
    env = {e.name: e.value for e in fn.environment}
    assert env["MODE"] == "prod" and isinstance(env["TOKEN"], Unknown)
    assert role.inline_policies[0].document["Statement"][0]["Action"] == "*"  # type: ignore[index]
    assert fn.origin.source == "terraform-plan" and fn.origin.logical_id == "aws_lambda_function.f"
    assert fn.origin.line == 21  # the line of its "address" in planned_values
    assert inv.scope == "template"


def test_plan_bad_json(tmp_path: Path) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text('{"format_version": "1.2",\n "planned_values": {\n')
    with pytest.raises(InputError) as info:
        terraform_plan.load(bad)
    assert info.value.line == 3
