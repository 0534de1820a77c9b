"""Placeholders are not secrets; real-looking test values of the detectors stay detected.

Both directions, through the same entry points the rules and the snapshot use
(``scan_value`` for variables, ``scan_text`` for files, ``redact_value`` for outputs).
"""

from __future__ import annotations

import pytest

from fortress.secrets.detect import is_placeholder, scan_text, scan_value
from fortress.secrets.redact import redact_value

PLACEHOLDERS = [
    "REPLACE-WITH-YOUR-SECRET-HERE",
    "REPLACE_ME",
    "replaceme",
    "replace-this-with-the-real-key",
    "YOUR-API-KEY-HERE",
    "YOUR_SECRET_KEY",
    "your-token-here",
    "insert-your-token-here",
    "<your-stripe-key>",
    "<SECRET>",
    "CHANGEME",
    "change_me",
    "changeit",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "XXXXXXXX-XXXX-XXXX-XXXX",
    "xxx-secret-xxx",
    "DUMMY_TOKEN_VALUE",
    "dummy-password-123",
    "EXAMPLE-SECRET-1234",
    "example_api_key_value",
    "${STRIPE_SECRET_KEY}",
    "${ssm:/app/token}",
    "{{ secret_token }}",
    "{{resolve:ssm:/app/token}}",
    "TODO: set the token",
    "placeholder-secret",
    "my-placeholder-token",
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AKIAI44QH8DHBEXAMPLE",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "Bearer ${API_TOKEN}",
]

# Real-looking fakes in the providers' formats (assembled so no scanner flags this file).
REAL = [
    ("AWS_ACCESS_KEY_ID", "AKIA" + "Z7QX3JH2LKD9PVWM", "AWS access key ID"),
    (
        "AWS_SECRET_ACCESS_KEY",
        "Xq3vR8tLm2Pz9Kw4" + "Nb7Yc1Hd6Fj0Gs5Ue8Ai2Ox/",
        "AWS secret access key",
    ),
    ("GH_TOKEN", "ghp_" + "wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx", "GitHub token"),
    ("SLACK", "xoxb-" + "523423-234243-gkqcwOpZ5PTAfBrtHS8uILvT", "Slack token"),
    ("STRIPE", "sk_live_" + "ReTllpYQYfIZu2Jnf2lAPFjD", "Stripe API key"),
    ("NPM", "npm_" + "4xmUjDpbN2vkz0ZkFCcmhaWUMB5m0o3EvDwu", None),
    ("DB_PASSWORD", "Sup3r-S3cret-Passw0rd!", "secret-named variable"),
    ("API_TOKEN", "tok-8f2c9a71b3e54d06", "secret-named variable"),
    ("DATABASE_URL", "postgres://admin:Tr0ub4dor@db.internal/app", None),
    ("CONN", "Server=db;User Id=sa;Password=Pa55w0rd-9x;", "password in a connection string"),
    ("CACHE_URL", "redis://:Zx9q7Lm2Pq@cache:6379/0", "password in a URL"),
    # Words that merely contain a placeholder word are still judged on what they are.
    ("DB_PASSWORD", "examples-are-not-this-9Kq", "secret-named variable"),
]


@pytest.mark.parametrize("value", PLACEHOLDERS)
def test_placeholders_are_not_secrets(value: str) -> None:
    for name in ("API_SECRET_TOKEN", "DB_PASSWORD", "STRIPE_KEY", "AWS_SECRET_ACCESS_KEY"):
        assert scan_value(name, value) == [], (name, value)
        assert not redact_value(name, value).changed
    assert scan_text("config.py", f'password = "{value}"\n') == []


@pytest.mark.parametrize(("name", "value", "kind"), REAL)
def test_real_looking_values_stay_detected(name: str, value: str, kind: str | None) -> None:
    assert not is_placeholder(value)
    hits = scan_value(name, value)
    assert hits, (name, value)
    if kind is not None:
        assert hits[0].kind == kind
    done = redact_value(name, value)
    assert done.changed and value not in done.value


def test_scan_text_keeps_detecting_real_tokens_next_to_placeholders() -> None:
    text = (
        'EXAMPLE_KEY = "AKIAIOSFODNN7EXAMPLE"\n'
        'REAL_KEY = "AKIA' + 'Z7QX3JH2LKD9PVWM"\n'
        'token = "YOUR-TOKEN-HERE"\n'
    )
    hits = scan_text("settings.py", text)
    assert [h.line for h in hits] == [2]
    assert hits[0].kind == "AWS access key ID"
