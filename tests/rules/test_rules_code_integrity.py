"""FTR-CODE-001..004 on Inventory objects, through the engine."""

from __future__ import annotations

from typing import Any

from fortress.config import ScanConfig
from fortress.findings import Finding, Status
from fortress.inventory import (
    PART_CODE_SIGNING,
    PUBLIC_ACCESS_SETTINGS,
    TEMPLATE_ACCOUNT,
    Bucket,
    CodeSigning,
    EnvVar,
    Function,
    Inventory,
    KmsKey,
    LayerRef,
    LayerVersion,
    Origin,
    Unknown,
)
from fortress.rules import code_integrity as ci
from fortress.rules import engine
from fortress.rules.engine import evaluate

ACCOUNT = "123456789012"
ORIGIN = Origin(source="aws", account=ACCOUNT, region="us-east-1")
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1111-2222"


def _run(rule_id: str, inv: Inventory, config: ScanConfig | None = None) -> list[Finding]:
    assert ci  # registers the rules
    return evaluate(inv, [engine._REGISTRY[rule_id]], config)


def _one(rule_id: str, inv: Inventory, config: ScanConfig | None = None) -> Finding:
    findings = _run(rule_id, inv, config)
    assert len(findings) == 1, findings
    return findings[0]


def _fn(name: str = "fn", origin: Origin = ORIGIN, **kw: Any) -> Function:
    arn = f"arn:aws:lambda:us-east-1:{origin.account}:function:{name}"
    return Function(name=name, arn=arn, origin=origin, **kw)


def _inv(*functions: Function, **kw: Any) -> Inventory:
    return Inventory(functions=list(functions), **kw)


# ---------------------------------------------------------------- 001


def test_001_code_signing() -> None:
    f = _one("FTR-CODE-001", _inv(_fn("nosig")))
    assert f.status is Status.FAIL and "nosig" in f.message
    warn = CodeSigning(
        arn="arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-1",
        untrusted_artifact_on_deployment="Warn",
    )
    f = _one("FTR-CODE-001", _inv(_fn(code_signing=warn)))
    assert f.status is Status.FAIL and "csc-1" in f.message and "Warn" in f.message
    enforce = CodeSigning(arn="arn:csc", untrusted_artifact_on_deployment="Enforce")
    assert _one("FTR-CODE-001", _inv(_fn(code_signing=enforce))).status is Status.PASS


def test_001_not_applicable_and_unknown() -> None:
    assert _run("FTR-CODE-001", _inv(_fn(package_type="Image"))) == []
    f = _one("FTR-CODE-001", _inv(_fn(uncollected={PART_CODE_SIGNING})))
    assert f.status is Status.UNKNOWN
    f = _one("FTR-CODE-001", _inv(_fn(code_signing=Unknown("CodeSigningConfigArn is a parameter"))))
    assert f.status is Status.UNKNOWN and "parameter" in f.message
    mode = CodeSigning(arn="arn:csc", untrusted_artifact_on_deployment=Unknown("param"))
    assert _one("FTR-CODE-001", _inv(_fn(code_signing=mode))).status is Status.UNKNOWN


# ---------------------------------------------------------------- 002

ENV = [EnvVar("DB_HOST", "db.internal"), EnvVar("STAGE", "prod")]


def test_002_env_encryption() -> None:
    assert _run("FTR-CODE-002", _inv(_fn())) == []  # no variables
    f = _one("FTR-CODE-002", _inv(_fn(environment=ENV)))
    assert f.status is Status.FAIL and "DB_HOST" in f.message
    assert "db.internal" not in f.message  # values never appear
    cmk = _one(
        "FTR-CODE-002",
        _inv(
            _fn(environment=ENV, kms_key_arn=KEY_ARN),
            kms_keys=[KmsKey(KEY_ARN, "1111-2222", ORIGIN)],
        ),
    )
    assert cmk.status is Status.PASS
    aws_key = KmsKey(KEY_ARN, "1111-2222", ORIGIN, manager="AWS", aliases=["alias/aws/lambda"])
    f = _one("FTR-CODE-002", _inv(_fn(environment=ENV, kms_key_arn=KEY_ARN), kms_keys=[aws_key]))
    assert f.status is Status.FAIL and KEY_ARN in f.message
    f = _one("FTR-CODE-002", _inv(_fn(environment=ENV, kms_key_arn=Unknown("!Ref KeyParam"))))
    assert f.status is Status.UNKNOWN


# ---------------------------------------------------------------- 003

FOREIGN_LAYER = "arn:aws:lambda:us-east-1:999988887777:layer:shady:3"


def test_003_layers() -> None:
    own = f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:mine:1"
    assert _one("FTR-CODE-003", _inv(_fn(layers=[LayerRef(own)]))).status is Status.PASS
    inv = _inv(_fn(layers=[LayerRef(own), LayerRef(FOREIGN_LAYER)]))
    f = _one("FTR-CODE-003", inv)
    assert f.status is Status.FAIL and FOREIGN_LAYER in f.message and own not in f.message
    trusted = ScanConfig(trusted_accounts={"999988887777"})
    assert _one("FTR-CODE-003", inv, trusted).status is Status.PASS
    assert _run("FTR-CODE-003", _inv(_fn())) == []
    unknown = _inv(_fn(layers=[LayerRef(Unknown("layer from module output"))]))
    assert _one("FTR-CODE-003", unknown).status is Status.UNKNOWN


def test_003_wrong_typed_layer_arn_is_unknown_not_a_crash() -> None:
    """Found by the fuzz suite: ``Layers: [5]`` in a template reached the rule as an int and
    raised AttributeError (internal error)."""
    f = _one("FTR-CODE-003", _inv(_fn(layers=[LayerRef(5)])))  # type: ignore[arg-type]
    assert f.status is Status.UNKNOWN and "layer ARN is not text: 5" in f.message


