"""The package rules on IaC: each source reads the code its functions and layers deploy from
disk (folders, zips, inline code, Terraform archive_file sources) and every package rule fails
on the vulnerable tree and passes on the clean one, end to end through `fortress scan`.
Hostile paths (outside the scanned folder, symlinks out, unsafe zips) are refused, never read."""

from __future__ import annotations

import json
import os
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest
from iac_findings import package_rules

from fortress.cli import main
from fortress.packages import osv

DEMO_OSV = Path(osv.__file__).parent.parent / "demo" / "osv"
AWS_ID = "AKIA" + "QX7RZ2VN4K8M3P6T"  # fake, in the AWS format
GITHUB = "ghp_" + "9bX2kQ7mN4pR8sT1vW5yZ3aC6dE0fG2hJ4kL"
SITE = "python/lib/python3.12/site-packages"

BAD_CODE = {
    "app.py": f"""
        import os
        import subprocess

        API_KEY = "{AWS_ID}"

        def handler(event, context):
            token = os.environ["API_TOKEN"]
            with open("/tmp/token", "w") as fh:
                fh.write(token)
            subprocess.run(event["command"], shell=True)
            return {{}}
        """,
    "PyYAML-5.3.dist-info/METADATA": "Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3\n",
}
GOOD_CODE = {
    "app.py": """
        import json

        def handler(event, context):
            return {"statusCode": 200, "body": json.dumps({"ok": True})}
        """,
    "PyYAML-6.0.2.dist-info/METADATA": "Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0.2\n",
}
BAD_LAYER = {
    f"{SITE}/analytics.py": f"TOKEN = '{GITHUB}'\n",
    f"{SITE}/PyYAML-5.3.dist-info/METADATA": "Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3\n",
}
GOOD_LAYER = {f"{SITE}/analytics.py": "def track(event):\n    return None\n"}
# Rule -> (function or layer rule).
FUNCTION_RULES = ["FTR-SEC-004", "FTR-PATCH-005", "FTR-CODE-005", "FTR-EPH-004"]
LAYER_RULES = ["FTR-SEC-005", "FTR-PATCH-006"]


def tree(root: Path, files: dict[str, str]) -> Path:
    for rel, body in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body).lstrip("\n"))
    return root


