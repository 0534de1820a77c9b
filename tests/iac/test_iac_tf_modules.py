"""Terraform modules: registry/git modules followed through `terraform init`'s manifest or
reported as a gap (exit 3), the registry Lambda module's switches (`create = false` creates
nothing), count/for_each on module calls, and modules taking each other's outputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fortress.cli import main
from fortress.inventory import NOTE_GAP, NOTE_WARNING, Function, Inventory, Unknown
from fortress.sources import terraform

FIXTURES = Path(__file__).parent / "fixtures" / "terraform"
REGISTRY = FIXTURES / "registry"
AS_OF = ["--as-of", "2026-12-01"]


def _fn(inv: Inventory, address: str) -> Function:
    found = [f for f in inv.functions if f.origin.logical_id == address]
    assert found, [f.origin.logical_id for f in inv.functions]
    return found[0]


def _scan_json(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["scan", str(path), "--format", "json", *AS_OF])
    out, _ = capsys.readouterr()
    return code, json.loads(out)


# --------------------------------------------------------------------------- registry modules


@pytest.fixture()
def not_initialized(tmp_path: Path) -> Path:
    """The registry fixture's root module without its .terraform folder (no `terraform init`)."""
    shutil.copy(REGISTRY / "main.tf", tmp_path / "main.tf")
    return tmp_path


def test_registry_module_without_init_is_a_gap(not_initialized: Path) -> None:
    inv = terraform.load(not_initialized)
    assert inv.functions == []  # nothing found, and it says why
    gaps = [n for n in inv.notes if n.kind == NOTE_GAP]
    assert [n.subject for n in gaps] == [
        "module.api (terraform-aws-modules/lambda/aws)",
        "module.disabled (terraform-aws-modules/lambda/aws)",
        "module.byo_role (terraform-aws-modules/lambda/aws)",
    ]
    first = gaps[0]
    assert first.file == str(not_initialized / "main.tf") and first.line == 10
    assert "terraform-aws-modules/lambda/aws is not downloaded" in first.message
    assert "run `terraform init`" in first.message and "terraform show -json" in first.message


def test_registry_module_without_init_exits_incomplete(
    capsys: pytest.CaptureFixture[str], not_initialized: Path
) -> None:
    code, report = _scan_json(capsys, not_initialized)
    assert code == 3
    (source,) = report["sources"]
    assert source["functions"] == 0
    assert len(source["not_followed"]) == 3
    assert source["not_followed"][0].startswith("module.api (terraform-aws-modules/lambda/aws): ")
    gap = report["coverage_gaps"][0]
    assert gap["error_code"] == "NotFollowed" and gap["count"] == 3


def test_registry_module_is_followed_through_modules_json() -> None:
    inv = terraform.load(REGISTRY)
    assert [n for n in inv.notes if n.kind == NOTE_GAP] == []
    api = _fn(inv, "module.api.aws_lambda_function.this[0]")
    assert api.name == "registry-api"
    assert api.runtime == "nodejs14.x"  # runtime = var.runtime, from the root's variable
    assert api.origin.file is not None
    assert api.origin.file.endswith(".terraform/modules/lambda/main.tf") and api.origin.line == 22
    role = next(r for r in inv.roles if r.origin.logical_id == "module.api.aws_iam_role.lambda[0]")
    assert api.role_arn == role.arn and role.name == "registry-api"
    assert [(u.auth_type, u.cors_allow_origins) for u in api.urls] == [("NONE", ["*"])]
    assert api.vpc is not None and api.vpc.subnet_ids == ["subnet-1", "subnet-2"]
    # trust built from a for with try(tostring()) and a for ... if !can(tostring()), dynamic
    # principals; the logs policy from try() over a count-0 data source and format() in a for
    (trust,) = role.trust_policy["Statement"]  # type: ignore[index]
    assert trust["Principal"] == {
        "Service": ["lambda.amazonaws.com", "scheduler.amazonaws.com"],
        "AWS": ["arn:aws:iam::999999999999:root"],
    }
    (logs,) = role.attached_policies
    assert logs.name == "registry-api-logs"
    assert logs.document["Statement"][0]["Resource"] == [  # type: ignore[index]
        "arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/registry-api:*",
        "arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/registry-api:*:*",
    ]
    byo = _fn(inv, "module.byo_role.aws_lambda_function.this[0]")
    assert byo.role_arn == "arn:aws:iam::123456789012:role/existing" and byo.urls == []
    # create = false: no function, no role, no URL from that call
    everything = [f.origin.logical_id for f in inv.functions] + [
        r.origin.logical_id for r in inv.roles
    ]
    assert not [a for a in everything if a and a.startswith("module.disabled")]
    assert len(inv.functions) == 2 and len(inv.roles) == 1


