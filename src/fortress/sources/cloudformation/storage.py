"""S3 buckets and Parameter Store parameters: where a template keeps packages and values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fortress.inventory import PUBLIC_ACCESS_SETTINGS, Bucket, Parameter, Unknown
from fortress.sources.cloudformation.model import as_list, to_bool

if TYPE_CHECKING:
    from fortress.sources.cloudformation.builder import Builder


def build_buckets(b: Builder) -> None:
    for res in b.of_type("AWS::S3::Bucket"):
        bucket = Bucket(name=str(b.resolver.refs[res.logical_id]), origin=res.origin)
        bucket.encryption = _encryption(b.prop(res, "BucketEncryption"))
        versioning = b.prop(res, "VersioningConfiguration")
        if isinstance(versioning, Mapping):
            status = versioning.get("Status")
            bucket.versioning = status if isinstance(status, (str, Unknown)) else None
        elif isinstance(versioning, Unknown):
            bucket.versioning = versioning
        block = b.prop(res, "PublicAccessBlockConfiguration")
        if isinstance(block, Mapping):
            bucket.public_access_block = {
                key: _flag(block[key]) for key in PUBLIC_ACCESS_SETTINGS if key in block
            }
        elif isinstance(block, Unknown):
            bucket.public_access_block = block
        b.inv.buckets.append(bucket)
    for res in b.of_type("AWS::SSM::Parameter"):
        kind = b.prop(res, "Type", "String")
        b.inv.parameters.append(
            Parameter(
                name=str(b.resolver.refs[res.logical_id]),
                origin=res.origin,
                type=kind if isinstance(kind, (str, Unknown)) else Unknown("Type is not text"),
                arn=b.resolver.attrs.get((res.logical_id, "Arn")),
            )
        )


def _flag(value: Any) -> bool | Unknown:
    flag = to_bool(value)
    return flag if isinstance(flag, (bool, Unknown)) else Unknown("not true or false")


def _encryption(config: Any) -> str | Unknown | None:
    """The SSE algorithm of the first default-encryption rule, or None when none is declared."""
    if config is None:
        return None
    if isinstance(config, Unknown):
        return config
    if not isinstance(config, Mapping):
        return Unknown("BucketEncryption is not a mapping")
    for item in as_list(config.get("ServerSideEncryptionConfiguration", [])):
        if isinstance(item, Unknown):
            return item
        default = item.get("ServerSideEncryptionByDefault") if isinstance(item, Mapping) else None
        if isinstance(default, Unknown):
            return default
        if isinstance(default, Mapping):
            algorithm = default.get("SSEAlgorithm")
            if isinstance(algorithm, (str, Unknown)):
                return algorithm
    return None
