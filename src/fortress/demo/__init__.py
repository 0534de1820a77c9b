"""The built-in demo: an emulated AWS account with a deliberately vulnerable application.

``fortress demo`` (in :mod:`fortress.cli.posture`) starts the AWS API emulator (moto, server
mode) in-process on a free loopback port, seeds "ShopFast" into it (see
:mod:`fortress.demo.seed`), scans it with the same live source users run against AWS, prints
the report and writes ``fortress-demo/``. This module holds the parts: the emulator, the scan,
the outputs and the package mirror; it prints nothing.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fortress.aws.client import AwsClient, AwsOptions
from fortress.config import ScanConfig
from fortress.demo import cloudtrail as demo_trail
from fortress.demo.shopfast import PRIMARY, SECONDARY
from fortress.findings import Status
from fortress.rules.engine import all_rules
from fortress.scan import ScanResult, SourceInfo, run_rules
from fortress.sources import aws

DEMO_CREDENTIALS = ("testing", "testing")

# The demo judges time-based rules (runtime deprecation, staleness) at a fixed date with a
# six-month look-ahead, so that its report is the same whenever it runs.
DEMO_AS_OF = date(2026, 11, 27)
DEMO_DEPRECATION_WINDOW = 180


# Rules whose failing (or passing) case the emulator cannot represent, and why. The tests
# check this list against a real demo scan, and these rules are tested from IaC, snapshots
# or stubbed responses instead. The README repeats it.
EMULATOR_LIMITS: dict[str, dict[str, Any]] = {
    "FTR-CODE-001": {
        "cannot": [Status.PASS],
        "why": "get_code_signing_config is not implemented, so an Enforce policy cannot be read "
        "(the function with a code signing config is reported unknown, with a coverage gap)",
    },
    "FTR-CODE-006": {
        "cannot": [Status.PASS],
        "why": "get_function returns no Code.SourceKMSKeyArn, so no package key can be shown",
    },
    "FTR-CODE-007": {
        "cannot": [Status.FAIL, Status.PASS],
        "why": "it judges the S3 bucket a template stores packages in; a live function does "
        "not name one (tested on every template format)",
    },
    "FTR-CODE-003": {
        "cannot": [Status.FAIL],
        "why": "the emulator rejects layer ARNs from another account",
    },
    "FTR-EPH-001": {
        "cannot": [Status.FAIL],
        "why": "the emulator does not return FileSystemConfigs",
    },
    "FTR-PATCH-004": {
        "cannot": [Status.FAIL],
        "why": "LastModified is always the creation time; a year-old function cannot be made",
    },
    "FTR-LOG-009": {
        "cannot": [Status.FAIL],
        "why": "the emulator returns no LoggingConfig, so no DEBUG application log level can be "
        "shown",
    },
    "FTR-PATCH-007": {
        "cannot": [Status.FAIL, Status.PASS],
        "why": "get_runtime_management_config is not implemented (404): every function's "
        "runtime update mode is unknown, with one coverage gap per region",
    },
    "FTR-PATCH-008": {
        "cannot": [Status.FAIL],
        "why": "the runtime update mode cannot be read and LastModified is always the creation "
        "time, so no long-undeployed FunctionUpdate function can be made",
    },
    "FTR-PATCH-009": {
        "cannot": [Status.FAIL, Status.PASS],
        "why": "get_function_recursion_config is not implemented (404): every function's "
        "recursive loop setting is unknown, with one coverage gap per region",
    },
    "FTR-GOV-001": {
        "cannot": [Status.FAIL],
        "why": "an account-wide rule has one verdict per account, and the demo is one account "
        "(its failing case is tested on a second emulated account without a trail)",
    },
}


# The roles that deploy in the demo (FTR-IAM-011 does not count them; FTR-IAM-001/004 report
# how much else they can do).
DEMO_DEPLOYERS = (
    "arn:aws:iam::*:role/shopfast-admin-tools",
    "arn:aws:iam::*:role/shopfast-payments",
)


def demo_config() -> ScanConfig:
    return ScanConfig(
        as_of=DEMO_AS_OF,
        deprecation_window_days=DEMO_DEPRECATION_WINDOW,
        deployers=list(DEMO_DEPLOYERS),
    )


@contextmanager
def emulator(port: int = 0) -> Iterator[str]:
    """Run the AWS emulator on 127.0.0.1 for the duration of the block."""
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    endpoint = f"http://{host}:{bound}"
    # The emulator keeps its accounts in process-wide state: start from an empty one, whatever
    # another emulator in this process (a test's, an earlier demo's) left behind.
    reset_emulator(endpoint)
    try:
        yield endpoint
    finally:
        server.stop()


def reset_emulator(endpoint: str) -> None:
    """Empty every account and region of the emulator at ``endpoint``."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def demo_client(endpoint: str) -> AwsClient:
    return AwsClient(
        AwsOptions(
            regions=[PRIMARY, SECONDARY],
            endpoint_url=endpoint,
            credentials=DEMO_CREDENTIALS,
            max_attempts=4,
        )
    )


