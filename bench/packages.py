"""Benchmark: package analysis (secrets, dependencies, OSV, risky code) as `fortress scan` runs it.

Usage::

    .venv/bin/python bench/packages.py [--functions 20] [--share-every 5] [--keep DIR]
        [--skip-peer] [--no-share-profile]

Builds a SAM project whose functions deploy local code folders made of **real third-party
code** found on this machine (no download): Node.js packages are npm's own ``node_modules``
(~120 packages, ~15 MB, from the system's npm), Python packages are ~40 distributions copied
from this virtualenv's ``site-packages`` the way ``pip install -t .`` lays them out for Lambda
(libraries at the package root, ``*.dist-info`` beside them), each with a small handler, one
with a hard-coded key. Every ``--share-every``-th function deploys the same folder as the one
before it (a package shared by several functions must be analysed once). Files are hard links,
so building the project costs no copy.

Measured, each as a user runs it (whole process, report written; see ``scan_iac.measure``):

- ``fortress scan template.yaml --format json --output FILE`` (package analysis is on by
  default for IaC local code);
- the peer: ``detect-secrets scan --all-files`` over the same distinct package folders (the
  scanner Prowler uses for Lambda code, secrets only: no dependencies, no OSV, no code risks).

Reported: distinct unzipped MB, files, wall and CPU time, **MB/s** and files/s of distinct
content, peak RSS of the largest process and (``peak_tree_rss_mb``, from a second run sampled
every 50 ms) of the whole process tree, worker processes included, and the ratios to the peer. ``share`` (unless ``--no-share-profile``) runs
the analysers in a child process and reports which part of their time each one takes; that is
the only inner timing here and it is labelled as such.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scan_iac import fortress_env, measure

NPM_MODULES = Path("/usr/lib/node_modules/npm/node_modules")
PY_DISTS = 40
PY_DIST_MAX_BYTES = 3 * 1024 * 1024  # one distribution (skip botocore-sized data packages)

_SHARE_CHILD = r"""
import json, sys, time
from pathlib import Path
from fortress.packages import code_risk, deps, secrets_scan
from fortress.packages.files import from_directory
totals = {"secrets": 0.0, "dependencies": 0.0, "code": 0.0, "listing": 0.0}
for folder in sys.argv[1:]:
    start = time.perf_counter()
    files = list(from_directory(Path(folder)))
    totals["listing"] += time.perf_counter() - start
    for name, work in (("secrets", lambda: secrets_scan.scan(files)),
                       ("dependencies", lambda: deps.inventory(files)),
                       ("code", lambda: code_risk.scan(files, handler="app.handler", runtime=None))):
        start = time.perf_counter()
        work()
        totals[name] += time.perf_counter() - start
whole = sum(totals.values())
print(json.dumps({k: round(v / whole, 3) for k, v in totals.items()} | {"inner_s": round(whole, 2)}))
"""


def _tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and all its descendants (worker processes included), MB."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as handle:
                fields = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue
        parents[int(entry)] = int(fields.get("PPid", "0").strip() or 0)
        rss[int(entry)] = int((fields.get("VmRSS", "0 kB").split() or ["0"])[0])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return sum(rss.get(pid, 0) for pid in tree) / 1024


def peak_tree_rss(argv: list[str], env: dict[str, str]) -> float:
    """Run ``argv`` again, sampling the summed RSS of its process tree every 50 ms: the memory a
    user's machine needs, which ``ru_maxrss`` (the largest single process) understates when
    the work is spread over worker processes."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_mb(proc.pid))
        time.sleep(0.05)
    return round(peak, 1)


