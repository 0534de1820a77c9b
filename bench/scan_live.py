"""Benchmark: a full live posture scan of N emulated Lambda functions.

Usage::

    .venv/bin/python bench/scan_live.py [N] [--json FILE] [--workers 8] [--runs 1]
        [--with-versions] [--src DIR]

Starts the AWS emulator in this process (``fortress.demo.emulator()``), seeds N functions with a
realistic mix (own and shared execution roles, AWS managed and inline policies, resource
policies, function URLs, layers, environment variables with a few secrets, VPC configs, log
groups, versions and aliases, on-failure destinations, reserved concurrency, tags), then runs
the scan in a fresh child process through the same path as ``fortress scan --endpoint-url``:
``fortress.sources.aws.collect`` (``versions=False``: no posture rule reads the version
history) then ``fortress.scan.run_rules``. The child's peak RSS is
therefore the scanner's own (the emulator and the seeding live in this process).

Reported: functions per second, API calls per function (``AwsClient.calls / N``), wall time of
collection and of the rules, peak RSS of the scanner, findings and coverage gaps. One summary
line on stdout; ``--json FILE`` writes every figure.

Reference (issue 2): Prowler's Lambda checks on 1,000 emulated functions take ~25 s and ~600 MB.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"  # the emulator's default account
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
PROWLER_REFERENCE = {"functions": 1000, "seconds": 25.0, "peak_rss_mb": 600.0}

_SCAN = r"""
import json, resource, sys, time
from datetime import UTC, datetime
start = time.perf_counter()

def peak_rss_mb():
    # VmHWM is this process image's own high-water mark. ru_maxrss is not: Linux folds the
    # parent's RSS (here the emulator's) into it when the child is spawned.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
from fortress.config import ScanConfig
from fortress.scan import SourceInfo, run_rules
from fortress.sources import aws
from fortress.aws.client import AwsClient, AwsOptions
endpoint, workers = sys.argv[1], int(sys.argv[2])
imported = time.perf_counter()
started = datetime.now(UTC)
client = AwsClient(AwsOptions(regions=[sys.argv[3]], endpoint_url=endpoint,
                              credentials=("testing", "testing"), max_workers=workers))
import inspect
lean = {"versions": sys.argv[4] == "1"} if "versions" in inspect.signature(aws.collect).parameters else {}
inventory = aws.collect(client, **lean)
collected = time.perf_counter()
calls = client.calls
result = run_rules(inventory, None, ScanConfig(), list(client.gaps),
                   [SourceInfo("aws", endpoint)], started)
