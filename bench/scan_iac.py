"""Benchmark: `fortress scan` end to end on 1,000-function Terraform and SAM projects, beside Checkov.

Usage::

    .venv/bin/python bench/scan_iac.py [--functions 1000] [--only terraform|sam]
        [--formats console,json,sarif,html] [--repeat 1] [--checkov PATH] [--keep DIR]

Times the **command a user runs**, not the Python API: each measurement is
``python -m fortress scan PATH --format F --output FILE`` in a fresh subprocess (imports,
loading, rules, rendering and writing the report), plus ``console-stdout`` (the console report
printed to a pipe, as in CI logs). Peak RSS is the child's own ``ru_maxrss``: each command is
started by a small wrapper process whose ``RUSAGE_CHILDREN`` holds that one child only.

The IAM action index is cached on disk (``$XDG_CACHE_HOME``, private to the run): a first
``cold`` JSON scan per project builds it, every measurement after it is warm (a user's second
run onwards). Checkov (``--checkov``, ``$CHECKOV`` or ``checkov`` on PATH; install it in a side
virtualenv: ``python3 -m venv /tmp/checkov-venv && /tmp/checkov-venv/bin/pip install checkov``)
runs on the same project in the same run with ``-o json`` to a file, ``--skip-download`` and
no HCL parse timeout (see :func:`run_checkov`). Reported per format:
wall time, peak RSS, report size, and the ratios the goal is stated in (``x_checkov_time``,
``x_checkov_rss``; console over json). With ``--repeat N`` the median of N runs is kept.
Output: one line per measurement and a JSON summary on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

# Runs argv[1:] as a child, then prints the child's wall time and peak RSS (KiB) as JSON.
_WRAPPER = r"""
import json, resource, subprocess, sys, time
stdout = open(sys.argv[1], "wb") if sys.argv[1] != "-" else subprocess.DEVNULL
start = time.perf_counter()
proc = subprocess.run(sys.argv[2:], stdout=stdout, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                  "peak_rss_mb": usage.ru_maxrss / 1024, "exit": proc.returncode,
                  "stderr": proc.stderr.decode("utf-8", "replace")[-300:]}))
"""

FORMATS = ("console", "json", "sarif", "html")


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


def measure(argv: list[str], env: dict[str, str], stdout_file: str = "-") -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER, stdout_file, *argv],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        raise SystemExit(f"bench wrapper failed: {proc.stderr.strip()[-500:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def fortress_env(cache_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    src = Path(__file__).resolve().parent.parent / "src"
    env["PYTHONPATH"] = f"{src}{os.pathsep}{env.get('PYTHONPATH', '')}"
    env["XDG_CACHE_HOME"] = str(cache_home)
    # Byte-code as an installed package has it (pip compiles at install): the cold run writes
    # Fortress's own modules' .pyc to a private prefix, warm runs read them. Without this, an
    # environment with PYTHONDONTWRITEBYTECODE (a source checkout) recompiled ~120 modules per
    # run, ~0.45 s that no installed copy pays (Checkov's site-packages are compiled).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache_home / "pycache")
    env.pop("COLUMNS", None)
    return env


def run_fortress(path: Path, fmt: str, out_dir: Path, env: dict[str, str]) -> dict[str, float]:
    """One `fortress scan` as a user runs it; ``console-stdout`` prints to a pipe (a file)."""
    cmd = [sys.executable, "-m", "fortress", "scan", str(path)]
    if fmt == "console-stdout":
        report = out_dir / "console-stdout.txt"
        result = measure([*cmd, "--format", "console"], env, str(report))
    else:
        report = out_dir / f"report.{fmt}"
        result = measure([*cmd, "--format", fmt, "--output", str(report)], env)
    if result["exit"] not in (0, 1, 3):
        raise SystemExit(f"fortress scan --format {fmt} failed: {result['stderr']}")
    result["report_mb"] = round(report.stat().st_size / 1e6, 2)
    del result["stderr"]
    return result


def run_checkov(checkov: str, path: Path, framework: str, out_dir: Path) -> dict[str, float]:
    """Checkov on the same project. Fair to it: no network (``--skip-download``; offline it
    would only wait for Prisma Cloud), and no 10 s HCL parse timeout (on a loaded machine
    the 1,000-function main.tf then fails to parse and Checkov "finishes" having checked
    nothing). Its own summary is kept, so a run that checked nothing shows."""
    cmd = [checkov, "-d" if path.is_dir() else "-f", str(path), "--skip-download"]
    cmd += ["--framework", framework, "--quiet", "--compact", "-o", "json"]
    report = out_dir / "checkov.json"
    env = dict(os.environ, HCL_PARSE_TIMEOUT_SEC="3600")
    result = measure(cmd, env, str(report))
    result["report_mb"] = round(report.stat().st_size / 1e6, 2)
    del result["stderr"]
    try:
        doc = json.loads(report.read_text())
        summaries = [d.get("summary", {}) for d in (doc if isinstance(doc, list) else [doc])]
        result["failed"] = sum(s.get("failed", 0) for s in summaries)
        result["passed"] = sum(s.get("passed", 0) for s in summaries)
        result["parsing_errors"] = sum(s.get("parsing_errors", 0) for s in summaries)
    except (OSError, ValueError, AttributeError):
        result["failed"] = -1.0
    return result


def median(runs: list[dict[str, float]]) -> dict[str, float]:
    keys = runs[0].keys()
    return {k: round(statistics.median(float(r[k]) for r in runs), 3) for k in keys}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=1000)
    parser.add_argument("--checkov", default=os.environ.get("CHECKOV") or shutil.which("checkov"))
    parser.add_argument("--keep", type=Path, help="write the projects here and keep them")
    parser.add_argument("--only", choices=("terraform", "sam"))
    parser.add_argument("--formats", default=",".join((*FORMATS, "console-stdout")))
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (median)")
    args = parser.parse_args()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
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
            out_dir = base / f"out-{name}"
            out_dir.mkdir(exist_ok=True)
            env = fortress_env(base / f"cache-{name}")  # empty: the first run is cold
            entry: dict[str, object] = {}
            cold = run_fortress(path, "json", out_dir, env)
            print(f"fortress {name} json (cold cache): {json.dumps(cold)}", flush=True)
            entry["json_cold"] = cold
            theirs: dict[str, float] | None = None
            if args.checkov and Path(args.checkov).exists():
                theirs = median(
                    [
                        run_checkov(args.checkov, path, framework, out_dir)
                        for _ in range(args.repeat)
                    ]
                )
                print(f"checkov  {name}: {json.dumps(theirs)}", flush=True)
                entry["checkov"] = theirs
            else:
                entry["checkov"] = "not installed (give --checkov PATH or $CHECKOV)"
            for fmt in formats:
                ours = median([run_fortress(path, fmt, out_dir, env) for _ in range(args.repeat)])
                if theirs:
                    ours["x_checkov_time"] = round(ours["wall_s"] / theirs["wall_s"], 3)
                    ours["x_checkov_rss"] = round(ours["peak_rss_mb"] / theirs["peak_rss_mb"], 3)
                print(f"fortress {name} {fmt}: {json.dumps(ours)}", flush=True)
                entry[fmt] = ours
            json_run = entry.get("json")
            for fmt in ("console", "console-stdout"):
                run = entry.get(fmt)
                if isinstance(run, dict) and isinstance(json_run, dict):
                    run["x_json_time"] = round(run["wall_s"] / json_run["wall_s"], 3)
            summary[name] = entry
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
