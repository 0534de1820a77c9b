"""`fortress scan` on hostile files: FIFOs, device symlinks and oversized templates are refused
or skipped with a clear line, never opened, never read whole; the rest is scanned."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fortress.cli import main
from hang_guard import bounded as _bounded

FIXTURES = Path(__file__).parent / "fixtures"
AS_OF = ["--as-of", "2026-03-01"]


def scan(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = bounded(lambda: main(["scan", *argv, *AS_OF]))
    out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in err
    return code, out, err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(FIXTURES / "sam" / "hardened.yaml", tmp_path / "template.yaml")
    return tmp_path


def _files(report: dict[str, Any]) -> set[str]:
    return {Path(s["target"]).name for s in report["sources"]}


def test_fifo_and_dev_zero_in_a_folder_are_skipped(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    os.mkfifo(project / "pipe.yaml")
    os.mkfifo(project / "main.tf")
    (project / "zero.yaml").symlink_to("/dev/zero")
    (project / "serverless.yml").symlink_to("/dev/zero")
    code, out, _ = scan(capsys, str(project), "--format", "json")
    report = json.loads(out)
    assert _files(report) == {"template.yaml"}
    # the walk skips pipe.yaml, zero.yaml and serverless.yml; the Terraform source finds
    # main.tf in the folder and reports that it did not read it (exit 3, incomplete)
    assert report["input_errors"] == [
        {
            "file": str(project / "main.tf"),
            "line": None,
            "message": "a FIFO (named pipe), not a regular file; not read",
        }
    ]
    assert code == 3


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_named_non_regular_file_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    target = tmp_path / "x.yaml"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/zero")
    code, _, err = scan(capsys, str(target))
    assert code == 2
    reason = "a FIFO (named pipe)" if kind == "fifo" else "a character device"
    assert err.strip() == f"fortress: error: {target}: {reason}, not a regular file"


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("template.yaml", FIXTURES / "sam" / "vulnerable.yaml"),
        ("serverless.yml", FIXTURES / "serverless" / "serverless.yml"),
        ("main.tf", FIXTURES / "terraform" / "vulnerable" / "main.tf"),
    ],
)
def test_template_over_the_size_cap_is_an_input_error(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    source: Path,
) -> None:
    """The cap is lowered (default 20 MB) so that a padded copy of a fixture exceeds it."""
    big = tmp_path / "big"
    big.mkdir()
    text = source.read_text()
    comment = "//" if name.endswith(".tf") else "#"
    (big / name).write_text(text + "\n" + (comment + " padding " + "x" * 100 + "\n") * 400)
    assert (big / name).stat().st_size > 32 * 1024 > 6 * len(text)
    good = tmp_path / "good"
    shutil.copytree(FIXTURES / "cloudformation", good)
    monkeypatch.setenv("FORTRESS_MAX_TEMPLATE_MB", str(32 / 1024))  # 32 KB
    code, out, err = scan(capsys, str(big), str(good), "--format", "json")
    report = json.loads(out)
    assert f"{big / name}: template is larger than the" in err
    assert [e["file"] for e in report["input_errors"]] == [str(big / name)]
    assert _files(report) == {"hardened.yaml", "vulnerable.yaml"}  # the rest was scanned
    assert code in (1, 3)
    monkeypatch.delenv("FORTRESS_MAX_TEMPLATE_MB")
    code, out, _ = scan(capsys, str(big), "--format", "json")
    assert json.loads(out)["input_errors"] == []


def bounded(fn: Callable[[], Any]) -> Any:
    return _bounded(fn, 120, "the scan")


def test_serverless_provider_of_the_wrong_type_is_no_crash(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``provider: 3832`` with HTTP events: the API's line was looked up in the number
    (found by the fuzz suite)."""
    (tmp_path / "serverless.yml").write_text(
        "service: goat\nprovider: 3832\nfunctions:\n  convert:\n    handler: h.convert\n"
        "    events:\n      - http: {path: api/convert, method: post}\n"
    )
    code, _out, _err = scan(capsys, str(tmp_path), "--format", "json")
    assert code in (1, 2, 3)


PLAN = FIXTURES / "terraform" / "plan" / "plan.json"


