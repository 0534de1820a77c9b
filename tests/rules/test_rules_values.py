"""Values judged as a reviewer would, in every source they arrive from.

* FTR-SEC-001 flags passwords inside URLs and connection strings, and never placeholders;
* FTR-CODE-003 trusts layers of AWS and well-known vendors (from the dated publisher data),
  also when the ARN's region is an intrinsic, and names the publisher when it passes;
* every rule's passing message says what passed: never the rule title, never a fail message.

Each source: Inventory objects (unit), the live emulator, a snapshot collected from it, and
CloudFormation, SAM, Terraform and Serverless Framework templates written to a temp folder.
"""

from __future__ import annotations

import io
import json
import textwrap
import zipfile
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import reset_emulator
from fortress.cli import main
from fortress.config import ScanConfig
from fortress.demo import package_mirror, scan_demo
from fortress.demo.seed import seed
from fortress.errors import FortressError
from fortress.findings import Finding, Status
from fortress.inventory import EnvVar, Function, Inventory, LayerRef, Origin
from fortress.rules import engine
from fortress.rules.trusted_layers import parse_layer_arn, parse_table, publisher_table
from fortress.sources import cloudformation, serverless, terraform
from fortress.sources.base import IacOptions

ACCOUNT, REGION = "123456789012", "us-east-1"
CONFIG = ScanConfig(as_of=date(2026, 3, 1))
FIXTURES = Path(__file__).parents[1] / "iac" / "fixtures"

# Fake credentials, assembled so no scanner flags this file.
PW = "Kx7-" + "q2Rv9mZt"
CONN = f"Server=sql.internal;Database=orders;User Id=app;Password={PW};"
POWERTOOLS = "017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:7"
SHADY = "arn:aws:lambda:us-east-1:999988887777:layer:shady:3"


def _run(rule_id: str, inv: Inventory, config: ScanConfig | None = None) -> list[Finding]:
    return engine.evaluate(inv, [engine.get_rule(rule_id)], config or CONFIG)


def _fn(name: str = "orders", **kw: Any) -> Function:
    return Function(
        name=name,
        arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        origin=Origin(source="aws", account=ACCOUNT, region=REGION),
        runtime="python3.12",
        **kw,
    )


def _one(findings: list[Finding], name: str) -> Finding:
    # Serverless names functions <service>-<stage>-<name>.
    mine = [f for f in findings if f.resource.name in (name, f"values-dev-{name}")]
    assert len(mine) == 1, [(f.resource.name, f.status) for f in findings]
    return mine[0]


# --------------------------------------------------------------------------- unit: inventory


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (CONN, Status.FAIL),
        (f"postgres://admin:{PW}@db.internal:5432/orders", Status.FAIL),
        (f"redis://:{PW}@cache.internal:6379/0", Status.FAIL),
        (f"jdbc:mysql://db/app?user=app&password={PW}", Status.FAIL),
        ("postgres://admin:${DB_PASSWORD}@db.internal:5432/orders", Status.PASS),
        ("Server=db;User Id=app;Password=<password>;", Status.PASS),
        ("postgres://app@db.internal:5432/orders", Status.PASS),
        ("https://api.example.com/v1/orders", Status.PASS),
    ],
)
def test_sec001_credentials_in_urls_and_connection_strings(value: str, status: Status) -> None:
    finding = _run("FTR-SEC-001", Inventory(functions=[_fn(environment=[EnvVar("DB", value)])]))
    assert finding[0].status is status, finding[0].message
    assert PW not in json.dumps(finding[0].to_dict())


@pytest.mark.parametrize(
    "value",
    [
        "REPLACE-WITH-YOUR-SECRET-HERE",
        "YOUR-API-KEY-HERE",
        "<your-stripe-key>",
        "CHANGEME",
        "xxxxxxxxxxxxxxxxxxxxxxxx",
        "DUMMY_TOKEN_VALUE",
        "EXAMPLE-SECRET-1234",
        "${STRIPE_KEY}",
        "{{ stripe_key }}",
        "TODO: fill in",
        "placeholder-secret",
    ],
)
def test_sec001_placeholders_pass(value: str) -> None:
    env = [EnvVar("STRIPE_SECRET_KEY", value)]
    finding = _run("FTR-SEC-001", Inventory(functions=[_fn(environment=env)]))[0]
    assert finding.status is Status.PASS, finding.message


