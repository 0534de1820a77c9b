"""Is this value a secret? Detection for environment variables, stage variables and text files.

Pure functions (no I/O). Detection is delegated to detect-secrets' plugins, called directly:

* every regex detector (AWS access keys, private keys, GitHub/GitLab/Slack/Stripe/JWT/npm/PyPI/
  OpenAI/Twilio/SendGrid/... tokens, basic-auth URLs) on the value, and on ``NAME="value"`` so
  that name-aware patterns (an AWS secret access key under an ``AWS_..._KEY`` name) see both;
* the keyword detector on ``NAME="value"`` (``DB_PASSWORD="..."``);
* the base64 / hex Shannon-entropy measures on the whole value, with limits (base64: at least
  20 characters and entropy above 4.5 bits; hex: at least 32 characters and entropy above 3.0).

On top of those, a name heuristic: a variable named like PASSWORD / PASSWD / SECRET / TOKEN /
API_KEY / PRIVATE_KEY / CREDENTIALS holding a non-trivial literal value is a secret, whatever the
value looks like.

Allow-listed (never a secret): values matching an ``ignore`` regular expression (searched in the
name and in the value), ARNs, URLs without credentials, booleans, numbers, values shorter than
6 characters, common placeholders (``none``, ``null``, ``REPLACE_ME``, ``YOUR-KEY-HERE``,
``<token>``, ``CHANGEME``, ``xxx…``, ``DUMMY…``, ``EXAMPLE…``, ``TODO``, ``placeholder``, AWS's
documented example keys; see :func:`is_placeholder`) and templated references (``${...}``,
``{{resolve:...}}``); only the literal part of a partly templated value is judged. Names that point at a secret rather than hold it
(``DB_SECRET_ARN``, ``API_KEY_NAME``, ``TOKEN_URL``) escape the name and keyword heuristics but not
the token detectors.

Display forms, chosen so that nothing leaks:

* :func:`fingerprint` = ``"sha256:"`` + the first 12 hex digits of SHA-256 of the value. Stable
  across runs (to correlate the same secret in two places) and not reversible for real secrets;
  a dictionary password can still be confirmed by hashing guesses, so fingerprints are evidence,
  not something to publish.
* :func:`redact` = the first 2 characters, an ellipsis and the length (``"wJ…(40 chars)"``) for
  values of 16 characters or more; only the length (``"…(9 chars)"``) for shorter ones.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fortress.errors import FortressError
from fortress.safeio import sha256_hex

# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class SecretHit:
    """One reason to believe a value is a secret. Never holds the value itself."""

    kind: str  # human label, e.g. "AWS secret access key", "secret-named variable"
    detector: str  # detect-secrets plugin class name, or "name-heuristic"
    fingerprint: str  # see fingerprint()
    line: int | None = None  # for scan_text: 1-based line number

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "detector": self.detector,
            "fingerprint": self.fingerprint,
        }
        if self.line is not None:
            data["line"] = self.line
        return data


def fingerprint(value: str) -> str:
    """Short, stable, non-reversible identifier of a value: ``sha256:`` + 12 hex digits."""
    return "sha256:" + sha256_hex(value)[:12]


def redact(value: str) -> str:
    """Display form that never reveals the secret: 2 leading characters (if 16+ long) + length."""
    if len(value) >= 16:
        return f"{value[:2]}…({len(value)} chars)"
    return f"…({len(value)} chars)"


# --------------------------------------------------------------------------- labels

# detect-secrets secret_type -> human label (types not listed keep their own name).
_LABELS = {
    "AWS Access Key": "AWS access key",
    "Artifactory Credentials": "Artifactory credentials",
    "Azure Storage Account access key": "Azure storage account key",
    "Basic Auth Credentials": "credentials in a URL (basic auth)",
    "Cloudant Credentials": "Cloudant credentials",
    "Discord Bot Token": "Discord bot token",
    "GitHub Token": "GitHub token",
    "GitLab Token": "GitLab token",
    "IBM Cloud IAM Key": "IBM Cloud IAM key",
    "IBM COS HMAC Credentials": "IBM COS HMAC credentials",
    "JSON Web Token": "JSON web token",
    "Mailchimp Access Key": "Mailchimp API key",
    "NPM tokens": "npm token",
    "OpenAI Token": "OpenAI API key",
    "Private Key": "private key",
    "PyPI Token": "PyPI token",
    "SendGrid API Key": "SendGrid API key",
    "Slack Token": "Slack token",
    "SoftLayer Credentials": "SoftLayer credentials",
    "Square OAuth Secret": "Square OAuth secret",
    "Stripe Access Key": "Stripe API key",
    "Telegram Bot Token": "Telegram bot token",
    "Twilio API Key": "Twilio API key",
    "Secret Keyword": "secret-named variable",
    "Base64 High Entropy String": "high-entropy string",
    "Hex High Entropy String": "high-entropy hex string",
}
PASSWORD_LIKE = "secret-named variable"

# Regex detectors that say nothing about secrecy.
_NOT_SECRETS = frozenset({"IPPublicDetector"})
_SPECIAL = frozenset(
    {"KeywordDetector", "Base64HighEntropyString", "HexHighEntropyString", *_NOT_SECRETS}
)

_AWS_KEY_ID = re.compile(r"^(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}$")

# --------------------------------------------------------------------------- heuristics

_SECRET_NAME = re.compile(
    r"(?:PASSWORD|PASSWD|PASSPHRASE|PWD|SECRET|TOKEN|API_?KEY|APIKEY|PRIVATE_?KEY|"
    r"CREDENTIALS?|ACCESS_?KEY|AUTH_?KEY|CLIENT_?KEY|SIGNING_?KEY|ENCRYPTION_?KEY)",
    re.IGNORECASE,
)
# Names that point at a secret instead of holding it.
_POINTER_SUFFIX = re.compile(
    r"[_\-.]?(?:ARN|NAME|ID|IDS|URL|URI|ENDPOINT|PATH|FILE|PARAM|PARAMETER|REF|REGION|TTL|"
    r"EXPIRY|EXPIRES|EXPIRATION|LENGTH|LEN|HEADER|TYPE|ENABLED|VERSION|PREFIX|KEY_ID|"
    r"LOCATION|STORE|SOURCE|PROVIDER|FIELD|ROTATION|AGE|TIMEOUT)$",
    re.IGNORECASE,
)
# Names whose values are hashes or versions, not secrets (for the entropy measures only).
_DIGEST_NAME = re.compile(r"SHA|HASH|DIGEST|CHECKSUM|COMMIT|REVISION|VERSION|ETAG|BUILD", re.I)

_BOOLEANS = frozenset({"true", "false", "yes", "no", "on", "off", "enabled", "disabled"})
_PLACEHOLDERS = frozenset(
    {"none", "null", "nil", "undefined", "empty", "default", "unset", "n/a", "na", "todo", "xxx"}
    # what is left of "Bearer ${TOKEN}" once the template is taken out
    | {"bearer", "basic", "digest", "token", "apikey"}
)
# AWS's documented example credentials (IAM user guide, CLI and SDK docs): never real.
AWS_EXAMPLE_KEYS = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AKIAI44QH8DHBEXAMPLE",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        "ASIAIOSFODNN7EXAMPLE",
    }
)
# Values a person is meant to replace: "REPLACE_ME", "YOUR-API-KEY-HERE", "<token>",
# "CHANGEME", "xxxxxxxx-1234", "DUMMY_SECRET", "EXAMPLE-TOKEN", "TODO: set", "placeholder".
_PLACEHOLDER_RX = re.compile(
    r"""^(?:
        replace(?:[\s_.:-]?me\b|[\s_.:-]?with\b|[\s_.:-]?this\b|[\s_.:-])  # REPLACE_ME, replace-with-…
      | replaceme
      | (?:insert|enter|put|add|set)[\s_.-]+your\b   # insert-your-token
      | your[\s_.-]                                     # YOUR-…, your_api_key
      | change[\s_.-]?(?:me|it|this)\b                  # CHANGEME, change_me, changeit
      | x{3,}                                          # xxxxxx, xxx-123 (case folded)
      | dummy | fake[\s_.-] | example(?:[\s_.:-]|key\b|$) | sample[\s_.-] | placeholder
      | todo\b | tbd\b | fixme\b
      | <[^<>]+>$                                      # <your-token>
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_PLACEHOLDER_ANYWHERE = re.compile(r"placeholder|[_-]here$|(?<![a-z])example(?:key)?$", re.I)
# Template expressions filled in at deploy or run time: ${…}, {{…}}, $(…), %(…)s, #{…}.
_TEMPLATE_EXPR = re.compile(r"\$\{[^}]*\}|\{\{[^}]*\}\}|\$\([^)]*\)|%\([^)]*\)s?|#\{[^}]*\}")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://([^/?#\s]*)")
_TEMPLATED = re.compile(r"^(?:\$\{[^}]*\}|\{\{[^}]*\}\}|<[^>]*>|%\([^)]*\)s?)$")
MIN_LENGTH = 6
_B64_LIMIT, _B64_MIN_LEN = 4.5, 20
_HEX_LIMIT, _HEX_MIN_LEN = 3.0, 32
MAX_LINE = 4096  # scan_text: longer lines are cut (minified bundles)


def looks_like_secret_name(name: str) -> bool:
    """A name that suggests it holds a secret (PASSWORD, API_KEY, ...) and not a pointer."""
    return bool(_SECRET_NAME.search(name)) and not _POINTER_SUFFIX.search(name)


def is_placeholder(value: str) -> bool:
    """A value meant to be replaced, or a documented example, never a real secret.

    ``REPLACE…``, ``YOUR-…-HERE``, ``<…>``, ``CHANGEME``, ``xxx…``, ``DUMMY…``, ``EXAMPLE…``,
    ``TODO``, ``placeholder``, AWS's documented example keys, and values that are wholly a
    template (``${DB_PASSWORD}``, ``{{resolve:ssm:/x}}``). Real-looking test values of the
    detectors (``ghp_…``, ``sk_live_…``, ``AKIA…`` other than AWS's examples) are not.
    """
    text = value.strip().strip("'\"")
    if not text:
        return True
    if text in AWS_EXAMPLE_KEYS:
        return True
    if _PLACEHOLDER_RX.match(text) or _PLACEHOLDER_ANYWHERE.search(text):
        return True
    literal = _TEMPLATE_EXPR.sub("", text)
    if literal == text:
        return False
    # Wholly a template, or a template with a scheme word around it ("Bearer ${TOKEN}").
    rest = literal.strip(" :/@._-")
    return len(rest) < MIN_LENGTH or rest.lower() in _PLACEHOLDERS


# --------------------------------------------------------------------------- credentials in text

# scheme://user:password@host — the password is group "pw" (user may be empty: redis://:pw@h).
URL_CREDENTIALS = re.compile(
    r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:@/\s?#'\"]*:)(?P<pw>[^@/\s?#'\"]+)(?P<tail>@)"
)
# Password=…; Pwd=…; password=… in ADO.NET/JDBC/libpq connection strings and query strings.
CONNECTION_PASSWORD = re.compile(
    r"(?P<head>(?<![A-Za-z0-9_])(?:password|passwd|pwd|pass|accountkey|sharedaccesskey|"
    r"client_secret|secret)\s*=\s*)(?P<pw>\"[^\"]*\"|'[^']*'|[^;&\s'\"]+)",
    re.IGNORECASE,
)
URL_CREDENTIAL_KIND = "password in a URL"
CONNECTION_STRING_KIND = "password in a connection string"


def _real_password(pw: str) -> bool:
    text = pw.strip("'\"")
    return bool(text) and not is_placeholder(text) and set(text) != {"*"}


def credential_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every literal password inside a URL or connection string.

    Placeholders (``${DB_PASSWORD}``, ``<password>``, ``****``) are not passwords.
    """
    spans: list[tuple[int, int, str]] = []
    if "://" in text:
        for m in URL_CREDENTIALS.finditer(text):
            if _real_password(m.group("pw")):
                spans.append((m.start("pw"), m.end("pw"), URL_CREDENTIAL_KIND))
    if "=" in text:
        for m in CONNECTION_PASSWORD.finditer(text):
            if _real_password(m.group("pw")) and not any(
                a <= m.start("pw") < b for a, b, _ in spans
            ):
                spans.append((m.start("pw"), m.end("pw"), CONNECTION_STRING_KIND))
    return sorted(spans)


def strip_templates(value: str) -> str:
    """``value`` without its template expressions (what is literal in it)."""
    return _TEMPLATE_EXPR.sub("", value)


def is_allowlisted(value: str) -> bool:
    """Values that are never secrets: ARNs, plain URLs, booleans, numbers, short/common values,
    placeholders and templates (see :func:`is_placeholder`)."""
    text = value.strip()
    if len(text) < MIN_LENGTH:
        return True
    if is_placeholder(text):
        return True
    low = text.lower()
    if low in _BOOLEANS or low in _PLACEHOLDERS or _NUMBER.match(text):
        return True
    if low.startswith("arn:") and text.count(":") >= 5 and not any(c.isspace() for c in text):
        return True
    if _TEMPLATED.match(text):
        return True
    url = _URL.match(text)
    if url and "@" not in url.group(1) and not any(c.isspace() for c in text):
        return True  # a URL without user-info; query-string tokens are left to the detectors
    # "xxxxxxxx", "********", "xxxxxx_xxxxxx", "XXXX-XXXX-XXXX": one character between separators
    return len(set(re.sub(r"[\s_.:/-]", "", low))) <= 1


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as err:
        raise FortressError(
            f"secret ignore pattern {pattern!r} is not a valid regular expression: {err}"
        ) from None


def is_ignored(name: str, value: str, ignore: Iterable[str]) -> bool:
    """True when any ``ignore`` regular expression is found in the name or in the value."""
    for pattern in ignore:
        rx = _compile(pattern)
        if rx.search(name) or rx.search(value):
            return True
    return False


# --------------------------------------------------------------------------- plugins


@lru_cache(maxsize=1)
def _plugins() -> tuple[list[tuple[str, Any]], Any, Any, Any]:
    """(regex detectors as (class name, instance)), keyword, base64 and hex plugins."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.high_entropy_strings import (
        Base64HighEntropyString,
        HexHighEntropyString,
    )
    from detect_secrets.plugins.keyword import KeywordDetector

    regex: list[tuple[str, Any]] = []
    classes: list[Any] = list(get_mapping_from_secret_type_to_class().values())
    for cls in sorted(classes, key=lambda c: c.__name__):
        if cls.__name__ in _SPECIAL:
            continue
        try:
            regex.append((cls.__name__, cls()))
        except TypeError:  # a plugin needing arguments (custom plugins): skip it
            continue
    return regex, KeywordDetector(), Base64HighEntropyString(), HexHighEntropyString()


