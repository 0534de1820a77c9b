"""What every built-in detection shares: the rule type, the output columns, SQL fragments,
and what the data says about the past (the hunt window, the deployer baseline).

Each detection is one SQL query over the normalized ``events`` relation (see
:mod:`fortress.detection.sql`), written once and rendered for DuckDB (local hunting) or Trino
(Amazon Athena). Every query yields the same columns (:data:`OUT_COLUMNS`).

History: the ``events`` relation may hold a look-back before the hunt window
(``HuntSettings.window_start``, from ``--baseline-days``). Detections read all of it as
history and report only events inside the window (:func:`in_window`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fortress.detection.sql import Dialect, HuntSettings, lit, lit_list
from fortress.findings import Severity

LAMBDA = "event_source = 'lambda.amazonaws.com'"
OK = "error_code IS NULL"
HUMAN_NOT_CI = "(is_human AND NOT is_ci AND NOT is_service)"
ACCOUNT_RE = "([0-9]{12})"
NO_HISTORY = "no history of this principal in the data"

SqlBuilder = Callable[[Dialect, HuntSettings], str]


@dataclass(frozen=True)
class DetectionRule:
    id: str
    title: str
    severity: Severity  # the highest severity a hit of this rule can carry
    techniques: tuple[str, ...]
    rationale: str
    false_positives: tuple[str, ...]
    build: SqlBuilder
    stratus: tuple[str, ...] = ()
    tactic: str = ""
    extra_refs: dict[str, list[str]] = field(default_factory=dict)

    @property
    def technique(self) -> str:
        return self.techniques[0] if self.techniques else ""

    def sql(self, dialect: Dialect, settings: HuntSettings) -> str:
        return self.build(dialect, settings)

    def metadata(self) -> dict[str, Any]:
        refs: dict[str, list[str]] = {
            "mitre-attack": list(self.techniques),
            "stratus-red-team": list(self.stratus),
        }
        refs.update(self.extra_refs)
        return {
            "kind": "detection",
            "id": self.id,
            "title": self.title,
            "severity": self.severity.label,
            "technique": self.technique,
            "techniques": list(self.techniques),
            "tactic": self.tactic,
            "rationale": self.rationale,
            "false_positives": list(self.false_positives),
            "references": refs,
        }


OUT_COLUMNS = (
    "severity",
    "event_time",
    "principal",
    "source_ip",
    "user_agent",
    "function",
    "event_ids",
    "message",
    "account",
    "region",
    "event_name",
)


def in_window(s: HuntSettings, column: str = "event_time") -> str:
    """True for events inside the hunt window (always, without a baseline look-back)."""
    if s.window_start is None:
        return "true"
    return f"{column} >= TIMESTAMP {lit(s.window_start.strftime('%Y-%m-%d %H:%M:%S'))}"


def select_hits(
    d: Dialect, s: HuntSettings, source: str, where: str, severity: str, message: str
) -> str:
    """One detection per row of ``source`` matching ``where`` in the hunt window;
    ``severity`` may be NULL to drop the row."""
    inner = (
        f"SELECT {severity} AS severity, event_time, principal, source_ip, user_agent, function, "
        f"{d.array1('event_id')} AS event_ids, {message} AS message, account, region, event_name "
        f"FROM {source} WHERE ({where}) AND {in_window(s)}"
    )
    return f"SELECT * FROM ({inner}) hits WHERE severity IS NOT NULL"


def per_event(
    d: Dialect, s: HuntSettings, where: str, severity: str, message: str, ctes: str = ""
) -> str:
    """One detection per matching event of ``events``; ``ctes`` (without ``WITH``) are
    definitions ``where`` or ``severity`` may read."""
    head = f"WITH {ctes} " if ctes else ""
    return head + select_hits(d, s, "events", where, severity, message)


def s_(text: str) -> str:
    """coalesce(text, '') for message building."""
    return f"coalesce({text}, '')"


def trusted(settings: HuntSettings) -> str:
    return lit_list(sorted(settings.trusted_accounts))


def pair(d: Dialect, first: str = "event_id", second: str = "follow_id") -> str:
    """Two event ids, or the first alone when the second is NULL."""
    return f"CASE WHEN {second} IS NULL THEN {d.array1(first)} ELSE {d.array(first, second)} END"


# --------------------------------------------------------------------------- deployers


def fnmatch_regex(pattern: str) -> str:
    """An fnmatch pattern (``*``, ``?``, ``[seq]``, ``[!seq]``; case-sensitive) as an
    anchored regular expression both RE2 (DuckDB) and Java (Trino) read alike."""
    import re

    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        i += 1
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            end = pattern.find("]", i + 1 if pattern[i : i + 1] in ("!", "]") else i)
            if end < 0:
                out.append(re.escape(c))
                continue
            body = pattern[i:end]
            i = end + 1
            negate = body.startswith("!")
            if negate:
                body = body[1:]
            chars = "".join("\\" + ch if ch in "\\^[]" else ch for ch in body)
            out.append(f"[{'^' if negate else ''}{chars}]")
        else:
            out.append(re.escape(c))
    return "^" + "".join(out) + "$"


def deployer_sql(d: Dialect, s: HuntSettings) -> str:
    """The caller is a configured deployer (``deployers:``): its ARN, its role's ARN or its
    key matches one of the patterns."""
    if not s.deployers:
        return "false"
    alternation = "|".join(f"({fnmatch_regex(p)})" for p in s.deployers)
    columns = ("principal", "issuer_arn", "principal_key")
    tests = [d.regex(f"coalesce({c}, '')", alternation) for c in columns]
    return "(" + " OR ".join(tests) + ")"


# Lambda API calls that change a function (the deployer baseline counts them).
CHANGE_ACTIONS: tuple[str, ...] = (
    "CreateFunction",
    "UpdateFunctionCode",
    "UpdateFunctionConfiguration",
    "PublishVersion",
    "CreateAlias",
    "UpdateAlias",
    "DeleteAlias",
    "AddPermission",
    "RemovePermission",
    "PutFunctionConcurrency",
    "DeleteFunctionConcurrency",
    "CreateFunctionUrlConfig",
    "UpdateFunctionUrlConfig",
    "DeleteFunctionUrlConfig",
    "CreateEventSourceMapping",
    "UpdateEventSourceMapping",
    "DeleteEventSourceMapping",
    "PutFunctionEventInvokeConfig",
    "UpdateFunctionEventInvokeConfig",
    "PutProvisionedConcurrencyConfig",
    "PutFunctionCodeSigningConfig",
    "DeleteFunctionCodeSigningConfig",
    "TagResource",
    "UntagResource",
    "DeleteFunction",
)
CODE_ACTIONS = ("CreateFunction", "UpdateFunctionCode")
PRIOR = "ORDER BY event_time, event_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"


def not_dry_run(d: Dialect) -> str:
    """``UpdateFunctionCode`` with ``dryRun: true`` checks a package and changes nothing."""
    return f"coalesce(lower({d.j('rp', '$.dryRun')}), 'false') <> 'true'"


def history_cte(d: Dialect, s: HuntSettings, name: str = "hist") -> str:
    """A CTE of the successful changes of functions, each with what happened before it in
    the data (the look-back included):

    - ``own_code_prior``: code deployments (create, update code) of this function by the
      same principal;
    - ``own_prior``: changes of this function by the same principal (deletions excepted);
    - ``any_prior``: changes of this function by anyone;
    - ``principal_prior``: changes of any function by the same principal;
    - ``known_deployer``: the principal is a configured deployer.

    ``principal_key`` is the role for assumed-role sessions, so CI sessions count as one.
    """
    code = f"CASE WHEN action IN {lit_list(CODE_ACTIONS)} THEN 1 ELSE 0 END"
    kept = "CASE WHEN action <> 'DeleteFunction' THEN 1 ELSE 0 END"
    columns = (
        f"coalesce(sum({code}) OVER (PARTITION BY function, principal_key {PRIOR}), 0) "
        "AS own_code_prior, "
        f"coalesce(sum({kept}) OVER (PARTITION BY function, principal_key {PRIOR}), 0) "
        "AS own_prior, "
        f"count(*) OVER (PARTITION BY function {PRIOR}) AS any_prior, "
        f"count(*) OVER (PARTITION BY principal_key {PRIOR}) AS principal_prior, "
        f"{deployer_sql(d, s)} AS known_deployer"
    )
    where = (
        f"{LAMBDA} AND {OK} AND function IS NOT NULL "
        f"AND action IN {lit_list(CHANGE_ACTIONS)} AND {not_dry_run(d)}"
    )
    return windowed(d, name, columns, where)


def windowed(
    d: Dialect, name: str, columns: str, where: str, keep: str = "", source: str = "events"
) -> str:
    """CTE ``name``: the rows of ``source`` matching ``where``, each with the extra
    ``columns`` (window functions, ``expr AS alias, ...``); with ``keep`` (a condition on
    those columns only), just the rows where it holds.

    DuckDB's window operator held its whole input in memory (measured: under a 64MB limit a
    window over ~60 MB of wide rows ran out of memory): over the rows of ``events`` (request
    and response JSON) a window over a trail's Lambda changes or reads was most of a large
    hunt's memory. Where the engine has a row id, the windows run over the row id and the few
    columns they read, and the matching rows are joined back by it (a hash join, which
    spills), so the window holds narrow rows only.
    """
    filtered = f" WHERE {keep}" if keep else ""
    if d.row_id is None:
        inner = f"SELECT *, {columns} FROM {source} WHERE {where}"
        return f"{name} AS ({f'SELECT * FROM ({inner}) w{filtered}' if keep else inner})"
    rid = d.row_id
    return (
        f"{name}_w AS (SELECT {rid} AS _rid, {columns} FROM {source} WHERE {where}), "
        f"{name} AS (SELECT e.* EXCLUDE (_rid), w.* EXCLUDE (_rid) FROM "
        f"(SELECT {rid} AS _rid, * FROM {source} WHERE {where}) e "
        f"JOIN (SELECT * FROM {name}_w{filtered}) w ON e._rid = w._rid)"
    )


# Over a row of :func:`history_cte`: nothing in the data says who usually changes it.
NO_HISTORY_SQL = "(any_prior = 0 AND principal_prior = 0)"


def history_note(prefix: str = " (") -> str:
    """A message suffix naming the missing history, over a :func:`history_cte` row."""
    return f"CASE WHEN {NO_HISTORY_SQL} THEN {lit(prefix + NO_HISTORY + ')')} ELSE '' END"
