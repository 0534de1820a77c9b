"""Detection of secrets in values (environment and stage variables) and in text files, and the
one redaction pass every output shares (:mod:`fortress.secrets.redact`)."""

from fortress.secrets.detect import (
    PASSWORD_LIKE,
    SecretHit,
    credential_spans,
    fingerprint,
    is_allowlisted,
    is_ignored,
    is_placeholder,
    looks_like_secret_name,
    redact,
    scan_text,
    scan_value,
)

__all__ = [
    "PASSWORD_LIKE",
    "SecretHit",
    "credential_spans",
    "fingerprint",
    "is_allowlisted",
    "is_ignored",
    "is_placeholder",
    "looks_like_secret_name",
    "redact",
    "scan_text",
    "scan_value",
]
