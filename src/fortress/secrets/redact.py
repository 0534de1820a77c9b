"""One redaction pass, shared by snapshots, evidence bundles and reports.

What it withholds, everywhere it is used:

* a value that *is* a secret (:func:`fortress.secrets.detect.scan_value` finds one: a token
  format, a secret-named variable, a high-entropy string) is replaced whole by a marker naming
  its kind and fingerprint — ``[withheld: GitHub token sha256:1a2b…]``;
* a value that *contains* a password inside a URL or a connection string keeps everything but
  the password: ``postgres://admin:pw@db:5432/app`` becomes ``postgres://admin:****@db:5432/app``
  and ``Server=db;Password=pw;`` becomes ``Server=db;Password=****;``;
* free text (descriptions) keeps its words; only the secrets found in it (token formats, URL
  and connection-string passwords) are replaced.

Placeholders (``${DB_PASSWORD}``, ``<password>``, ``REPLACE_ME``, AWS's example keys) are left as
they are: they are not secrets, and keeping them keeps the output faithful.

Pure functions: no I/O. The marker and the fingerprint never reveal the value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fortress.secrets.detect import (
    CONNECTION_STRING_KIND,
    URL_CREDENTIAL_KIND,
    SecretHit,
    credential_spans,
    fingerprint,
    is_placeholder,
    regex_matches,
    scan_value,
)

MASK = "****"


def marker(kind: str, fp: str) -> str:
    """What a withheld value is replaced by: its kind and fingerprint, never the value."""
    return f"[withheld: {kind} {fp}]"


@dataclass(frozen=True)
class Redaction:
    """The outcome for one value: the text to keep, and why anything was taken out."""

    value: str  # the value to store/print (the original when nothing was secret)
    kind: str | None = None  # what was taken out (None: nothing)
    fingerprint: str | None = None  # of the original value
    whole: bool = False  # True when the whole value was withheld

    @property
    def changed(self) -> bool:
        return self.kind is not None


def mask_credentials(text: str) -> tuple[str, list[str]]:
    """``text`` with every URL / connection-string password replaced by ``****``; the kinds."""
    spans = credential_spans(text)
    if not spans:
        return text, []
    out: list[str] = []
    last = 0
    for start, end, _ in spans:
        out.append(text[last:start])
        out.append(MASK)
        last = end
    out.append(text[last:])
    return "".join(out), [kind for _, _, kind in spans]


def redact_value(name: str, value: str, ignore: Iterable[str] = ()) -> Redaction:
    """Judge one named value (an environment or stage variable, a tag) and redact it.

    A password inside a URL or connection string is masked in place (the rest of the value
    stays readable); any other secret withholds the whole value.
    """
    if not isinstance(value, str):
        return Redaction(value)
    hits: list[SecretHit] = scan_value(name, value, list(ignore))
    if not hits:
        return Redaction(value)
    fp = hits[0].fingerprint
    masked, kinds = mask_credentials(value)
    if kinds and _only_credential_hits(hits):
        return Redaction(masked, hits[0].kind, fp, whole=False)
    return Redaction(marker(hits[0].kind, fp), hits[0].kind, fp, whole=True)


_CREDENTIAL_KINDS = frozenset(
    {"credentials in a URL (basic auth)", URL_CREDENTIAL_KIND, CONNECTION_STRING_KIND}
)


def _only_credential_hits(hits: list[SecretHit]) -> bool:
    return all(h.kind in _CREDENTIAL_KINDS for h in hits)


def redact_text(text: str) -> str:
    """Free text (a description, a report line) with the secrets inside it replaced.

    Masks URL and connection-string passwords, and replaces every token a format detector
    recognises (``ghp_…``, ``AKIA…``, private keys, ...) by its marker.
    """
    if not isinstance(text, str) or not text:
        return text
    masked, _ = mask_credentials(text)
    for kind, secret in regex_matches(masked):
        if secret and not is_placeholder(secret) and MASK not in secret:
            masked = masked.replace(secret, marker(kind, fingerprint(secret)))
    return masked


def redact_mapping(values: Mapping[str, Any], ignore: Iterable[str] = ()) -> dict[str, Any]:
    """A copy of ``values`` (tags, variables) with every secret value redacted."""
    ignore = list(ignore)
    out: dict[str, Any] = {}
    for key, value in values.items():
        out[key] = redact_value(str(key), value, ignore).value if isinstance(value, str) else value
    return out


def scrub(value: Any) -> Any:
    """URL and connection-string passwords masked in every string of a JSON-like structure.

    Cheap (regular expressions only): used on every finding, so that a value a rule quotes in
    a message or evidence (a URL, a connection string) never carries its password to a report.
    """
    if isinstance(value, str):
        if "://" in value or "=" in value:
            return mask_credentials(value)[0]
        return value
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, tuple):
        return tuple(scrub(v) for v in value)
    return value


__all__ = [
    "MASK",
    "Redaction",
    "marker",
    "mask_credentials",
    "redact_mapping",
    "redact_text",
    "redact_value",
    "scrub",
]
