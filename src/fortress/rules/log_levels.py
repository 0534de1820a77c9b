"""Practice: logging and monitoring — what the function's logging configuration lets through
(FTR-LOG-009)."""

from __future__ import annotations

from fortress.findings import Practice, Severity
from fortress.inventory import Function, Unknown
from fortress.rules.engine import Context, Verdict, rule

VERBOSE = ("TRACE", "DEBUG")


@rule(
    id="FTR-LOG-009",
    title="Application log level is DEBUG or TRACE",
    target="function",
    practice=Practice.LOGGING_MONITORING,
    severity=Severity.LOW,
    rationale="""With Lambda's advanced logging controls (JSON log format), the application log
        level decides which of the function's own log records reach CloudWatch Logs. DEBUG and
        TRACE records routinely carry request and response bodies, tokens, headers and the
        values of variables: every reader of the log group then sees that data, for as long as
        the group retains it. Verbose levels belong to a time-boxed investigation, not to the
        deployed configuration.""",
    remediation="""Set the function's LoggingConfig ApplicationLogLevel to INFO (or WARN, ERROR)
        and raise it only temporarily when investigating; keep secrets and personal data out of
        debug records anyway.""",
    snippets={
        "cli": (
            "aws lambda update-function-configuration --function-name FUNCTION "
            "--logging-config LogFormat=JSON,ApplicationLogLevel=INFO"
        ),
        "cloudformation": "LoggingConfig:\n  LogFormat: JSON\n  ApplicationLogLevel: INFO",
        "terraform": (
            'logging_config {\n  log_format            = "JSON"\n'
            '  application_log_level = "INFO"\n}'
        ),
    },
    controls={"nist-800-53-r5": ["AU-9", "SI-11", "SC-28"]},
)
def verbose_application_logs(fn: Function, ctx: Context) -> Verdict:
    level: object = fn.application_log_level
    if isinstance(level, Unknown):
        return Verdict.unknown(f"ApplicationLogLevel is not resolvable: {level.reason}")
    if level is None:
        return Verdict.passed(
            f"{fn.name} sets no application log level (INFO when its logs are JSON)"
        )
    if not isinstance(level, str):
        return Verdict.unknown(f"ApplicationLogLevel {level!r} is not a log level")
    if level.upper() in VERBOSE:
        return Verdict.fail(
            f"{fn.name} sends its application logs at level {level.upper()} to "
            f"{fn.effective_log_group if isinstance(fn.effective_log_group, str) else 'its log group'}",
            application_log_level=level.upper(),
            log_format=fn.log_format,
        )
    return Verdict.passed(
        f"{fn.name} sends application logs at level {level.upper()} and above",
        application_log_level=level.upper(),
    )