@pytest.mark.parametrize(
    "fmt", ["console", "json", "sarif", "html", "ocsf", "asff", "junit", "csv"]
)
def test_lone_surrogates_reach_no_encoder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    """A plan (Python's json accepts ``"\\ud800"``) naming a function with a lone surrogate:
    every report is written, the character replaced (UTF-8 has no form for it)."""
    text = PLAN.read_text().replace('"plan-fn"', '"\\ud800plan-fn"', 1)
    assert "\\ud800plan-fn" in text
    (tmp_path / "plan.json").write_text(text)
    out = tmp_path / f"report.{fmt}"
    code, stdout, _ = scan(
        capsys, str(tmp_path / "plan.json"), "--format", fmt, "--output", str(out)
    )
    assert code in (0, 1, 3)
    written = out.read_bytes().decode("utf-8")  # strict: valid UTF-8
    assert "plan-fn" in written or fmt == "console"  # the summary names no function
    if fmt in ("json", "sarif"):
        assert "\ufffdplan-fn" in written
    code, stdout, _ = scan(capsys, str(tmp_path / "plan.json"), "--details")
    assert "\\ud800plan-fn" in stdout  # the terminal sees the escape, as for controls


def test_hcl_escapes_outside_unicode_become_the_replacement_character() -> None:
    from fortress.sources.hcl import unescape

    assert unescape("a\\ud800b\\U00110000c\\u00e9") == "a\ufffdb\ufffdc\u00e9"


def test_a_code_path_with_a_nul_byte_is_a_gap_not_a_crash(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``filename = "x\\u0000y.zip"``: no file system takes the name (``realpath`` raised);
    the package is unreadable with the reason (found by the fuzz suite)."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_lambda_function" "f" {\n  function_name = "f"\n'
        '  role = "arn:aws:iam::111122223333:role/r"\n  runtime = "python3.12"\n'
        '  handler = "a.h"\n  filename = "x\\u0000y.zip"\n}\n'
    )
    out = tmp_path / "r.json"
    code, _, _ = scan(capsys, str(tmp_path), "--format", "json", "--output", str(out))
    assert code == 3
    gaps = json.loads(out.read_text())["coverage_gaps"]
    assert [g["message"] for g in gaps] == ["the path holds a NUL byte: not a file name"]


@pytest.mark.parametrize(
    ("name", "text", "gap"),
    [
        (
            "main.tf",
            'module "m" {\n  source = "./m\\u0000x"\n}\n'
            'resource "aws_lambda_function" "f" {\n  function_name = file("a\\u0000b")\n'
            '  role = "arn:aws:iam::111122223333:role/r"\n  runtime = "python3.12"\n'
            '  handler = "a.h"\n  image_uri = "x"\n  package_type = "Image"\n}\n',
            "the module source holds a NUL byte",
        ),
        (
            "template.yaml",
            "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n"
            '      Fn::Transform: {Name: AWS::Include, Parameters: {Location: "a\\0b.yaml"}}\n',
            "its Location holds a NUL byte",
        ),
    ],
)
def test_a_named_file_with_a_nul_byte_is_not_followed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, text: str, gap: str
) -> None:
    (tmp_path / name).write_text(text)
    out = tmp_path / "r.json"
    code, _, _ = scan(capsys, str(tmp_path), "--format", "json", "--output", str(out))
    assert code == 3
    assert any(gap in g["message"] for g in json.loads(out.read_text())["coverage_gaps"])


def test_terraform_lists_where_ids_belong_link_nothing_and_crash_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Raw values used to link resources (a stage name, a bucket, a security group id) were
    dict keys: a list there was an internal error (found by the fuzz suite)."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_api_gateway_rest_api" "api" {\n  name = "api"\n}\n'
        'resource "aws_api_gateway_stage" "prod" {\n'
        "  rest_api_id = aws_api_gateway_rest_api.api.id\n"
        '  deployment_id = "d"\n  stage_name = ["prod"]\n}\n'
        'resource "aws_api_gateway_method_settings" "all" {\n'
        "  rest_api_id = aws_api_gateway_rest_api.api.id\n"
        '  stage_name = ["prod"]\n  method_path = "*/*"\n  settings {}\n}\n'
        'resource "aws_api_gateway_integration" "i" {\n'
        "  rest_api_id = aws_api_gateway_rest_api.api.id\n"
        '  resource_id = ["r"]\n  http_method = "GET"\n  type = "AWS_PROXY"\n}\n'
        'resource "aws_s3_bucket_policy" "p" {\n  bucket = ["b"]\n  policy = "{}"\n}\n'
        'resource "aws_security_group_rule" "r" {\n  security_group_id = ["sg"]\n'
        '  type = "ingress"\n  from_port = 0\n  to_port = 0\n  protocol = "-1"\n}\n'
        'resource "aws_secretsmanager_secret_rotation" "r" {\n  secret_id = ["s"]\n}\n'
    )
    code, _, _ = scan(capsys, str(tmp_path), "--format", "json")
    assert code in (0, 1, 3)
