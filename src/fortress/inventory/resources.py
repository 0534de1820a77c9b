"""Logging, secrets and keys, storage, and per-region account status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fortress.inventory.values import Maybe, Origin, Unknown

# --------------------------------------------------------------------------- logging


@dataclass
class LogGroup:
    name: str
    origin: Origin
    retention_days: Maybe[int] | None = None
    kms_key_id: Maybe[str] | None = None


@dataclass
class Trail:
    name: str
    arn: str
    origin: Origin
    is_multi_region: Maybe[bool] = False
    is_logging: Maybe[bool] = True
    include_management_events: Maybe[bool] = True
    # Basic event selectors and advanced event selectors, as the API returns them.
    event_selectors: list[dict[str, Any]] = field(default_factory=list)
    advanced_event_selectors: list[dict[str, Any]] = field(default_factory=list)
    home_region: str | None = None


@dataclass
class Alarm:
    name: str
    origin: Origin
    namespace: str | None = None
    metric_name: str | None = None
    dimensions: dict[str, str] = field(default_factory=dict)
    # Metric math alarms: every (namespace, metric, dimensions) the alarm reads.
    metrics: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


# --------------------------------------------------------------------------- secrets & keys


@dataclass
class Secret:
    arn: str
    name: str
    origin: Origin
    rotation_enabled: Maybe[bool] = False
    kms_key_id: str | None = None


@dataclass
class KmsKey:
    arn: str
    key_id: str
    origin: Origin
    manager: str = "CUSTOMER"  # "AWS" | "CUSTOMER"
    aliases: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- storage


@dataclass
class Bucket:
    """An S3 bucket declared in a template (read for the buckets that store code packages).

    ``None`` means the template declares nothing for that setting; ``Unknown`` that what it
    declares cannot be resolved.
    """

    name: str
    origin: Origin
    encryption: Maybe[str] | None = None  # the SSE algorithm of the default encryption rule
    versioning: Maybe[str] | None = None  # "Enabled" | "Suspended"
    # BlockPublicAcls, BlockPublicPolicy, IgnorePublicAcls, RestrictPublicBuckets -> value.
    public_access_block: dict[str, Maybe[bool]] | Unknown | None = None


@dataclass
class Parameter:
    """A Parameter Store parameter's metadata. Its value is never read."""

    name: str
    origin: Origin
    type: Maybe[str] = "String"  # "String" | "StringList" | "SecureString"
    arn: str | None = None


def parameter_name_in(value: object) -> list[str]:
    """The parameter names an environment value may designate: an SSM parameter ARN (both
    spellings of its name) or a ``/hierarchical/name``."""
    if not isinstance(value, str) or not value or len(value) > 2048:
        return []
    if value.startswith("arn:") and ":ssm:" in value and ":parameter/" in value:
        rest = value.split(":parameter/", 1)[1]
        return [f"/{rest}", rest]
    if value.startswith("/") and " " not in value and len(value) > 1:
        return [value]
    return []


PUBLIC_ACCESS_SETTINGS = (
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
)


# --------------------------------------------------------------------------- account/region


@dataclass
class RegionStatus:
    """Account-wide services, per region. ``None`` = not collected for this scope."""

    account: str
    region: str
    origin: Origin
    guardduty_lambda_protection: Maybe[bool] | None = None
    inspector_lambda_scanning: Maybe[bool] | None = None
