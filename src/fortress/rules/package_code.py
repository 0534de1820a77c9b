"""Package rules on the function's own code: risky calls found by the code analyser.

The facts are :class:`~fortress.inventory.CodeRisk` entries on ``Function.package``; a risk is
``from_event`` when data derived from the handler's event parameter reaches the sink.
"""

from __future__ import annotations

from typing import Any

from fortress.findings import Practice, Severity
from fortress.inventory import (
    RISK_CACHED_CREDENTIALS,
    RISK_COMMAND,
    RISK_DESERIALIZATION,
    RISK_EVAL,
    RISK_TMP_SECRET,
    CodeRisk,
    Function,
)
from fortress.rules.engine import Context, Verdict, rule
from fortress.rules.package_facts import unread

_INJECTION = (RISK_COMMAND, RISK_EVAL, RISK_DESERIALIZATION)
_STATE = (RISK_TMP_SECRET, RISK_CACHED_CREDENTIALS)
_SHOWN = 5  # risks named in a message; the evidence lists them all


def _where(risk: CodeRisk) -> str:
    place = f"{risk.file}:{risk.line}"
    return f"{place} (layer {risk.layer})" if risk.layer else place


def _item(risk: CodeRisk) -> dict[str, Any]:
    return {
        "kind": risk.kind,
        "file": risk.file,
        "line": risk.line,
        "sink": risk.sink,
        "from_event": risk.from_event,
        "detail": risk.detail,
        "layer": risk.layer,
    }


def _listing(risks: list[CodeRisk]) -> str:
    shown = ", ".join(f"{r.sink} at {_where(r)} ({r.kind})" for r in risks[:_SHOWN])
    more = len(risks) - _SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


@rule(
    id="FTR-CODE-005",
    title="Event data reaches command execution, code evaluation or unsafe deserialization",
    target="function",
    practice=Practice.CODE_INTEGRITY,
    severity=Severity.HIGH,
    rationale="""
        The event is attacker-controlled input: an API request body, a queue message, an S3
        object key. When handler code passes it to a shell (os.system, subprocess with
        shell=True, child_process.exec), to an evaluator (eval, exec, new Function, vm) or to a
        deserializer that builds arbitrary objects (pickle, yaml.load, node-serialize), the
        sender runs code with the function's execution role and can read its environment
        variables and temporary credentials.
    """,
    remediation="""
        Do not pass event data to a shell or an evaluator: call the program with an argument
        list (subprocess.run([...]) or child_process.execFile without shell), map the input to
        an allow-list of operations, parse data with json or yaml.safe_load. Validate the event
        against a schema before use.
    """,
    references={
        "inspector": ["Lambda code scanning (CWE-78, CWE-94, CWE-502)"],
        "bandit": ["B602", "B605", "B307", "B102", "B301", "B506"],
        "semgrep": [
            "python.aws-lambda.security.dangerous-subprocess-use",
            "python.aws-lambda.security.dangerous-system-call",
            "javascript.aws-lambda.security.detect-child-process",
        ],
    },
    controls={
        "nist-800-53-r5": ["SI-10", "SI-7"],
        "pci-dss-4.0": ["6.2.4"],
    },
)
def event_reaches_sink(fn: Function, ctx: Context) -> Verdict:
    verdict = unread(fn.package, "code")
    if verdict is not None:
        return verdict
    assert fn.package is not None
    risks = [r for r in fn.package.code_risks if r.kind in _INJECTION]
    tainted = [r for r in risks if r.from_event]
    others = [r for r in risks if not r.from_event]
    if tainted:
        message = f"event data reaches {_listing(tainted)}"
        if others:
            message += f"; {len(others)} more such call(s) with arguments not traced to the event"
        return Verdict.fail(message, risks=[_item(r) for r in risks])
    if others:
        return Verdict.passed(
            f"no event data traced to a sink; lower confidence: {_listing(others)} "
            "take a non-constant argument of untraced origin",
            risks=[_item(r) for r in others],
        )
    return Verdict.passed(
        "no command execution, evaluation or unsafe deserialization of event data"
    )


@rule(
    id="FTR-EPH-004",
    title="Secrets written under /tmp or credentials cached in module state",
    target="function",
    practice=Practice.EPHEMERALITY,
    severity=Severity.MEDIUM,
    rationale="""
        An execution environment is reused across invocations: files under /tmp and module-level
        variables outlive the request that created them. A secret written to /tmp stays on disk
        for whatever code runs next in that environment (a later malicious event, a compromised
        dependency), and a credential fetched once at import time is never refreshed when it is
        rotated, so rotation breaks the function or is postponed.
    """,
    remediation="""
        Keep secrets in memory only, scoped to the invocation, and never write them to /tmp. Read
        secrets through the AWS Parameters and Secrets Lambda Extension or a cache with a short
        TTL (for example aws-secretsmanager-caching) instead of a module-level value fetched once;
        use the execution role's credentials rather than copying AWS keys into variables.
    """,
    references={
        "inspector": ["Lambda code scanning (CWE-312, CWE-377)"],
        "bandit": ["B108"],
    },
    controls={
        "nist-800-53-r5": ["SC-28", "SC-4", "IA-5(7)"],
        "pci-dss-4.0": ["8.3.2"],
    },
)
def secrets_in_state(fn: Function, ctx: Context) -> Verdict:
    verdict = unread(fn.package, "code")
    if verdict is not None:
        return verdict
    assert fn.package is not None
    risks = [r for r in fn.package.code_risks if r.kind in _STATE]
    if risks:
        return Verdict.fail(
            f"secrets kept beyond the invocation: {_listing(risks)}",
            risks=[_item(r) for r in risks],
        )
    return Verdict.passed("no secret written under /tmp and no credential cached at module level")
