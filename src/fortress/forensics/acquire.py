"""Acquire a Lambda function as a verifiable evidence bundle (read-only on AWS).

Every AWS call goes through :class:`~fortress.aws.client.AwsClient`; a failed call
becomes a coverage gap recorded in the manifest and acquisition goes on. Code packages and
layer contents are streamed from ``Code.Location`` / ``Content.Location`` to the bundle, capped
in size, and checked against ``CodeSha256`` (base64 SHA-256): a mismatch is recorded loudly.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from fortress import TOOL_NAME, __version__
from fortress.aws.client import AwsClient
from fortress.errors import FortressError
from fortress.findings import CoverageGap
from fortress.forensics.archive import ArchiveLimits, UnsafeArchive, list_archive
from fortress.forensics.bundle import (
    BundleWriter,
    safe_name,
    utcnow,
    version_dir,
    zip_bundle,
)
from fortress.forensics.cloudtrail import concerns_function, iter_function_events
from fortress.secrets.redact import redact_mapping, redact_text

REDACTED = "***REDACTED***"
DEFAULT_WINDOW = timedelta(days=7)
DEFAULT_MAX_DOWNLOAD = 512 * 1024 * 1024
_CHUNK = 1024 * 1024
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}

# (kind, identifier, location) -> the URL to fetch. kind is "function" (identifier: the
# version) or "layer" (identifier: the layer version ARN). For tests and mirrors only.
LocationHook = Callable[[str, str, str], str]


@dataclass
class AcquireOptions:
    function: str
    output: Path
    region: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    cloudtrail: list[Path] = field(default_factory=list)
    zip: bool = False
    redact: bool = False
    max_download_bytes: int = DEFAULT_MAX_DOWNLOAD
    download_timeout: float = 60.0
    archive_limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    location_hook: LocationHook | None = None
    # Base URL of a package mirror serving packages by hash (``<mirror>/<urlsafe base64
    # CodeSha256>``), used instead of Code.Location: for air-gapped collection from an
    # artifact store, and for the demo, whose emulator cannot serve packages.
    code_mirror: str | None = None
    progress: Callable[[str], None] | None = None


@dataclass
class AcquireResult:
    bundle: Path
    manifest_sha256: str
    function_arn: str
    artifacts: int
    versions: list[str]
    gaps: list[CoverageGap]
    code_checks: list[dict[str, Any]]
    package_checks: list[dict[str, Any]]
    log_events: int
    cloudtrail_events: int

    @property
    def integrity_failures(self) -> list[dict[str, Any]]:
        return [c for c in self.code_checks if c["status"] == "MISMATCH"]

    @property
    def refused_packages(self) -> list[dict[str, Any]]:
        return [p for p in self.package_checks if p.get("refused")]


class DownloadError(Exception):
    pass


def mirror_url(mirror: str, expected_b64: str) -> str:
    """Where a package mirror serves the package whose CodeSha256 is ``expected_b64``."""
    key = expected_b64.replace("+", "-").replace("/", "_").rstrip("=")
    return f"{mirror.rstrip('/')}/{key}"


def code_sha256(data: bytes) -> str:
    """Lambda's ``CodeSha256``: base64 of the SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def strip_query(url: str) -> str:
    """Drop a pre-signed URL's query (it is a short-lived download credential)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def open_location(url: str, timeout: float) -> Any:
    """Open an HTTPS (or loopback HTTP) URL for streaming; raises DownloadError."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        raise DownloadError(f"refusing to download from a {parts.scheme or 'schemeless'} URL")
    request = urllib.request.Request(url, headers={"User-Agent": f"{TOOL_NAME}/{__version__}"})
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DownloadError(str(getattr(exc, "reason", exc))) from exc


def stream_response(response: Any, write: Callable[[bytes], object], max_bytes: int) -> str:
    """Copy the response to ``write`` (capped at ``max_bytes``; DownloadError past it, on a
    broken read or a non-200 status) and return the base64 SHA-256 of the bytes, computed while
    they are written (Lambda's ``CodeSha256`` form)."""
    digest = hashlib.sha256()
    total = 0
    with response:
        status = getattr(response, "status", 200)
        if status != 200:
            raise DownloadError(f"HTTP {status}")
        while True:
            try:
                chunk = response.read(_CHUNK)
            except OSError as exc:
                raise DownloadError(f"download interrupted: {exc}") from exc
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:
                raise DownloadError(f"package exceeds the download cap of {max_bytes} bytes")
            digest.update(chunk)
            write(chunk)
    return base64.b64encode(digest.digest()).decode()