# A few real OSV advisories (PyYAML, lodash) the demo packages match: `make demo` stays offline.
DEMO_OSV = Path(__file__).parent / "osv"


def scan_demo(
    endpoint: str, config: ScanConfig | None = None, mirror: str | None = None
) -> ScanResult:
    """Scan the seeded account; with ``mirror`` (see :func:`package_mirror`) also read every
    package, as ``fortress scan --packages --code-mirror`` does, against the demo OSV data."""
    client = demo_client(endpoint)
    started = datetime.now(UTC)
    inventory = aws.collect(client, versions=False)
    # Granted versus used (FTR-IAM-015): the day of CloudTrail the demo ships, as
    # `scan --cloudtrail fortress-demo/cloudtrail` would read it.
    from fortress.detection.usage import usage_from_records

    inventory.usage = usage_from_records(demo_trail.story(), ["demo CloudTrail"])
    gaps = []
    if mirror is not None:
        from fortress.packages.live import LiveOptions, analyse_account
        from fortress.packages.osv import VulnDb

        gaps = analyse_account(
            inventory, client, vulndb=VulnDb.load(DEMO_OSV), options=LiveOptions(mirror=mirror)
        )
    target = f"demo account {client.account_id()} ({', '.join(client.regions())}) at {endpoint}"
    return run_rules(
        inventory,
        None,
        config or demo_config(),
        [*client.gaps, *gaps],
        [SourceInfo("aws", target)],
        started,
    )


@contextmanager
def package_mirror(
    packages: Mapping[str, bytes], requests: list[str] | None = None
) -> Iterator[str]:
    """Serve packages on 127.0.0.1 by CodeSha256, the layout ``--code-mirror`` reads.

    ``packages`` maps a CodeSha256 (base64) to the bytes served under it and is read on each
    request, so a caller may add to it while the mirror runs; ``requests`` (when given)
    records the path of every GET.
    """
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from fortress.forensics.acquire import mirror_url

    def lookup(path: str) -> bytes | None:
        for sha, data in list(packages.items()):
            if mirror_url("", sha).strip("/") == path:
                return data
        return None

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if requests is not None:
                requests.append(self.path)
            data = lookup(self.path.strip("/"))
            self.send_response(200 if data is not None else 404)
            self.send_header("Content-Length", str(len(data or b"")))
            self.end_headers()
            self.wfile.write(data or b"")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def write_outputs(result: ScanResult, output_dir: Path) -> Path:
    """The demo's reports and its CloudTrail export; returns the CloudTrail folder."""
    from fortress.report import html, jsonreport, sarif

    output_dir.mkdir(parents=True, exist_ok=True)
    summary = result.summary()
    with (output_dir / "report.json").open("wb") as fh:
        jsonreport.write(fh, result, summary)
    with (output_dir / "report.sarif").open("wb") as fh:
        sarif.write(fh, result)
    snippets = {r.meta.id: dict(r.meta.snippets) for r in all_rules() if r.meta.snippets}
    with (output_dir / "report.html").open("wb") as fh:
        findings = (f.to_dict() for f in result.findings)
        html.write(fh, jsonreport.head(result, summary), findings, snippets)
    trail_dir = output_dir / "cloudtrail"
    if trail_dir.exists():
        shutil.rmtree(trail_dir)
    demo_trail.write(trail_dir)
    return trail_dir