def zipped(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for rel, body in files.items():
            zf.writestr(rel, textwrap.dedent(body).lstrip("\n"))
    return path


@pytest.fixture(autouse=True)
def no_osv_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan's default OSV data is the user's cache: empty here, whatever the machine has."""
    monkeypatch.setenv("FORTRESS_OSV_CACHE", str(tmp_path_factory.mktemp("osv-cache")))


def scan(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = main(["scan", *argv, "--format", "json", "--as-of", "2026-03-01"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def statuses(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {
        (f["rule_id"], f["resource"]["logical_id"]): f["status"]
        for f in report["findings"]
        if f["rule_id"] in package_rules()
    }


# --------------------------------------------------------------------------- one project per source


def cloudformation(root: Path) -> Path:
    zipped(root / "bad.zip", BAD_CODE)
    tree(root / "badlayer", BAD_LAYER)
    tree(root / "goodlayer", GOOD_LAYER)
    good_inline = textwrap.indent(textwrap.dedent(GOOD_CODE["app.py"]).lstrip("\n"), " " * 10)
    (root / "template.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"
        "  Bad:\n    Type: AWS::Lambda::Function\n    Properties:\n"
        "      Runtime: python3.12\n      Handler: app.handler\n      Role: arn:aws:iam::1:role/r\n"
        "      Code: bad.zip\n"
        "  Good:\n    Type: AWS::Lambda::Function\n    Properties:\n"
        "      Runtime: python3.12\n      Handler: index.handler\n      Role: arn:aws:iam::1:role/r\n"
        f"      Code:\n        ZipFile: |\n{good_inline}"
        "  BadLayer:\n    Type: AWS::Lambda::LayerVersion\n    Properties:\n"
        "      LayerName: bad\n      Content: badlayer/\n"
        "  GoodLayer:\n    Type: AWS::Lambda::LayerVersion\n    Properties:\n"
        "      LayerName: good\n      Content: goodlayer/\n"
    )
    return root


def sam(root: Path) -> Path:
    tree(root / "src" / "bad", BAD_CODE)
    tree(root / "src" / "good", GOOD_CODE)
    tree(root / "layers" / "bad", BAD_LAYER)
    zipped(root / "good-layer.zip", GOOD_LAYER)
    (root / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n"
        "    Runtime: python3.12\n    Handler: app.handler\nResources:\n"
        "  Bad:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: src/bad/}\n"
        "  Good:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: src/good}\n"
        "  BadLayer:\n    Type: AWS::Serverless::LayerVersion\n"
        "    Properties: {LayerName: bad, ContentUri: layers/bad}\n"
        "  GoodLayer:\n    Type: AWS::Serverless::LayerVersion\n"
        "    Properties: {LayerName: good, ContentUri: good-layer.zip}\n"
    )
    return root


def serverless(root: Path) -> Path:
    """Two services: the package is the whole service folder, as the framework zips it."""
    for name, code, layer in (("bad", BAD_CODE, BAD_LAYER), ("good", GOOD_CODE, GOOD_LAYER)):
        service = tree(root / name, code)
        tree(service / "layer", layer)
        (service / "node_modules" / ".cache").mkdir(parents=True)
        (service / "serverless.yml").write_text(
            f"service: {name}\nprovider:\n  name: aws\n  runtime: python3.12\n"
            "package:\n  patterns: ['!layer/**']\n"
            f"functions:\n  {name}:\n    handler: app.handler\n"
            f"layers:\n  {name}Libs:\n    path: layer\n"
        )
    return root


def terraform(root: Path) -> Path:
    tree(root / "src" / "bad", BAD_CODE)
    zipped(root / "good.zip", GOOD_CODE)
    zipped(root / "bad-layer.zip", BAD_LAYER)
    tree(root / "layer" / "good", GOOD_LAYER)
    (root / "main.tf").write_text(
        textwrap.dedent(
            """
            data "archive_file" "bad" {
              type        = "zip"
              source_dir  = "${path.module}/src/bad"
              output_path = "${path.module}/build/bad.zip"
            }
            data "archive_file" "good_layer" {
              type        = "zip"
              source_dir  = "${path.module}/layer/good"
              output_path = "${path.module}/build/good-layer.zip"
            }
            resource "aws_lambda_function" "bad" {
              function_name = "bad"
              role          = "arn:aws:iam::123456789012:role/r"
              runtime       = "python3.12"
              handler       = "app.handler"
              filename      = data.archive_file.bad.output_path
            }
            resource "aws_lambda_function" "good" {
              function_name = "good"
              role          = "arn:aws:iam::123456789012:role/r"
              runtime       = "python3.12"
              handler       = "app.handler"
              filename      = "good.zip"
            }
            resource "aws_lambda_layer_version" "bad" {
              layer_name = "bad"
              filename   = "bad-layer.zip"
            }
            resource "aws_lambda_layer_version" "good" {
              layer_name = "good"
              filename   = data.archive_file.good_layer.output_path
            }
            """
        )
    )
    return root


# Per source: the logical ids (or Terraform addresses) of the bad/good functions and layers.
PROJECTS = {
    "cloudformation": (cloudformation, ("Bad", "Good", "BadLayer", "GoodLayer")),
    "sam": (sam, ("Bad", "Good", "BadLayer", "GoodLayer")),
    "serverless": (
        serverless,
        ("BadLambdaFunction", "GoodLambdaFunction", "BadLibsLambdaLayer", "GoodLibsLambdaLayer"),
    ),
    "terraform": (
        terraform,
        (
            "aws_lambda_function.bad",
            "aws_lambda_function.good",
            "aws_lambda_layer_version.bad",
            "aws_lambda_layer_version.good",
        ),
    ),
}


@pytest.mark.parametrize("source", sorted(PROJECTS))
def test_every_package_rule_fails_on_bad_code_and_passes_on_good_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, source: str
) -> None:
    build, (bad, good, bad_layer, good_layer) = PROJECTS[source]
    code, report, err = scan(capsys, str(build(tmp_path)), "--osv-db", str(DEMO_OSV))
    got = statuses(report)
    expected = {
        **{(r, bad): "fail" for r in FUNCTION_RULES},
        **{(r, good): "pass" for r in FUNCTION_RULES},
        **{(r, bad_layer): "fail" for r in LAYER_RULES},
        **{(r, good_layer): "pass" for r in LAYER_RULES},
    }
    assert {k: got.get(k) for k in expected} == expected, err
    assert set(FUNCTION_RULES + LAYER_RULES) == package_rules()
    assert report["coverage_gaps"] == [], report["coverage_gaps"]
    assert code == 1
    dumped = json.dumps(report)
    assert AWS_ID not in dumped and GITHUB not in dumped


def test_findings_name_file_and_line_inside_the_package(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, report, _ = scan(capsys, str(sam(tmp_path)), "--osv-db", str(DEMO_OSV))
    by_rule = {
        f["rule_id"]: f
        for f in report["findings"]
        if f["resource"]["logical_id"] in ("Bad", "BadLayer") and f["status"] == "fail"
    }
    assert "app.py:4" in by_rule["FTR-SEC-004"]["message"]
    assert f"{SITE}/analytics.py:1" in by_rule["FTR-SEC-005"]["message"]
    assert "PyYAML@5.3" in by_rule["FTR-PATCH-006"]["message"]
    assert "app.py:10" in by_rule["FTR-CODE-005"]["message"]


def test_without_osv_data_the_vulnerability_rules_are_unknown_never_pass(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, report, _ = scan(capsys, str(sam(tmp_path)))
    got = statuses(report)
    assert got[("FTR-PATCH-005", "Good")] == "unknown"
    assert got[("FTR-PATCH-006", "GoodLayer")] == "unknown"
    assert got[("FTR-SEC-004", "Good")] == "pass"
    message = next(f["message"] for f in report["findings"] if f["rule_id"] == "FTR-PATCH-005")
    assert "fortress vulndb update" in message


def test_a_bad_osv_db_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = sam(tmp_path / "p")
    bogus = tmp_path / "bogus.zip"
    bogus.write_bytes(b"not a zip")
    code = main(["scan", str(project), "--osv-db", str(bogus)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "--osv-db" in err and "Traceback" not in err


def test_no_packages_turns_package_reading_off(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, report, _ = scan(capsys, str(sam(tmp_path)), "--no-packages")
    assert statuses(report) == {}


def test_code_only_in_s3_or_an_image_is_not_run_not_unknown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  S3Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n"
        "      Runtime: python3.12\n      Handler: a.b\n      Role: arn:aws:iam::1:role/r\n"
        "      Code: {S3Bucket: b, S3Key: k.zip}\n"
        "  ImageFn:\n    Type: AWS::Lambda::Function\n    Properties:\n"
        "      PackageType: Image\n      Role: arn:aws:iam::1:role/r\n"
        "      Code: {ImageUri: 1.dkr.ecr.us-east-1.amazonaws.com/x:1}\n"
    )
    _code, report, err = scan(capsys, str(tmp_path))
    assert statuses(report) == {}
    assert report["coverage_gaps"] == [] and err == ""


def test_missing_build_output_warns_and_is_not_a_gap(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: .aws-sam/build/Fn}\n"
    )
    _code, report, err = scan(capsys, str(tmp_path))
    assert statuses(report) == {}
    assert report["coverage_gaps"] == []
    [line] = err.strip().splitlines()
    assert line.startswith(f"fortress: warning: {tmp_path / 'template.yaml'}: function ")
    assert "does not exist" in line


def test_many_functions_with_the_same_missing_build_output_warn_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = "".join(
        f"  Fn{i}:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: dist/}\n"
        for i in range(6)
    )
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n" + body
    )
    _code, _report, err = scan(capsys, str(tmp_path))
    [line] = err.strip().splitlines()
    assert "function Fn0, function Fn1, function Fn2 and 3 more:" in line
    assert "does not exist" in line


def _outside_project(tmp_path: Path, code_uri: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        f"    Properties: {{Runtime: python3.12, Handler: app.handler, CodeUri: '{code_uri}'}}\n"
    )
    return project


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink"])
def test_code_outside_the_scanned_folder_is_refused_not_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, how: str
) -> None:
    secret_tree = tree(tmp_path / "elsewhere", {"app.py": f"KEY = '{AWS_ID}'\n"})
    uri = {"dotdot": "../elsewhere", "absolute": str(secret_tree), "symlink": "link"}[how]
    project = _outside_project(tmp_path, uri)
    if how == "symlink":
        os.symlink(secret_tree, project / "link")
    code, report, _err = scan(capsys, str(project))
    got = statuses(report)
    assert got[("FTR-SEC-004", "Fn")] == "unknown"
    [gap] = report["coverage_gaps"]
    assert gap["operation"] == "read-package" and "outside the scanned folder" in gap["message"]
    assert code == 3
    assert AWS_ID not in json.dumps(report) and "sha256:" not in json.dumps(report)


def test_an_unsafe_zip_is_refused_with_its_reason(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = _outside_project(tmp_path, "code.zip")
    with zipfile.ZipFile(project / "code.zip", "w") as zf:
        zf.writestr("../../escape.py", "x = 1\n")
    code, report, _ = scan(capsys, str(project))
    assert statuses(report)[("FTR-SEC-004", "Fn")] == "unknown"
    [gap] = report["coverage_gaps"]
    assert "code.zip" in gap["message"] and "refused" in gap["message"]
    assert not (tmp_path / "escape.py").exists()
    assert code == 3


def test_a_fifo_in_the_code_folder_is_skipped_not_opened(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = _outside_project(tmp_path, "src")
    tree(project / "src", {"app.py": f"KEY = '{AWS_ID}'\n"})
    os.mkfifo(project / "src" / "pipe.py")
    _code, report, _ = scan(capsys, str(project))
    assert statuses(report)[("FTR-SEC-004", "Fn")] == "fail"


def test_worker_processes_give_the_same_report_as_one_process(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Distinct packages are analysed in worker processes (vulnerabilities matched in the
    parent): the findings are exactly those of the one-process path, in the same order."""
    from fortress.packages import iac

    project = sam(tmp_path / "p")
    tree(tmp_path / "p" / "src" / "more", BAD_CODE)  # a fifth distinct package
    spawned: list[int] = []
    real = iac._analyse_units

    def spy(units: Any, workdir: Any, vulndb: Any, limits: Any, workers: int) -> Any:
        spawned.append(workers)
        return real(units, workdir, vulndb, limits, workers)

    monkeypatch.setattr(iac, "_analyse_units", spy)
    monkeypatch.setattr(iac.os, "cpu_count", lambda: 2)  # a pool even on a one-core machine
    _, pooled, _ = scan(capsys, str(project), "--osv-db", str(DEMO_OSV))
    monkeypatch.setattr(iac, "PARALLEL_FROM", 1000)
    _, single, _ = scan(capsys, str(project), "--osv-db", str(DEMO_OSV))
    assert spawned[0] > 1 and spawned[1] == 1, spawned
    keep = ("rule_id", "status", "resource", "message", "evidence")
    assert [{k: f.get(k) for k in keep} for f in pooled["findings"]] == [
        {k: f.get(k) for k in keep} for f in single["findings"]
    ]
    assert any(
        f["rule_id"] == "FTR-PATCH-005" and f["status"] == "fail" for f in pooled["findings"]
    )


def test_a_pool_that_refuses_work_leaves_it_to_the_main_process(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker processes that cannot start (a broken pool) lose no package: the main process
    analyses every unit itself and the report is the one-process report."""
    from concurrent.futures import BrokenExecutor, ProcessPoolExecutor

    from fortress.packages import iac

    class Refusing(ProcessPoolExecutor):
        def submit(self, *args: Any, **kwargs: Any) -> Any:
            raise BrokenExecutor("no workers here")

    project = sam(tmp_path / "p")
    tree(tmp_path / "p" / "src" / "more", BAD_CODE)
    monkeypatch.setattr(iac.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(iac, "ProcessPoolExecutor", Refusing)
    _, refused, _ = scan(capsys, str(project), "--osv-db", str(DEMO_OSV))
    monkeypatch.setattr(iac, "PARALLEL_FROM", 1000)
    _, single, _ = scan(capsys, str(project), "--osv-db", str(DEMO_OSV))
    keep = ("rule_id", "status", "resource", "message")
    assert [{k: f.get(k) for k in keep} for f in refused["findings"]] == [
        {k: f.get(k) for k in keep} for f in single["findings"]
    ]
    assert refused["coverage_gaps"] == []


def test_console_report_on_stdout_states_each_warning_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The console report lists input warnings itself; they are not printed to stderr too
    (on a terminal each appeared twice). With --output, stderr still carries them."""
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src/}\n"
    )
    main(["scan", str(tmp_path / "template.yaml")])
    out, err = capsys.readouterr()
    both = " ".join((out + err).split())  # the report wraps long lines
    assert both.count("does not exist (not built yet?)") == 1
    assert "does not exist" in " ".join(out.split()) and err == ""
    main(["scan", str(tmp_path / "template.yaml"), "--output", str(tmp_path / "r.txt")])
    out, err = capsys.readouterr()
    assert "does not exist" in err