def _label(plugin: Any, match: str) -> str:
    secret_type = str(getattr(plugin, "secret_type", type(plugin).__name__))
    if secret_type == "AWS Access Key":
        return "AWS access key ID" if _AWS_KEY_ID.match(match) else "AWS secret access key"
    return _LABELS.get(secret_type, secret_type)


def _entropy_hits(name: str, value: str) -> list[tuple[str, str]]:
    from detect_secrets.filters.heuristic import is_potential_uuid, is_sequential_string

    _, _, b64, hexa = _plugins()
    if _DIGEST_NAME.search(name) or is_potential_uuid(value) or is_sequential_string(value):
        return []
    found: list[tuple[str, str]] = []
    if len(value) >= _HEX_MIN_LEN and all(c in hexa.charset for c in value):
        if hexa.calculate_shannon_entropy(value) > _HEX_LIMIT:
            found.append(("HexHighEntropyString", _label(hexa, value)))
    elif len(value) >= _B64_MIN_LEN and all(c in b64.charset for c in value):
        has_letter = any(c.isalpha() for c in value)
        if has_letter and b64.calculate_shannon_entropy(value) > _B64_LIMIT:
            found.append(("Base64HighEntropyString", _label(b64, value)))
    return found


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def scan_value(name: str, value: str, ignore: Sequence[str] = ()) -> list[SecretHit]:
    """Why the variable ``name`` holding ``value`` looks like a secret (empty list: it does not).

    Specific detectors (token formats) win: when one fires, the generic reasons (keyword, name,
    entropy) are dropped. Hits are distinct by kind, most specific first.
    """
    if not isinstance(value, str) or is_ignored(name, value, ignore) or is_allowlisted(value):
        return []
    fp = fingerprint(value)
    literal = strip_templates(value)
    if literal != value:
        # Only the literal part can hold a secret: "Bearer ${TOKEN}" holds none.
        value = literal
        if is_allowlisted(value):
            return []
    regex, keyword, _, _ = _plugins()
    assignment = f'{name}="{_quote(value)}"'
    specific: dict[str, str] = {}
    for cls_name, plugin in regex:
        for text in (value, assignment):
            for match in plugin.analyze_string(text):
                if match and not is_placeholder(str(match)):
                    specific.setdefault(_label(plugin, str(match)), cls_name)
    for _, _, kind in credential_spans(value):
        if kind == URL_CREDENTIAL_KIND and "credentials in a URL (basic auth)" in specific:
            continue
        specific.setdefault(kind, "credential-in-text")
    if specific:
        return [SecretHit(kind, det, fp) for kind, det in specific.items()]

    generic: dict[str, str] = {}
    pointer = bool(_POINTER_SUFFIX.search(name))
    if not pointer and any(m for m in keyword.analyze_string(assignment)):
        generic[PASSWORD_LIKE] = "KeywordDetector"
    if looks_like_secret_name(name):
        generic.setdefault(PASSWORD_LIKE, "name-heuristic")
    if " " not in value.strip():
        for det, kind in _entropy_hits(name, value.strip()):
            generic.setdefault(kind, det)
    return [SecretHit(kind, det, fp) for kind, det in generic.items()]


