"""Which accounts an organization scan covers, and credentials for each (an assumed role).

* ``--organization``: the ACTIVE accounts ``organizations:ListAccounts`` returns to the caller
  (the management account or a delegated administrator);
* ``--accounts ID,ID``: these accounts, without asking Organizations;
* ``--exclude-accounts ID,ID``: taken out of either list;
* ``--shard i/n``: the accounts whose stable hash falls in shard ``i`` of ``n`` (see
  :func:`in_shard`), so that shards run anywhere, at any time, cover every account once.

Each account other than the caller's is read through ``sts:AssumeRole`` into
``arn:<partition>:iam::<account>:role/<role name>`` (session name ``fortress-<time>``,
``--external-id`` when given); the credentials refresh themselves before they expire. The
caller's own account is read with the caller's credentials (the management account has no
``OrganizationAccountAccessRole`` of its own). A role that cannot be assumed is a coverage
gap for that account, never the end of the run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fortress.aws.client import AwsClient
from fortress.errors import FortressError
from fortress.findings import CoverageGap

DEFAULT_ROLE = "OrganizationAccountAccessRole"
SESSION_SECONDS = 3600
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROLE_NAME = re.compile(r"^[\w+=,.@/-]{1,512}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")


@dataclass(frozen=True)
class Account:
    id: str
    name: str = ""


@dataclass
class AccountOptions:
    organization: bool = False
    accounts: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    role_name: str = DEFAULT_ROLE
    external_id: str | None = None
    shard: tuple[int, int] | None = None  # (i, n), 1 <= i <= n


def account_ids(text: str, option: str) -> list[str]:
    """``"111122223333, 444455556666"`` → the ids; anything but 12 digits is an error."""
    ids = [part.strip() for part in text.split(",") if part.strip()]
    for item in ids:
        if not _ACCOUNT_ID.match(item):
            raise FortressError(f"{option}: {item!r} is not an AWS account id (12 digits)")
    if not ids:
        raise FortressError(f"{option}: no account id given")
    return list(dict.fromkeys(ids))


def shard(text: str) -> tuple[int, int]:
    """``"2/4"`` → ``(2, 4)``."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise FortressError(f"--shard {text!r} is not i/n (for example 1/4)")
    i, n = int(match.group(1)), int(match.group(2))
    if not 1 <= i <= n:
        raise FortressError(f"--shard {text!r}: i must be between 1 and n")
    return i, n


def check_names(options: AccountOptions) -> None:
    if not _ROLE_NAME.match(options.role_name):
        raise FortressError(f"--role-name {options.role_name!r} is not an IAM role name")
    if options.external_id is not None and not _EXTERNAL_ID.match(options.external_id):
        raise FortressError("--external-id must be 2 to 1224 characters of [\\w+=,.@:/-]")


def in_shard(account_id: str, index: int, count: int) -> bool:
    """Shard ``index`` of ``count`` (1-based) holds the accounts whose SHA-256 of the id,
    read as a number, is ``index - 1`` modulo ``count``: stable when accounts join or leave
    the organization between shards, so no account is scanned twice or skipped."""
    digest = int.from_bytes(hashlib.sha256(account_id.encode()).digest()[:8], "big")
    return digest % count == index - 1


def resolve(base: AwsClient, options: AccountOptions) -> list[Account]:
    """The accounts to scan, sorted by id (the caller's credentials are ``base``)."""
    if options.organization and options.accounts:
        raise FortressError("give --organization or --accounts, not both")
    if options.organization:
        found = organization_accounts(base)
        if not found:
            raise FortressError(
                "the organization lists no ACTIVE account (is the caller in an organization?)"
            )
    else:
        found = [Account(a) for a in options.accounts]
    excluded = set(options.exclude)
    chosen = sorted((a for a in found if a.id not in excluded), key=lambda a: a.id)
    if options.shard is not None:
        index, count = options.shard
        chosen = [a for a in chosen if in_shard(a.id, index, count)]
    return chosen


