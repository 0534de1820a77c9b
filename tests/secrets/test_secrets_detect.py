"""Secret detection in values and text: true positives, true negatives, display forms."""

from __future__ import annotations

import pytest

from fortress.errors import FortressError
from fortress.secrets.detect import (
    fingerprint,
    is_allowlisted,
    looks_like_secret_name,
    redact,
    scan_text,
    scan_value,
)

# Fake credentials in AWS's formats (AWS's own documented examples are placeholders, see
# tests/secrets/test_secrets_placeholders.py); assembled so no scanner flags this file.
AWS_KEY_ID = "AKIA" + "Z7QX3JH2LKD9PVWM"
AWS_SECRET = "Xq3vR8tLm2Pz9Kw4" + "Nb7Yc1Hd6Fj0Gs5Ue8Ai2Ox/"
# Obviously fake tokens in the providers' formats (assembled so no scanner flags this file).
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
SLACK = "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAfake\n-----END RSA PRIVATE KEY-----"


def kinds(name: str, value: str, ignore: list[str] | None = None) -> list[str]:
    return [hit.kind for hit in scan_value(name, value, ignore or [])]


@pytest.mark.parametrize(
    ("name", "value", "kind"),
    [
        ("AWS_SECRET_ACCESS_KEY", AWS_SECRET, "AWS secret access key"),
        ("AWS_ACCESS_KEY_ID", AWS_KEY_ID, "AWS access key ID"),
        ("GH", GITHUB, "GitHub token"),
        ("SLACK_BOT", SLACK, "Slack token"),
        ("PAYMENTS", STRIPE, "Stripe API key"),
        ("SESSION", JWT, "JSON web token"),
        ("SIGNING", PEM, "private key"),
        (
            "DATABASE_URL",
            "postgres://admin:s3cr3tpass@db.example.com:5432/app",
            "credentials in a URL (basic auth)",
        ),
        ("DB_PASSWORD", "hunter2xyz", "secret-named variable"),
        ("API_TOKEN", "plain-but-long-token", "secret-named variable"),
        ("BACKUP_CREDENTIAL", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5", "secret-named variable"),
        ("S3_CRED", AWS_SECRET, "high-entropy string"),
    ],
)
def test_true_positives(name: str, value: str, kind: str) -> None:
    found = kinds(name, value)
    assert found, f"{name} not detected"
    assert found[0] == kind


def test_specific_detector_wins_over_generic_reasons() -> None:
    hits = scan_value("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    assert [h.detector for h in hits] == ["AWSKeyDetector"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DB_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"),
        ("ROLE", "arn:aws:iam::123456789012:role/service-role/app"),
        ("API_URL", "https://api.example.com/v1/orders?region=eu"),
        ("QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/orders"),
        ("DEBUG", "true"),
        ("FEATURE", "Disabled"),
        ("PORT", "8080"),
        ("RATIO", "0.75"),
        ("API_TOKEN", "abc"),  # too short to matter
        ("PASSWORD", "********"),
        ("DB_PASSWORD", "${DB_PASSWORD}"),
        ("SECRET_NAME", "prod/db/credentials"),
        ("API_KEY_ID", "orders-api-key"),
        ("TABLE_NAME", "orders-prod"),
        ("BUCKET", "my-bucket-name-prod-2024"),
        ("GIT_SHA", "d41d8cd98f00b204e9800998ecf8427e1234abcd"),
        ("REQUEST_ID", "550e8400-e29b-41d4-a716-446655440000"),
        ("HANDLER", "src/handlers/orders.handler"),
        ("DB_HOST", "orders.cluster-abc123xyz.us-east-1.rds.amazonaws.com"),
        ("MODEL_ID", "anthropic.claude-3-sonnet-20240229-v1:0"),
        ("NODE_OPTIONS", "--enable-source-maps"),
    ],
)
def test_true_negatives(name: str, value: str) -> None:
    assert kinds(name, value) == []


def test_ignore_list_matches_name_or_value() -> None:
    assert kinds("DB_PASSWORD", "hunter2xyz", ["^DB_PASSWORD$"]) == []
    assert kinds("LEGACY", AWS_SECRET, ["Ai2Ox/$"]) == []
    assert kinds("DB_PASSWORD", "hunter2xyz", ["^OTHER$"]) == ["secret-named variable"]


def test_invalid_ignore_pattern_is_one_clear_error() -> None:
    with pytest.raises(FortressError, match=r"secret ignore pattern '\(unclosed'"):
        scan_value("DB_PASSWORD", "hunter2xyz", ["(unclosed"])


def test_fingerprint_is_stable_short_and_hides_the_value() -> None:
    fp = fingerprint(AWS_SECRET)
    assert fp == fingerprint(AWS_SECRET)
    assert fp != fingerprint(AWS_SECRET + "x")
    assert fp.startswith("sha256:") and len(fp) == len("sha256:") + 12
    assert AWS_SECRET not in fp and AWS_SECRET[:8] not in fp
    assert scan_value("AWS_SECRET_ACCESS_KEY", AWS_SECRET)[0].fingerprint == fp


def test_redact_never_reveals_the_secret() -> None:
    assert redact(AWS_SECRET) == "Xq…(40 chars)"
    assert redact("hunter2xyz") == "…(10 chars)"
    assert AWS_SECRET[:3] not in redact(AWS_SECRET)


def test_name_and_allowlist_helpers() -> None:
    assert looks_like_secret_name("STRIPE_API_KEY")
    assert looks_like_secret_name("db_passwd")
    assert not looks_like_secret_name("DB_SECRET_ARN")
    assert not looks_like_secret_name("TABLE_NAME")
    assert is_allowlisted("arn:aws:kms:us-east-1:123456789012:key/abc")
    assert not is_allowlisted("https://user:pw@example.com/")


def test_scan_text_reports_lines_without_values() -> None:
    text = "\n".join(
        [
            "import os",
            'password = "Sup3rS3cretPw!"',
            f'key_id = "{AWS_KEY_ID}"',
            "token = get_token()",
            'name = "orders"',
        ]
    )
    hits = scan_text("handler.py", text)
    assert [(h.line, h.kind) for h in hits] == [
        (2, "secret-named variable"),
        (3, "AWS access key ID"),
    ]
    dumped = repr([h.to_dict() for h in hits])
    assert "Sup3rS3cretPw" not in dumped and AWS_KEY_ID not in dumped


def test_scan_text_ignore() -> None:
    assert scan_text("handler.py", f'k = "{AWS_KEY_ID}"', ["PVWM$"]) == []
