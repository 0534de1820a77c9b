"""FTR-EPH-001..003 run through the engine."""

from __future__ import annotations

from fortress.findings import Finding, Status
from fortress.inventory import Function, Inventory, Origin, Unknown
from fortress.rules import engine

ORIGIN = Origin(source="aws", account="123456789012", region="us-east-1")
EFS = "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0"


def run(rule_id: str, function: Function) -> list[Finding]:
    import fortress.rules.ephemerality  # noqa: F401

    return engine.evaluate(Inventory(functions=[function]), [engine._REGISTRY[rule_id]])


def fn(**kw: object) -> Function:
    return Function(
        name="worker",
        arn="arn:aws:lambda:us-east-1:123456789012:function:worker",
        origin=ORIGIN,
        **kw,
    )  # type: ignore[arg-type]


def status(rule_id: str, function: Function) -> tuple[Status, str]:
    (finding,) = run(rule_id, function)
    return finding.status, finding.message


def test_eph001_efs() -> None:
    assert status("FTR-EPH-001", fn(file_systems=[EFS])) == (
        Status.FAIL,
        f"mounts 1 EFS file system: {EFS}",
    )
    assert status("FTR-EPH-001", fn())[0] is Status.PASS
    st, msg = status("FTR-EPH-001", fn(file_systems=[Unknown("GetAtt")]))
    assert st is Status.FAIL and "an unresolved file system" in msg


def test_eph002_ephemeral_storage() -> None:
    assert status("FTR-EPH-002", fn(ephemeral_storage_mb=10240)) == (
        Status.FAIL,
        "ephemeral storage is 10240 MB (default 512 MB)",
    )
    assert status("FTR-EPH-002", fn(ephemeral_storage_mb=512))[0] is Status.PASS
    assert (
        status("FTR-EPH-002", fn(ephemeral_storage_mb=Unknown("parameter Size")))[0]
        is Status.UNKNOWN
    )


def test_eph003_timeout() -> None:
    assert status("FTR-EPH-003", fn(timeout=900)) == (
        Status.FAIL,
        "timeout is 900 s, the 900-second maximum",
    )
    assert status("FTR-EPH-003", fn(timeout=899))[0] is Status.PASS
    assert status("FTR-EPH-003", fn(timeout=Unknown("parameter Timeout")))[0] is Status.UNKNOWN