def test_sec001_aws_documented_example_keys_in_the_environment_fail() -> None:
    """Never working keys, but credentials hard-coded into the configuration all the same
    (TerraGoat's labelled sample; Checkov's CKV_AWS_45 flags them too)."""
    env = [
        EnvVar("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        EnvVar("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        EnvVar("API_KEY", "REPLACE-WITH-YOUR-SECRET-HERE"),
    ]
    finding = _run("FTR-SEC-001", Inventory(functions=[_fn(environment=env)]))[0]
    assert finding.status is Status.FAIL
    assert "AWS_ACCESS_KEY_ID (AWS access key ID, AWS's documented example)" in finding.message
    assert "AWS_SECRET_ACCESS_KEY (AWS secret key, AWS's documented example)" in finding.message
    assert "API_KEY" not in finding.message  # a placeholder stays one
    assert "EXAMPLEKEY" not in json.dumps(finding.to_dict())


def test_parse_layer_arn_reads_the_account_whatever_the_region() -> None:
    for region in ("us-east-1", "${AWS::Region}", "${data.aws_region.current.name}", "<unknown>"):
        parsed = parse_layer_arn(f"arn:aws:lambda:{region}:{POWERTOOLS}")
        assert parsed is not None and parsed.account == "017000801446", region
        assert parsed.name == "AWSLambdaPowertoolsPythonV3-python312-x86_64"
        assert parsed.version == "7" and parsed.region == region
    assert parse_layer_arn("arn:aws:lambda:us-east-1:123:function:x") is None
    assert parse_layer_arn("not an arn") is None


def test_publisher_data_is_dated_and_sourced() -> None:
    table = publisher_table()
    assert table.compiled >= date(2026, 12, 1)
    names = {p.name for p in table.publishers}
    assert {"Powertools for AWS Lambda (Python)", "Amazon CloudWatch Lambda Insights"} <= names
    assert all(
        p.sources and all(s.startswith("https://") for s in p.sources) for p in table.publishers
    )
    with pytest.raises(FortressError, match="not a 12-digit account id"):
        parse_table(
            {
                "compiled": "2026-12-02",
                "publishers": [
                    {"publisher": "x", "accounts": ["12"], "layers": ["*"], "sources": ["s"]}
                ],
            }
        )


@pytest.mark.parametrize(
    ("arn", "status", "said"),
    [
        (f"arn:aws:lambda:${{AWS::Region}}:{POWERTOOLS}", Status.PASS, "Powertools for AWS Lambda"),
        (f"arn:aws:lambda:eu-west-1:{POWERTOOLS}", Status.PASS, "account 017000801446"),
        (
            "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:38",
            Status.PASS,
            "Lambda Insights",
        ),
        (
            "arn:aws:lambda:us-east-1:464622532012:layer:Datadog-Extension:65",
            Status.PASS,
            "Datadog",
        ),
        (SHADY, Status.FAIL, "999988887777"),
        # A vendor's account, but not one of its layers: judged, and said so.
        (
            "arn:aws:lambda:us-east-1:017000801446:layer:totally-not-powertools:1",
            Status.FAIL,
            "but not one of its layers",
        ),
    ],
)
def test_code003_trusted_publishers(arn: str, status: Status, said: str) -> None:
    finding = _run("FTR-CODE-003", Inventory(functions=[_fn(layers=[LayerRef(arn)])]))[0]
    assert finding.status is status
    assert said in finding.message


def test_code003_trusted_account_extends_the_data() -> None:
    inv = Inventory(functions=[_fn(layers=[LayerRef(SHADY)])])
    config = ScanConfig(as_of=CONFIG.as_of, trusted_accounts={"999988887777"})
    finding = _run("FTR-CODE-003", inv, config)[0]
    assert finding.status is Status.PASS
    assert (
        finding.message
        == "every layer of orders is trusted: shady is from trusted account 999988887777"
    )


# --------------------------------------------------------------------------- live and snapshot


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


def _seed_live(client: Any) -> None:
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
    role = client("iam").create_role(
        RoleName="values-role", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    lam = client("lambda")
    for name, env in (
        ("leaky", {"DB_CONNECTION": CONN}),
        ("clean", {"DB_HOST": "sql.internal", "API_KEY": "REPLACE-WITH-YOUR-SECRET-HERE"}),
    ):
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": _zip()},
            Environment={"Variables": env},
        )


def _sec001(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["resource"]["name"]: f for f in report["findings"] if f["rule_id"] == "FTR-SEC-001"}


def test_sec001_live_and_snapshot(client: Any, aws: str, tmp_path: Path) -> None:
    _seed_live(client)
    live = tmp_path / "live.json"
    main(["scan", "--endpoint-url", aws, "--format", "json", "--output", str(live)])
    snap = tmp_path / "snap.json"
    assert main(["collect", "--endpoint-url", aws, "--output", str(snap)]) in (0, 3)
    offline = tmp_path / "offline.json"
    main(["scan", "--snapshot", str(snap), "--format", "json", "--output", str(offline)])
    for path in (live, offline):
        found = _sec001(json.loads(path.read_text()))
        assert found["leaky"]["status"] == "fail", path
        assert "DB_CONNECTION (password in a connection string)" in found["leaky"]["message"]
        assert found["clean"]["status"] == "pass", path
    for path in (live, snap, offline):
        assert PW not in path.read_text()


# --------------------------------------------------------------------------- templates

CFN = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
  Leaky:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: leaky
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt Role.Arn
      Code: {ZipFile: "def handler(e, c): return 1"}
      Layers: [arn:aws:lambda:us-east-1:999988887777:layer:shady:3]
      Environment:
        Variables:
          DB_CONNECTION: "__CONN__"
  Clean:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: clean
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt Role.Arn
      Code: {ZipFile: "def handler(e, c): return 1"}
      Layers:
        - !Sub arn:aws:lambda:${AWS::Region}:__POWERTOOLS__
      Environment:
        Variables:
          DATABASE_URL: "postgres://app:${DB_PASSWORD}@db.internal/orders"
          API_KEY: REPLACE-WITH-YOUR-SECRET-HERE
"""

SAM = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Leaky:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: leaky
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(e, c): return 1"
      Layers: [arn:aws:lambda:us-east-1:999988887777:layer:shady:3]
      Environment:
        Variables:
          DB_CONNECTION: "__CONN__"
  Clean:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: clean
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(e, c): return 1"
      Layers:
        - !Sub arn:aws:lambda:${AWS::Region}:__POWERTOOLS__
      Environment:
        Variables:
          API_KEY: YOUR-API-KEY-HERE
          STRIPE_KEY: "<stripe-secret-key>"
"""

TF = """\
data "aws_region" "current" {}

resource "aws_iam_role" "r" {
  name = "values"
  assume_role_policy = jsonencode({
    Statement = [{
      Effect = "Allow", Action = "sts:AssumeRole",
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })
}

resource "aws_lambda_function" "leaky" {
  function_name = "leaky"
  runtime       = "python3.12"
  handler       = "app.handler"
  role          = aws_iam_role.r.arn
  filename      = "app.zip"
  layers        = ["arn:aws:lambda:us-east-1:999988887777:layer:shady:3"]
  environment {
    variables = {
      DB_CONNECTION = "__CONN__"
    }
  }
}

resource "aws_lambda_function" "clean" {
  function_name = "clean"
  runtime       = "python3.12"
  handler       = "app.handler"
  role          = aws_iam_role.r.arn
  filename      = "app.zip"
  layers        = ["arn:aws:lambda:${data.aws_region.current.name}:__POWERTOOLS__"]
  environment {
    variables = {
      API_KEY  = "CHANGEME"
      TOKEN    = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    }
  }
}
"""

SLS = """\
service: values
provider:
  name: aws
  runtime: python3.12
  region: us-east-1
functions:
  leaky:
    handler: app.handler
    layers:
      - arn:aws:lambda:us-east-1:999988887777:layer:shady:3
    environment:
      DB_CONNECTION: "__CONN__"
  clean:
    handler: app.handler
    layers:
      - arn:aws:lambda:${self:provider.region}:__POWERTOOLS__
    environment:
      API_KEY: DUMMY_API_KEY_VALUE
      DB_PASSWORD: ${ssm:/values/db-password}
"""


def _iac(fmt: str, tmp_path: Path) -> Inventory:
    text = {"cloudformation": CFN, "sam": SAM, "terraform": TF, "serverless": SLS}[fmt]
    text = text.replace("__CONN__", CONN).replace("__POWERTOOLS__", POWERTOOLS)
    if fmt == "terraform":
        (tmp_path / "main.tf").write_text(textwrap.dedent(text))
        return terraform.load(tmp_path)
    if fmt == "serverless":
        path = tmp_path / "serverless.yml"
        path.write_text(text)
        return serverless.load(path, IacOptions())
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return cloudformation.load(path, IacOptions())


FORMATS = ["cloudformation", "sam", "terraform", "serverless"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_sec001_in_templates(fmt: str, tmp_path: Path) -> None:
    findings = _run("FTR-SEC-001", _iac(fmt, tmp_path))
    leaky, clean = _one(findings, "leaky"), _one(findings, "clean")
    assert leaky.status is Status.FAIL
    assert "DB_CONNECTION (password in a connection string)" in leaky.message
    assert PW not in json.dumps(leaky.to_dict())
    assert clean.status is not Status.FAIL, clean.message  # placeholders: no secret


@pytest.mark.parametrize("fmt", FORMATS)
def test_code003_in_templates(fmt: str, tmp_path: Path) -> None:
    findings = _run("FTR-CODE-003", _iac(fmt, tmp_path))
    leaky, clean = _one(findings, "leaky"), _one(findings, "clean")
    assert leaky.status is Status.FAIL and "999988887777" in leaky.message
    assert clean.status is Status.PASS, clean.message
    assert "published by Powertools for AWS Lambda (Python)" in clean.message


def test_code003_serverless_aws_region_variable(tmp_path: Path) -> None:
    path = tmp_path / "serverless.yml"
    path.write_text(
        SLS.replace("${self:provider.region}", "${aws:region}")
        .replace("__CONN__", CONN)
        .replace("__POWERTOOLS__", POWERTOOLS)
    )
    findings = _run("FTR-CODE-003", serverless.load(path, IacOptions()))
    assert _one(findings, "clean").status is Status.PASS


# --------------------------------------------------------------------------- pass messages


@pytest.fixture(scope="module")
def messages(emulator: str) -> dict[str, dict[Status, set[str]]]:
    """Every message per rule and status: the live demo plus the hardened and vulnerable
    fixtures of each template format."""
    reset_emulator(emulator)
    seeded = seed(emulator)
    with package_mirror(seeded.packages) as mirror:  # as `make demo` scans, packages read
        findings = list(scan_demo(seeded.endpoint, mirror=mirror).findings)
    rules = engine.all_rules()
    for inv in (
        cloudformation.load(FIXTURES / "cloudformation" / "hardened.yaml", IacOptions()),
        cloudformation.load(FIXTURES / "cloudformation" / "vulnerable.yaml", IacOptions()),
        cloudformation.load(FIXTURES / "package-bucket" / "template.yaml", IacOptions()),
        cloudformation.load(FIXTURES / "sam" / "hardened.yaml", IacOptions()),
        cloudformation.load(FIXTURES / "sam" / "vulnerable.yaml", IacOptions()),
        terraform.load(FIXTURES / "terraform" / "hardened"),
        terraform.load(FIXTURES / "terraform" / "vulnerable"),
        serverless.load(FIXTURES / "serverless" / "hardened" / "serverless.yml", IacOptions()),
        serverless.load(FIXTURES / "serverless" / "serverless.yml", IacOptions()),
    ):
        findings += engine.evaluate(inv, rules, CONFIG)
    found: dict[str, dict[Status, set[str]]] = defaultdict(lambda: defaultdict(set))
    for f in findings:
        found[f.rule_id][f.status].add(f.message)
    return found


def test_every_pass_message_says_what_passed(messages: dict[str, dict[Status, set[str]]]) -> None:
    problems: dict[str, str] = {}
    for r in engine.all_rules():
        rid, title = r.meta.id, r.meta.title
        passed = messages[rid][Status.PASS]
        failed = messages[rid][Status.FAIL]
        if not passed:
            problems[rid] = "never passes on the demo or the hardened fixtures"
            continue
        for message in passed:
            if message == title or message.lower() == title.lower():
                problems[rid] = f"pass message is the title: {message!r}"
            elif message in failed:
                problems[rid] = f"pass message is also a fail message: {message!r}"
            elif message == f"{rid} passed" or not message.strip():
                problems[rid] = "pass verdict gives no message"
    assert problems == {}
