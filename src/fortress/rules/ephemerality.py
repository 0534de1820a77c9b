"""Practice: ephemerality (functions keep no state that outlives an invocation)."""

from __future__ import annotations

from fortress.findings import Practice, Severity
from fortress.inventory import Function, Unknown
from fortress.rules.engine import Context, Verdict, rule

DEFAULT_EPHEMERAL_MB = 512
MAX_TIMEOUT_S = 900


@rule(
    id="FTR-EPH-001",
    title="Function mounts an EFS file system",
    target="function",
    practice=Practice.EPHEMERALITY,
    severity=Severity.LOW,
    rationale="""
        A mounted EFS file system is state shared by every execution environment and every
        function that mounts it, and it survives redeployments. Anything an attacker writes
        there (a modified library, a planted script, a tampered model) persists and can reach
        other functions; data read from it must be treated as untrusted.
    """,
    remediation="""
        Keep functions stateless where possible (S3 or DynamoDB for data, layers or the package
        for code). If EFS is needed, mount it through an access point with a dedicated POSIX
        user and root directory, mount it read-only where writes are not needed, and never load
        code from it.
    """,
    snippets={
        "cli": "aws lambda update-function-configuration --function-name <fn> --file-system-configs '[]'",
    },
    controls={"nist-800-53-r5": ["SC-4", "SI-7"]},
)
def efs_mount(fn: Function, ctx: Context) -> Verdict:
    if not fn.file_systems:
        return Verdict.passed("no file system is mounted")
    shown = [fs if isinstance(fs, str) else "an unresolved file system" for fs in fn.file_systems]
    return Verdict.fail(
        f"mounts {len(shown)} EFS file system{'s' if len(shown) > 1 else ''}: {', '.join(shown)}",
        file_systems=[fs for fs in fn.file_systems if isinstance(fs, str)],
    )


@rule(
    id="FTR-EPH-002",
    title="Function ephemeral storage is larger than the 512 MB default",
    target="function",
    practice=Practice.EPHEMERALITY,
    severity=Severity.LOW,
    rationale="""
        /tmp persists across invocations that reuse an execution environment. A large /tmp
        invites caching data between invocations (other users' data, credentials, downloaded
        code) and gives an attacker who controls one invocation more room to stage tools and
        data for later ones.
    """,
    remediation="""
        Keep ephemeral storage at the 512 MB default unless the workload needs more; clean /tmp
        at the end of each invocation, and never keep secrets or other tenants' data there.
    """,
    snippets={
        "cli": "aws lambda update-function-configuration --function-name <fn> --ephemeral-storage Size=512",
        "cloudformation": "EphemeralStorage:\n  Size: 512",
        "terraform": "ephemeral_storage {\n  size = 512\n}",
    },
    controls={"nist-800-53-r5": ["SC-4"]},
)
def large_ephemeral_storage(fn: Function, ctx: Context) -> Verdict:
    size: object = fn.ephemeral_storage_mb
    if isinstance(size, Unknown):
        return Verdict.unknown(f"ephemeral storage size is not resolvable ({size.reason})")
    if not isinstance(size, int):
        return Verdict.unknown(f"ephemeral storage size {size!r} is not a number")
    if size > DEFAULT_EPHEMERAL_MB:
        return Verdict.fail(
            f"ephemeral storage is {size} MB (default {DEFAULT_EPHEMERAL_MB} MB)",
            ephemeral_storage_mb=size,
        )
    return Verdict.passed(f"ephemeral storage is {size} MB", ephemeral_storage_mb=size)


@rule(
    id="FTR-EPH-003",
    title="Function timeout is set to the 900-second maximum",
    target="function",
    practice=Practice.EPHEMERALITY,
    severity=Severity.LOW,
    rationale="""
        Short-lived invocations limit what an attacker can do with one: a 15-minute timeout lets
        injected code run long downloads, scans or crypto-mining and keeps stolen session
        credentials in use longer. The maximum is rarely what a function needs; it is usually
        set to avoid thinking about the real duration.
    """,
    remediation="""
        Set the timeout a little above the function's observed maximum duration (see the
        Duration metric in CloudWatch). Move long work to Step Functions or a queue with
        smaller, resumable steps.
    """,
    snippets={
        "cli": "aws lambda update-function-configuration --function-name <fn> --timeout 30",
        "cloudformation": "Timeout: 30",
        "terraform": "timeout = 30",
    },
    controls={"nist-800-53-r5": ["SC-10"]},
)
def maximum_timeout(fn: Function, ctx: Context) -> Verdict:
    timeout: object = fn.timeout
    if isinstance(timeout, Unknown):
        return Verdict.unknown(f"timeout is not resolvable ({timeout.reason})")
    if not isinstance(timeout, int):
        return Verdict.unknown(f"timeout {timeout!r} is not a number")
    if timeout >= MAX_TIMEOUT_S:
        return Verdict.fail(
            f"timeout is {timeout} s, the {MAX_TIMEOUT_S}-second maximum", timeout=timeout
        )
    return Verdict.passed(f"timeout is {timeout} s", timeout=timeout)


__all__ = ["efs_mount", "large_ephemeral_storage", "maximum_timeout"]