def _redact_config(config: Any, redact: bool) -> Any:
    """With ``--redact``: every environment value withheld (names kept), and the shared
    redaction pass (:mod:`fortress.secrets.redact`) over the description and the tags."""
    if not redact or not isinstance(config, dict):
        return config
    out = dict(config)
    env = out.get("Environment")
    if isinstance(env, dict) and isinstance(env.get("Variables"), dict):
        out["Environment"] = {**env, "Variables": dict.fromkeys(env["Variables"], REDACTED)}
    if isinstance(out.get("Description"), str):
        out["Description"] = redact_text(out["Description"])
    return out


def _redact_tags(tags: Any, redact: bool) -> Any:
    return redact_mapping(tags) if redact and isinstance(tags, dict) else tags


def _clean(answer: dict[str, Any] | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


class _Acquisition:
    def __init__(self, aws: AwsClient, options: AcquireOptions, bundle: BundleWriter) -> None:
        self.aws = aws
        self.options = options
        self.bundle = bundle
        self.region = options.region or aws.default_region
        self.code_checks: list[dict[str, Any]] = []
        self.package_checks: list[dict[str, Any]] = []
        self.log_events = 0
        self.cloudtrail_events = 0
        self.name = ""
        self.arn = ""
        self.identity: dict[str, Any] | None = None

    def say(self, message: str) -> None:
        if self.options.progress:
            self.options.progress(message)

    def call(self, service: str, operation: str, **kwargs: Any) -> dict[str, Any] | None:
        return _clean(
            self.aws.call(service, self.region, operation, resource=self.arn or None, **kwargs)
        )

    def optional(self, service: str, operation: str, **kwargs: Any) -> dict[str, Any] | None:
        return _clean(
            self.aws.call(
                service, self.region, operation, resource=self.arn or None, absent_ok=True, **kwargs
            )
        )

    def paginate(self, service: str, operation: str, key: str, **kwargs: Any) -> list[Any] | None:
        return self.aws.paginate(
            service, self.region, operation, key, resource=self.arn or None, **kwargs
        )

    def save(self, path: str, data: Any, source: str) -> None:
        self.bundle.add_json(path, data, source)

    # ------------------------------------------------------------------ download + check

    def download(
        self, kind: str, ident: str, location: str, expected: str | None, path: str, source: str
    ) -> None:
        check: dict[str, Any] = {
            "kind": kind,
            "id": ident,
            "artifact": path,
            "location": strip_query(location),
            "expected_code_sha256": expected,
            "actual_code_sha256": None,
        }
        self.code_checks.append(check)
        url = (
            self.options.location_hook(kind, ident, location)
            if self.options.location_hook
            else location
        )
        if self.options.code_mirror and expected:
            check["mirror"] = self.options.code_mirror
            url = mirror_url(self.options.code_mirror, expected)
        try:
            response = open_location(url, self.options.download_timeout)
        except DownloadError as exc:
            check["status"] = "download-failed"
            check["error"] = str(exc)
            self._download_gap(ident, str(exc))
            return
        complete = True
        with self.bundle.stream(path, source) as writer:
            try:
                actual = stream_response(response, writer.write, self.options.max_download_bytes)
            except DownloadError as exc:
                complete = False
                actual = None
                check["error"] = str(exc)
            check["size"] = writer.size
        if not complete:
            self.bundle.artifacts[-1].extra["complete"] = False
            check["status"] = "incomplete"
            self._download_gap(ident, check["error"])
            return
        check["actual_code_sha256"] = actual
        if expected is None:
            check["status"] = "unverified"
        elif actual == expected:
            check["status"] = "match"
        else:
            check["status"] = "MISMATCH"
        self.bundle.artifacts[-1].extra["code_sha256"] = actual
        self.inspect_package(path, kind, ident)

    def _download_gap(self, ident: str, message: str) -> None:
        self.aws.record(
            CoverageGap(
                service="http",
                operation="GET Code.Location",
                error_code="DownloadFailed",
                message=message[:300],
                region=self.region,
                resource=ident,
            )
        )

    def inspect_package(self, path: str, kind: str, ident: str) -> None:
        entry: dict[str, Any] = {"artifact": path, "kind": kind, "id": ident, "refused": False}
        try:
            listing = list_archive(self.bundle.root / path, self.options.archive_limits)
        except UnsafeArchive as exc:
            entry["refused"] = True
            entry["reason"] = exc.reason
        else:
            entry.update(listing.to_dict())
        self.package_checks.append(entry)

    # ------------------------------------------------------------------ parts

    def run(self) -> list[str]:
        opts = self.options
        self.say("identifying the caller")
        identity = self.call("sts", "get_caller_identity")
        if identity is not None:
            self.save("collector/caller_identity.json", identity, "sts:GetCallerIdentity")
        self.identity = identity

        self.say(f"reading function {opts.function}")
        before = len(self.aws.gaps)
        head = self.optional("lambda", "get_function", FunctionName=opts.function)
        if head is None and len(self.aws.gaps) == before:
            raise FortressError(f"function not found in {self.region}: {opts.function}")
        config = (head or {}).get("Configuration", {})
        self.name = str(
            config.get("FunctionName") or opts.function.split(":function:")[-1].split(":")[0]
        )
        arn = str(config.get("FunctionArn") or "")
        self.arn = arn if arn.count(":") <= 6 else arn.rsplit(":", 1)[0]

        listed = self.paginate(
            "lambda", "list_versions_by_function", "Versions", FunctionName=self.name
        )
        if listed is not None:
            self.save(
                "function/versions.json",
                [_redact_config(v, opts.redact) for v in listed],
                "lambda:ListVersionsByFunction",
            )
        versions = [str(v["Version"]) for v in listed or [] if v.get("Version")] or ["$LATEST"]

        configs: dict[str, dict[str, Any]] = {}
        for version in versions:
            self.say(f"version {version}: configuration, policy, code")
            got = self.call("lambda", "get_function", FunctionName=self.name, Qualifier=version)
            if got is None:
                continue
            cfg = got.get("Configuration", {})
            configs[version] = cfg
            code = dict(got.get("Code") or {})
            stored = dict(got)
            stored["Configuration"] = _redact_config(cfg, opts.redact)
            if "Tags" in stored:
                stored["Tags"] = _redact_tags(stored["Tags"], opts.redact)
            if code.get("Location"):
                stored["Code"] = {**code, "Location": strip_query(str(code["Location"]))}
            base = f"versions/{version_dir(version)}"
            self.save(f"{base}/function.json", stored, f"lambda:GetFunction Qualifier={version}")
            policy = self.optional(
                "lambda", "get_policy", FunctionName=self.name, Qualifier=version
            )
            if policy is not None:
                self.save(
                    f"{base}/policy.json",
                    _policy_doc(policy),
                    f"lambda:GetPolicy Qualifier={version}",
                )
            if code.get("Location") and cfg.get("PackageType", "Zip") == "Zip":
                self.download(
                    "function",
                    version,
                    str(code["Location"]),
                    cfg.get("CodeSha256"),
                    f"{base}/code.zip",
                    f"GET Code.Location (lambda:GetFunction Qualifier={version})",
                )
            elif cfg.get("PackageType") == "Image":
                self.code_checks.append(
                    {
                        "kind": "function",
                        "id": version,
                        "status": "image-not-downloaded",
                        "image_uri": code.get("ImageUri"),
                        "resolved_image_uri": code.get("ResolvedImageUri"),
                        "expected_code_sha256": cfg.get("CodeSha256"),
                    }
                )

        self.say("aliases, URLs, permissions")
        aliases = self.paginate("lambda", "list_aliases", "Aliases", FunctionName=self.name)
        if aliases is not None:
            self.save("function/aliases.json", aliases, "lambda:ListAliases")
        urls: list[dict[str, Any]] = []
        for qualifier in [None, *[str(a["Name"]) for a in aliases or []]]:
            kwargs: dict[str, Any] = {"FunctionName": self.name}
            if qualifier:
                kwargs["Qualifier"] = qualifier
                policy = self.optional("lambda", "get_policy", **kwargs)
                if policy is not None:
                    self.save(
                        f"aliases/{safe_name(qualifier)}/policy.json",
                        _policy_doc(policy),
                        f"lambda:GetPolicy Qualifier={qualifier}",
                    )
            url = self.optional("lambda", "get_function_url_config", **kwargs)
            if url is not None and (
                qualifier is None or url.get("FunctionArn", "").endswith(f":{qualifier}")
            ):
                urls.append({"qualifier": qualifier or "$LATEST", **url})
        self.save("function/url_configs.json", urls, "lambda:GetFunctionUrlConfig (per qualifier)")

        mappings = self.paginate(
            "lambda", "list_event_source_mappings", "EventSourceMappings", FunctionName=self.name
        )
        if mappings is not None:
            self.save(
                "function/event_source_mappings.json", mappings, "lambda:ListEventSourceMappings"
            )
        invoke = self.paginate(
            "lambda",
            "list_function_event_invoke_configs",
            "FunctionEventInvokeConfigs",
            FunctionName=self.name,
        )
        if invoke is not None:
            self.save(
                "function/event_invoke_configs.json",
                invoke,
                "lambda:ListFunctionEventInvokeConfigs",
            )
        concurrency = self.call("lambda", "get_function_concurrency", FunctionName=self.name)
        if concurrency is not None:
            self.save("function/concurrency.json", concurrency, "lambda:GetFunctionConcurrency")
        signing = self.optional(
            "lambda", "get_function_code_signing_config", FunctionName=self.name
        )
        if signing is not None:
            self.save(
                "function/code_signing_config.json", signing, "lambda:GetFunctionCodeSigningConfig"
            )
            csc = signing.get("CodeSigningConfigArn")
            if csc:
                detail = self.call("lambda", "get_code_signing_config", CodeSigningConfigArn=csc)
                if detail is not None:
                    self.save(
                        "function/code_signing_config_detail.json",
                        detail,
                        "lambda:GetCodeSigningConfig",
                    )
        if self.arn:
            tags = self.call("lambda", "list_tags", Resource=self.arn)
            if tags is not None:
                self.save(
                    "function/tags.json",
                    _redact_tags(tags.get("Tags", {}), self.options.redact),
                    "lambda:ListTags",
                )

        self.acquire_layers(configs)
        self.acquire_roles(configs)
        self.acquire_logs(configs.get("$LATEST") or config)
        self.acquire_cloudtrail()
        return versions

    def acquire_layers(self, configs: dict[str, dict[str, Any]]) -> None:
        seen: list[str] = []
        for cfg in configs.values():
            for layer in cfg.get("Layers") or []:
                layer_arn = str(layer.get("Arn", ""))
                if layer_arn and layer_arn not in seen:
                    seen.append(layer_arn)
        for layer_arn in seen:
            self.say(f"layer {layer_arn}")
            base_arn, _, number = layer_arn.rpartition(":")
            if not number.isdigit():
                continue
            name = base_arn.rsplit(":", 1)[-1]
            base = f"layers/{safe_name(name)}-{number}"
            meta = self.call(
                "lambda", "get_layer_version", LayerName=base_arn, VersionNumber=int(number)
            )
            if meta is None:
                continue
            content = dict(meta.get("Content") or {})
            stored = dict(meta)
            if content.get("Location"):
                stored["Content"] = {**content, "Location": strip_query(str(content["Location"]))}
            self.save(f"{base}/layer_version.json", stored, "lambda:GetLayerVersion")
            policy = self.optional(
                "lambda", "get_layer_version_policy", LayerName=base_arn, VersionNumber=int(number)
            )
            if policy is not None:
                self.save(
                    f"{base}/policy.json", _policy_doc(policy), "lambda:GetLayerVersionPolicy"
                )
            if content.get("Location"):
                self.download(
                    "layer",
                    layer_arn,
                    str(content["Location"]),
                    content.get("CodeSha256"),
                    f"{base}/content.zip",
                    "GET Content.Location (lambda:GetLayerVersion)",
                )

    def acquire_roles(self, configs: dict[str, dict[str, Any]]) -> None:
        roles = list(dict.fromkeys(str(c["Role"]) for c in configs.values() if c.get("Role")))
        for role_arn in roles:
            name = role_arn.rsplit("/", 1)[-1]
            self.say(f"execution role {name}")
            base = f"roles/{safe_name(name)}"
            role = self.call("iam", "get_role", RoleName=name)
            if role is not None:
                self.save(f"{base}/role.json", role.get("Role", role), "iam:GetRole")
            inline = self.paginate("iam", "list_role_policies", "PolicyNames", RoleName=name) or []
            for policy_name in inline:
                doc = self.call("iam", "get_role_policy", RoleName=name, PolicyName=policy_name)
                if doc is not None:
                    self.save(
                        f"{base}/inline/{safe_name(policy_name)}.json", doc, "iam:GetRolePolicy"
                    )
            attached = (
                self.paginate(
                    "iam", "list_attached_role_policies", "AttachedPolicies", RoleName=name
                )
                or []
            )
            for item in attached:
                self.save_managed_policy(str(item["PolicyArn"]), f"{base}/attached", "attached")
            boundary = ((role or {}).get("Role") or {}).get("PermissionsBoundary") or {}
            if boundary.get("PermissionsBoundaryArn"):
                self.save_managed_policy(
                    str(boundary["PermissionsBoundaryArn"]), f"{base}/boundary", "boundary"
                )

    def save_managed_policy(self, policy_arn: str, folder: str, label: str) -> None:
        meta = self.call("iam", "get_policy", PolicyArn=policy_arn)
        if meta is None:
            return
        policy = meta.get("Policy", {})
        data: dict[str, Any] = {"Policy": policy}
        version_id = policy.get("DefaultVersionId")
        if version_id:
            version = self.call(
                "iam", "get_policy_version", PolicyArn=policy_arn, VersionId=version_id
            )
            if version is not None:
                data["PolicyVersion"] = version.get("PolicyVersion")
        name = safe_name(str(policy.get("PolicyName") or policy_arn.rsplit("/", 1)[-1]))
        self.save(f"{folder}/{name}.json", data, f"iam:GetPolicy+GetPolicyVersion ({label})")

    def acquire_logs(self, config: dict[str, Any]) -> None:
        group = (config.get("LoggingConfig") or {}).get("LogGroup") or f"/aws/lambda/{self.name}"
        self.say(f"log group {group}")
        groups = self.aws.paginate(
            "logs",
            self.region,
            "describe_log_groups",
            "logGroups",
            resource=group,
            logGroupNamePrefix=group,
        )
        match = [g for g in groups or [] if g.get("logGroupName") == group]
        self.save(
            "logs/log_group.json",
            {"logGroupName": group, "found": bool(match), "metadata": match[0] if match else None},
            "logs:DescribeLogGroups",
        )
        if not match:
            return
        kwargs: dict[str, Any] = {"logGroupName": group}
        if self.options.since:
            kwargs["startTime"] = int(self.options.since.timestamp() * 1000)
        if self.options.until:
            kwargs["endTime"] = int(self.options.until.timestamp() * 1000)
        before = len(self.aws.gaps)
        with self.bundle.stream("logs/events.jsonl", "logs:FilterLogEvents") as writer:
            for page in self.aws.iter_pages("logs", self.region, "filter_log_events", **kwargs):
                for event in page.get("events", []):
                    writer.write_line({**event, "logGroupName": group})
                    self.log_events += 1
        self.bundle.artifacts[-1].extra["records"] = self.log_events
        if len(self.aws.gaps) > before:
            self.bundle.artifacts[-1].extra["complete"] = False

    def acquire_cloudtrail(self) -> None:
        opts = self.options
        if opts.cloudtrail:
            sources = ", ".join(str(p) for p in opts.cloudtrail)
            self.say("CloudTrail files")
            with self.bundle.stream("cloudtrail/events.jsonl", f"file:{sources}") as writer:
                for path in opts.cloudtrail:
                    for event in iter_function_events(path, self.name, opts.since, opts.until):
                        writer.write_line(event)
                        self.cloudtrail_events += 1
        else:
            self.say("CloudTrail LookupEvents")
            kwargs: dict[str, Any] = {
                "LookupAttributes": [
                    {"AttributeKey": "EventSource", "AttributeValue": "lambda.amazonaws.com"}
                ]
            }
            if opts.since:
                kwargs["StartTime"] = opts.since
            if opts.until:
                kwargs["EndTime"] = opts.until
            before = len(self.aws.gaps)
            with self.bundle.stream("cloudtrail/events.jsonl", "cloudtrail:LookupEvents") as writer:
                for event in self._lookup(kwargs):
                    writer.write_line(event)
                    self.cloudtrail_events += 1
            if len(self.aws.gaps) > before:
                self.bundle.artifacts[-1].extra["complete"] = False
        self.bundle.artifacts[-1].extra["records"] = self.cloudtrail_events

    def _lookup(self, kwargs: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for page in self.aws.iter_pages("cloudtrail", self.region, "lookup_events", **kwargs):
            for item in page.get("Events", []):
                raw = item.get("CloudTrailEvent")
                try:
                    event = json.loads(raw) if isinstance(raw, str) else None
                except ValueError:
                    event = None
                if isinstance(event, dict) and concerns_function(event, self.name):
                    yield event


def _policy_doc(answer: dict[str, Any]) -> dict[str, Any]:
    text = answer.get("Policy")
    out = dict(answer)
    if isinstance(text, str):
        with contextlib.suppress(ValueError):
            out["Policy"] = json.loads(text)
    return out


def default_output(function: str, zipped: bool) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = safe_name(function.split(":function:")[-1].split(":")[0])
    return Path(f"fortress-evidence-{name}-{stamp}{'.zip' if zipped else ''}")


def acquire(aws: AwsClient, options: AcquireOptions) -> AcquireResult:
    """Collect everything about ``options.function`` into a bundle; never writes to AWS."""
    started = utcnow()
    if options.until is None:
        options.until = datetime.now(UTC)
    if options.since is None:
        options.since = options.until - DEFAULT_WINDOW
    if options.since > options.until:
        raise FortressError("--since is after --until")
    output = options.output
    if options.zip and output.exists():
        raise FortressError(f"{output}: already exists; bundles are never overwritten")
    if not output.parent.is_dir():
        raise FortressError(f"{output.parent}: no such directory for the bundle")
    created = not output.exists()
    workdir = (
        Path(tempfile.mkdtemp(prefix=".fortress-bundle-", dir=output.parent)) / "bundle"
        if options.zip
        else output
    )
    bundle = BundleWriter(workdir)
    job = _Acquisition(aws, options, bundle)
    finished = False
    try:
        versions = job.run()
        manifest = {
            "tool": {"name": TOOL_NAME, "version": __version__},
            "function": {
                "requested": options.function,
                "name": job.name,
                "arn": job.arn,
                "region": job.region,
                "versions": versions,
            },
            "collector": job.identity,
            "started_at": started,
            "finished_at": utcnow(),
            "window": {"since": _iso(options.since), "until": _iso(options.until)},
            "options": {
                "redacted": options.redact,
                "cloudtrail": [str(p) for p in options.cloudtrail] or "LookupEvents",
                "max_download_bytes": options.max_download_bytes,
                "archive_limits": {
                    "max_total_bytes": options.archive_limits.max_total_bytes,
                    "max_files": options.archive_limits.max_files,
                    "max_ratio": options.archive_limits.max_ratio,
                },
            },
            "code_checks": job.code_checks,
            "integrity_failures": [c for c in job.code_checks if c["status"] == "MISMATCH"],
            "package_checks": job.package_checks,
            "gaps": [g.to_dict() for g in aws.gaps],
            "counts": {"log_events": job.log_events, "cloudtrail_events": job.cloudtrail_events},
        }
        digest = bundle.finalize(manifest)
        final = output
        finished = True
        if options.zip:
            zip_bundle(workdir, output)
    finally:
        if options.zip:
            shutil.rmtree(workdir.parent, ignore_errors=True)
        elif not finished and created:
            # A failed acquisition leaves no half bundle without a manifest behind.
            shutil.rmtree(workdir, ignore_errors=True)
    return AcquireResult(
        bundle=final,
        manifest_sha256=digest,
        function_arn=job.arn,
        artifacts=len(bundle.artifacts),
        versions=versions,
        gaps=list(aws.gaps),
        code_checks=job.code_checks,
        package_checks=job.package_checks,
        log_events=job.log_events,
        cloudtrail_events=job.cloudtrail_events,
    )
