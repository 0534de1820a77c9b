"""Detection of secrets in values (environment and stage variables) and in text files."""

from fortress.secrets.detect import (
    PASSWORD_LIKE,
    SecretHit,
    fingerprint,
    is_allowlisted,
    is_ignored,
    looks_like_secret_name,
    redact,
    scan_text,
    scan_value,
)

__all__ = [
    "PASSWORD_LIKE",
    "SecretHit",
    "fingerprint",
    "is_allowlisted",
    "is_ignored",
    "looks_like_secret_name",
    "redact",
    "scan_text",
    "scan_value",
]
