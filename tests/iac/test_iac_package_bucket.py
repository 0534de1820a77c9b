"""FTR-CODE-007 on every IaC format: the S3 bucket a template stores its packages in is judged
only when the same files declare it (fail when unversioned, unencrypted or without a public
access block; pass when all three are set; unknown, never a failure, when declared elsewhere)."""

from __future__ import annotations

from pathlib import Path

from fortress.findings import Finding, Status
from fortress.rules import engine
from fortress.sources import cloudformation, serverless, terraform
from fortress.sources.base import IacOptions

RULE = "FTR-CODE-007"

LOCKED_CFN = """    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration: {Status: Enabled}
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: aws:kms}
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
        RestrictPublicBuckets: true
"""

CFN_FILE = Path(__file__).parent / "fixtures" / "package-bucket" / "template.yaml"
CFN = CFN_FILE.read_text()

SAM = f"""Transform: AWS::Serverless-2016-10-31
Resources:
  Artifacts:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: artifacts-open
  OpenFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://artifacts-open/fn.zip
  Locked:
{LOCKED_CFN}  LockedFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: {{Bucket: !Ref Locked, Key: fn.zip}}
"""

SERVERLESS = """service: shop
provider:
  name: aws
  runtime: python3.12
  deploymentBucket:
    name: shop-artifacts-{which}
functions:
  list:
    handler: handler.list
resources:
  Resources:
    ArtifactBucket:
{bucket}"""
OPEN_SLS_BUCKET = """      Type: AWS::S3::Bucket
      Properties:
        BucketName: shop-artifacts-open
"""
LOCKED_SLS_BUCKET = """      Type: AWS::S3::Bucket
      Properties:
        BucketName: shop-artifacts-locked
        VersioningConfiguration: {Status: Enabled}
        BucketEncryption:
          ServerSideEncryptionConfiguration:
            - ServerSideEncryptionByDefault: {SSEAlgorithm: AES256}
        PublicAccessBlockConfiguration:
          BlockPublicAcls: true
          BlockPublicPolicy: true
          IgnorePublicAcls: true
          RestrictPublicBuckets: true
"""

TERRAFORM = """resource "aws_s3_bucket" "open" {
  bucket = "artifacts-open"
}

resource "aws_lambda_function" "open" {
  function_name = "open"
  role          = "arn:aws:iam::111122223333:role/r"
  runtime       = "python3.12"
  handler       = "app.handler"
  s3_bucket     = aws_s3_bucket.open.id
  s3_key        = "fn.zip"
}

resource "aws_s3_bucket" "locked" {
  bucket = "artifacts-locked"
}

resource "aws_s3_bucket_versioning" "locked" {
  bucket = aws_s3_bucket.locked.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "locked" {
  bucket = aws_s3_bucket.locked.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "locked" {
  bucket                  = aws_s3_bucket.locked.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_lambda_function" "locked" {
  function_name = "locked"
  role          = "arn:aws:iam::111122223333:role/r"
  runtime       = "python3.12"
  handler       = "app.handler"
  s3_bucket     = aws_s3_bucket.locked.bucket
  s3_key        = "fn.zip"
}

resource "aws_lambda_function" "elsewhere" {
  function_name = "elsewhere"
  role          = "arn:aws:iam::111122223333:role/r"
  runtime       = "python3.12"
  handler       = "app.handler"
  s3_bucket     = "shared-artifacts"
  s3_key        = "fn.zip"
}
"""


def line(text: str, marker: str) -> int:
    return text.splitlines().index(marker) + 1


def verdicts(findings: list[Finding]) -> dict[str | None, Finding]:
    return {f.resource.logical_id: f for f in findings if f.rule_id == RULE}


def _check(found: Finding, status: Status, file: Path, text: str, marker: str) -> None:
    assert found.status is status, found.message
    assert found.resource.file == str(file)
    assert found.resource.line == line(text, marker)


def test_cloudformation() -> None:
    path = CFN_FILE
    inventory = cloudformation.load(path, IacOptions())
    found = verdicts(engine.evaluate(inventory, engine.select_rules([RULE])))
    _check(found["OpenFn"], Status.FAIL, path, CFN, "  OpenFn:")
    message = found["OpenFn"].message
    assert "versioning is suspended" in message and "no public access block" in message
    assert "no default encryption" in message
    assert found["OpenFn"].evidence["bucket_location"] == f"{path}:{line(CFN, '  Artifacts:')}"
    _check(found["LockedFn"], Status.PASS, path, CFN, "  LockedFn:")
    _check(found["ElsewhereFn"], Status.UNKNOWN, path, CFN, "  ElsewhereFn:")
    assert "not declared in the scanned files" in found["ElsewhereFn"].message
    assert "InlineFn" not in found


def test_sam(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(SAM)
    found = verdicts(
        engine.evaluate(cloudformation.load(path, IacOptions()), engine.select_rules([RULE]))
    )
    _check(found["OpenFn"], Status.FAIL, path, SAM, "  OpenFn:")
    _check(found["LockedFn"], Status.PASS, path, SAM, "  LockedFn:")


def test_serverless_deployment_bucket(tmp_path: Path) -> None:
    results = {}
    for which, bucket in (("open", OPEN_SLS_BUCKET), ("locked", LOCKED_SLS_BUCKET)):
        folder = tmp_path / which
        folder.mkdir()
        text = SERVERLESS.format(which=which, bucket=bucket)
        (folder / "serverless.yml").write_text(text)
        (folder / "handler.py").write_text("def list(e, c):\n    return 1\n")
        inventory = serverless.load(folder / "serverless.yml", IacOptions())
        found = verdicts(engine.evaluate(inventory, engine.select_rules([RULE])))
        results[which] = found["ListLambdaFunction"]
        _check(results[which], results[which].status, folder / "serverless.yml", text, "  list:")
    assert results["open"].status is Status.FAIL, results["open"].message
    assert "shop-artifacts-open" in results["open"].message
    assert results["locked"].status is Status.PASS, results["locked"].message


def test_serverless_framework_bucket_is_not_judged(tmp_path: Path) -> None:
    text = (
        "service: s\nprovider: {name: aws, runtime: python3.12}\nfunctions:\n  f: {handler: h.f}\n"
    )
    (tmp_path / "serverless.yml").write_text(text)
    inventory = serverless.load(tmp_path / "serverless.yml", IacOptions())
    assert verdicts(engine.evaluate(inventory, engine.select_rules([RULE]))) == {}


def test_terraform(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(TERRAFORM)
    found = verdicts(engine.evaluate(terraform.load(tmp_path), engine.select_rules([RULE])))
    path = tmp_path / "main.tf"
    _check(
        found["aws_lambda_function.open"],
        Status.FAIL,
        path,
        TERRAFORM,
        'resource "aws_lambda_function" "open" {',
    )
    _check(
        found["aws_lambda_function.locked"],
        Status.PASS,
        path,
        TERRAFORM,
        'resource "aws_lambda_function" "locked" {',
    )
    assert found["aws_lambda_function.elsewhere"].status is Status.UNKNOWN
