"""The IaC corpus of issue 8 (tests/iac/corpus): each folder scanned with the `fortress scan`
CLI, the verdict a reviewer expects asserted.

``bench/iac_corpus.py tests/iac/corpus`` prints the same folders as a table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fortress.cli import main

CORPUS = Path(__file__).parent / "corpus"
AS_OF = ["--as-of", "2026-03-01"]


def scan(
    folder: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / "report.json"
    code = main(["scan", str(CORPUS / folder), "--format", "json", "--output", str(out), *AS_OF])
    _, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, json.loads(out.read_text()), err


def functions(report: dict[str, Any]) -> int:
    return sum(int(s.get("functions") or 0) for s in report["sources"])


def findings(
    report: dict[str, Any], rule_id: str, status: str | None = None
) -> list[dict[str, Any]]:
    return [
        f
        for f in report["findings"]
        if f["rule_id"] == rule_id and (status is None or f["status"] == status)
    ]


def test_every_class_has_a_folder() -> None:
    folders = {p.name for p in CORPUS.iterdir() if p.is_dir()}
    assert folders == {
        "cfn-include",
        "duplicate-key",
        "google-provider",
        "package-json",
        "placeholders",
        "powertools-layer",
        "registry-module",
        "registry-module-init",
        "sam-default-authorizer",
        "serverless-file",
        "serverless-file-outside",
        "tf-conditionals",
        "tf-count-zero",
        "tf-module-outputs",
        "two-stacks",
    }


# --------------------------------------------------------------------------- this branch


def test_placeholders_are_not_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Five placeholders pass; AWS's documented example keys are named as such: not working
    keys, but credentials hard-coded into the configuration all the same."""
    code, report, _ = scan("placeholders", tmp_path, capsys)
    assert functions(report) == 1
    (sec,) = findings(report, "FTR-SEC-001")
    assert sec["status"] == "fail", sec["message"]
    named = {v["name"]: v["kind"] for v in sec["evidence"]["variables"]}
    assert named == {
        "AWS_ACCESS_KEY_ID": "AWS access key ID, AWS's documented example",
        "AWS_SECRET_ACCESS_KEY": "AWS secret key, AWS's documented example",
    }
    assert not report["input_errors"] and code in (0, 1)


def test_powertools_layer_with_region_intrinsic_is_trusted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report, _ = scan("powertools-layer", tmp_path, capsys)
    (layer,) = findings(report, "FTR-CODE-003")
    assert layer["status"] == "pass", layer["message"]
    assert (
        "published by Powertools for AWS Lambda (Python) (account 017000801446)" in layer["message"]
    )
    assert "published by Amazon CloudWatch Lambda Insights" in layer["message"]


# --------------------------------------------------------------------------- other branches


def test_duplicate_key_is_a_warning_and_the_rest_is_scanned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report, _ = scan("duplicate-key", tmp_path, capsys)
    assert not report["input_errors"]
    assert any(
        "BillingMode" in w["message"] and w.get("line") in (6, 7) for w in report["input_warnings"]
    )
    assert findings(report, "FTR-API-001", "fail")


def test_registry_module_without_init_is_a_gap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, _ = scan("registry-module", tmp_path, capsys)
    assert code == 3
    text = json.dumps(report["coverage_gaps"])
    assert "lambda_function" in text and "terraform init" in text


def test_registry_module_after_init_is_followed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report, _ = scan("registry-module-init", tmp_path, capsys)
    assert functions(report) == 1
    assert findings(report, "FTR-PATCH-001", "fail")  # nodejs14.x passed into the module


def test_serverless_file_variables_are_resolved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report, _ = scan("serverless-file", tmp_path, capsys)
    assert functions(report) == 1 and not report["input_errors"] and not report["coverage_gaps"]
    assert findings(report, "FTR-EPH-003", "fail")  # timeout: ${file(./settings.yml):timeout}


def test_serverless_file_outside_the_service_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, _ = scan("serverless-file-outside", tmp_path, capsys)
    assert code == 3
    # Not read, and said so: a coverage gap naming the file (exit 3), never a silent pass.
    assert any(
        "secrets.yml" in g["message"] and "outside the service folder" in g["message"]
        for g in report["coverage_gaps"]
    )
    assert "not-for-the-service" not in json.dumps(report)


def test_terraform_conditionals_are_evaluated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report, _ = scan("tf-conditionals", tmp_path, capsys)
    assert findings(report, "FTR-PATCH-001", "fail")  # == and && choose nodejs14.x
    assert findings(report, "FTR-EPH-003", "fail")  # != chooses 900
    assert findings(report, "FTR-LOG-003", "fail")  # ! chooses PassThrough


def test_terraform_count_zero_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report, _ = scan("tf-count-zero", tmp_path, capsys)
    assert functions(report) == 1  # "disabled" has count = 0
    assert not findings(report, "FTR-API-001", "fail")  # the public URL has count 0
    assert not findings(report, "FTR-PATCH-001", "fail")


def test_terraform_modules_taking_each_others_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report, _ = scan("tf-module-outputs", tmp_path, capsys)
    assert functions(report) == 1 and not report["input_errors"]
    assert findings(report, "FTR-IAM-006", "pass")  # the role reached through the module


def test_cloudformation_include_of_a_local_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report, _ = scan("cfn-include", tmp_path, capsys)
    assert findings(report, "FTR-EPH-003", "fail")  # Timeout 900 from the included file
    assert findings(report, "FTR-LOG-003", "pass")  # TracingConfig Active from it


def test_sam_default_authorizer_applies_to_definition_body_routes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report, _ = scan("sam-default-authorizer", tmp_path, capsys)
    assert findings(report, "FTR-API-003", "pass")
    assert not findings(report, "FTR-API-003", "fail")


def test_two_stacks_with_the_same_names_stay_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report, _ = scan("two-stacks", tmp_path, capsys)
    assert functions(report) == 2
    assert not findings(report, "FTR-IAM-005", "fail")  # each stack has its own Role


def test_package_json_with_a_transform_key_is_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report, err = scan("package-json", tmp_path, capsys)
    assert functions(report) == 1 and not report["input_errors"]
    assert "package.json" not in json.dumps(report["sources"]) + json.dumps(
        report["input_warnings"]
    )
    assert "package.json" not in err


def test_google_provider_service_is_skipped_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report, _ = scan("google-provider", tmp_path, capsys)
    assert functions(report) == 0
    assert "google" in json.dumps(report["input_warnings"] + report["coverage_gaps"]).lower()
