"""Sigma rules (SigmaHQ format, ``logsource: product: aws, service: cloudtrail``) on the hunt store.

pySigma parses the rule files and applies the value modifiers; this module compiles the
resulting condition tree into a DuckDB ``WHERE`` clause over the normalized ``events`` table.
Matching is case-insensitive, as Sigma specifies. A rule that uses a feature this compiler
does not support (keyword search, field references, correlations, an unknown field) is
reported as skipped with the reason, never silently dropped.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fortress import safeio
from fortress.detection.hunt import row_to_detection
from fortress.detection.model import Detection, SigmaSkip
from fortress.detection.sql import SIGMA_JSON_ROOTS, SIGMA_TOP_LEVEL, lit
from fortress.detection.store import EventStore
from fortress.errors import InputError
from fortress.findings import Severity

LEVELS = {
    "informational": Severity.INFO,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}
_PATH_PART = re.compile(r"^[A-Za-z0-9_\-]+$")


class Unsupported(Exception):
    """A Sigma feature this compiler cannot express."""


class OtherLogsource(Unsupported):
    """A rule for another log source than CloudTrail: not for this hunt."""


@dataclass(frozen=True)
class CompiledSigma:
    rule_id: str
    title: str
    severity: Severity
    technique: str
    where: str
    file: str


def _field_expr(name: str | None) -> str:
    if not name:
        raise Unsupported("keyword (full-text) search is not supported")
    if name in SIGMA_TOP_LEVEL:
        return SIGMA_TOP_LEVEL[name]
    root, _, rest = name.partition(".")
    if root not in SIGMA_JSON_ROOTS:
        raise Unsupported(f"field {name!r} is not available in the hunt store")
    column = SIGMA_JSON_ROOTS[root]
    if not rest:
        return f"CAST({column} AS VARCHAR)"
    parts = rest.split(".")
    if not all(_PATH_PART.match(p) for p in parts):
        raise Unsupported(f"field {name!r} has characters this compiler does not support")
    path = "$." + ".".join(f'"{p}"' for p in parts)
    return f"json_extract_string({column}, {lit(path)})"


def _like_pattern(value: Any) -> str:
    from sigma.types import SpecialChars

    out: list[str] = []
    for part in value.s:
        if part == SpecialChars.WILDCARD_MULTI:
            out.append("%")
        elif part == SpecialChars.WILDCARD_SINGLE:
            out.append("_")
        elif isinstance(part, str):
            out.append(part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
        else:
            raise Unsupported(f"special value part {part!r}")
    return "".join(out)


def _compile_value(expr: str, value: Any) -> str:
    from sigma import types as st

    if isinstance(value, st.SigmaString):
        if value.contains_special():
            pattern = _like_pattern(value).lower()
            return f"lower({expr}) LIKE {lit(pattern)} ESCAPE '\\'"
        plain = "".join(p for p in value.s if isinstance(p, str))
        if isinstance(value, st.SigmaCasedString):
            return f"{expr} = {lit(plain)}"
        return f"lower({expr}) = {lit(plain.lower())}"
    if isinstance(value, st.SigmaBool):
        return f"lower(CAST({expr} AS VARCHAR)) = {lit('true' if value.boolean else 'false')}"
    if isinstance(value, st.SigmaNumber):
        return f"CAST({expr} AS VARCHAR) = {lit(str(value.number))}"
    if isinstance(value, st.SigmaNull):
        return f"{expr} IS NULL"
    if isinstance(value, st.SigmaRegularExpression):
        flags = "".join(sorted(getattr(f, "value", "") for f in (value.flags or [])))
        prefix = f"(?{flags})" if flags else ""
        return f"regexp_matches({expr}, {lit(prefix + str(value.regexp))})"
    if isinstance(value, st.SigmaCIDRExpression):
        return _cidr_sql(expr, str(value.network))
    if isinstance(value, st.SigmaCompareExpression):
        ops = {"LT": "<", "LTE": "<=", "GT": ">", "GTE": ">="}
        op = ops.get(getattr(value.op, "name", ""))
        if op is None:
            raise Unsupported(f"comparison {value.op!r}")
        return f"TRY_CAST({expr} AS DOUBLE) {op} {float(value.number.number)}"
    if isinstance(value, st.SigmaExists):
        return f"{expr} IS {'NOT ' if value.exists else ''}NULL"
    raise Unsupported(f"value type {type(value).__name__} is not supported")


def compile_condition(node: Any) -> str:
    from sigma import conditions as sc

    if isinstance(node, sc.ConditionAND):
        return "(" + " AND ".join(compile_condition(a) for a in node.args) + ")"
    if isinstance(node, sc.ConditionOR):
        return "(" + " OR ".join(compile_condition(a) for a in node.args) + ")"
    if isinstance(node, sc.ConditionNOT):
        return "(NOT coalesce(" + compile_condition(node.args[0]) + ", false))"
    if isinstance(node, sc.ConditionFieldEqualsValueExpression):
        return _compile_value(_field_expr(node.field), node.value)
    if isinstance(node, sc.ConditionValueExpression):
        raise Unsupported("keyword (full-text) search is not supported")
    raise Unsupported(f"condition element {type(node).__name__} is not supported")


def compile_rule(rule: Any, file: str) -> CompiledSigma:
    logsource = rule.logsource
    if (logsource.product or "").lower() != "aws" or (logsource.service or "").lower() != (
        "cloudtrail"
    ):
        raise OtherLogsource("logsource is not product: aws, service: cloudtrail")
    parts = [compile_condition(c.parse()) for c in rule.detection.parsed_condition]
    where = " OR ".join(f"coalesce({p}, false)" for p in parts)
    technique = ""
    for tag in rule.tags or []:
        if tag.namespace == "attack" and re.match(r"^t\d{4}(\.\d{3})?$", tag.name):
            technique = tag.name.upper()
            break
    level = getattr(rule.level, "name", None) or str(rule.level or "medium")
    return CompiledSigma(
        rule_id=f"SIGMA-{rule.id or rule.title}",
        title=str(rule.title),
        severity=LEVELS.get(level.lower(), Severity.MEDIUM),
        technique=technique,
        where=where,
        file=file,
    )


def _files(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix in (".yml", ".yaml")))
        else:
            out.append(p)
    return out


# What pySigma raises on malformed input besides its own errors (wrong types reach code that
# assumes a mapping or a string); each becomes a skip with the reason, never an aborted hunt.
_MALFORMED = (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError)


def _read_rule_text(file: Path) -> str:
    """The text of a Sigma file: a regular file, under the cap, UTF-8, YAML mappings only."""
    import yaml

    data = safeio.read_bytes(file, safeio.cap("sigma"), what="Sigma file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ValueError(f"not YAML: {first}{where}") from None
    documents = [d for d in documents if d is not None]
    if not documents:
        raise ValueError("no Sigma rule in the file")
    for document in documents:
        if not isinstance(document, dict):
            raise ValueError(f"a YAML document is a {type(document).__name__}, not a mapping")
    return text


def load_rules(paths: list[str]) -> tuple[list[CompiledSigma], list[SigmaSkip]]:
    """Compile every Sigma rule under ``paths``; rules that cannot run are returned as skips.

    A malformed file (not YAML, not a mapping, binary, too large, not a regular file) or rule
    (no detection, an unknown modifier, a bad condition) is skipped with its reason; the
    others still run.
    """
    from sigma.collection import SigmaCollection
    from sigma.exceptions import SigmaError

    compiled: list[CompiledSigma] = []
    skipped: list[SigmaSkip] = []
    for file in _files(paths):
        try:
            text = _read_rule_text(file)
            collection = SigmaCollection.from_yaml(text, collect_errors=True)
        except InputError as exc:
            skipped.append(SigmaSkip(str(file), "", exc.message))
            continue
        except (SigmaError, *_MALFORMED) as exc:
            skipped.append(SigmaSkip(str(file), "", f"cannot parse: {exc}"))
            continue
        for item in collection.rules:
            title = str(getattr(item, "title", "") or "")
            errors = getattr(item, "errors", None)
            if errors:
                skipped.append(SigmaSkip(str(file), title, f"invalid rule: {errors[0]}"))
                continue
            if type(item).__name__ != "SigmaRule":
                skipped.append(
                    SigmaSkip(str(file), title, f"{type(item).__name__} is not supported")
                )
                continue
            try:
                compiled.append(compile_rule(item, str(file)))
            except OtherLogsource as exc:
                skipped.append(SigmaSkip(str(file), title, str(exc), incomplete=False))
            except Unsupported as exc:
                skipped.append(SigmaSkip(str(file), title, str(exc)))
            except (SigmaError, *_MALFORMED) as exc:
                skipped.append(SigmaSkip(str(file), title, f"invalid rule: {exc}"))
    return compiled, skipped


def _cidr_sql(expr: str, network: str) -> str:
    """IPv4 CIDR membership in plain SQL (the address as a 32-bit integer in a range)."""
    net = ipaddress.ip_network(network, strict=False)
    if net.version != 4:
        raise Unsupported(f"IPv6 CIDR {network} is not supported")
    low, high = int(net.network_address), int(net.broadcast_address)
    octets = " + ".join(
        f"TRY_CAST(split_part({expr}, '.', {i + 1}) AS BIGINT) * {256 ** (3 - i)}" for i in range(4)
    )
    return (
        f"(CASE WHEN regexp_matches(coalesce({expr}, ''), '^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$') "
        f"THEN ({octets}) BETWEEN {low} AND {high} ELSE false END)"
    )


def run(store: EventStore, rule: CompiledSigma) -> list[Detection]:
    sql = (
        "SELECT event_time, principal, source_ip, user_agent, function, [event_id] AS event_ids, "
        f"event_name AS message, account, region, event_name FROM events WHERE {rule.where}"
    )
    return [
        row_to_detection(rule.rule_id, rule.title, rule.technique, row, rule.severity)
        for row in store.query(sql)
    ]