done = time.perf_counter()
print(json.dumps({
    "functions": len(inventory.functions), "roles": len(inventory.roles),
    "findings": len(result.findings), "failing": sum(1 for f in result.findings
                                                      if str(f.status) == "fail"),
    "rules_run": result.rules_run, "api_calls": calls,
    "gaps": sorted({f"{g.service}:{g.operation}:{g.error_code}" for g in result.gaps}),
    "import_s": imported - start, "collect_s": collected - imported, "rules_s": done - collected,
    "scan_s": done - imported,
    "peak_rss_mb": peak_rss_mb(),
}))
"""


# --------------------------------------------------------------------------- seeding


def _package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buffer.getvalue()


class Seeder:
    """Creates the account: shared things once, then every function in a thread pool."""

    def __init__(self, endpoint: str, count: int, workers: int) -> None:
        import boto3
        from botocore.config import Config

        self.count = count
        self.workers = workers
        config = Config(retries={"max_attempts": 2}, max_pool_connections=workers * 2)
        session = boto3.Session(
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["aws_access_key_id"],
            aws_secret_access_key=CREDENTIALS["aws_secret_access_key"],
        )
        self.iam = session.client("iam", endpoint_url=endpoint, config=config)
        self.lam = session.client("lambda", endpoint_url=endpoint, config=config)
        self.ec2 = session.client("ec2", endpoint_url=endpoint, config=config)
        self.logs = session.client("logs", endpoint_url=endpoint, config=config)
        self.sqs = session.client("sqs", endpoint_url=endpoint, config=config)
        self.calls = 0
        self.package = _package()

    def _pool(self, items: list[Any], work: Any) -> None:
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for _ in pool.map(work, items):
                pass

    # roles: every other function pair shares a role; every 10th function uses one of three
    # team-wide roles (admin, wildcard, basic).
    def role_name(self, i: int) -> str:
        return f"bench-shared-{i % 3}" if i % 10 == 0 else f"bench-role-{i // 2}"

    def roles(self) -> None:
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )
        names = sorted({self.role_name(i) for i in range(self.count)})

        def make(name: str) -> None:
            self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
            self.iam.attach_role_policy(
                RoleName=name,
                PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            )
            if name == "bench-shared-0":
                self.iam.attach_role_policy(
                    RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
                )
                return
            index = int(name.rsplit("-", 1)[1])
            wildcard = name == "bench-shared-1" or index % 7 == 0
            statement = (
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
                if wildcard
                else {
                    "Effect": "Allow",
                    "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                    "Resource": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t{index}",
                }
            )
            self.iam.put_role_policy(
                RoleName=name,
                PolicyName="app",
                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
            )

        self._pool(names, make)

    def shared(self) -> dict[str, Any]:
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            self.ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{k}.0/24")["Subnet"]["SubnetId"]
            for k in range(2)
        ]
        groups = [
            self.ec2.create_security_group(GroupName=f"bench-sg-{k}", Description="x", VpcId=vpc)[
                "GroupId"
            ]
            for k in range(2)
        ]
        self.ec2.authorize_security_group_ingress(
            GroupId=groups[1],
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                }
            ],
        )
        layer = self.lam.publish_layer_version(
            LayerName="bench-common",
            Content={"ZipFile": self.package},
            CompatibleRuntimes=["python3.12"],
        )["LayerVersionArn"]
        queue = self.sqs.create_queue(QueueName="bench-dlq")["QueueUrl"]
        dlq = self.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        return {"subnets": subnets, "groups": groups, "layer": layer, "dlq": dlq}

    def function(self, i: int, shared: dict[str, Any]) -> None:
        name = f"bench-fn-{i:05d}"
        env = {"TABLE": f"t{i}", "STAGE": "prod", "LOG_LEVEL": "INFO"}
        if i % 10 == 0:
            env["DB_PASSWORD"] = f"Zx9!q{i:05d}Lm#Rt7vWp2sK"
        if i % 25 == 0:
            env["AWS_SECRET_ACCESS_KEY"] = f"wJalrXUtnFEMI/K7MDENG/bPxRfiCY{i:010d}"
        params: dict[str, Any] = {
            "FunctionName": name,
            "Runtime": ("python3.12", "python3.8", "nodejs20.x")[i % 3],
            "Role": f"arn:aws:iam::{ACCOUNT}:role/{self.role_name(i)}",
            "Handler": "app.handler",
            "Code": {"ZipFile": self.package},
            "Timeout": 30,
            "MemorySize": 256,
            "Environment": {"Variables": env},
            "TracingConfig": {"Mode": "Active" if i % 3 == 0 else "PassThrough"},
        }
        if i % 2 == 0:
            params["Tags"] = {"team": f"team-{i % 5}", "env": "prod"}
        if i % 3 == 0:
            params["VpcConfig"] = {
                "SubnetIds": shared["subnets"],
                "SecurityGroupIds": [shared["groups"][i % 2]],
            }
        if i % 4 == 0:
            params["Layers"] = [shared["layer"]]
        self.lam.create_function(**params)
        if i % 5 == 0:
            self.lam.add_permission(
                FunctionName=name,
                StatementId="s3",
                Action="lambda:InvokeFunction",
                Principal="s3.amazonaws.com",
            )
        if i % 20 == 0:
            self.lam.add_permission(
                FunctionName=name, StatementId="public", Action="lambda:*", Principal="*"
            )
        if i % 8 == 0:
            self.lam.create_function_url_config(
                FunctionName=name, AuthType="NONE" if i % 16 == 0 else "AWS_IAM"
            )
        if i % 10 == 0:
            version = self.lam.publish_version(FunctionName=name)["Version"]
            self.lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
        if i % 6 == 0:
            self.lam.put_function_event_invoke_config(
                FunctionName=name,
                DestinationConfig={"OnFailure": {"Destination": shared["dlq"]}},
            )
        if i % 9 == 0:
            self.lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
        if i % 2 == 0:
            group = f"/aws/lambda/{name}"
            self.logs.create_log_group(logGroupName=group)
            if i % 4 == 0:
                self.logs.put_retention_policy(logGroupName=group, retentionInDays=30)

    def seed(self) -> None:
        self.roles()
        shared = self.shared()
        self._pool(list(range(self.count)), lambda i: self.function(i, shared))


# --------------------------------------------------------------------------- measuring


def run_scan(endpoint: str, workers: int, src: Path, versions: bool) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = f"{src}{os.pathsep}{env.get('PYTHONPATH', '')}"
    env.pop("AWS_PROFILE", None)
    proc = subprocess.run(
        [sys.executable, "-c", _SCAN, endpoint, str(workers), REGION, "1" if versions else "0"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"scan_live: the scan failed: {tail}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("functions", nargs="?", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--workers", type=int, default=8, help="scanner threads (as --workers)")
    parser.add_argument("--runs", type=int, default=1, help="scans of the same account")
    parser.add_argument(
        "--with-versions",
        action="store_true",
        help="also read each function's version history (what `fortress collect` keeps; no "
        "posture rule reads it, so a scan skips it)",
    )
    parser.add_argument(
        "--src",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "src",
        help="the Fortress source tree to measure (default: this checkout's; for before/after)",
    )
    args = parser.parse_args()
    if args.functions < 1:
        parser.error("N must be at least 1")

    from fortress.demo import emulator

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        os.environ.setdefault(key, value)
    with emulator() as endpoint:
        began = time.perf_counter()
        Seeder(endpoint, args.functions, 16).seed()
        seed_s = time.perf_counter() - began
        scans = [
            run_scan(endpoint, args.workers, args.src, args.with_versions)
            for _ in range(max(1, args.runs))
        ]
        emulator_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    best = min(scans, key=lambda s: s["scan_s"])
    n = best["functions"]
    summary: dict[str, Any] = {
        "functions_seeded": args.functions,
        "seed_s": round(seed_s, 2),
        "workers": args.workers,
        "versions_read": args.with_versions,
        **{k: round(v, 3) if isinstance(v, float) else v for k, v in best.items()},
        "functions_per_s": round(n / best["scan_s"], 1) if best["scan_s"] else None,
        "api_calls_per_function": round(best["api_calls"] / n, 2) if n else None,
        "runs_scan_s": [round(s["scan_s"], 2) for s in scans],
        "emulator_and_seeding_rss_mb": round(emulator_rss, 1),
        "prowler_reference": PROWLER_REFERENCE,
    }
    print(
        f"scan_live: {n} functions in {best['scan_s']:.2f} s "
        f"({summary['functions_per_s']} functions/s; collect {best['collect_s']:.2f} s, "
        f"rules {best['rules_s']:.2f} s), {summary['api_calls_per_function']} API calls/function, "
        f"peak RSS {best['peak_rss_mb']:.0f} MB, {best['findings']} findings "
        f"({best['failing']} failing), {len(best['gaps'])} kinds of coverage gap; "
        f"seeding {seed_s:.1f} s"
    )
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
