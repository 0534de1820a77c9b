"""Terraform S3 buckets → Inventory buckets: the settings of the buckets holding code packages.

A bucket's settings come from the ``aws_s3_bucket`` block itself (the provider v3 inline
``versioning`` and ``server_side_encryption_configuration`` blocks) or from the separate
resources of provider v4+ that name it in ``bucket``: ``aws_s3_bucket_versioning``,
``aws_s3_bucket_server_side_encryption_configuration`` and ``aws_s3_bucket_public_access_block``.
"""

from __future__ import annotations

from typing import Any

from fortress.inventory import Bucket, Parameter, Unknown
from fortress.sources.tf_attrs import bool_of, first_block, str_of
from fortress.sources.tf_map_base import MapperBase, hkey

_BLOCK_ATTRS = {
    "block_public_acls": "BlockPublicAcls",
    "block_public_policy": "BlockPublicPolicy",
    "ignore_public_acls": "IgnorePublicAcls",
    "restrict_public_buckets": "RestrictPublicBuckets",
}


class StorageMapper(MapperBase):
    def _parameters(self) -> None:
        for r in self.each("aws_ssm_parameter"):
            kind = str_of(r.get("type"))
            self.inv.parameters.append(
                Parameter(
                    name=str(r.attr("name")),
                    origin=r.origin,
                    type=kind if isinstance(kind, (str, Unknown)) else Unknown("type is not set"),
                    arn=str(r.attr("arn")),
                )
            )

    def _buckets(self) -> None:
        buckets: dict[Any, Bucket] = {}
        for r in self.each("aws_s3_bucket"):
            name = r.attr("bucket")
            bucket = Bucket(name=str(name), origin=r.origin)
            legacy = first_block(r, "versioning")
            if legacy is not None:
                enabled = bool_of(legacy.get("enabled"), False)
                bucket.versioning = (
                    enabled if isinstance(enabled, Unknown) else ("Enabled" if enabled else None)
                )
            bucket.encryption = _algorithm(first_block(r, "server_side_encryption_configuration"))
            buckets[name] = bucket
            buckets[hkey(r.attr("id"))] = bucket
            buckets[hkey(r.attr("arn"))] = bucket
            self.inv.buckets.append(bucket)
        for r in self.each("aws_s3_bucket_versioning"):
            found = buckets.get(hkey(r.get("bucket")))
            config = first_block(r, "versioning_configuration")
            if found is not None and config is not None:
                status = str_of(config.get("status"))
                found.versioning = status if isinstance(status, (str, Unknown)) else None
        for r in self.each("aws_s3_bucket_server_side_encryption_configuration"):
            found = buckets.get(hkey(r.get("bucket")))
            if found is not None:
                found.encryption = _algorithm(r) or found.encryption
        for r in self.each("aws_s3_bucket_public_access_block"):
            found = buckets.get(hkey(r.get("bucket")))
            if found is not None:
                found.public_access_block = {
                    key: bool_of(r.get(attr), False) for attr, key in _BLOCK_ATTRS.items()
                }


def _algorithm(config: Any) -> str | Unknown | None:
    """``rule { apply_server_side_encryption_by_default { sse_algorithm } }``, or None."""
    if config is None:
        return None
    rule = first_block(config, "rule")
    default = first_block(rule, "apply_server_side_encryption_by_default") if rule else None
    if default is None:
        return None
    algorithm = str_of(default.get("sse_algorithm"))
    return algorithm if isinstance(algorithm, (str, Unknown)) else None