def _link_tree(source: Path, target: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        rel = Path(dirpath).relative_to(source)
        (target / rel).mkdir(parents=True, exist_ok=True)
        for name in filenames:
            src = Path(dirpath) / name
            if src.is_symlink() or not src.is_file():
                continue
            try:
                os.link(src, target / rel / name)
            except OSError:
                shutil.copy2(src, target / rel / name)


def _tree_bytes(folder: Path) -> tuple[int, int]:
    size = files = 0
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                size += path.stat().st_size
                files += 1
    return size, files


def _python_dists(site: Path) -> list[tuple[Path, list[Path]]]:
    """(dist-info, its top-level folders/modules) for up to PY_DISTS smallish distributions."""
    chosen: list[tuple[Path, list[Path]]] = []
    for info in sorted(site.glob("*.dist-info")):
        names: list[str] = []
        top = info / "top_level.txt"
        if top.is_file():
            names = [n.strip() for n in top.read_text().splitlines() if n.strip()]
        else:
            names = [info.name.split("-")[0].lower()]
        parts = [
            p
            for n in names
            for p in (site / n, site / f"{n}.py")
            if p.exists() and not p.is_symlink()
        ]
        if not parts:
            continue
        size = sum(_tree_bytes(p)[0] if p.is_dir() else p.stat().st_size for p in parts)
        if size > PY_DIST_MAX_BYTES:
            continue
        chosen.append((info, parts))
        if len(chosen) >= PY_DISTS:
            break
    return chosen


def python_package(target: Path, site: Path, index: int) -> None:
    for info, parts in _python_dists(site):
        _link_tree(info, target / info.name)
        for part in parts:
            if part.is_dir():
                _link_tree(part, target / part.name)
            else:
                os.link(part, target / part.name)
    key = "AKIA" + "Q3EGRSTUVWX" + f"{index:05d}"  # a fake, well-formed access key id
    (target / "app.py").write_text(
        "import os\nimport subprocess\n\n"
        f'AWS_KEY = "{key}"\n\n'
        "def handler(event, context):\n"
        '    return subprocess.run(event["cmd"], shell=True)\n',
        encoding="utf-8",
    )


def node_package(target: Path, index: int) -> None:
    _link_tree(NPM_MODULES, target / "node_modules")
    (target / "index.js").write_text(
        "const { exec } = require('child_process');\n"
        "exports.handler = async (event) => { exec(event.cmd); return 'ok'; };\n",
        encoding="utf-8",
    )
    (target / "package.json").write_text(
        json.dumps(
            {"name": f"fn-{index}", "version": "1.0.0", "dependencies": {"semver": "7.5.4"}}
        ),
        encoding="utf-8",
    )


def build(root: Path, functions: int, share_every: int) -> tuple[Path, list[Path]]:
    site = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    site = site / "site-packages"
    lines = ["AWSTemplateFormatVersion: '2010-09-09'", "Transform: AWS::Serverless-2016-10-31"]
    lines.append("Resources:")
    distinct: list[Path] = []
    for i in range(functions):
        node = i % 2 == 1 and NPM_MODULES.is_dir()
        if share_every and i % share_every == share_every - 1 and distinct:
            folder = distinct[-1]
        else:
            folder = root / "pkgs" / f"p{i}"
            folder.mkdir(parents=True)
            node_package(folder, i) if node else python_package(folder, site, i)
            distinct.append(folder)
        runtime = "nodejs20.x" if (folder / "index.js").exists() else "python3.12"
        handler = "index.handler" if runtime.startswith("nodejs") else "app.handler"
        lines += [
            f"  Fn{i}:",
            "    Type: AWS::Serverless::Function",
            "    Properties:",
            f"      FunctionName: bench-pkg-{i}",
            f"      Runtime: {runtime}",
            f"      Handler: {handler}",
            f"      CodeUri: {folder.relative_to(root).as_posix()}/",
        ]
    template = root / "template.yaml"
    template.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return template, distinct


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=20)
    parser.add_argument("--share-every", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the project here and keep it")
    parser.add_argument("--skip-peer", action="store_true", help="do not run detect-secrets")
    parser.add_argument("--no-share-profile", action="store_true")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="fortress-bench-pkg-"))
    summary: dict[str, object] = {"functions": args.functions}
    try:
        template, distinct = build(base / "project", args.functions, args.share_every)
        sizes = [_tree_bytes(d) for d in distinct]
        mb = sum(s for s, _ in sizes) / 1e6
        files = sum(f for _, f in sizes)
        summary |= {"distinct_packages": len(distinct), "distinct_mb": round(mb, 1)}
        summary |= {"files": files}
        print(f"project: {json.dumps(summary)}", flush=True)
        env = fortress_env(base / "cache")
        out = base / "report.json"
        cmd = [sys.executable, "-m", "fortress", "scan", str(template), "--format", "json"]
        ours = measure([*cmd, "--output", str(out)], env)
        if ours["exit"] not in (0, 1, 3):
            raise SystemExit(f"fortress scan failed: {ours['stderr']}")
        del ours["stderr"]
        report = json.loads(out.read_text())
        ours["secrets_found"] = sum(
            1
            for f in report.get("findings", [])
            if f.get("rule_id") in ("FTR-SEC-004", "FTR-SEC-005") and f.get("status") == "fail"
        )
        ours["peak_tree_rss_mb"] = peak_tree_rss([*cmd, "--output", str(out)], env)
        ours["mb_per_s"] = round(mb / ours["wall_s"], 2)
        ours["files_per_s"] = round(files / ours["wall_s"])
        print(f"fortress scan: {json.dumps(ours)}", flush=True)
        summary["fortress"] = ours
        peer = Path(sys.prefix) / "bin" / "detect-secrets"
        if not args.skip_peer and peer.exists():
            # detect-secrets scans only files under its working directory: run it from the
            # project folder, on the same distinct package folders.
            here = Path.cwd()
            os.chdir(base / "project")
            try:
                rel = [str(d.relative_to(base / "project")) for d in distinct]
                theirs = measure(
                    [str(peer), "scan", "--all-files", *rel], env, str(base / "ds.json")
                )
            finally:
                os.chdir(here)
            del theirs["stderr"]
            found = json.loads((base / "ds.json").read_text()).get("results", {})
            theirs["files_with_secrets"] = len(found)
            theirs["mb_per_s"] = round(mb / theirs["wall_s"], 2)
            theirs["files_per_s"] = round(files / theirs["wall_s"])
            print(f"detect-secrets: {json.dumps(theirs)}", flush=True)
            summary["detect_secrets"] = theirs
            summary["x_peer_time"] = round(ours["wall_s"] / theirs["wall_s"], 3)
            summary["x_peer_rss"] = round(ours["peak_rss_mb"] / theirs["peak_rss_mb"], 3)
        if not args.no_share_profile:
            summary["share"] = _share(distinct, env)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0


def _share(distinct: list[Path], env: dict[str, str]) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", _SHARE_CHILD, *map(str, distinct)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip()[-200:]}  # type: ignore[dict-item]
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"share (inner timing of the analysers): {json.dumps(result)}", flush=True)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
