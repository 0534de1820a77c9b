"""What roles really called, from CloudTrail (``scan --cloudtrail``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# --------------------------------------------------------------------------- usage (CloudTrail)


@dataclass
class ActionUse:
    """One IAM action a role's sessions called, as CloudTrail shows it."""

    action: str  # canonical IAM action, e.g. "s3:GetObject"
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    # ARNs the events name (resources[], bucket/key, function, table), at most a few dozen.
    resources: list[str] = field(default_factory=list)
    resources_truncated: bool = False
    event_names: list[str] = field(default_factory=list)  # the CloudTrail names mapped here


@dataclass
class RoleUsage:
    """What one role's sessions called in the window (``UsageFacts.since``..``until``)."""

    role_arn: str
    events: int = 0
    actions: list[ActionUse] = field(default_factory=list)
    # Calls refused (AccessDenied...): attempted, not granted; never counted as used.
    denied: list[str] = field(default_factory=list)
    # "eventSource eventName" pairs that map to no IAM action (sign-in, service events).
    not_actions: list[str] = field(default_factory=list)


@dataclass
class UsageFacts:
    """Granted-versus-used facts computed from CloudTrail outside the rules.

    Filled by ``fortress.detection.usage`` (``scan --cloudtrail``); the rules compare them with
    the roles' policies. ``None`` on the Inventory: no usage data, the usage rules do not run.
    """

    inputs: list[str] = field(default_factory=list)  # files, s3:// prefixes, LookupEvents
    since: datetime | None = None
    until: datetime | None = None
    first_event: datetime | None = None
    last_event: datetime | None = None
    events: int = 0
    # Accounts whose events the input holds (a role of another account is not judged).
    accounts: list[str] = field(default_factory=list)
    # IAM service prefixes with at least one event in the input, from any principal: the
    # evidence that the trail records that service's (management) events at all.
    observed_services: list[str] = field(default_factory=list)
    # eventSource values that map to no IAM service prefix.
    unmapped_sources: list[str] = field(default_factory=list)
    roles: list[RoleUsage] = field(default_factory=list)
    # What could not be read (unreadable files, a failed S3 or LookupEvents call).
    gaps: list[str] = field(default_factory=list)

    def role(self, arn: str) -> RoleUsage | None:
        for usage in self.roles:
            if usage.role_arn == arn:
                return usage
        return None