def regex_matches(text: str) -> list[tuple[str, str]]:
    """(kind, matched secret) for every token-format detector hit in free text."""
    regex, _, _, _ = _plugins()
    found: list[tuple[str, str]] = []
    for line in text.splitlines() or [text]:
        line = line[:MAX_LINE]
        for _, plugin in regex:
            for rx in getattr(plugin, "denylist", ()):
                for m in rx.finditer(line):
                    # Some patterns capture only a prefix ("ghp"); others the secret inside an
                    # assignment. Take the group when it is the secret, else the whole match.
                    group = m.group(1) if m.groups() and m.group(1) else ""
                    secret = group if len(group) >= 16 else m.group(0)
                    if secret:
                        found.append((_label(plugin, secret), secret))
    return found


# --------------------------------------------------------------------------- prefilter
#
# Most lines of a package match no detector. Running every detector on every line costs ~45
# regex calls per line (about 1 MB/s); instead one RE2 automaton (a DFA: linear time, one pass
# over the bytes) finds the lines where any detector *could* match, and only those lines go
# through the detectors (a pattern that would slow the shared automaton down gets its own,
# see ``_heavy``). The automata are a superset of the detectors by construction: each
# pattern is relaxed (lookarounds and ``\b`` dropped, ``{m,n}`` over RE2's limit opened to
# ``{m,}``, ``^``/``$`` at line boundaries) and its ``\s``, ``\d`` and ``\w`` widened to the
# Unicode classes Python gives them (RE2's are ASCII-only), which can only add matches; a
# pattern RE2 still refuses is searched with Python's engine on the whole text. The keyword
# detector only fires on a line naming one of its keywords (its DENYLIST), so a
# case-insensitive automaton of those words selects the lines it reads.