def organization_accounts(base: AwsClient) -> list[Account]:
    """The organization's ACTIVE accounts; an error (exit 2) when they cannot be listed."""
    outcome, gap = base.attempt_pages("organizations", None, "list_accounts", "Accounts")
    if gap is not None or outcome is None:
        code = gap.error_code if gap else "error"
        message = gap.message if gap else ""
        raise FortressError(
            f"cannot list the organization's accounts ({code}: {message}); --organization "
            "needs the management account or a delegated administrator "
            "(organizations:ListAccounts), or give --accounts"
        )
    accounts = []
    for item in outcome:
        state = item.get("State") or item.get("Status")
        account_id = str(item.get("Id") or "")
        if state == "ACTIVE" and _ACCOUNT_ID.match(account_id):
            accounts.append(Account(account_id, str(item.get("Name") or "")))
    return accounts


def session_name(now: datetime | None = None) -> str:
    """``fortress-20261203T120000Z``: names Fortress (and the run) in the account's CloudTrail."""
    return "fortress-" + (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def partition(base: AwsClient) -> str:
    """The caller's partition (``aws``, ``aws-us-gov``, ``aws-cn``) from its identity ARN."""
    try:
        arn = str(base.caller_identity().get("Arn") or "")
    except Exception:  # the identity was already read by account_id(); a second failure: aws
        return "aws"
    parts = arn.split(":")
    return parts[1] if len(parts) > 2 and parts[1] else "aws"


class RoleAssumer:
    """Credentials for each account: the caller's own, or the assumed role."""

    def __init__(self, base: AwsClient, options: AccountOptions) -> None:
        self.base = base
        self.options = options
        self.caller = base.account_id()
        self.partition = partition(base)
        self.session_name = session_name()

    def role_arn(self, account_id: str) -> str:
        return f"arn:{self.partition}:iam::{account_id}:role/{self.options.role_name}"

    def client(self, account_id: str, gates: tuple[Any, ...] = ()) -> AwsClient | CoverageGap:
        """An :class:`AwsClient` for the account, or the gap saying why there is none."""
        # The caller's settings (profile, regions, endpoint, retries, timeouts), this account.
        options = dataclasses.replace(self.base.options, account=account_id, gates=gates)
        if account_id == self.caller:
            return AwsClient(options)
        answer = self._assume(account_id)
        if isinstance(answer, CoverageGap):
            return answer
        options.session = self._session(account_id, answer)
        return AwsClient(options)

    def _assume(self, account_id: str) -> dict[str, Any] | CoverageGap:
        kwargs: dict[str, Any] = {
            "RoleArn": self.role_arn(account_id),
            "RoleSessionName": self.session_name,
            "DurationSeconds": SESSION_SECONDS,
        }
        if self.options.external_id:
            kwargs["ExternalId"] = self.options.external_id
        outcome = self.base.attempt(
            "sts", None, "assume_role", resource=kwargs["RoleArn"], **kwargs
        )
        credentials = (outcome.value or {}).get("Credentials")
        if outcome.gap is not None or not credentials:
            gap = outcome.gap
            return CoverageGap(
                service="sts",
                operation="assume_role",
                error_code=gap.error_code if gap else "NoCredentials",
                message=(
                    f"cannot assume {kwargs['RoleArn']}: "
                    + (gap.message if gap else "the answer held no credentials")
                )[:300],
                account=account_id,
                resource=kwargs["RoleArn"],
            )
        return dict(credentials)

    def _session(self, account_id: str, credentials: dict[str, Any]) -> Any:
        """A boto3 Session on the role's credentials, renewed by a new AssumeRole call when
        they near expiry (a scan of a large account may outlast one session)."""
        import boto3
        import botocore.credentials
        import botocore.session

        def metadata(answer: dict[str, Any]) -> dict[str, Any]:
            expiry = answer["Expiration"]
            return {
                "access_key": answer["AccessKeyId"],
                "secret_key": answer["SecretAccessKey"],
                "token": answer["SessionToken"],
                "expiry_time": expiry.isoformat() if isinstance(expiry, datetime) else str(expiry),
            }

        def refresh() -> dict[str, Any]:
            answer = self._assume(account_id)
            if isinstance(answer, CoverageGap):
                raise FortressError(answer.message)
            return metadata(answer)

        refreshable = botocore.credentials.RefreshableCredentials.create_from_metadata(
            metadata(credentials), refresh_using=refresh, method="sts-assume-role"
        )
        core = botocore.session.get_session()
        # botocore has no public setter for refreshable credentials; this is the usual way.
        core._credentials = refreshable  # type: ignore[attr-defined]
        region = self.base.session.region_name
        return boto3.Session(botocore_session=core, region_name=region)
