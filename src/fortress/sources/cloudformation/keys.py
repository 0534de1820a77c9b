"""Secrets Manager secrets (and rotation), KMS keys and aliases."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fortress.inventory import (
    KmsKey,
    Secret,
)

if TYPE_CHECKING:
    from fortress.sources.cloudformation.builder import Builder


def build_secrets_and_keys(b: Builder) -> None:
    secrets: dict[str, Secret] = {}
    for res in b.of_type("AWS::SecretsManager::Secret"):
        kms = b.prop(res, "KmsKeyId")
        secret = Secret(
            arn=b.resolver.refs[res.logical_id],
            name=b.name_of(res, "Name"),
            origin=res.origin,
            kms_key_id=kms if isinstance(kms, str) else None,
        )
        secrets[secret.arn] = secret
        b.inv.secrets.append(secret)
    for res in b.of_type("AWS::SecretsManager::RotationSchedule"):
        target = b.prop(res, "SecretId")
        if isinstance(target, str) and target in secrets:
            has_rotation = any(
                k in res.props
                for k in ("RotationLambdaARN", "HostedRotationLambda", "RotationRules")
            )
            secrets[target].rotation_enabled = has_rotation
    keys: dict[str, KmsKey] = {}
    for res in b.of_type("AWS::KMS::Key"):
        key = KmsKey(
            arn=b.resolver.attrs[(res.logical_id, "Arn")],
            key_id=b.resolver.refs[res.logical_id],
            origin=res.origin,
        )
        keys[key.key_id] = key
        keys[key.arn] = key
        b.inv.kms_keys.append(key)
    for res in b.of_type("AWS::KMS::Alias"):
        target = b.prop(res, "TargetKeyId")
        alias = b.prop(res, "AliasName")
        if isinstance(target, str) and target in keys and isinstance(alias, str):
            keys[target].aliases.extend([alias, b.arn("kms", alias)])


# ------------------------------------------------------------------ API Gateway
