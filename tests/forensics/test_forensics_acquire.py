"""acquire + verify + diff + timeline end to end against the emulator.

The emulator's Code.Location is unreachable, so the exact uploaded bytes are served from a
loopback HTTP server and the location is pointed at it: the real download-and-verify runs.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import stat
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import fortress.cli
from fortress.aws.client import AwsClient, AwsOptions
from fortress.forensics import acquire as acquire_module
from fortress.forensics.acquire import AcquireOptions, acquire, code_sha256
from fortress.forensics.bundle import MANIFEST, MANIFEST_HASH, BundleReader, verify_bundle
from fortress.forensics.diff import diff_bundle
from fortress.forensics.timeline import build_timeline

FUNCTION = "orders-api"


def main(argv: list[str]) -> int:
    """The real CLI entry point, with only the forensics commands registered."""
    saved = fortress.cli.COMMAND_MODULES
    fortress.cli.COMMAND_MODULES = ("fortress.cli.forensics",)
    try:
        return fortress.cli.main(argv)
    finally:
        fortress.cli.COMMAND_MODULES = saved


def make_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            zf.writestr(info, text)
    return buffer.getvalue()


ZIP_V1 = make_zip({"app.py": "def handler(event, context):\n    return 'ok'\n"})
ZIP_V2 = make_zip(
    {
        "app.py": "import evil\n\ndef handler(event, context):\n    return 'ok'\n",
        "evil.py": "import os\nSTEAL = os.environ\n",
    }
)
ZIP_LAYER = make_zip({"python/lib.py": "VERSION = 1\n"})


class LoopbackServer:
    """Serves registered bytes at paths on 127.0.0.1 (the stand-in for S3)."""

    def __init__(self) -> None:
        self.content: dict[str, bytes] = {}
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                data = owner.content.get(self.path)
                if data is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def hook(self, kind: str, ident: str, location: str) -> str:
        assert location  # the real location from the API is what gets replaced
        key = ident if kind == "function" else ident.rsplit(":", 1)[-1]
        return f"{self.base}/{kind}/{key}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    server.content.update(
        {
            "/function/1": ZIP_V1,
            "/function/2": ZIP_V2,
            "/function/3": ZIP_V2,
            "/function/$LATEST": ZIP_V2,
            "/layer/1": ZIP_LAYER,
        }
    )
    try:
        yield server
    finally:
        server.close()


def seed(client: Any) -> dict[str, Any]:
    """orders-api: 3 versions, an alias with routing, a layer, a policy, a URL, log events."""
    iam, lam, logs = client("iam"), client("lambda"), client("logs")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(RoleName="orders-role", AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]
    iam.put_role_policy(
        RoleName="orders-role",
        PolicyName="dynamo",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}],
            }
        ),
    )
    managed = iam.create_policy(
        PolicyName="orders-logs",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="orders-role", PolicyArn=managed)
    layer = lam.publish_layer_version(LayerName="orders-lib", Content={"ZipFile": ZIP_LAYER})[
        "LayerVersionArn"
    ]
    lam.create_function(
        FunctionName=FUNCTION,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": ZIP_V1},
        Environment={"Variables": {"DB_PASSWORD": "hunter2", "MODE": "prod"}},
    )
    lam.publish_version(FunctionName=FUNCTION)
    lam.update_function_code(FunctionName=FUNCTION, ZipFile=ZIP_V2)
    lam.update_function_configuration(FunctionName=FUNCTION, Handler="evil.handler", Layers=[layer])
    lam.publish_version(FunctionName=FUNCTION)
    lam.update_function_configuration(
        FunctionName=FUNCTION,
        Environment={"Variables": {"DB_PASSWORD": "hunter2", "MODE": "debug"}},
    )
    lam.publish_version(FunctionName=FUNCTION)
    lam.create_alias(
        FunctionName=FUNCTION,
        Name="live",
        FunctionVersion="3",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}},
    )
    lam.add_permission(
        FunctionName=FUNCTION,
        StatementId="public-url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    lam.create_function_url_config(FunctionName=FUNCTION, AuthType="NONE")
    group = f"/aws/lambda/{FUNCTION}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="2024/01/01/[3]abc")
    now = int(time.time() * 1000)
    messages = [
        "START RequestId: r1 Version: 3",
        "[ERROR] KeyError: 'id'",
        "END RequestId: r1",
        "REPORT RequestId: r1 Duration: 3000.00 ms",
        "Task timed out after 3.00 seconds",
        "an ordinary line",
    ]
    logs.put_log_events(
        logGroupName=group,
        logStreamName="2024/01/01/[3]abc",
        logEvents=[
            {"timestamp": now - 60_000 + i * 1000, "message": m} for i, m in enumerate(messages)
        ],
    )
    versions = {
        v["Version"]: v for v in lam.list_versions_by_function(FunctionName=FUNCTION)["Versions"]
    }
    return {"layer": layer, "versions": versions}


def aws_client(endpoint: str) -> AwsClient:
    return AwsClient(AwsOptions(endpoint_url=endpoint, max_attempts=1))


def test_acquire_collects_everything_and_verifies_code(
    aws: str, client: Any, loopback: LoopbackServer, tmp_path: Path
) -> None:
    seeded = seed(client)
    out = tmp_path / "bundle"
    result = acquire(
        aws_client(aws), AcquireOptions(function=FUNCTION, output=out, location_hook=loopback.hook)
    )

    assert result.versions == ["$LATEST", "1", "2", "3"]
    # Every package was really fetched over HTTP, and its bytes and hash are the uploaded ones.
    assert sorted(loopback.requests) == [
        "/function/$LATEST",
        "/function/1",
        "/function/2",
        "/function/3",
        "/layer/1",
    ]
    assert [c["status"] for c in result.code_checks] == ["match"] * 5
    for version, data in (("1", ZIP_V1), ("2", ZIP_V2), ("3", ZIP_V2), ("LATEST", ZIP_V2)):
        stored = (out / "versions" / version / "code.zip").read_bytes()
        assert stored == data
        key = "$LATEST" if version == "LATEST" else version
        assert code_sha256(stored) == seeded["versions"][key]["CodeSha256"]
    assert (out / "layers" / "orders-lib-1" / "content.zip").read_bytes() == ZIP_LAYER

    manifest = json.loads((out / MANIFEST).read_text())
    assert (out / MANIFEST_HASH).read_text().split()[0] == hashlib.sha256(
        (out / MANIFEST).read_bytes()
    ).hexdigest()
    assert manifest["collector"]["Account"] == "123456789012"
    assert manifest["tool"]["name"] == "fortress"
    assert (
        manifest["started_at"].endswith("Z") and manifest["finished_at"] >= manifest["started_at"]
    )
    paths = {a["path"] for a in manifest["artifacts"]}
    for expected in (
        "versions/1/function.json",
        "versions/LATEST/policy.json",
        "function/aliases.json",
        "function/url_configs.json",
        "function/tags.json",
        "function/concurrency.json",
        "function/event_source_mappings.json",
        "function/event_invoke_configs.json",
        "roles/orders-role/role.json",
        "roles/orders-role/inline/dynamo.json",
        "roles/orders-role/attached/orders-logs.json",
        "layers/orders-lib-1/layer_version.json",
        "logs/log_group.json",
        "logs/events.jsonl",
        "cloudtrail/events.jsonl",
        "collector/caller_identity.json",
    ):
        assert expected in paths, expected
    for artifact in manifest["artifacts"]:
        file = out / artifact["path"]
        assert artifact["size"] == file.stat().st_size
        assert artifact["sha256"] == hashlib.sha256(file.read_bytes()).hexdigest()
        assert artifact["collected_at"].endswith("Z") and artifact["source"]
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
    for directory in [out, *[p for p in out.rglob("*") if p.is_dir()]]:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700

    aliases = json.loads((out / "function/aliases.json").read_text())
    assert aliases[0]["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.1}
    policy = json.loads((out / "versions/LATEST/policy.json").read_text())
    assert policy["Policy"]["Statement"][0]["Sid"] == "public-url"
    assert json.loads((out / "function/url_configs.json").read_text())[0]["AuthType"] == "NONE"
    attached = json.loads((out / "roles/orders-role/attached/orders-logs.json").read_text())
    assert attached["PolicyVersion"]["Document"]["Statement"][0]["Action"] == "logs:*"
    # Evidence is complete by default: environment values are kept.
    assert (
        json.loads((out / "versions/1/function.json").read_text())["Configuration"]["Environment"][
            "Variables"
        ]["DB_PASSWORD"]
        == "hunter2"
    )
    log_lines = (out / "logs/events.jsonl").read_text().splitlines()
    assert len(log_lines) == 6 == result.log_events
    # LookupEvents is not implemented by the emulator: a recorded gap, acquisition went on.
    assert any(g["operation"] == "lookup_events" for g in manifest["gaps"])
    assert verify_bundle(out).intact


def test_hash_mismatch_is_recorded_loudly(
    aws: str, client: Any, loopback: LoopbackServer, tmp_path: Path
) -> None:
    seed(client)
    loopback.content["/function/2"] = ZIP_V1  # the bytes served are not what Lambda recorded
    out = tmp_path / "bundle"
    result = acquire(
        aws_client(aws), AcquireOptions(function=FUNCTION, output=out, location_hook=loopback.hook)
    )
    failures = result.integrity_failures
    assert [(f["kind"], f["id"]) for f in failures] == [("function", "2")]
    assert failures[0]["actual_code_sha256"] == code_sha256(ZIP_V1)
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["integrity_failures"][0]["id"] == "2"
    from fortress.cli.forensics import acquire_exit_code

    assert acquire_exit_code(result) == 1


def test_redact_and_zip_bundle(
    aws: str, client: Any, loopback: LoopbackServer, tmp_path: Path
) -> None:
    seed(client)
    target = tmp_path / "evidence.zip"
    result = acquire(
        aws_client(aws),
        AcquireOptions(
            function=FUNCTION, output=target, zip=True, redact=True, location_hook=loopback.hook
        ),
    )
    assert result.bundle == target and target.is_file()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p != target]  # the work directory is gone
    with BundleReader(target) as reader:
        config = reader.read_json("versions/1/function.json")["Configuration"]
        assert config["Environment"]["Variables"] == {
            "DB_PASSWORD": "***REDACTED***",
            "MODE": "***REDACTED***",
        }
        assert b"hunter2" not in reader.read_bytes("function/versions.json")
    assert verify_bundle(target).intact
    diff = diff_bundle(target, "1", "2")
    assert any(c.field == "handler" for c in diff.config)


def test_verify_catches_flip_delete_and_add(
    aws: str, client: Any, loopback: LoopbackServer, tmp_path: Path
) -> None:
    seed(client)
    out = tmp_path / "bundle"
    acquire(
        aws_client(aws), AcquireOptions(function=FUNCTION, output=out, location_hook=loopback.hook)
    )
    assert verify_bundle(out).intact

    package = out / "versions/1/code.zip"
    data = bytearray(package.read_bytes())
    data[len(data) // 2] ^= 0x01
    package.write_bytes(bytes(data))
    (out / "function/tags.json").unlink()
    (out / "roles/orders-role/implant.txt").write_text("added later")

    result = verify_bundle(out)
    assert not result.intact
    assert result.modified == ["versions/1/code.zip"]
    assert result.missing == ["function/tags.json"]
    assert result.unexpected == ["roles/orders-role/implant.txt"]
    assert main(["verify", str(out)]) == 1

    # Editing the manifest itself is caught by manifest.sha256.
    manifest = out / MANIFEST
    manifest.write_text(manifest.read_text().replace("orders-api", "orders-apx"))
    assert not verify_bundle(out).manifest_ok


def test_diff_and_timeline_on_the_acquired_bundle(
    aws: str, client: Any, loopback: LoopbackServer, tmp_path: Path
) -> None:
    seeded = seed(client)
    out = tmp_path / "bundle"
    acquire(
        aws_client(aws), AcquireOptions(function=FUNCTION, output=out, location_hook=loopback.hook)
    )

    diff = diff_bundle(out, "1", "2")
    fields = {(c.field, c.change): c for c in diff.config}
    assert fields[("handler", "changed")].before == "app.handler"
    assert fields[("handler", "changed")].after == "evil.handler"
    assert fields[("layers", "added")].after == seeded["layer"]
    code = {c.path: c for c in diff.code}
    assert code["evil.py"].change == "added"
    assert (
        code["evil.py"].after_sha256
        == hashlib.sha256(b"import os\nSTEAL = os.environ\n").hexdigest()
    )
    assert code["app.py"].change == "modified" and "+import evil" in (code["app.py"].diff or "")

    env = diff_bundle(out, "2", "live")  # alias "live" -> version 3
    assert env.to_version == "3"
    mode = next(c for c in env.config if c.field == "environment.MODE")
    assert (mode.before, mode.after) == ("<redacted>", "<redacted>")
    shown = next(
        c
        for c in diff_bundle(out, "2", "3", show_values=True).config
        if c.field == "environment.MODE"
    )
    assert (shown.before, shown.after) == ("prod", "debug")
    # $LATEST has the same code and configuration as 3; only it carries the function URL.
    latest = diff_bundle(out, "3", "$LATEST")
    assert [c.field for c in latest.config] == ["function_url"] and not latest.code
    assert latest.config[0].after == {
        "$LATEST": {"AuthType": "NONE", "Cors": None, "InvokeMode": "Buffered"}
    }

    entries = build_timeline(out)
    actions = [e.action for e in entries]
    assert actions.count("VersionPublished") == 3
    assert {"invocation-start", "invocation-end", "invocation-report", "timeout", "error"} <= set(
        actions
    )
    assert "ordinary" not in " ".join(e.summary for e in entries)
    start = next(e for e in entries if e.action == "invocation-start")
    assert start.version == "3"
    assert [e.time for e in entries] == sorted(e.time for e in entries)


def test_cli_end_to_end(
    aws: str,
    client: Any,
    loopback: LoopbackServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed(client)
    real_open = acquire_module.open_location
    ids = iter(["$LATEST", "1", "2", "3"])

    def rewrite(url: str, timeout: float) -> Any:
        # Functions are fetched in version order, then the layer.
        if "-tasks." in url:
            assert url.startswith("https://")
            return real_open(loopback.hook("function", next(ids), url), timeout)
        return real_open(f"{loopback.base}/layer/1", timeout)

    monkeypatch.setattr(acquire_module, "open_location", rewrite)
    trail = tmp_path / "trail" / "AWSLogs" / "123456789012" / "CloudTrail" / "us-east-1"
    trail.mkdir(parents=True)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    record = {
        "eventTime": now,
        "eventName": "UpdateFunctionCode20150331v2",
        "eventSource": "lambda.amazonaws.com",
        "eventID": "e-1",
        "sourceIPAddress": "203.0.113.9",
        "userAgent": "aws-cli/2.15",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/mallory"},
        "requestParameters": {"functionName": FUNCTION},
        "responseElements": {"codeSha256": "abc="},
    }
    with gzip.open(trail / "a.json.gz", "wt") as handle:
        json.dump(
            {
                "Records": [
                    record,
                    {**record, "eventID": "e-2", "requestParameters": {"functionName": "other"}},
                ]
            },
            handle,
        )
    out = tmp_path / "cli-bundle"
    code = main(
        [
            "acquire",
            FUNCTION,
            "--endpoint-url",
            aws,
            "--output",
            str(out),
            "--cloudtrail",
            str(tmp_path / "trail"),
            "--since",
            "2d",
        ]
    )
    text = capsys.readouterr().out
    assert code == 0, text
    assert "package matches CodeSha256" in text
    assert len((out / "cloudtrail/events.jsonl").read_text().splitlines()) == 1
    assert main(["verify", str(out)]) == 0
    capsys.readouterr()
    assert main(["timeline", str(out), "--format", "jsonl"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    change = next(x for x in lines if x["source"] == "cloudtrail")
    assert change["action"] == "UpdateFunctionCode"
    assert change["actor_principal"] == "arn:aws:iam::123456789012:user/mallory"
    assert change["actor_source_ip"] == "203.0.113.9"
    assert {"message", "datetime", "timestamp_desc"} <= set(change)
    assert main(["diff", str(out), "--from", "1", "--to", "2"]) == 1
    assert "evil.py" in capsys.readouterr().out
    # A second acquire into the same non-empty directory is refused, nothing rewritten.
    assert main(["acquire", FUNCTION, "--endpoint-url", aws, "--output", str(out)]) == 2
    assert verify_bundle(out).intact
    assert os.path.isdir(out)


def test_unknown_function_is_one_clear_error(
    aws: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["acquire", "nope", "--endpoint-url", aws, "--output", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "function not found" in err and "Traceback" not in err
    assert not (tmp_path / "b").exists()


def test_code_sha256_is_base64_sha256() -> None:
    assert code_sha256(b"abc") == base64.b64encode(hashlib.sha256(b"abc").digest()).decode()


def test_hostile_package_is_refused_and_recorded(
    aws: str, client: Any, loopback: LoopbackServer, tmp_path: Path
) -> None:
    hostile = make_zip({"app.py": "ok\n", "../../../etc/cron.d/backdoor": "* * * * * root sh\n"})
    role = client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    client("lambda").create_function(
        FunctionName="hostile",
        Runtime="python3.12",
        Role=role,
        Handler="app.h",
        Code={"ZipFile": hostile},
    )
    loopback.content["/function/$LATEST"] = hostile
    out = tmp_path / "bundle"
    result = acquire(
        aws_client(aws), AcquireOptions(function="hostile", output=out, location_hook=loopback.hook)
    )
    assert [c["status"] for c in result.code_checks] == [
        "match"
    ]  # preserved as evidence, byte for byte
    manifest = json.loads((out / MANIFEST).read_text())
    [check] = manifest["package_checks"]
    assert check["refused"] is True and "path traversal" in check["reason"]
    from fortress.cli.forensics import acquire_exit_code

    assert acquire_exit_code(result) == 1
    assert not list(tmp_path.rglob("backdoor"))
    diff = diff_bundle(out, "$LATEST", "$LATEST")
    assert any("refused" in note for note in diff.notes)
