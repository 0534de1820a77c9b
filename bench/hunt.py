"""Benchmark ``fortress hunt``: synthetic CloudTrail in S3 delivery layout, end to end.

    .venv/bin/python bench/hunt.py --events 1000000 [--dir /tmp/ct-bench] [--keep]

Generates N synthetic events (routine Lambda traffic plus a few planted attacks) as
``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz`` files, then measures (a)
``fortress hunt DIR --format json --output FILE`` as a user runs it, in a fresh process: wall
and CPU seconds and peak RSS of the process tree, events per second; (b) the full-parse path in
process (DuckDB parses every event), whose detections and event count must equal (a)'s; (c) a
plain Python loop that reads the same files and applies the same detections event by event, the
way per-event rule engines work, and the ratio of (a) to it.

Measured 2026-12-04 on 2 cores, quiet (load average 1.5-2.3), default --memory-limit (256MB):
1M events 3.7-4.5 s, 5.9-7.1 CPU-s, 281 MB; 10M events 35.6-38.6 s, 61-65 CPU-s, 393-404 MB;
detections identical to the full-parse path. With --memory-limit 2GB (the old default): 10M
33.7 s, 850 MB. Figures and history: docs/detection.md, "Benchmark and performance".
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

ACCOUNT = "111122223333"
REGION = "us-east-1"
PER_FILE = 2000
LAMBDA_UA = "Boto3/1.34 md/Botocore#1.34 exec-env/AWS_Lambda_python3.12 Botocore/1.34"
CI_UA = "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 terraform-provider-aws/5.40.0"
SUFFIX = re.compile(r"[0-9]{8}(v[0-9]+)?$")
ENUMERATION = frozenset(
    (
        "GetFunction",
        "GetFunctionConfiguration",
        "ListFunctions",
        "GetPolicy",
        "ListVersionsByFunction",
        "ListAliases",
        "GetLayerVersion",
        "ListLayers",
        "ListLayerVersions",
        "GetFunctionUrlConfig",
        "ListFunctionUrlConfigs",
        "ListEventSourceMappings",
    )
)


def _role(fn: str, key: str) -> dict[str, Any]:
    return {
        "type": "AssumedRole",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{fn}-role/{fn}",
        "accountId": ACCOUNT,
        "accessKeyId": key,
        "sessionContext": {"sessionIssuer": {"arn": f"arn:aws:iam::{ACCOUNT}:role/{fn}-role"}},
    }


CI = {
    "type": "AssumedRole",
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/GitHubActions",
    "accountId": ACCOUNT,
    "accessKeyId": "ASIACI",
    "sessionContext": {"sessionIssuer": {"arn": f"arn:aws:iam::{ACCOUNT}:role/deploy"}},
}
ATTACKER = {
    "type": "IAMUser",
    "arn": f"arn:aws:iam::{ACCOUNT}:user/mallory",
    "accountId": ACCOUNT,
    "accessKeyId": "AKIAMALLORY",
}


def _event(i: int, t: str, name: str, ident: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {
        "eventVersion": "1.09",
        "userIdentity": ident,
        "eventTime": t,
        "eventSource": kw.get("source", "lambda.amazonaws.com"),
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": kw.get("ip", "3.5.1.2"),
        "userAgent": kw.get("ua", LAMBDA_UA),
        "requestParameters": kw.get("rp"),
        "responseElements": kw.get("re"),
        "eventID": f"e{i:09d}",
        "readOnly": False,
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
        "eventCategory": kw.get("category", "Management"),
    }


def synth(i: int, rng: random.Random, t: str) -> dict[str, Any]:
    fn = f"svc-{rng.randrange(200)}"
    r = rng.random()
    if r < 0.35:
        return _event(
            i,
            t,
            "Invoke",
            {"type": "AWSService", "invokedBy": "apigateway.amazonaws.com"},
            ip="apigateway.amazonaws.com",
            category="Data",
            rp={"functionName": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{fn}"},
        )
    if r < 0.65:
        return _event(
            i,
            t,
            "GetObject",
            _role(fn, f"ASIA{fn}"),
            source="s3.amazonaws.com",
            rp={"bucketName": "data", "key": f"k/{i}"},
        )
    if r < 0.85:
        return _event(
            i,
            t,
            "PutItem",
            _role(fn, f"ASIA{fn}"),
            source="dynamodb.amazonaws.com",
            rp={"tableName": "orders", "key": {"id": {"S": str(i)}}},
        )
    if r < 0.97:
        return _event(
            i,
            t,
            "GetFunctionConfiguration20150331v2",
            CI,
            ua=CI_UA,
            ip="140.82.112.1",
            rp={"functionName": fn},
        )
    return _event(
        i,
        t,
        "UpdateFunctionCode20150331v2",
        CI,
        ua=CI_UA,
        ip="140.82.112.1",
        rp={"functionName": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{fn}"},
        re={"functionName": fn, "codeSha256": "abc"},
    )


def planted(i: int, t: str) -> list[dict[str, Any]]:
    fn = "svc-7"
    return [
        _event(
            i,
            t,
            "AddPermission20150331v2",
            ATTACKER,
            ua="aws-cli/2",
            ip="198.51.100.1",
            rp={"functionName": fn, "principal": "*", "action": "lambda:InvokeFunction"},
        ),
        _event(
            i + 1,
            t,
            "UpdateFunctionCode20150331v2",
            ATTACKER,
            ua="aws-cli/2",
            ip="198.51.100.1",
            rp={"functionName": fn},
        ),
        _event(
            i + 2,
            t,
            "StopLogging",
            ATTACKER,
            source="cloudtrail.amazonaws.com",
            ua="aws-cli/2",
            rp={"name": "main"},
        ),
    ]


def generate(root: Path, total: int, seed: int = 1) -> int:
    rng = random.Random(seed)
    written = 0
    file_no = 0
    while written < total:
        n = min(PER_FILE, total - written)
        minute = file_no % (24 * 60)
        day = 1 + (file_no // (24 * 60)) % 28
        t = f"2024-08-{day:02d}T{minute // 60:02d}:{minute % 60:02d}:00Z"
        records = [synth(written + k, rng, t) for k in range(n)]
        if file_no % 500 == 7:
            records[-3:] = planted(written + n - 3, t)
        folder = root / "AWSLogs" / ACCOUNT / "CloudTrail" / REGION / "2024" / "08" / f"{day:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{ACCOUNT}_CloudTrail_{REGION}_202408{day:02d}T{minute:04d}Z_{file_no:06d}.json.gz"
        with gzip.open(folder / name, "wt", compresslevel=6) as fh:
            json.dump({"Records": records}, fh, separators=(",", ":"))
        written += n
        file_no += 1
    return written


# ----------------------------------------------------------------- the per-event Python loop


TRUSTED_LAYER_ACCOUNTS = frozenset(
    ("580247275435", "017000801446", "901920570463", "027255383542", "177933569100")
)
LAYER_ACCOUNT = re.compile(r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:([0-9]{12}):layer:")
FOLLOW = frozenset(
    (
        "Invoke",
        "InvokeAsync",
        "InvokeWithResponseStream",
        "CreateEventSourceMapping",
        "AddPermission",
        "CreateFunctionUrlConfig",
    )
)
CI_MARKERS = ("terraform", "aws-cdk", "cloudformation", "aws-sam-cli", "serverless", "pulumi")
CI_MARKERS += ("github-actions", "aws-actions", "codebuild", "codepipeline", "jenkins", "gitlab")
CI_MARKERS += ("spacelift", "atlantis")


def _fn_name(value: Any) -> str:
    return str(value or "").split(":function:")[-1].split(":")[0]


def python_loop(root: Path) -> tuple[int, Counter[str]]:
    """The same detections, event by event, the way per-event engines run them: stdlib gzip
    and json, one pass, state in dicts where a rule needs history, and the set-based rules
    (FTR-DET-007/008: which sessions are Lambda's) evaluated on buffered candidates at the
    end."""
    hits: Counter[str] = Counter()
    own: dict[tuple[str, str], int] = defaultdict(int)  # (function, principal key) -> changes
    anyone: dict[str, int] = defaultdict(int)  # function -> changes
    deploys: dict[tuple[str, str], int] = defaultdict(int)
    deployed: dict[str, int] = defaultdict(int)
    lambda_keys: set[str] = set()
    lambda_roles: set[str] = set()
    functions: set[str] = set()
    denied: set[str] = set()
    admin_roles: set[str] = set()
    created: dict[tuple[str, str], tuple[float, str]] = {}  # (key, fn) -> (time, role)
    escalations: list[tuple[str, str]] = []
    sessions: list[tuple[str, str, str, str, str, bool, bool]] = []
    enum: Counter[tuple[str, int]] = Counter()
    count = 0
    for path in sorted(root.rglob("*.json.gz")):
        with gzip.open(path, "rt") as fh:
            records = json.load(fh)["Records"]
        for e in records:
            count += 1
            src, name = e.get("eventSource"), SUFFIX.sub("", e.get("eventName") or "")
            ui = e.get("userIdentity") or {}
            rp = e.get("requestParameters") or {}
            ua = (e.get("userAgent") or "").lower()
            ptype = ui.get("type")
            issuer = (ui.get("sessionContext") or {}).get("sessionIssuer", {}).get("arn")
            key = str(issuer or ui.get("arn") or ui.get("invokedBy") or ui.get("principalId"))
            human = ptype in ("IAMUser", "Root", "FederatedUser", "IdentityCenterUser")
            ci = any(p in ua for p in CI_MARKERS)
            lam_ua = "exec-env/aws_lambda" in ua or "aws_lambda_" in ua or "awslambda" in ua
            service = (
                ptype == "AWSService"
                or ui.get("invokedBy") is not None
                or str(e.get("sourceIPAddress") or "").endswith(".amazonaws.com")
            )
            human_not_ci = human and not ci and not service
            err = e.get("errorCode")
            if ptype == "AssumedRole":
                if lam_ua and ui.get("accessKeyId"):
                    lambda_keys.add(ui["accessKeyId"])
                arn = str(ui.get("arn") or "")
                sessions.append(
                    (
                        str(ui.get("accessKeyId")),
                        str(issuer),
                        arn.split("/")[2] if arn.count("/") >= 2 else "",
                        f"{arn}|{e.get('sourceIPAddress')}|{ua}",
                        str(src),
                        not lam_ua and not service,
                        src
                        in ("iam.amazonaws.com", "sts.amazonaws.com", "organizations.amazonaws.com")
                        and name != "GetServiceBearerToken",
                    )
                )
            if err:
                if "AccessDenied" in err or "Unauthorized" in err:
                    denied.add(key)
                continue
            if src == "lambda.amazonaws.com":
                fn = _fn_name(
                    rp.get("functionName")
                    or ((rp.get("fullyQualifiedArn") or {}).get("relativeId") or {}).get(
                        "functionName"
                    )
                    or (e.get("responseElements") or {}).get("functionName")
                )
                if fn:
                    functions.add(fn)
                if name == "AddPermission" and rp.get("principal") == "*":
                    hits["FTR-DET-001"] += 1
                elif name in ("CreateFunctionUrlConfig", "UpdateFunctionUrlConfig"):
                    if str(rp.get("authType")).upper() == "NONE":
                        hits["FTR-DET-002"] += 1
                elif name == "AddLayerVersionPermission" and rp.get("principal") == "*":
                    hits["FTR-DET-004"] += 1
                elif name == "CreateEventSourceMapping" and human_not_ci:
                    hits["FTR-DET-009"] += 1
                if name in ("UpdateFunctionConfiguration", "CreateFunction"):
                    if rp.get("role"):
                        lambda_roles.add(rp["role"])
                    layers = json.dumps(rp.get("layers")) if rp.get("layers") else ""
                    foreign = any(
                        a not in TRUSTED_LAYER_ACCOUNTS and a != e.get("recipientAccountId")
                        for a in LAYER_ACCOUNT.findall(layers)
                    )
                    if layers and (
                        foreign or (name == "UpdateFunctionConfiguration" and human_not_ci)
                    ):
                        hits["FTR-DET-003"] += 1
                if name in ("CreateFunction", "UpdateFunctionCode") and fn:
                    if name == "UpdateFunctionCode" and (
                        human_not_ci
                        or (not service and deploys[(fn, key)] == 0 and deployed[fn] > 0)
                    ):
                        hits["FTR-DET-005"] += 1
                    deploys[(fn, key)] += 1
                    deployed[fn] += 1
                stamp = datetime.fromisoformat(e["eventTime"]).timestamp()
                if (
                    name == "CreateFunction"
                    and fn
                    and not service
                    and not ci
                    and not key.endswith(".amazonaws.com")
                    and rp.get("role")
                    and rp.get("role") != issuer
                ):
                    created[(key, fn)] = (stamp, str(rp["role"]))
                elif name in FOLLOW and (key, fn) in created:
                    at, role = created[(key, fn)]
                    if at <= stamp <= at + 3600:
                        escalations.append((key, role))
                        del created[(key, fn)]
                if (
                    name == "PutFunctionConcurrency"
                    and str(rp.get("reservedConcurrentExecutions")) == "0"
                ) or (
                    name == "DeleteFunction"
                    and fn
                    and own[(fn, key)] == 0
                    and not service
                    and (human_not_ci or anyone[fn] > 0)
                ):
                    hits["FTR-DET-013"] += 1
                if (
                    name
                    in (
                        "CreateFunction",
                        "UpdateFunctionCode",
                        "UpdateFunctionConfiguration",
                        "PutFunctionConcurrency",
                    )
                    and fn
                ):
                    own[(fn, key)] += 1
                    anyone[fn] += 1
                if name in ENUMERATION and not service:
                    # the SQL's window: 300-second buckets of the epoch, per principal key
                    enum[(key, int(stamp // 300))] += 1
            elif src == "cloudtrail.amazonaws.com" and name in ("StopLogging", "DeleteTrail"):
                hits["FTR-DET-010"] += 1
            elif src == "logs.amazonaws.com" and str(rp.get("logGroupName", "")).startswith(
                "/aws/lambda/"
            ):
                days = rp.get("retentionInDays")
                if name in ("DeleteLogGroup", "DeleteLogStream") or (
                    name == "PutRetentionPolicy" and days is not None and int(days) <= 7
                ):
                    hits["FTR-DET-011"] += 1
            elif src == "iam.amazonaws.com" and name in ("AttachRolePolicy", "PutRolePolicy"):
                doc = str(rp.get("policyDocument") or "").lower().replace(" ", "")
                if (
                    str(rp.get("policyArn", "")).endswith(
                        ("/AdministratorAccess", "/IAMFullAccess", "/PowerUserAccess")
                    )
                    or '"action":"*"' in doc
                    or '"action":["*"' in doc
                ):
                    admin_roles.add(str(rp.get("roleName")))
            elif (
                src == "sts.amazonaws.com"
                and name == "AssumeRole"
                and ui.get("invokedBy") == "lambda.amazonaws.com"
            ):
                creds = (e.get("responseElements") or {}).get("credentials") or {}
                if creds.get("accessKeyId"):
                    lambda_keys.add(creds["accessKeyId"])
                if rp.get("roleArn"):
                    lambda_roles.add(rp["roleArn"])
                if rp.get("roleSessionName"):
                    functions.add(rp["roleSessionName"])
    hits["FTR-DET-006"] += len(escalations)
    outside: set[str] = set()
    for key_id, issuer_arn, session, group, _src, not_lambda, sensitive in sessions:
        if key_id in lambda_keys or (issuer_arn in lambda_roles and session in functions):
            if not_lambda:
                outside.add(group)
            if sensitive:
                hits["FTR-DET-008"] += 1
    hits["FTR-DET-007"] += len(outside)
    hits["FTR-DET-012"] += sum(1 for v in enum.values() if v >= 30)
    return count, +hits


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(root: Path, out: Path, src: Path, memory_limit: str | None) -> dict[str, Any]:
    """``fortress hunt ROOT --format json --output OUT`` as a user runs it, in a fresh process
    (imports, discovery, load, every detection, the report written): wall and CPU seconds of
    the whole process tree (worker processes are waited for, so they count) and its peak RSS
    summed over the tree, sampled every 50 ms."""
    from packages import _tree_rss_mb

    env = dict(os.environ)
    env["PYTHONPATH"] = f"{src}{os.pathsep}{env.get('PYTHONPATH', '')}"
    argv = [sys.executable, "-m", "fortress", "hunt", str(root), "--format", "json"]
    if memory_limit:
        argv += ["--memory-limit", memory_limit]
    cpu0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.Popen(
        [*argv, "--output", str(out)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_mb(proc.pid))
        time.sleep(0.05)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"fortress hunt failed ({proc.returncode}): {err[-500:]}")
    report = json.loads(out.read_text())
    return {
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "events_per_s": round(report["events"] / wall),
        "peak_rss_tree_mb": round(peak, 1),
        "events": report["events"],
        "detections": report["detections"],
    }


def _key(d: dict[str, Any]) -> str:
    return json.dumps(d, sort_keys=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--dir", help="where to generate (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the files already in --dir (no generation)"
    )
    parser.add_argument(
        "--memory-limit", help="fortress hunt --memory-limit (default: fortress's own default)"
    )
    parser.add_argument(
        "--src",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "src",
        help="the fortress sources the CLI run uses (another checkout's, for before/after)",
    )
    parser.add_argument(
        "--skip-full-parse",
        action="store_true",
        help="skip the in-process run on the full-parse DuckDB path (the detections check)",
    )
    parser.add_argument("--skip-loop", action="store_true", help="skip the per-event Python loop")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from fortress.detection.hunt import HuntRequest, hunt

    root = Path(args.dir or tempfile.mkdtemp(prefix="ct-bench-"))
    try:
        t0 = time.perf_counter()
        existing = sum(1 for _ in root.rglob("*.json.gz")) if args.reuse else 0
        n = existing * PER_FILE if existing else generate(root, args.events)
        size = sum(p.stat().st_size for p in root.rglob("*.json.gz"))
        sys.stderr.write(
            f"generated {n:,} events ({size / 1e6:.1f} MB .json.gz) "
            f"in {time.perf_counter() - t0:.1f} s\n"
        )
        summary: dict[str, Any] = {"gzip_mb": round(size / 1e6, 1), "cpus": os.cpu_count()}
        with tempfile.TemporaryDirectory() as tmp:
            cli = run_cli(root, Path(tmp) / "hunt.json", args.src, args.memory_limit)
        found = cli.pop("detections")
        summary["events"] = cli.pop("events")
        summary["cli_all_detections"] = cli
        summary["detections"] = dict(sorted(Counter(d["rule_id"] for d in found).items()))
        if not args.skip_full_parse:
            t0, c0 = time.perf_counter(), time.process_time()
            request = HuntRequest(paths=[str(root)], fast_reader=False)
            if args.memory_limit:
                request.memory_limit = args.memory_limit
            full = hunt(request)
            summary["full_parse_in_process"] = {
                "seconds": round(time.perf_counter() - t0, 2),
                "cpu_seconds": round(time.process_time() - c0, 2),
            }
            same = sorted(map(_key, found)) == sorted(_key(d.to_dict()) for d in full.detections)
            summary["full_parse_detections_identical"] = same and full.events == summary["events"]
        if not args.skip_loop:
            t0, c0 = time.perf_counter(), time.process_time()
            py_n, py_hits = python_loop(root)
            py_s, py_cpu = time.perf_counter() - t0, time.process_time() - c0
            summary["python_per_event_loop"] = {
                "seconds": round(py_s, 2),
                "cpu_seconds": round(py_cpu, 2),
                "events_per_s": round(py_n / py_s),
            }
            summary["detections_python"] = dict(sorted(py_hits.items()))
            summary["ratio"] = round(cli["events_per_s"] / (py_n / py_s), 2)
        summary["load_average_1m"] = round(os.getloadavg()[0], 2)
        print(json.dumps(summary, indent=2))
    finally:
        if not args.keep and not args.dir:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