def test_003_template_account_is_self() -> None:
    tpl = Origin(source="cloudformation", account=TEMPLATE_ACCOUNT, file="t.yaml", line=3)
    layer = LayerRef(f"arn:aws:lambda:us-east-1:{TEMPLATE_ACCOUNT}:layer:mine:1")
    assert _one("FTR-CODE-003", _inv(_fn(origin=tpl, layers=[layer]))).status is Status.PASS
    f = _one("FTR-CODE-003", _inv(_fn(origin=tpl, layers=[LayerRef(FOREIGN_LAYER)])))
    assert f.status is Status.FAIL


# ---------------------------------------------------------------- 004


def _layer(policy: Any) -> Inventory:
    return Inventory(
        layers=[
            LayerVersion(
                arn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:mine:2",
                name="mine",
                version=2,
                origin=ORIGIN,
                policy=policy,
            )
        ]
    )


def _layer_policy(principal: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    stmt: dict[str, Any] = {
        "Sid": "share",
        "Effect": "Allow",
        "Principal": principal,
        "Action": "lambda:GetLayerVersion",
        "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:mine:2",
    }
    if condition:
        stmt["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [stmt]}


def test_004_layer_sharing() -> None:
    f = _one("FTR-CODE-004", _layer(_layer_policy("*")))
    assert f.status is Status.FAIL and "publicly" in f.message and "mine:2" in f.message
    org = _layer_policy("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}})
    assert _one("FTR-CODE-004", _layer(org)).status is Status.PASS
    f = _one("FTR-CODE-004", _layer(_layer_policy({"AWS": "arn:aws:iam::999988887777:root"})))
    assert f.status is Status.FAIL and "999988887777" in f.message
    assert _one("FTR-CODE-004", _layer(None)).status is Status.PASS
    assert _one("FTR-CODE-004", _layer(Unknown("policy param"))).status is Status.UNKNOWN


def test_002_aws_managed_alias_without_key_record() -> None:
    alias = "arn:aws:kms:us-east-1:123456789012:alias/aws/lambda"
    f = _one("FTR-CODE-002", _inv(_fn(environment=ENV, kms_key_arn=alias)))
    assert f.status is Status.FAIL and "alias/aws/lambda" in f.message


# ---------------------------------------------------------------- 006


def test_006_package_key() -> None:
    f = _one("FTR-CODE-006", _inv(_fn("plain")))
    assert f.status is Status.FAIL and "AWS owned key" in f.message
    f = _one("FTR-CODE-006", _inv(_fn("cmk", source_kms_key_arn=KEY_ARN)))
    assert f.status is Status.PASS and KEY_ARN in f.message
    managed = KmsKey(arn=KEY_ARN, key_id="1111-2222", origin=ORIGIN, manager="AWS")
    f = _one("FTR-CODE-006", _inv(_fn("m", source_kms_key_arn=KEY_ARN), kms_keys=[managed]))
    assert f.status is Status.FAIL and "AWS managed key" in f.message
    f = _one("FTR-CODE-006", _inv(_fn("a", source_kms_key_arn="alias/aws/lambda")))
    assert f.status is Status.FAIL


def test_006_unknown_and_images() -> None:
    f = _one("FTR-CODE-006", _inv(_fn("u", source_kms_key_arn=Unknown("parameter KeyArn"))))
    assert f.status is Status.UNKNOWN and "parameter KeyArn" in f.message
    wrong: Any = 7
    f = _one("FTR-CODE-006", _inv(_fn("w", source_kms_key_arn=wrong)))
    assert f.status is Status.UNKNOWN
    assert _run("FTR-CODE-006", _inv(_fn("img", package_type="Image", runtime=None))) == []


# ---------------------------------------------------------------- 007


def _bucket_case(**kw: Any) -> Finding:
    tpl = Origin(source="cloudformation", file="t.yaml", line=3, account=TEMPLATE_ACCOUNT)
    bucket = Bucket(name="art", origin=tpl, **kw)
    return _one("FTR-CODE-007", _inv(_fn("f", package_bucket="art"), buckets=[bucket]))


LOCKED = {k: True for k in PUBLIC_ACCESS_SETTINGS}


def test_007_bucket_settings() -> None:
    f = _bucket_case(encryption="aws:kms", versioning="Enabled", public_access_block=LOCKED)
    assert f.status is Status.PASS and f.evidence["bucket_location"] == "t.yaml:3"
    partial = {**LOCKED, "RestrictPublicBuckets": False}
    f = _bucket_case(encryption="AES256", versioning="Enabled", public_access_block=partial)
    assert f.status is Status.FAIL and "RestrictPublicBuckets off" in f.message
    f = _bucket_case(encryption="AES256", versioning=None, public_access_block=LOCKED)
    assert f.status is Status.FAIL and f.evidence["weaknesses"] == ["versioning is not enabled"]


def test_007_unknowns_never_pass() -> None:
    f = _bucket_case(encryption="AES256", versioning=Unknown("param"), public_access_block=LOCKED)
    assert f.status is Status.UNKNOWN and "param" in f.message
    vague = {**LOCKED, "BlockPublicAcls": Unknown("param")}
    f = _bucket_case(encryption="AES256", versioning="Enabled", public_access_block=vague)
    assert f.status is Status.UNKNOWN
    f = _one("FTR-CODE-007", _inv(_fn("f", package_bucket=Unknown("Ref BucketParam"))))
    assert f.status is Status.UNKNOWN
    assert _run("FTR-CODE-007", _inv(_fn("live"))) == []