_LOOKAROUND = re.compile(r"\(\?<?[=!](?:[^()\\]|\\.|\([^()]*\))*\)")
_BIG_REPEAT = re.compile(r"\{(\d+),(\d+)\}")
# Python's Unicode meaning of a class escape, spelled for RE2 (inside a bracket expression).
_UNICODE_CLASS = {
    "s": r"\s\p{Z}\x{85}\x{1c}-\x{1f}",
    "d": r"\d\p{Nd}",
    "w": r"\w\p{L}\p{N}\p{M}",
}


def _widen(pattern: str) -> str:
    r"""``pattern`` with ``\s``/``\d``/``\w`` widened to Unicode and ``\b``/``\B`` dropped."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in _UNICODE_CLASS:
                wide = _UNICODE_CLASS[nxt]
                out.append(wide if in_class else f"[{wide}]")
            elif nxt in "bB" and not in_class:
                pass  # an assertion: dropping it only adds matches
            else:
                out.append(char + nxt)
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            out.append(char)
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if pattern[i + 1 : i + 2] == "]":  # a literal ] first in the class
                out.append("\\]")
                i += 1
        elif char == "]" and in_class:
            in_class = False
            out.append(char)
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _relax(pattern: str) -> str:
    relaxed = _widen(_LOOKAROUND.sub("", pattern))
    return _BIG_REPEAT.sub(
        lambda m: m.group(0) if int(m.group(2)) <= 1000 else "{" + m.group(1) + ",}", relaxed
    )


# A pattern that starts with a class and carries long counted repeats of classes
# (``[MNO][\w-]{23,25}\.[\w-]{6}\.[\w-]{27}``) multiplies the states of a combined DFA: measured
# on real package code, adding Discord's pattern to the others made the shared pass 40x slower,
# while the 43 other patterns together cost about what one costs alone.
_HEAVY_REPEATS = 50


def _heavy(pattern: str, flags: int) -> bool:
    """Whether ``pattern`` gets an automaton of its own (see ``_HEAVY_REPEATS``): its counted
    repeats before the first run of two literal characters add up to more than the limit."""
    import re._constants as c
    import re._parser as parser

    def lead(items: list[Any]) -> int:
        count = 0
        for op, arg in items:
            if op is c.LITERAL:
                count += 1
                continue
            if count:
                return count
            if op is c.SUBPATTERN:
                return lead(list(arg[3]))
            if op is c.BRANCH:
                return min(lead(list(branch)) for branch in arg[1])
            return 0
        return count

    def weight(op: Any, arg: Any) -> int:
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            low, high, inner = arg
            bound = low if high is c.MAXREPEAT else high
            return (bound if bound > 1 else 0) + sum(weight(o, a) for o, a in inner)
        if op is c.SUBPATTERN:
            return sum(weight(o, a) for o, a in arg[3])
        if op is c.BRANCH:
            return max((sum(weight(o, a) for o, a in b) for b in arg[1]), default=0)
        return 0

    try:
        items = list(parser.parse(pattern, flags))
    except (re.error, RecursionError, TypeError, IndexError, ValueError):
        return True
    total = 0
    for index, (op, arg) in enumerate(items):
        if lead(items[index:]) >= 2:
            break  # a literal run the automaton waits for: nothing costly before it
        total += weight(op, arg)
    return total > _HEAVY_REPEATS


@dataclass(frozen=True)
class _Prefilter:
    automata: tuple[Any, ...]  # re2 patterns over UTF-8 bytes
    fallback: tuple[re.Pattern[str], ...]  # patterns RE2 refused, run by Python's engine

    def lines(self, joined: str, data: bytes) -> set[int]:
        """0-based indexes of the lines of ``joined`` (lines separated by ``\\n`` only,
        ``data`` its UTF-8 bytes) on which a detector could match."""
        found: set[int] = set()
        for automaton in self.automata:
            _mark(found, data, ((m.start(), m.end()) for m in automaton.finditer(data)))
        for rx in self.fallback:
            _mark(found, joined, ((m.start(), m.end()) for m in rx.finditer(joined)))
        return found


def _mark(found: set[int], text: Any, spans: Iterable[tuple[int, int]]) -> None:
    """Add the index of every line a span (start, end) touches; spans in ascending order."""
    line, pos = 0, 0
    newline = b"\n" if isinstance(text, bytes) else "\n"
    for start, end in spans:
        line += text.count(newline, pos, start)
        last = line + text.count(newline, start, max(start, end - 1))
        found.update(range(line, last + 1))
        pos = start


def _build(patterns: Iterable[tuple[str, int]]) -> _Prefilter:
    import re2

    options = re2.Options()
    options.log_errors = False
    options.max_mem = 64 << 20
    shared: list[str] = []
    alone: list[str] = []
    fallback: list[re.Pattern[str]] = []
    for pattern, flags in patterns:
        relaxed = _relax(pattern)
        verbose_text = flags & re.VERBOSE and re.search(r"\s|#", relaxed)
        if not verbose_text:
            piece = f"(?i:{relaxed})" if flags & re.IGNORECASE else f"(?:{relaxed})"
            try:
                re2.compile(piece.encode(), options)
                (alone if _heavy(pattern, flags) else shared).append(piece)
                continue
            except re2.error:
                pass
        fallback.append(re.compile(pattern, flags | re.MULTILINE))
    groups = ([shared] if shared else []) + [[piece] for piece in alone]
    automata = tuple(re2.compile(("(?m)" + "|".join(g)).encode(), options) for g in groups)
    return _Prefilter(automata, tuple(fallback))


@lru_cache(maxsize=1)
def _prefilters() -> tuple[_Prefilter, _Prefilter]:
    """(token formats, keyword detector) prefilters."""
    from detect_secrets.plugins.keyword import DENYLIST

    regex, _, _, _ = _plugins()
    tokens = _build(
        (rx.pattern, rx.flags) for _, plugin in regex for rx in getattr(plugin, "denylist", ())
    )
    keywords = _build([("|".join(DENYLIST), re.IGNORECASE)])
    return tokens, keywords


_OVERLAP = 256  # longer than any token format, so a token across a window edge is whole in one


def _windows(line: str) -> Iterator[str]:
    """``line`` in overlapping pieces of at most MAX_LINE characters: token formats are found
    anywhere in a minified line while each regex call stays bounded."""
    if len(line) <= MAX_LINE:
        yield line
        return
    for start in range(0, len(line) - _OVERLAP, MAX_LINE - _OVERLAP):
        yield line[start : start + MAX_LINE]


def candidate_lines(
    texts: Sequence[Sequence[str]], *, keywords: bool, tokens: bool = True
) -> list[set[int]]:
    """For each file (given as its lines), the 0-based indexes of the lines on which a
    token-format detector (and, with ``keywords``, the keyword detector) could match.

    All files go through each automaton in one pass (joined by newlines), so that a tree of
    thousands of small files costs a handful of calls, not a handful per file.
    """
    starts: list[int] = []
    total = 0
    for lines in texts:
        starts.append(total)
        total += max(len(lines), 1)  # an empty file still takes one (empty) line of the join
    joined = "\n".join("\n".join(lines) for lines in texts)
    data = joined.encode("utf-8", "surrogatepass")
    token_filter, word_filter = _prefilters()
    found = token_filter.lines(joined, data) if tokens else set()
    if keywords:
        found |= word_filter.lines(joined, data)
    per_file: list[set[int]] = [set() for _ in texts]
    for index in found:
        owner = bisect.bisect_right(starts, index) - 1
        local = index - starts[owner]
        if local < len(texts[owner]):
            per_file[owner].add(local)
    return per_file


def scan_text(
    path_label: str,
    text: str,
    ignore: Sequence[str] = (),
    *,
    keywords: bool = True,
    entropy: bool = True,
    lines: Sequence[str] | None = None,
    candidates: set[int] | None = None,
) -> list[SecretHit]:
    """Secrets in a text file (source, config), line by line; hits carry 1-based line numbers.

    ``lines``/``candidates``: the text already split (``text.splitlines()``) and the lines
    :func:`candidate_lines` selected for it, when the caller prefiltered many files at once.

    Runs the regex detectors on each line, the keyword detector (quoted assignments such as
    ``password = "..."``) and the entropy measures on quoted strings. ``path_label`` names the
    file in messages only; nothing is read from disk. Token formats are searched along the whole
    line (in overlapping windows); the keyword and entropy detectors read its first 4,096
    characters (minified bundles).
    ``keywords``/``entropy`` off: token formats only (vendored code is full of high-entropy
    hashes and ``password = "..."`` test values).
    """
    regex, keyword, b64, hexa = _plugins()
    from detect_secrets.filters.heuristic import (
        is_indirect_reference,
        is_potential_uuid,
        is_sequential_string,
        is_templated_secret,
    )

    hits: list[SecretHit] = []
    seen: set[tuple[int, str, str]] = set()

    def add(lineno: int, kind: str, det: str, secret: str) -> None:
        if is_ignored(path_label, secret, ignore) or is_placeholder(secret):
            return
        fp = fingerprint(secret)
        if (lineno, kind, fp) not in seen:
            seen.add((lineno, kind, fp))
            hits.append(SecretHit(kind, det, fp, lineno))

    if lines is None:
        lines = text.splitlines()
    numbered: Iterable[tuple[int, str]]
    if entropy:
        numbered = enumerate(lines, start=1)
    else:  # only lines where a token format or (with keywords) a keyword could match
        if candidates is None:
            candidates = candidate_lines([lines], keywords=keywords)[0]
        numbered = ((index + 1, lines[index]) for index in sorted(candidates))
    for lineno, raw in numbered:
        line = raw[:MAX_LINE]
        if not line.strip():
            continue
        specific = False
        for cls_name, plugin in regex:
            for window in _windows(raw):
                for match in plugin.analyze_string(window):
                    if match:
                        add(lineno, _label(plugin, str(match)), cls_name, str(match))
                        specific = True
        if specific or not keywords:
            continue
        for match in keyword.analyze_string(line):
            m = str(match)
            if (
                len(m) >= MIN_LENGTH
                and not is_templated_secret(m)
                and not is_allowlisted(m)
                and not is_indirect_reference(line)
            ):
                add(lineno, PASSWORD_LIKE, "KeywordDetector", m)
        if not entropy:
            continue
        for plugin, limit, min_len in (
            (b64, _B64_LIMIT, _B64_MIN_LEN),
            (hexa, _HEX_LIMIT, _HEX_MIN_LEN),
        ):
            for match in plugin.analyze_string(line):
                m = str(match)
                if len(m) < min_len or is_potential_uuid(m) or is_sequential_string(m):
                    continue
                if plugin.calculate_shannon_entropy(m) > limit:
                    add(lineno, _label(plugin, m), type(plugin).__name__, m)
    return hits


__all__ = [
    "AWS_EXAMPLE_KEYS",
    "CONNECTION_STRING_KIND",
    "PASSWORD_LIKE",
    "URL_CREDENTIAL_KIND",
    "SecretHit",
    "candidate_lines",
    "credential_spans",
    "fingerprint",
    "is_allowlisted",
    "is_ignored",
    "is_placeholder",
    "looks_like_secret_name",
    "redact",
    "regex_matches",
    "scan_text",
    "scan_value",
    "strip_templates",
]