def test_registry_module_findings_point_into_the_module(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report = _scan_json(capsys, REGISTRY)
    assert code == 1 and report["coverage_gaps"] == []
    assert report["sources"][0]["functions"] == 2
    failed = {
        (f["rule_id"], f["resource"]["logical_id"])
        for f in report["findings"]
        if f["status"] == "fail"
    }
    assert ("FTR-PATCH-001", "module.api.aws_lambda_function.this[0]") in failed
    assert ("FTR-API-001", "module.api.aws_lambda_function.this[0]") in failed
    assert not [k for k in failed if "disabled" in k[1] or "python2.7" in k[1]]


def test_manifest_dir_outside_the_root_is_not_followed(tmp_path: Path) -> None:
    shutil.copytree(REGISTRY, tmp_path / "root")
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(REGISTRY / ".terraform/modules/lambda/main.tf", tmp_path / "elsewhere")
    manifest = tmp_path / "root/.terraform/modules/modules.json"
    doc = json.loads(manifest.read_text())
    for entry in doc["Modules"]:
        if entry["Key"] == "api":
            entry["Dir"] = "../elsewhere"
    manifest.write_text(json.dumps(doc))
    inv = terraform.load(tmp_path / "root")
    gaps = [n.subject for n in inv.notes if n.kind == NOTE_GAP]
    assert gaps == ["module.api (terraform-aws-modules/lambda/aws)"]
    assert not [f for f in inv.functions if f.origin.logical_id.startswith("module.api")]  # type: ignore[union-attr]


def test_manifest_recording_another_source_is_a_warning(tmp_path: Path) -> None:
    shutil.copytree(REGISTRY, tmp_path / "root")
    main_tf = tmp_path / "root/main.tf"
    main_tf.write_text(
        main_tf.read_text().replace(
            'source  = "terraform-aws-modules/lambda/aws"\n  version = "~> 7.0"\n\n  function_name = "registry-api"',
            'source  = "git::https://example.com/lambda.git"\n\n  function_name = "registry-api"',
        )
    )
    inv = terraform.load(tmp_path / "root")
    warnings = [n for n in inv.notes if n.kind == NOTE_WARNING]
    assert len(warnings) == 1 and "run `terraform init` again" in warnings[0].message
    assert _fn(inv, "module.api.aws_lambda_function.this[0]").runtime == "nodejs14.x"


@pytest.mark.parametrize(
    "source",
    [
        "git::https://example.com/m.git",
        "s3::https://bucket.s3.amazonaws.com/m.zip",
        "https://x/m.zip",
    ],
)
def test_other_remote_sources_are_gaps(tmp_path: Path, source: str) -> None:
    (tmp_path / "main.tf").write_text(f'module "m" {{\n  source = "{source}"\n}}\n')
    (note,) = terraform.load(tmp_path).notes
    assert note.kind == NOTE_GAP and note.subject == f"module.m ({source})"


def test_missing_local_module_folder_is_a_gap(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('module "m" {\n  source = "./nowhere"\n}\n')
    (note,) = terraform.load(tmp_path).notes
    assert note.kind == NOTE_GAP and "./nowhere does not exist" in note.message


def test_remote_module_with_count_zero_is_not_a_gap(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'module "m" {\n  source = "terraform-aws-modules/lambda/aws"\n  count = 0\n}\n'
    )
    assert terraform.load(tmp_path).notes == []


# --------------------------------------------------------------------------- local modules


def test_modules_take_each_others_outputs() -> None:
    inv = terraform.load(FIXTURES / "crossmod")
    assert inv.notes == []
    fn = _fn(inv, "module.fn.aws_lambda_function.this")
    (role,) = inv.roles
    assert fn.name == "crossmod-fn"
    assert role.name == "crossmod-fn-role"  # from module.fn's output
    assert fn.role_arn == role.arn  # from module.role's output
    assert fn.runtime == "nodejs14.x"
    # count = 0 on the module call: nothing from it
    assert [f.origin.logical_id for f in inv.functions] == ["module.fn.aws_lambda_function.this"]


def test_a_true_reference_cycle_is_unknown(tmp_path: Path) -> None:
    mod = tmp_path / "m"
    mod.mkdir()
    (mod / "main.tf").write_text(
        'variable "in" {}\nresource "aws_lambda_function" "f" {\n  function_name = "f"\n'
        '  runtime = var.in\n}\noutput "out" {\n  value = "${var.in}-x"\n}\n'
    )
    (tmp_path / "main.tf").write_text(
        'module "a" {\n  source = "./m"\n  in = module.b.out\n}\n'
        'module "b" {\n  source = "./m"\n  in = module.a.out\n}\n'
    )
    inv = terraform.load(tmp_path)
    runtimes = [f.runtime for f in inv.functions]
    assert len(runtimes) == 2
    for runtime in runtimes:
        assert isinstance(runtime, Unknown) and "reference cycle" in runtime.reason


def test_module_count_and_for_each_instances(tmp_path: Path) -> None:
    mod = tmp_path / "m"
    mod.mkdir()
    (mod / "main.tf").write_text(
        'variable "name" {}\nresource "aws_lambda_function" "f" {\n  function_name = var.name\n'
        '  runtime = "python3.12"\n}\noutput "name" {\n  value = aws_lambda_function.f.function_name\n}\n'
    )
    (tmp_path / "main.tf").write_text(
        'module "counted" {\n  source = "./m"\n  count = 2\n  name = "c-${count.index}"\n}\n'
        'module "each" {\n  source = "./m"\n  for_each = toset(["x", "y"])\n  name = "e-${each.key}"\n}\n'
        'resource "aws_lambda_function" "user" {\n  function_name = "user"\n  runtime = "python3.12"\n'
        "  environment {\n    variables = {\n      FIRST = module.counted[1].name\n"
        '      EACH = module.each["y"].name\n      ALL = join(",", module.counted[*].name)\n    }\n  }\n}\n'
    )
    inv = terraform.load(tmp_path)
    assert {f.origin.logical_id: f.name for f in inv.functions} == {
        "module.counted[0].aws_lambda_function.f": "c-0",
        "module.counted[1].aws_lambda_function.f": "c-1",
        'module.each["x"].aws_lambda_function.f': "e-x",
        'module.each["y"].aws_lambda_function.f': "e-y",
        "aws_lambda_function.user": "user",
    }
    env = {e.name: e.value for e in _fn(inv, "aws_lambda_function.user").environment}
    assert env == {"FIRST": "c-1", "EACH": "e-y", "ALL": "c-0,c-1"}


def test_null_module_input_and_nullable(tmp_path: Path) -> None:
    mod = tmp_path / "m"
    mod.mkdir()
    (mod / "main.tf").write_text(
        'variable "keeps" {\n  default = "python3.12"\n}\n'
        'variable "strict" {\n  default = "AWS_IAM"\n  nullable = false\n}\n'
        'resource "aws_lambda_function" "f" {\n  function_name = "f"\n'
        '  runtime = var.keeps == null ? "nodejs14.x" : var.keeps\n}\n'
        'resource "aws_lambda_function_url" "u" {\n'
        "  function_name = aws_lambda_function.f.function_name\n"
        "  authorization_type = var.strict\n}\n"
    )
    (tmp_path / "main.tf").write_text(
        'module "m" {\n  source = "./m"\n  keeps = null\n  strict = null\n}\n'
    )
    (fn,) = terraform.load(tmp_path).functions
    assert fn.runtime == "nodejs14.x"  # null overrides a default (nullable defaults to true)
    assert [u.auth_type for u in fn.urls] == ["AWS_IAM"]  # nullable = false: the default


def test_module_with_unknown_count_is_one_symbolic_instance(tmp_path: Path) -> None:
    mod = tmp_path / "m"
    mod.mkdir()
    (mod / "main.tf").write_text(
        'variable "name" {}\nresource "aws_lambda_function" "f" {\n  function_name = var.name\n'
        '  runtime = "nodejs14.x"\n}\n'
    )
    (tmp_path / "main.tf").write_text(
        'variable "n" {}\nmodule "m" {\n  source = "./m"\n  count = var.n\n  name = "x"\n}\n'
    )
    (fn,) = terraform.load(tmp_path).functions
    assert fn.origin.logical_id == "module.m[*].aws_lambda_function.f"
    assert fn.runtime == "nodejs14.x" and fn.name == "x"


def test_two_roots_in_one_folder_are_two_scopes(tmp_path: Path) -> None:
    """Same role name in two root configurations: each policy stays with its own role."""
    role = (
        'resource "aws_iam_role" "r" {\n  name = "app-role"\n'
        '  assume_role_policy = "{}"\n}\n'
        'resource "aws_iam_role_policy" "p" {\n  role = "app-role"\n'
        '  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "%s", Resource = "*" }] })\n}\n'
    )
    (tmp_path / "main.tf").write_text(role % "s3:GetObject")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "main.tf").write_text(role % "*")
    inv = terraform.load(tmp_path)
    actions = {
        Path(str(r.origin.file)).parent.name: [
            p.document["Statement"][0]["Action"]  # type: ignore[index]
            for p in r.inline_policies
        ]
        for r in inv.roles
    }
    assert actions == {tmp_path.name: ["s3:GetObject"], "other": ["*"]}
