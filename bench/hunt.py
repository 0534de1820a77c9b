"""Benchmark ``fortress hunt``: synthetic CloudTrail in S3 delivery layout, end to end.

    .venv/bin/python bench/hunt.py --events 1000000 [--dir /tmp/ct-bench] [--keep]

Generates N synthetic events (routine Lambda traffic plus a few planted attacks) as
``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz`` files, then measures events per
second end to end for (a) the DuckDB engine running every built-in detection and (b) a plain
Python loop that reads the same files and applies the same detections event by event, the way
per-event rule engines work. Prints both figures and the ratio.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
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


def python_loop(root: Path) -> tuple[int, Counter[str]]:
    """The same detections, event by event (state kept in dicts where a rule needs history)."""
    hits: Counter[str] = Counter()
    deployers: dict[str, set[str]] = defaultdict(set)
    lambda_keys: set[str] = set()
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
            key = (ui.get("sessionContext") or {}).get("sessionIssuer", {}).get("arn") or ui.get(
                "arn"
            )
            human = ptype in ("IAMUser", "Root", "FederatedUser", "IdentityCenterUser")
            ci = any(p in ua for p in ("terraform", "aws-cdk", "cloudformation", "github"))
            lam_ua = "exec-env/aws_lambda" in ua or "aws_lambda_" in ua
            service = (
                ptype == "AWSService"
                or ui.get("invokedBy") is not None
                or str(e.get("sourceIPAddress") or "").endswith(".amazonaws.com")
            )
            if lam_ua and ui.get("accessKeyId"):
                lambda_keys.add(ui["accessKeyId"])
            if e.get("errorCode"):
                continue
            if src == "lambda.amazonaws.com":
                fn = str(rp.get("functionName") or "").split(":function:")[-1].split(":")[0]
                if name == "AddPermission" and rp.get("principal") == "*":
                    hits["FTR-DET-001"] += 1
                elif name in ("CreateFunctionUrlConfig", "UpdateFunctionUrlConfig"):
                    if str(rp.get("authType")).upper() == "NONE":
                        hits["FTR-DET-002"] += 1
                elif name in ("UpdateFunctionConfiguration", "CreateFunction") and rp.get("layers"):
                    if human and not ci:
                        hits["FTR-DET-003"] += 1
                elif name == "AddLayerVersionPermission" and rp.get("principal") == "*":
                    hits["FTR-DET-004"] += 1
                elif name == "UpdateFunctionCode":
                    if (human and not ci) or (deployers[fn] and key not in deployers[fn]):
                        hits["FTR-DET-005"] += 1
                    deployers[fn].add(str(key))
                elif name == "CreateEventSourceMapping" and human and not ci:
                    hits["FTR-DET-009"] += 1
                elif (
                    name == "PutFunctionConcurrency" and rp.get("reservedConcurrentExecutions") == 0
                ):
                    hits["FTR-DET-013"] += 1
                if name in ENUMERATION and not service:
                    # the SQL's window: 300-second buckets of the epoch, per principal key
                    stamp = datetime.fromisoformat(e["eventTime"]).timestamp()
                    enum[(str(key), int(stamp // 300))] += 1
            elif src == "cloudtrail.amazonaws.com" and name in ("StopLogging", "DeleteTrail"):
                hits["FTR-DET-010"] += 1
            elif (
                src == "logs.amazonaws.com"
                and name == "DeleteLogGroup"
                and str(rp.get("logGroupName", "")).startswith("/aws/lambda/")
            ):
                hits["FTR-DET-011"] += 1
            if ptype == "AssumedRole" and ui.get("accessKeyId") in lambda_keys:
                if not lam_ua:
                    hits["FTR-DET-007"] += 1
                if src in ("iam.amazonaws.com", "sts.amazonaws.com"):
                    hits["FTR-DET-008"] += 1
    hits["FTR-DET-012"] += sum(1 for v in enum.values() if v >= 30)
    return count, hits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--dir", help="where to generate (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the files already in --dir (no generation)"
    )
    parser.add_argument("--memory-limit", default="2GB")
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
        t0, c0 = time.perf_counter(), time.process_time()
        result = hunt(HuntRequest(paths=[str(root)], memory_limit=args.memory_limit))
        duck_s, duck_cpu = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        py_n, py_hits = python_loop(root)
        py_s, py_cpu = time.perf_counter() - t0, time.process_time() - c0
        duck_rate, py_rate = result.events / duck_s, py_n / py_s
        by_rule = Counter(d.rule_id for d in result.detections)
        print(
            json.dumps(
                {
                    "events": result.events,
                    "gzip_mb": round(size / 1e6, 1),
                    "cpus": os.cpu_count(),
                    "duckdb_all_detections": {
                        "seconds": round(duck_s, 2),
                        "cpu_seconds": round(duck_cpu, 2),
                        "events_per_s": round(duck_rate),
                    },
                    "python_per_event_loop": {
                        "seconds": round(py_s, 2),
                        "cpu_seconds": round(py_cpu, 2),
                        "events_per_s": round(py_rate),
                    },
                    "ratio": round(duck_rate / py_rate, 2),
                    "ratio_cpu": round(py_cpu / py_n * result.events / duck_cpu, 2),
                    "load_average_1m": round(os.getloadavg()[0], 2),
                    "detections_duckdb": dict(sorted(by_rule.items())),
                    "detections_python": dict(sorted(py_hits.items())),
                    "unreadable": len(result.unreadable),
                },
                indent=2,
            )
        )
    finally:
        if not args.keep and not args.dir:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
