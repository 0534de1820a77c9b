"""Benchmark: scan every project folder of a directory tree with the ``fortress scan`` CLI.

Usage::

    .venv/bin/python bench/iac_corpus.py DIR [--json FILE] [--fortress PATH] [--timeout S]
        [-- EXTRA SCAN ARGS...]

Each immediate sub-folder of DIR is one project (a SAM/CloudFormation stack, a Terraform root,
a Serverless service, or a mix). For each, ``fortress scan FOLDER --format json --output
REPORT`` runs as a subprocess (the same path a user runs), and one line is printed:

    folder  functions  exit  gaps  input-errors  warnings  seconds

then a total line (folders, functions, exit-code counts, gaps, errors, warnings, median and
total seconds). ``--json FILE`` writes every row. Exit codes: 0 clean, 1 findings, 3 incomplete
(coverage gaps or input errors), anything else an error (its first stderr line is shown).

Try it on ``tests/iac/corpus`` (the corpus of issue 8), or on any collection of your own.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _fortress(explicit: str | None) -> list[str]:
    if explicit:
        return [explicit]
    here = Path(sys.executable).with_name("fortress")
    if here.exists():
        return [str(here)]
    found = shutil.which("fortress")
    return [found] if found else [sys.executable, "-m", "fortress"]


def scan_folder(
    folder: Path, fortress: list[str], extra: list[str], timeout: float
) -> dict[str, Any]:
    """Run the CLI on one folder; the row of figures for it."""
    with tempfile.TemporaryDirectory(prefix="fortress-corpus-") as tmp:
        report_path = Path(tmp) / "report.json"
        argv = [
            *fortress,
            "scan",
            str(folder),
            "--format",
            "json",
            "--output",
            str(report_path),
            *extra,
        ]
        started = time.perf_counter()
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
            code, stderr = proc.returncode, proc.stderr
        except subprocess.TimeoutExpired:
            code, stderr = -1, f"timed out after {timeout:g} s"
        seconds = time.perf_counter() - started
        report: dict[str, Any] = {}
        if report_path.is_file():
            try:
                report = json.loads(report_path.read_text(encoding="utf-8"))
            except ValueError:
                report = {}
    sources = report.get("sources") or []
    functions = sum(int(s.get("functions") or 0) for s in sources if isinstance(s, dict))
    first_error = next((line for line in stderr.splitlines() if line.strip()), "")
    return {
        "folder": folder.name,
        "functions": functions,
        "exit": code,
        "gaps": len(report.get("coverage_gaps") or []),
        "input_errors": len(report.get("input_errors") or []),
        "warnings": len(report.get("input_warnings") or []),
        "seconds": round(seconds, 3),
        "stderr": first_error if code not in (0, 1, 3) else "",
    }


def _table(rows: list[dict[str, Any]]) -> str:
    width = max([len("folder"), *(len(r["folder"]) for r in rows)])
    lines = [
        f"{'folder':<{width}}  functions  exit  gaps  input-errors  warnings  seconds",
    ]
    for r in rows:
        line = (
            f"{r['folder']:<{width}}  {r['functions']:>9}  {r['exit']:>4}  {r['gaps']:>4}  "
            f"{r['input_errors']:>12}  {r['warnings']:>8}  {r['seconds']:>7.2f}"
        )
        if r["stderr"]:
            line += f"  ({r['stderr'][:120]})"
        lines.append(line)
    return "\n".join(lines)


def _total(rows: list[dict[str, Any]]) -> str:
    codes: dict[int, int] = {}
    for r in rows:
        codes[r["exit"]] = codes.get(r["exit"], 0) + 1
    seconds = [r["seconds"] for r in rows]
    by_code = ", ".join(f"exit {c}: {n}" for c, n in sorted(codes.items()))
    return (
        f"total: {len(rows)} folders, {sum(r['functions'] for r in rows)} functions, "
        f"{by_code}; {sum(r['gaps'] for r in rows)} gaps, "
        f"{sum(r['input_errors'] for r in rows)} input errors, "
        f"{sum(r['warnings'] for r in rows)} warnings; "
        f"median {statistics.median(seconds) if seconds else 0:.2f} s, "
        f"total {sum(seconds):.2f} s"
    )


def main(argv: list[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in args_in:
        cut = args_in.index("--")
        args_in, extra = args_in[:cut], args_in[cut + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="directory whose sub-folders are projects")
    parser.add_argument("--json", type=Path, help="write every row to this file")
    parser.add_argument("--fortress", help="the fortress executable (default: this venv's)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per folder")
    args = parser.parse_args(args_in)
    if not args.root.is_dir():
        print(f"iac_corpus: {args.root}: not a directory", file=sys.stderr)
        return 2
    folders = sorted(p for p in args.root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        print(f"iac_corpus: {args.root}: no project folders", file=sys.stderr)
        return 2
    fortress = _fortress(args.fortress)
    rows = [scan_folder(folder, fortress, extra, args.timeout) for folder in folders]
    print(_table(rows))
    print(_total(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
