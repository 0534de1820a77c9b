"""boto3 sessions, clients, retries, regions, and API errors turned into coverage gaps.

Every AWS call Fortress makes goes through :class:`AwsClient`: it honours ``--profile``,
``--endpoint-url`` / ``AWS_ENDPOINT_URL``, uses botocore's adaptive retry mode, and turns a
failed call into a :class:`~fortress.findings.CoverageGap` instead of an exception.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.exceptions
from botocore.config import Config

from fortress.errors import FortressError
from fortress.findings import CoverageGap

DEFAULT_REGION = "us-east-1"

_HOST = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$|^\[[0-9A-Fa-f:.]+\]$")


def endpoint_problem(text: str) -> str | None:
    """Why ``text`` is not an AWS endpoint (``http(s)://host[:port][/path]``), or ``None``.

    Checked for ``--endpoint-url`` and for ``AWS_ENDPOINT_URL`` alike: ``file://``, garbage and
    credentials in the URL are refused before any call is made.
    """
    try:
        parts = urlsplit(text.strip())
        port = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        return f"{text!r} is not a URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return f"{text!r} is not an http(s):// URL (expected http://host:port or https://host)"
    host = parts.hostname or ""
    netloc_host = parts.netloc.rsplit("@", 1)[-1]
    if port is not None:
        netloc_host = netloc_host.rsplit(":", 1)[0]
    if not host or not _HOST.match(netloc_host):
        return f"{text!r} has no valid host name"
    if parts.username or parts.password:
        return f"{parts.scheme}://…: credentials in the URL are refused"
    return None


# Error codes that mean "this thing does not exist", which is an answer, not a gap.
NOT_FOUND_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "NoSuchEntity",
        "NoSuchEntityException",
        "NotFoundException",
        "TrailNotFoundException",
        "ResourceNotFound",
    }
)


@dataclass(frozen=True)
class Outcome:
    value: dict[str, Any] | None
    gap: CoverageGap | None = None

    @property
    def failed(self) -> bool:
        return self.gap is not None


class AwsCallError(FortressError):
    """A call that must succeed did not (a write of ``respond``/``undo``): its gap, as an error."""

    def __init__(self, gap: CoverageGap) -> None:
        self.gap = gap
        self.action = iam_action(gap.service, gap.operation)
        hint = f" (needs {self.action})" if gap.error_code == "AccessDenied" else ""
        super().__init__(
            f"{self.action} on {gap.resource or 'the account'} failed: "
            f"{gap.error_code}: {gap.message}{hint}"
        )


def iam_action(service: str, operation: str) -> str:
    """The IAM action behind a boto3 operation: ``("lambda", "put_function_concurrency")`` →
    ``lambda:PutFunctionConcurrency`` (true for the Lambda, IAM and STS calls Fortress makes)."""
    return f"{service}:{''.join(part.capitalize() for part in operation.split('_'))}"


@dataclass
class AwsOptions:
    profile: str | None = None
    regions: list[str] = field(default_factory=list)
    all_regions: bool = False
    endpoint_url: str | None = None
    max_attempts: int = 8
    max_workers: int = 8
    connect_timeout: float = 10
    read_timeout: float = 60
    # Explicit (access key, secret key) — for the built-in demo's emulator only; users rely on
    # the standard credential chain and --profile.
    credentials: tuple[str, str] | None = None
    # A ready boto3 Session (an assumed role in another account: fortress.aws.accounts).
    session: Any = None
    # The account the credentials belong to, when already known (no GetCallerIdentity call).
    account: str | None = None
    # Semaphores every API call holds while in flight (an organization scan bounds the calls
    # per account and across accounts with them); empty: no bound beyond the thread pools.
    gates: tuple[Any, ...] = ()


class AwsClient:
    """Creates (and caches) boto3 clients; records failed calls as coverage gaps."""

    def __init__(self, options: AwsOptions | None = None) -> None:
        self.options = options or AwsOptions()
        self.endpoint_url = self.options.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        if self.endpoint_url and not self.options.endpoint_url:
            problem = endpoint_problem(self.endpoint_url)
            if problem:
                raise FortressError(f"AWS_ENDPOINT_URL: {problem}")
        try:
            if self.options.session is not None:
                self.session = self.options.session
            elif self.options.credentials:
                key, secret = self.options.credentials
                self.session = boto3.Session(
                    aws_access_key_id=key,
                    aws_secret_access_key=secret,
                    region_name=(self.options.regions or [DEFAULT_REGION])[0],
                )
            else:
                self.session = boto3.Session(profile_name=self.options.profile)
        except botocore.exceptions.ProfileNotFound as exc:
            raise FortressError(f"AWS profile not found: {self.options.profile}") from exc
        self._config = Config(
            retries={"mode": "adaptive", "max_attempts": self.options.max_attempts},
            connect_timeout=self.options.connect_timeout,
            read_timeout=self.options.read_timeout,
            max_pool_connections=max(10, self.options.max_workers * 2),
            user_agent_extra="fortress",
        )
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self.gaps: list[CoverageGap] = []
        self.calls = 0
        self._account: str | None = self.options.account

    # clients --------------------------------------------------------------------------

    def client(self, service: str, region: str | None = None) -> Any:
        region = region or self.default_region
        key = (service, region)
        with self._lock:  # boto3 sessions are not thread-safe when creating clients
            if key not in self._clients:
                kwargs: dict[str, Any] = {"region_name": region, "config": self._config}
                if self.endpoint_url:
                    kwargs["endpoint_url"] = self.endpoint_url
                client = self.session.client(service, **kwargs)  # type: ignore[call-overload]
                client.meta.events.register("before-call.*.*", self._count)
                if self.options.gates:
                    client.meta.events.register("before-call.*.*", self._enter_gates)
                    client.meta.events.register("after-call.*.*", self._leave_gates)
                    client.meta.events.register("after-call-error.*.*", self._leave_gates)
                self._clients[key] = client
            return self._clients[key]

    def _count(self, **_: Any) -> None:
        with self._lock:
            self.calls += 1

    def _enter_gates(self, context: dict[str, Any], **_: Any) -> None:
        """Wait for a slot in every gate (always in the same order: no deadlock); the call
        holds them until botocore's after-call or after-call-error event (retries included)."""
        for gate in self.options.gates:
            gate.acquire()
        context["fortress_gates"] = True

    def _leave_gates(self, context: dict[str, Any], **_: Any) -> None:
        if context.pop("fortress_gates", False):
            for gate in reversed(self.options.gates):
                gate.release()

    @property
    def default_region(self) -> str:
        return self.session.region_name or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION

    # identity and regions ---------------------------------------------------------------

    def account_id(self) -> str:
        if self._account is None:
            try:
                ident = self.client("sts").get_caller_identity()
            except botocore.exceptions.NoCredentialsError as exc:
                raise FortressError(
                    "no AWS credentials found (set a profile or AWS_* variables)"
                ) from exc
            except botocore.exceptions.ClientError as exc:
                raise FortressError(f"cannot identify the caller: {_describe(exc)}") from exc
            except botocore.exceptions.EndpointConnectionError as exc:
                raise FortressError(f"cannot reach AWS: {exc}") from exc
            self._account = str(ident["Account"])
        return self._account

    def caller_identity(self) -> dict[str, Any]:
        return dict(self.client("sts").get_caller_identity())

    def regions(self) -> list[str]:
        """Regions to scan: the ones asked for, or every enabled region with --all-regions."""
        if self.options.regions:
            return list(dict.fromkeys(self.options.regions))
        if not self.options.all_regions:
            return [self.default_region]
        answer = self.call("ec2", self.default_region, "describe_regions", AllRegions=False)
        if answer is None:
            return [self.default_region]
        return sorted(
            r["RegionName"]
            for r in answer.get("Regions", [])
            if r.get("OptInStatus", "opt-in-not-required") != "not-opted-in"
        )

    # calls --------------------------------------------------------------------------------

    def attempt(
        self,
        service: str,
        region: str | None,
        operation: str,
        *,
        resource: str | None = None,
        **kwargs: Any,
    ) -> Outcome:
        """Call one operation and report how it went, recording nothing.

        A not-found answer is ``Outcome(None, None)`` (absent); any other failure carries the gap,
        for the caller to record, or to drop when it recovers with a fallback call.
        """
        outcome = self._invoke(service, region, operation, resource, kwargs)
        if outcome.gap and outcome.gap.error_code in NOT_FOUND_CODES:
            return Outcome(None, None)
        return outcome

    def call(
        self,
        service: str,
        region: str | None,
        operation: str,
        *,
        resource: str | None = None,
        absent_ok: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        """Call one API operation. On failure record a gap and return None.

        With ``absent_ok`` a not-found answer returns None without a gap (for example
        ``get_policy`` on a function that has no resource policy).
        """
        outcome = self._invoke(service, region, operation, resource, kwargs)
        if outcome.gap and not (absent_ok and outcome.gap.error_code in NOT_FOUND_CODES):
            self.record(outcome.gap)
        return outcome.value

    def _invoke(
        self,
        service: str,
        region: str | None,
        operation: str,
        resource: str | None,
        kwargs: dict[str, Any],
    ) -> Outcome:
        """One call; any failure comes back as its gap, not as an exception."""
        try:
            return Outcome(dict(getattr(self.client(service, region), operation)(**kwargs)), None)
        except Exception as exc:  # every failure becomes data; see _gap_from
            return Outcome(None, self._gap_from(exc, service, region, operation, resource))

    def write(
        self, service: str, region: str | None, operation: str, *, resource: str, **kwargs: Any
    ) -> dict[str, Any]:
        """Call an operation that changes the account; any failure raises :class:`AwsCallError`.

        Writes are never turned into coverage gaps: a change that did not happen must stop the
        caller (``respond --apply``, ``undo --apply``), which journals it.
        """
        outcome = self._invoke(service, region, operation, resource, kwargs)
        if outcome.gap is not None:
            raise AwsCallError(outcome.gap)
        return outcome.value or {}

    def paginate(
        self,
        service: str,
        region: str | None,
        operation: str,
        key: str,
        *,
        resource: str | None = None,
        absent_ok: bool = False,
        **kwargs: Any,
    ) -> list[Any] | None:
        """All items under ``key`` across pages, or None (with a gap) if a page failed."""
        items: list[Any] = []
        try:
            client = self.client(service, region)
            if client.can_paginate(operation):
                for page in client.get_paginator(operation).paginate(**kwargs):
                    items.extend(page.get(key, []))
            else:
                items.extend(getattr(client, operation)(**kwargs).get(key, []))
        except Exception as exc:
            gap = self._gap_from(exc, service, region, operation, resource)
            if absent_ok and gap.error_code in NOT_FOUND_CODES:
                return []
            self.record(gap)
            return None
        return items

    def attempt_pages(
        self,
        service: str,
        region: str | None,
        operation: str,
        key: str,
        *,
        resource: str | None = None,
        **kwargs: Any,
    ) -> tuple[list[Any] | None, CoverageGap | None]:
        """All items under ``key`` across pages, recording nothing (like :meth:`attempt`).

        Returns ``(items, None)``, or ``(None, gap)`` on any failure, not-found included, for
        the caller to record, or to drop when it falls back to other calls.
        """
        items: list[Any] = []
        try:
            client = self.client(service, region)
            if client.can_paginate(operation):
                for page in client.get_paginator(operation).paginate(**kwargs):
                    items.extend(page.get(key, []))
            else:
                items.extend(getattr(client, operation)(**kwargs).get(key, []))
        except Exception as exc:  # every failure becomes data; see _gap_from
            return None, self._gap_from(exc, service, region, operation, resource)
        return items, None

    def iter_pages(
        self, service: str, region: str | None, operation: str, **kwargs: Any
    ) -> Iterator[dict[str, Any]]:
        """Stream pages (for large results such as log events). Errors become a gap."""
        try:
            client = self.client(service, region)
            yield from client.get_paginator(operation).paginate(**kwargs)
        except Exception as exc:
            self.record(self._gap_from(exc, service, region, operation, None))

    def record(self, gap: CoverageGap) -> None:
        with self._lock:
            self.gaps.append(gap)

    def _gap_from(
        self, exc: Exception, service: str, region: str | None, operation: str, resource: str | None
    ) -> CoverageGap:
        if isinstance(exc, botocore.exceptions.NoCredentialsError):
            raise FortressError(
                "no AWS credentials found (set a profile or AWS_* variables)"
            ) from exc
        if isinstance(exc, botocore.exceptions.ClientError):
            error = exc.response.get("Error", {})
            code = str(
                error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            )
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            message = str(error.get("Message") or exc)
            if code in {
                "403",
                "AccessDeniedException",
                "UnauthorizedOperation",
                "AuthorizationError",
            }:
                code = "AccessDenied"
            elif status in (404, 500, 501) and (
                code in {"404", "500", "501", "NotImplemented", "InternalFailure"}
                and (
                    "<html" in message.lower()
                    or "not yet been implemented" in message
                    or code == "501"
                )
            ):
                # An endpoint (an emulator, an old region) without this operation.
                code, message = "NotImplemented", f"{operation} is not implemented by the endpoint"
        elif isinstance(exc, botocore.exceptions.EndpointConnectionError):
            code, message = "EndpointConnectionError", str(exc)
        elif isinstance(
            exc, botocore.exceptions.ConnectTimeoutError | botocore.exceptions.ReadTimeoutError
        ):
            code, message = "Timeout", str(exc)
        elif isinstance(exc, botocore.exceptions.BotoCoreError):
            code, message = type(exc).__name__, str(exc)
        else:
            code, message = type(exc).__name__, str(exc)
        return CoverageGap(
            service=service,
            operation=operation,
            error_code=code,
            message=message[:300],
            account=self._account,
            region=region,
            resource=resource,
        )


def _describe(exc: botocore.exceptions.ClientError) -> str:
    error = exc.response.get("Error", {})
    return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip()
