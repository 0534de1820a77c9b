"""The shared redaction pass: values, free text, findings; then snapshots (``collect`` on the
emulator) and evidence bundles (``acquire --redact``) built with it, and every report format."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from fortress.aws.client import AwsClient, AwsOptions
from fortress.cli import main
from fortress.forensics.acquire import AcquireOptions, acquire
from fortress.forensics.bundle import BundleReader
from fortress.secrets.redact import MASK, mask_credentials, redact_text, redact_value, scrub

# Fake values in real formats, assembled so no scanner flags this file.
GITHUB = "ghp_" + "Zq8Lm3Xv7Rt2Pw9Kd4Nc6Hj1Bs5Fg0Ya2Ue7Ti3"
DB_PW = "Tr0ub4dor-" + "x7Kq"
DB_URL = f"postgres://admin:{DB_PW}@orders.db.internal:5432/orders"
CONN = f"Server=sql.internal;Database=orders;User Id=app;Password={DB_PW}9;"
TAG_TOKEN = "xoxb-" + "210987654321-1098765432109-QwErTyUiOpAsDfGhJkLzXcVb"
SEEDED = (GITHUB, DB_PW, TAG_TOKEN)


# --------------------------------------------------------------------------- the pass itself


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("postgres://admin:pw@host", f"postgres://admin:{MASK}@host"),
        (DB_URL, f"postgres://admin:{MASK}@orders.db.internal:5432/orders"),
        ("redis://:s3cretZ@cache:6379/0", f"redis://:{MASK}@cache:6379/0"),
        (CONN, f"Server=sql.internal;Database=orders;User Id=app;Password={MASK};"),
        (
            "jdbc:mysql://db/app?user=u&password=Qw3rty12",
            f"jdbc:mysql://db/app?user=u&password={MASK}",
        ),
    ],
)
def test_credentials_are_masked_and_the_rest_kept(value: str, expected: str) -> None:
    done = redact_value("DATABASE_URL", value)
    assert done.value == expected
    assert done.changed and not done.whole
    assert done.fingerprint is not None and done.fingerprint.startswith("sha256:")


@pytest.mark.parametrize(
    "value",
    [
        "postgres://admin:${DB_PASSWORD}@host/db",
        "postgres://admin:<password>@host/db",
        "Server=db;Password=****;",
        "Server=db;Password={{resolve:secretsmanager:db:SecretString:pw}};",
        "https://api.example.com/v1?region=eu",
        "team-orders",
    ],
)
def test_placeholders_and_plain_values_are_kept(value: str) -> None:
    done = redact_value("DATABASE_URL", value)
    assert done.value == value and not done.changed


def test_a_token_is_withheld_whole_with_kind_and_fingerprint() -> None:
    done = redact_value("deploy-token", GITHUB)
    assert done.whole and done.kind == "GitHub token"
    assert GITHUB not in done.value and done.value.startswith("[withheld: GitHub token sha256:")


def test_free_text_keeps_its_words() -> None:
    text = f"orders API; deploy with {GITHUB} against {DB_URL}"
    out = redact_text(text)
    assert out.startswith("orders API; deploy with [withheld: GitHub token sha256:")
    assert f"postgres://admin:{MASK}@orders.db.internal" in out
    assert GITHUB not in out and DB_PW not in out
    assert redact_text("nothing secret here") == "nothing secret here"


def test_scrub_walks_findings_evidence() -> None:
    out = scrub({"m": f"see {DB_URL}", "l": [CONN], "n": 3})
    assert DB_PW not in json.dumps(out)
    assert out["n"] == 3
    assert mask_credentials("no credentials") == ("no credentials", [])


# --------------------------------------------------------------------------- emulator: collect


def _seed(client: Any) -> None:
    iam, lam = client("iam"), client("lambda")
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
    role = iam.create_role(RoleName="orders-role", AssumeRolePolicyDocument=json.dumps(trust))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(event, context):\n    return 1\n")
    lam.create_function(
        FunctionName="orders",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="app.handler",
        Code={"ZipFile": buf.getvalue()},
        Description=f"orders service, db {DB_URL}",
        Environment={"Variables": {"DATABASE_URL": DB_URL, "TABLE": "orders"}},
        Tags={"deploy-token": TAG_TOKEN, "owner": "team-orders", "conn": CONN},
    )


def test_collect_withholds_tag_secrets_and_connection_strings(
    client: Any, aws: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(client)
    snapshot = tmp_path / "snap.json"
    assert main(["collect", "--endpoint-url", aws, "--output", str(snapshot)]) in (0, 3)
    text = snapshot.read_text()
    for secret in SEEDED:
        assert secret not in text
    fn = json.loads(text)["inventory"]["functions"][0]
    assert fn["tags"]["owner"] == "team-orders"  # the rest is kept
    assert fn["tags"]["deploy-token"].startswith("[withheld: Slack token sha256:")
    assert fn["tags"]["conn"].endswith(f"Password={MASK};")
    env = {v["name"]: v for v in fn["environment"]}
    assert env["DATABASE_URL"]["value"] == f"postgres://admin:{MASK}@orders.db.internal:5432/orders"
    assert env["DATABASE_URL"]["redacted"] == "credentials in a URL (basic auth)"
    assert env["TABLE"]["value"] == "orders"

    # Every report format from the snapshot: the findings name, never show.
    outputs = [text]
    for fmt in ("console", "json", "sarif"):
        out = tmp_path / f"report.{fmt}"
        main(["scan", "--snapshot", str(snapshot), "--format", fmt, "--output", str(out)])
        outputs.append(out.read_text())
    captured = capsys.readouterr()
    outputs += [captured.out, captured.err]
    for output in outputs:
        for secret in SEEDED:
            assert secret not in output
    report = json.loads(outputs[2])
    sec = next(f for f in report["findings"] if f["rule_id"] == "FTR-SEC-001")
    assert sec["status"] == "fail" and "DATABASE_URL" in sec["message"]


def test_live_scan_flags_the_connection_string_without_showing_it(
    client: Any, aws: str, tmp_path: Path
) -> None:
    _seed(client)
    out = tmp_path / "report.json"
    main(["scan", "--endpoint-url", aws, "--format", "json", "--output", str(out)])
    text = out.read_text()
    for secret in SEEDED:
        assert secret not in text
    sec = next(f for f in json.loads(text)["findings"] if f["rule_id"] == "FTR-SEC-001")
    assert sec["status"] == "fail"
    assert "DATABASE_URL (credentials in a URL (basic auth))" in sec["message"]


# --------------------------------------------------------------------------- emulator: acquire


def test_acquire_redact_withholds_tags_and_descriptions(
    client: Any, aws: str, tmp_path: Path
) -> None:
    """Code download is not reachable on the emulator (a recorded gap); the rest is acquired."""
    _seed(client)
    target = tmp_path / "bundle.zip"
    acquire(
        AwsClient(AwsOptions(endpoint_url=aws, max_attempts=1)),
        AcquireOptions(function="orders", output=target, zip=True, redact=True),
    )
    with BundleReader(target) as reader:
        tags = reader.read_json("function/tags.json")
        latest = reader.read_json("versions/LATEST/function.json")
        raw = b"".join(reader.read_bytes(n) for n in reader.files() if n.endswith(".json"))
    assert tags["owner"] == "team-orders"
    assert tags["deploy-token"].startswith("[withheld: Slack token")
    config = latest["Configuration"]
    assert config["Description"] == (
        f"orders service, db postgres://admin:{MASK}@orders.db.internal:5432/orders"
    )
    assert config["Environment"]["Variables"]["DATABASE_URL"] == "***REDACTED***"
    for secret in SEEDED:
        assert secret.encode() not in raw


# --------------------------------------------------------------------------- snapshot pass (unit)


def test_withhold_secrets_covers_stage_variables_and_descriptions() -> None:
    from fortress.inventory import (
        Api,
        ApiStage,
        EnvVar,
        Function,
        FunctionVersion,
        Inventory,
        Origin,
    )
    from fortress.rules import engine
    from fortress.sources.snapshot import withhold_secrets

    origin = Origin(source="aws", account="123456789012", region="us-east-1")
    fn = Function(
        name="orders",
        arn="arn:aws:lambda:us-east-1:123456789012:function:orders",
        origin=origin,
        environment=[EnvVar("CONN", CONN), EnvVar("TOKEN", GITHUB), EnvVar("TABLE", "orders")],
        tags={"deploy": TAG_TOKEN, "owner": "team-orders"},
        versions=[FunctionVersion("1", description=f"release 1, db {DB_URL}")],
    )
    api = Api(
        id="a1",
        name="orders-api",
        kind="rest",
        origin=origin,
        stages=[ApiStage(name="prod", variables={"backend": GITHUB, "env": "prod"})],
    )
    inv = Inventory(functions=[fn], apis=[api])
    withhold_secrets(inv)
    env = {v.name: v for v in fn.environment}
    assert env["CONN"].value == f"Server=sql.internal;Database=orders;User Id=app;Password={MASK};"
    assert env["CONN"].redacted == "password in a connection string"
    assert not isinstance(env["TOKEN"].value, str) and env["TOKEN"].redacted == "GitHub token"
    assert env["TABLE"].value == "orders" and env["TABLE"].redacted is None
    assert isinstance(fn.tags, dict) and fn.tags["owner"] == "team-orders"
    assert fn.tags["deploy"].startswith("[withheld: Slack token")
    assert DB_PW not in fn.versions[0].description
    stage = api.stages[0]
    assert not isinstance(stage.variables["backend"], str) and stage.variables["env"] == "prod"
    # The rules still report what was withheld, by kind.
    sec2 = engine.evaluate(inv, [engine.get_rule("FTR-SEC-002")])[0]
    assert sec2.status.value == "fail" and "backend (GitHub token)" in sec2.message
    sec1 = engine.evaluate(inv, [engine.get_rule("FTR-SEC-001")])[0]
    assert "CONN (password in a connection string)" in sec1.message
    assert "TOKEN (GitHub token)" in sec1.message
