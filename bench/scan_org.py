"""Benchmark: an organization scan of K emulated accounts with N functions each.

Usage::

    .venv/bin/python bench/scan_org.py [K] [N] [--json FILE] [--workers 8]
        [--parallel-accounts 4] [--rate-calls 2000]

Starts the emulator (moto's server) in its own process, seeds an organization of K accounts
(the caller's management account and K-1 members, each with the role ``FortressAudit`` and N
functions in us-east-1, seeded with each account's own assumed-role credentials; the
emulator's first call of each service per account is paid while seeding, since AWS has no such
cost), then times the whole command, in its own process::

    fortress scan --organization --role-name FortressAudit --region us-east-1 \\
        --format json --output FILE

Reported: wall time, accounts per minute, peak memory of the scan's process tree (the sum of
VmRSS over the process and its children, sampled every 20 ms), API calls per function (from
a second, untimed run in this process, which counts every call of every account's client and
of the caller's), and the emulator's call rate, measured by a loop of a cheap call
(``list_functions`` on a region without functions) in one thread and in 8. The goal: wall
time <= 1.2 x (API calls / the better of the two rates).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ROLE = "FortressAudit"
REGION = "us-east-1"
ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_emulator() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, endpoint
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("the emulator did not start")


def tree_rss_mb(pid: int) -> float:
    """VmRSS of ``pid`` and all its descendants (Linux /proc)."""
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return total / 1024


def timed_scan(endpoint: str, output: Path, workers: int, parallel: int) -> dict[str, Any]:
    command = [
        str(Path(sys.executable).parent / "fortress"),
        "scan",
        "--endpoint-url",
        endpoint,
        "--organization",
        "--role-name",
        ROLE,
        "--region",
        REGION,
        "--workers",
        str(workers),
        "--parallel-accounts",
        str(parallel),
        "--format",
        "json",
        "--output",
        str(output),
    ]
    env = {**os.environ, **ENV}
    env.pop("AWS_SESSION_TOKEN", None)
    peak = 0.0
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_mb(child.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = child.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    return {"wall_s": wall, "peak_tree_rss_mb": peak, "exit": child.returncode, "stderr": err}


def count_calls(endpoint: str, workers: int, parallel: int) -> dict[str, int]:
    """The same scan in this process, counting each client's calls."""
    os.environ.update(ENV)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    from fortress import scan_org
    from fortress.aws.accounts import AccountOptions, RoleAssumer, resolve
    from fortress.aws.client import AwsClient, AwsOptions

    base = AwsClient(AwsOptions(regions=[REGION], endpoint_url=endpoint, max_workers=workers))
    options = AccountOptions(organization=True, role_name=ROLE)
    accounts = resolve(base, options)
    assumer = RoleAssumer(base, options)
    plan = scan_org.Plan(parallel_accounts=parallel, workers=workers, max_calls=workers * parallel)
    results = scan_org.run(base, accounts, assumer, plan, lambda _inventory: [])
    return {
        "accounts": len(results),
        "calls": base.calls + sum(r.calls for r in results),
        "caller_calls": base.calls,
        "functions": sum(r.counts.get("functions", 0) for r in results),
    }


def call_rate(endpoint: str, calls: int) -> dict[str, float]:
    import boto3
    from botocore.config import Config

    lam = boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name="ap-southeast-2",  # no functions there: a cheap answer
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, max_pool_connections=16),
    )
    lam.list_functions()  # the region's first call builds its state
    start = time.perf_counter()
    for _ in range(calls):
        lam.list_functions()
    serial = calls / (time.perf_counter() - start)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: lam.list_functions(), range(calls)))
    threaded = calls / (time.perf_counter() - start)
    return {"serial_calls_per_s": serial, "threaded_calls_per_s": threaded}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("accounts", type=int, nargs="?", default=20)
    parser.add_argument("functions", type=int, nargs="?", default=100)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--parallel-accounts", type=int, default=4)
    parser.add_argument("--rate-calls", type=int, default=2000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.update(ENV)
    from fortress.demo.organization import seed_organization

    server, endpoint = start_emulator()
    try:
        start = time.perf_counter()
        seed_organization(endpoint, args.accounts, args.functions, (REGION,), warm_up=True)
        seeded = time.perf_counter() - start
        rate = call_rate(endpoint, args.rate_calls)
        with tempfile.TemporaryDirectory() as tmp:
            output = Path(tmp) / "report.json"
            scan = timed_scan(endpoint, output, args.workers, args.parallel_accounts)
            report = json.loads(output.read_text()) if output.is_file() else {}
        counted = count_calls(endpoint, args.workers, args.parallel_accounts)
    finally:
        server.terminate()
        server.wait(timeout=10)
    best = max(rate["serial_calls_per_s"], rate["threaded_calls_per_s"])
    budget = counted["calls"] / best
    figures = {
        "accounts": args.accounts,
        "functions_per_account": args.functions,
        "workers": args.workers,
        "parallel_accounts": args.parallel_accounts,
        "seed_s": round(seeded, 1),
        "wall_s": round(scan["wall_s"], 2),
        "exit": scan["exit"],
        "accounts_per_min": round(args.accounts / scan["wall_s"] * 60, 1),
        "peak_tree_rss_mb": round(scan["peak_tree_rss_mb"], 1),
        "api_calls": counted["calls"],
        "api_calls_per_function": round(counted["calls"] / max(1, counted["functions"]), 2),
        "report_accounts": len(report.get("accounts") or []),
        "report_functions": (report.get("summary") or {}).get("resources", {}).get("functions"),
        "emulator_serial_calls_per_s": round(rate["serial_calls_per_s"], 1),
        "emulator_threaded_calls_per_s": round(rate["threaded_calls_per_s"], 1),
        "calls_at_emulator_rate_s": round(budget, 2),
        "ratio_to_call_budget": round(scan["wall_s"] / budget, 3),
        "goal_met": scan["wall_s"] <= 1.2 * budget,
        "load_average": os.getloadavg(),
    }
    if scan["exit"] not in (0, 1, 3):
        print(scan["stderr"].decode(errors="replace"), file=sys.stderr)
    print(
        f"{args.accounts} accounts x {args.functions} functions: {figures['wall_s']} s "
        f"({figures['accounts_per_min']} accounts/min), {figures['api_calls_per_function']} "
        f"calls/function, peak {figures['peak_tree_rss_mb']} MB; emulator "
        f"{figures['emulator_serial_calls_per_s']} calls/s (1 thread), "
        f"{figures['emulator_threaded_calls_per_s']} (8 threads) -> budget "
        f"{figures['calls_at_emulator_rate_s']} s, ratio {figures['ratio_to_call_budget']}"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0 if figures["goal_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
