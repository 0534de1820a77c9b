"""Serverless Framework ``serverless.yml`` → Inventory, modelling what the framework deploys.

The file is parsed with cfn-lint's YAML loader (line numbers, ``!Ref``-style tags in
``resources``), variables are resolved by :mod:`fortress.sources.serverless_vars` (``self``,
``opt``, ``sls``, ``env`` from ``--parameter`` only, ``param``, ``aws:region``, ``file(...)``
inside the service folder; remote sources such as ``ssm``/``cf`` become Unknown), and the service
is compiled to the template the framework would deploy: one shared execution role
``IamRoleLambdaExecution`` named ``<service>-<stage>-<region>-lambdaRole`` (the logs statement,
``provider.iam.role.statements`` / ``iamRoleStatements``, ``managedPolicies``) serving every
function without its own ``role``, one function ``<Name>LambdaFunction`` and one log group
``<Name>LogGroup`` (``provider.logRetentionInDays``) per function, the REST API
``ApiGatewayRestApi`` for ``http`` events and ``HttpApi`` for ``httpApi`` events, then
``resources.Resources`` merged on top. That template goes through the CloudFormation/SAM
mapper, with origins pointing at serverless.yml lines (or the included file's lines, for
``functions``/``resources`` given as ``${file(...)}``).

``opt:`` variables come from ``IacOptions.parameters`` (``--parameter stage=prod``); ``stage``
defaults to ``dev``. What the scan cannot follow (a ``${file()}`` outside the folder or
missing) is a gap note; a field of the wrong type is an error note naming file, function and
property, and the rest of the service is scanned. A service whose ``provider.name`` is not
``aws`` is skipped with a warning note.

``resources.Resources`` entries named like a generated resource extend it, as the framework
does: ``ListLambdaFunction``/``ListLogGroup`` properties are merged, and the stage overrides
``ApiGatewayStage``/``HttpApiStage`` set the generated API's stage settings.

Suppressions: a function's ``fortress: {skip: [{id: FTR-..., reason: ...}]}`` applies to that
function and its log group; ``custom: {fortress: {skip: [...]}}`` applies to every resource the
framework generates; resources under ``resources.Resources`` use CloudFormation ``Metadata``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fortress import safeio
from fortress.errors import InputError
from fortress.inventory import (
    NOTE_ERROR,
    NOTE_WARNING,
    Inventory,
    Origin,
    SourceNote,
    Unknown,
)
from fortress.sources import serverless_alb, serverless_package, serverless_ws
from fortress.sources.base import IacOptions, gc_paused
from fortress.sources.cfn_intrinsics import first_unknown
from fortress.sources.cloudformation import (
    LAMBDA_TRUST,
    PACKAGE_BUCKET,
    build_inventory,
    key_line,
    suppressions_of,
)
from fortress.sources.detect import SERVERLESS_FILES as FILENAMES
from fortress.sources.detect import serverless as detect  # noqa: F401 - the source contract
from fortress.sources.serverless_schema import (
    FUNCTION_FIELDS,
    PROVIDER_FIELDS,
    ROLE_FIELDS,
    is_intrinsic,
    line_of_item,
    name_text,
    wrong_fields,
)
from fortress.sources.serverless_settings import logging_config, runtime_management
from fortress.sources.serverless_vars import MAX_FILES, Variables, decode, kind_of

FORMAT = "serverless"
VPC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
_INCLUDE = re.compile(r"\$\{file\(([^)]*)\)")
# The framework's stage resources (``ApiGatewayStage`` for the REST API, ``HttpApiStage`` for the
# HTTP API); a service overrides them under ``resources.Resources`` (stage variables, method or
# route settings, logs), and those settings land on the generated API's stage.
STAGE_OVERRIDES = {
    "ApiGatewayStage": (
        "ApiGatewayRestApi",
        ("Variables", "MethodSettings", "TracingEnabled", "AccessLogSetting"),
    ),
    "HttpApiStage": (
        "HttpApi",
        ("DefaultRouteSettings", "RouteSettings", "AccessLogSettings", "StageVariables"),
    ),
}


def included_files(path: Path) -> set[Path]:
    """The files a service includes with a literal ``${file(...)}`` path, directly or from an
    included file (real paths, inside its folder): fragments of the service, not templates of
    their own when a folder is walked."""
    file = path / FILENAMES[0] if path.is_dir() else path
    if path.is_dir() and not file.is_file():
        file = path / FILENAMES[1]
    root = Path(os.path.realpath(file.parent))
    found: set[Path] = set()
    pending = [file]
    while pending and len(found) < MAX_FILES:
        try:
            text = pending.pop().read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for match in _INCLUDE.finditer(text):
            name = match.group(1).strip().strip("'\"").strip()
            if not name or "${" in name:
                continue
            real = Path(os.path.realpath(root / name))
            if real.is_relative_to(root) and real not in found and real.is_file():
                found.add(real)
                pending.append(real)
    return found


def load(path: Path, options: IacOptions) -> Inventory:
    if path.is_dir():
        for name in FILENAMES:
            if (path / name).is_file():
                path = path / name
                break
        else:
            raise InputError(str(path), "no serverless.yml in this folder")
    if not path.is_file():
        raise InputError(str(path), "no such file")
    safeio.check_template(path)  # a regular file under the size cap, or an InputError
    with gc_paused():
        try:
            doc = decode(path.read_text(encoding="utf-8"), str(path))
        except UnicodeDecodeError:
            raise InputError(str(path), "serverless.yml is not UTF-8 text") from None
        except Exception as exc:
            mark = getattr(exc, "problem_mark", None)
            line = int(mark.line) + 1 if mark is not None else None
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise InputError(str(path), f"serverless.yml does not parse: {problem}", line) from None
        if not isinstance(doc, Mapping) or "service" not in doc:
            raise InputError(str(path), "not a Serverless Framework file (no 'service')", 1)
        return _Compiler(doc, str(path), options).compile()


# --------------------------------------------------------------------------- compilation


def _normalize(name: str) -> str:
    """The framework's logical id part for a function key: ``my-fn_x`` → ``MyDashfnUnderscorex``."""
    text = name[:1].upper() + name[1:]
    return text.replace("-", "Dash").replace("_", "Underscore")


class _Compiler:
    def __init__(self, doc: Mapping[str, Any], file: str, options: IacOptions) -> None:
        self.raw = doc
        self.file = file
        self.options = options
        self.vars = Variables(doc, options, file)
        self.notes: list[SourceNote] = self.vars.notes
        self.resources: dict[str, Any] = {}
        self.origins: dict[str, Origin] = {}
        custom = doc.get("custom")
        self.shared_skips = suppressions_of(custom) if isinstance(custom, Mapping) else ()

    def origin(
        self,
        logical: str,
        line: int | None,
        skips: tuple[tuple[str, str], ...] = (),
        file: str | None = None,
    ) -> Origin:
        return Origin(
            source=FORMAT,
            account=self.options.account or "${AWS::AccountId}",
            region=self.options.region,
            file=file or self.file,
            line=line,
            logical_id=logical,
            suppressions=(*skips, *self.shared_skips),
        )

    def add(self, logical: str, rtype: str, props: Mapping[str, Any], origin: Origin) -> None:
        self.resources[logical] = {"Type": rtype, "Properties": dict(props)}
        self.origins[logical] = origin

    def error(self, line: int | None, message: str, file: str | None = None) -> None:
        """A malformed part: an input error note; the caller leaves the part out."""
        with self.vars.within(file or self.vars.current):
            self.vars.note(NOTE_ERROR, line, message)

    def checked(
        self,
        values: Mapping[str, Any],
        raw: Any,
        fields: Mapping[str, tuple[type, ...]],
        what: str,
        file: str | None = None,
    ) -> dict[str, Any]:
        """``values`` without the fields of the wrong type, each reported as an input error."""
        out = dict(values)
        for key, expected in wrong_fields(values, fields):
            line = key_line(raw, key) if isinstance(raw, Mapping) else None
            self.error(line, f"{what}: {key} must be {expected}, not {kind_of(out.pop(key))}", file)
        return out

    def compile(self) -> Inventory:
        r = self.vars.resolve
        raw_service = self.raw.get("service")
        service = r(raw_service)
        if isinstance(service, Mapping):
            raw_service = raw_service.get("name") if isinstance(raw_service, Mapping) else None
            service = service.get("name", "service")
        service = name_text(service, raw_service, "service")
        stage = self.vars.stage()
        stage_text = name_text(stage, None, "dev")
        prefix = f"{service}-{stage_text}"
        provider_line = key_line(self.raw, "provider") or 1
        provider = self._provider(provider_line)
        name = provider.get("name")
        if isinstance(name, str) and name.strip().lower() != "aws":
            self.vars.note(
                NOTE_WARNING,
                provider_line,
                f"provider {name} is not AWS Lambda; skipped",
                subject=f"service {service}",
            )
            return Inventory(scope="template", sources=[FORMAT], notes=list(self.notes))
        functions, function_files = self._functions()

        iam = provider.get("iam") if isinstance(provider.get("iam"), Mapping) else {}
        role_cfg = iam.get("role") if isinstance(iam, Mapping) else None
        # ``iam.role`` is the framework's role's settings, or another role (a name, an ARN, a
        # ``!GetAtt Role.Arn``) that then serves every function instead.
        custom_role = (
            role_cfg
            if isinstance(role_cfg, (str, Unknown)) or is_intrinsic(role_cfg)
            else provider.get("role")
        )
        role_ref: Any = (
            custom_role
            if custom_role is not None
            else {"Fn::GetAtt": ["IamRoleLambdaExecution", "Arn"]}
        )
        # The framework creates its role only for functions that name no role of their own.
        if custom_role is None and any(fn.get("role") is None for fn in functions.values()):
            region = name_text(self.vars.region(), None, "${AWS::Region}")
            default_name = f"{prefix}-{region}-lambdaRole"
            self._shared_role(provider, role_cfg, prefix, provider_line, default_name)

        rest_events: list[Any] = []
        http_events: list[Any] = []
        websockets = serverless_ws.WebSockets()
        albs = serverless_alb.AlbEvents()
        for key, fn in functions.items():
            raw_fn, file, line = function_files[key]
            skips = suppressions_of(fn)
            lid = f"{_normalize(key)}LambdaFunction"
            name = name_text(fn.get("name"), raw_fn.get("name"), f"{prefix}-{key}")
            props = self._function_props(fn, provider, name, role_ref)
            events: dict[str, Any] = {}
            raw_events = raw_fn.get("events")
            for i, event in enumerate(fn.get("events") or []):
                where = line_of_item(raw_events, i) or line
                if serverless_ws.is_websocket(event):
                    websockets.add_event(lid, line, event["websocket"], where, file)
                    continue
                if serverless_alb.is_alb(event):
                    albs.add_event(lid, event["alb"], where, file)
                    continue
                converted = self._event(event, i, key, rest_events, http_events, where, file)
                if converted is not None:
                    events[f"Event{i}"] = converted
            props["Events"] = events
            origin = self.origin(lid, line, skips, file)
            self.add(lid, "AWS::Serverless::Function", props, origin)
            if not fn.get("disableLogs"):
                group: dict[str, Any] = {"LogGroupName": f"/aws/lambda/{name}"}
                if provider.get("logRetentionInDays") is not None:
                    group["RetentionInDays"] = provider["logRetentionInDays"]
                log_id = f"{_normalize(key)}LogGroup"
                self.add(
                    log_id, "AWS::Logs::LogGroup", group, self.origin(log_id, line, skips, file)
                )
        if rest_events:
            self._rest_api(provider, prefix, stage_text, provider_line, functions)
        if http_events:
            self._http_api(provider, prefix, provider_line)

        def made(lid: str, at: int | None, where: str) -> Origin:
            return self.origin(lid, at, (), where)

        websockets.compile(provider, prefix, self.add, made)
        albs.compile(provider, self.add, made)

        template: dict[str, Any] = {
            "Transform": "AWS::Serverless-2016-10-31",
            "Resources": self.resources,
        }
        raw_layers = self.raw.get("layers")
        layers = self.vars.resolve(raw_layers)
        for lid, props, line in serverless_package.layers(layers, raw_layers, self._package()):
            self.add(lid, "AWS::Lambda::LayerVersion", props, self.origin(lid, line))
        self._user_resources(template)
        inventory = build_inventory(template, self.file, FORMAT, self.options, self.origins)
        inventory.sources = [FORMAT]
        inventory.notes = [*inventory.notes, *self.notes]
        return inventory

    def _provider(self, line: int) -> dict[str, Any]:
        raw = self.raw.get("provider")
        if raw is None:
            return {}
        provider = self.vars.resolve(raw)
        if isinstance(provider, Unknown):
            return {}
        if not isinstance(provider, Mapping):
            self.error(
                line, f"provider must be a mapping (name: aws, ...), not {kind_of(provider)}"
            )
            return {}
        provider = self.checked(provider, raw, PROVIDER_FIELDS, "provider")
        iam = provider.get("iam")
        if isinstance(iam, Mapping):
            raw_iam = raw.get("iam") if isinstance(raw, Mapping) else None
            role = iam.get("role")
            if role is not None and not isinstance(role, (str, Mapping, Unknown)):
                self.error(
                    key_line(raw_iam or {}, "role") or line,
                    f"provider.iam: role must be a role name, ARN or mapping, not {kind_of(role)}",
                )
                iam = {k: v for k, v in iam.items() if k != "role"}
            elif isinstance(role, Mapping):
                raw_role = raw_iam.get("role") if isinstance(raw_iam, Mapping) else None
                role = self.checked(
                    role,
                    raw_role,
                    ROLE_FIELDS,
                    "provider.iam.role",
                )
                iam = {**iam, "role": role}
            provider["iam"] = iam
        return provider

    def _functions(
        self,
    ) -> tuple[dict[str, Any], dict[str, tuple[Mapping[str, Any], str, int | None]]]:
        """The resolved functions, and per function its raw node, file and line."""
        raw = self.raw.get("functions")
        if raw is None:
            return {}, {}
        functions: dict[str, Any] = {}
        where: dict[str, tuple[Mapping[str, Any], str, int | None]] = {}
        line = key_line(self.raw, "functions")
        for part, file in self.vars.sections(raw, line):
            if isinstance(part, Unknown):
                continue
            if not isinstance(part, Mapping):
                self.error(line, f"functions must be a mapping of functions, not {kind_of(part)}")
                continue
            with self.vars.within(file):
                for key, raw_fn in part.items():
                    name, fn_line = str(key), key_line(part, key)
                    fn = self.vars.resolve(raw_fn)
                    if isinstance(fn, Unknown):
                        continue
                    if not isinstance(fn, Mapping):
                        self.error(
                            fn_line,
                            f"function {name} must be a mapping (handler: ...), not {kind_of(fn)}",
                        )
                        continue
                    raw_map = raw_fn if isinstance(raw_fn, Mapping) else {}
                    functions[name] = self.checked(
                        fn, raw_map, FUNCTION_FIELDS, f"function {name}", file
                    )
                    where[name] = (raw_map, file, fn_line)
        return functions, where

    def _user_resources(self, template: dict[str, Any]) -> None:
        """``resources`` (a mapping, a ``${file()}`` or a list of them) merged on top."""
        raw = self.raw.get("resources")
        if raw is None:
            return
        line = key_line(self.raw, "resources")
        for part, file in self.vars.sections(raw, line):
            if isinstance(part, Unknown):
                continue
            if not isinstance(part, Mapping):
                self.error(
                    line, f"resources must be a mapping (Resources: ...), not {kind_of(part)}"
                )
                continue
            with self.vars.within(file):
                self._resource_part(template, part, file, line)

    def _resource_part(
        self, template: dict[str, Any], part: Mapping[str, Any], file: str, line: int | None
    ) -> None:
        r = self.vars.resolve
        user = part.get("Resources")
        if user is not None and not isinstance(user, Mapping):
            self.error(
                key_line(part, "Resources") or line,
                f"resources.Resources must be a mapping, not {kind_of(user)}",
            )
            user = None
        user = user or {}
        for lid, res in user.items():
            resolved = r(res)
            res_line = key_line(user, lid)
            if isinstance(resolved, Unknown):
                continue
            api_id, stage_keys = STAGE_OVERRIDES.get(str(lid), ("", ()))
            if api_id in self.resources:
                override = resolved.get("Properties") if isinstance(resolved, Mapping) else None
                if isinstance(override, Mapping):
                    api = self.resources[api_id]["Properties"]
                    api.update({k: override[k] for k in stage_keys if k in override})
                continue
            if not isinstance(resolved, Mapping):
                self.error(
                    res_line,
                    f"resource {lid} must be a mapping (Type: ...), not {kind_of(resolved)}",
                )
                continue
            props = resolved.get("Properties", {})
            if not isinstance(props, Mapping):
                self.error(
                    res_line, f"resource {lid}: Properties must be a mapping, not {kind_of(props)}"
                )
                continue
            if lid in self.resources:
                merged = dict(self.resources[lid])
                merged["Properties"] = {**merged.get("Properties", {}), **props}
                self.resources[lid] = merged
                continue
            if not isinstance(resolved.get("Type"), str):
                self.error(res_line, f"resource {lid} has no Type")
                continue
            self.resources[str(lid)] = resolved
            meta = res.get("Metadata") if isinstance(res, Mapping) else None
            self.origins[str(lid)] = self.origin(str(lid), res_line, suppressions_of(meta), file)
        for section in ("Conditions", "Parameters", "Mappings"):
            value = part.get(section)
            if isinstance(value, Mapping):
                template.setdefault(section, {}).update(r(value))

    # ------------------------------------------------------------------ parts

    def _shared_role(
        self, provider: Mapping[str, Any], role_cfg: Any, prefix: str, line: int, name: str
    ) -> None:
        """The framework's one execution role for every function that names no ``role``."""
        statements: list[Any] = [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:CreateLogGroup", "logs:TagResource"],
                "Resource": [
                    {
                        "Fn::Sub": f"arn:aws:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/{prefix}*:*"
                    }
                ],
            },
            {
                "Effect": "Allow",
                "Action": ["logs:PutLogEvents"],
                "Resource": [
                    {
                        "Fn::Sub": f"arn:aws:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/{prefix}*:*:*"
                    }
                ],
            },
        ]
        role_cfg = role_cfg if isinstance(role_cfg, Mapping) else {}
        for source in (role_cfg.get("statements"), provider.get("iamRoleStatements")):
            if isinstance(source, list):
                statements.extend(source)
            elif isinstance(source, Unknown):
                statements.append(source)
        managed = role_cfg.get("managedPolicies", provider.get("iamManagedPolicies", []))
        managed = list(managed) if isinstance(managed, list) else [managed]
        if provider.get("vpc"):
            managed.append(VPC_EXECUTION)
        role_name = role_cfg.get("name")
        props: dict[str, Any] = {
            "RoleName": role_name if isinstance(role_name, str) and role_name else name,
            "AssumeRolePolicyDocument": LAMBDA_TRUST,
            "Policies": [
                {
                    "PolicyName": f"{prefix}-lambda",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ],
            "ManagedPolicyArns": managed,
        }
        if role_cfg.get("permissionsBoundary") is not None:
            props["PermissionsBoundary"] = role_cfg["permissionsBoundary"]
        iam_line = line
        raw_provider = self.raw.get("provider")
        if isinstance(raw_provider, Mapping):
            iam_line = (
                key_line(raw_provider, "iam") or key_line(raw_provider, "iamRoleStatements") or line
            )
        self.add(
            "IamRoleLambdaExecution",
            "AWS::IAM::Role",
            props,
            self.origin("IamRoleLambdaExecution", iam_line),
        )

    def _package(self) -> Mapping[str, Any]:
        """The service-level ``package`` settings (empty when absent or malformed)."""
        package = self.vars.resolve(self.raw.get("package"))
        return package if isinstance(package, Mapping) else {}

    def _function_props(
        self, fn: Mapping[str, Any], provider: Mapping[str, Any], name: Any, role: Any
    ) -> dict[str, Any]:
        props: dict[str, Any] = {"FunctionName": name, "Role": fn.get("role", role)}
        if isinstance(props["Role"], str) and not props["Role"].startswith("arn:"):
            props["Role"] = {"Fn::GetAtt": [props["Role"], "Arn"]}
        if fn.get("image"):
            props["PackageType"] = "Image"
        else:
            props["Runtime"] = fn.get("runtime", provider.get("runtime"))
            props["Handler"] = fn.get("handler")
            props["CodeUri"] = serverless_package.function_code(fn, self._package())
        props["MemorySize"] = fn.get("memorySize", provider.get("memorySize", 1024))
        props["Timeout"] = fn.get("timeout", provider.get("timeout", 6))
        env: dict[str, Any] = {}
        for source in (provider.get("environment"), fn.get("environment")):
            if isinstance(source, Mapping):
                env.update(source)
        if env:
            props["Environment"] = {"Variables": env}
        bucket = provider.get("deploymentBucket")
        if isinstance(bucket, Mapping):
            bucket = bucket.get("name")  # without a name: the framework's own bucket
        if bucket is not None and not fn.get("image"):
            props[PACKAGE_BUCKET] = bucket
        kms = fn.get("kmsKeyArn", provider.get("kmsKeyArn"))
        if kms is not None:
            props["KmsKeyArn"] = kms
        vpc = fn.get("vpc", provider.get("vpc"))
        if isinstance(vpc, Mapping):
            props["VpcConfig"] = {
                "SubnetIds": vpc.get("subnetIds", []),
                "SecurityGroupIds": vpc.get("securityGroupIds", []),
            }
        tracing = provider.get("tracing") if isinstance(provider.get("tracing"), Mapping) else {}
        mode = fn.get("tracing", tracing.get("lambda") if isinstance(tracing, Mapping) else None)
        if mode is not None:
            props["Tracing"] = (
                "Active" if mode is True or str(mode).lower() == "active" else "PassThrough"
            )
        layers = [*(provider.get("layers") or []), *(fn.get("layers") or [])]
        if layers:
            props["Layers"] = layers
        fs = fn.get("fileSystemConfig")
        if isinstance(fs, Mapping):
            props["FileSystemConfigs"] = [
                {"Arn": fs.get("arn"), "LocalMountPath": fs.get("localMountPath")}
            ]
        if fn.get("ephemeralStorageSize") is not None:
            props["EphemeralStorage"] = {"Size": fn["ephemeralStorageSize"]}
        if fn.get("reservedConcurrency") is not None:
            props["ReservedConcurrentExecutions"] = fn["reservedConcurrency"]
        tags = {**(provider.get("tags") or {}), **(fn.get("tags") or {})}
        if tags:
            props["Tags"] = tags
        on_error = fn.get("onError")
        if isinstance(on_error, str):
            props["DeadLetterQueue"] = {"Type": "SNS", "TargetArn": on_error}
        destinations = fn.get("destinations")
        if isinstance(destinations, Mapping) and destinations.get("onFailure"):
            props["EventInvokeConfig"] = {
                "DestinationConfig": {"OnFailure": {"Destination": destinations["onFailure"]}}
            }
        url = fn.get("url")
        if url:
            url = url if isinstance(url, Mapping) else {}
            config: dict[str, Any] = {
                "AuthType": "AWS_IAM" if url.get("authorizer") == "aws_iam" else "NONE"
            }
            cors = url.get("cors")
            if cors is True:
                config["Cors"] = {"AllowOrigins": ["*"]}
            elif isinstance(cors, Mapping):
                config["Cors"] = {
                    "AllowOrigins": cors.get("allowedOrigins", ["*"]),
                    "AllowCredentials": bool(cors.get("allowCredentials", False)),
                }
            props["FunctionUrlConfig"] = config
        logging = logging_config(provider, fn)
        if logging:
            props["LoggingConfig"] = logging
        runtime = runtime_management(fn.get("runtimeManagement", provider.get("runtimeManagement")))
        if runtime is not None and not fn.get("image"):
            props["RuntimeManagementConfig"] = runtime
        if fn.get("codeSigningConfigArn") or provider.get("codeSigningConfigArn"):
            props["CodeSigningConfigArn"] = fn.get(
                "codeSigningConfigArn", provider.get("codeSigningConfigArn")
            )
        return {k: v for k, v in props.items() if v is not None}

    def _event(
        self,
        event: Any,
        index: int,
        key: str,
        rest_events: list[Any],
        http_events: list[Any],
        line: int | None,
        file: str,
    ) -> dict[str, Any] | None:
        if isinstance(event, Unknown):
            return None
        if not isinstance(event, Mapping) or len(event) != 1:
            self.error(
                line,
                f"function {key}: events[{index}] must be a mapping with one event type "
                f"(- http: ...), not {kind_of(event)}",
                file,
            )
            return None
        etype, spec = next(iter(event.items()))
        if etype in ("http", "httpApi") and not isinstance(spec, (str, Mapping, Unknown)):
            self.error(
                line,
                f"function {key}: events[{index}].{etype} must be a mapping or "
                f"'METHOD /path', not {kind_of(spec)}",
                file,
            )
            return None
        if etype == "http":
            if isinstance(spec, str):
                method, _, path = spec.partition(" ")
                spec = {"method": method, "path": path}
            if not isinstance(spec, Mapping):
                return None
            rest_events.append(spec)
            props: dict[str, Any] = {
                "RestApiId": {"Ref": "ApiGatewayRestApi"},
                "Path": "/" + str(spec.get("path", "")).lstrip("/"),
                "Method": str(spec.get("method", "any")).upper(),
            }
            auth: dict[str, Any] = {}
            authorizer = spec.get("authorizer")
            if authorizer is not None:
                auth["Authorizer"] = _authorizer_name(authorizer)
            if spec.get("private") is not None:
                auth["ApiKeyRequired"] = (
                    bool(spec["private"])
                    if not isinstance(spec["private"], Unknown)
                    else spec["private"]
                )
            if auth:
                props["Auth"] = auth
            request = spec.get("request")
            if isinstance(request, Mapping) and request.get("schemas"):
                props["RequestModel"] = {"Model": "schema", "ValidateBody": True}
            return {"Type": "Api", "Properties": props}
        if etype == "httpApi":
            if isinstance(spec, str):
                spec = (
                    {}
                    if spec == "*"
                    else dict(zip(("method", "path"), spec.split(" ", 1), strict=False))
                )
            if not isinstance(spec, Mapping):
                return None
            http_events.append(spec)
            props = {"ApiId": {"Ref": "HttpApi"}}
            if spec.get("method") or spec.get("path"):
                props["Method"] = str(spec.get("method", "*")).upper()
                props["Path"] = str(spec.get("path", "/"))
            authorizer = spec.get("authorizer")
            if authorizer is not None:
                props["Auth"] = {"Authorizer": _authorizer_name(authorizer)}
            return {"Type": "HttpApi", "Properties": props}
        if etype == "sqs":
            arn = spec.get("arn") if isinstance(spec, Mapping) else spec
            return {"Type": "SQS", "Properties": {"Queue": arn}}
        if etype == "stream":
            arn = spec.get("arn") if isinstance(spec, Mapping) else spec
            kind = (
                "Kinesis"
                if "kinesis" in str(arn)
                or (isinstance(spec, Mapping) and spec.get("type") == "kinesis")
                else "DynamoDB"
            )
            return {"Type": kind, "Properties": {"Stream": arn}}
        if etype == "sns":
            topic = spec.get("arn", spec.get("topicName")) if isinstance(spec, Mapping) else spec
            if isinstance(topic, str) and not topic.startswith("arn:"):
                topic = {"Fn::Sub": f"arn:aws:sns:${{AWS::Region}}:${{AWS::AccountId}}:{topic}"}
            return {"Type": "SNS", "Properties": {"Topic": topic}}
        if etype == "s3":
            bucket = spec.get("bucket") if isinstance(spec, Mapping) else spec
            return {"Type": "S3", "Properties": {"Bucket": bucket}}
        if etype == "schedule":
            return {"Type": "Schedule", "Properties": {}}
        if etype in ("eventBridge", "cloudwatchEvent"):
            return {"Type": "EventBridgeRule", "Properties": {}}
        if etype == "cloudwatchLog":
            return {"Type": "CloudWatchLogs", "Properties": {}}
        if etype == "iot":
            return {"Type": "IoTRule", "Properties": {}}
        if etype == "cognitoUserPool":
            return {"Type": "Cognito", "Properties": {}}
        if etype == "alexaSkill":
            return {"Type": "AlexaSkill", "Properties": {}}
        return None

    def _authorizers(self, functions: Mapping[str, Any]) -> dict[str, Any]:
        definitions: dict[str, Any] = {}
        for fn in functions.values():
            for event in (fn.get("events") or []) if isinstance(fn, Mapping) else []:
                spec = event.get("http") if isinstance(event, Mapping) else None
                authorizer = spec.get("authorizer") if isinstance(spec, Mapping) else None
                if authorizer is None:
                    continue
                name = _authorizer_name(authorizer)
                if name in ("AWS_IAM", "NONE"):
                    continue
                arn = authorizer.get("arn") if isinstance(authorizer, Mapping) else None
                kind = authorizer.get("type") if isinstance(authorizer, Mapping) else None
                if (isinstance(arn, str) and "cognito-idp" in arn) or str(
                    kind
                ).upper() == "COGNITO_USER_POOLS":
                    definitions[name] = {"UserPoolArn": arn or name}
                else:
                    definitions[name] = {"FunctionArn": arn or name}
        return definitions

    def _rest_api(
        self,
        provider: Mapping[str, Any],
        prefix: str,
        stage: Any,
        line: int,
        functions: Mapping[str, Any],
    ) -> None:
        props: dict[str, Any] = {"Name": prefix, "StageName": stage}
        auth: dict[str, Any] = {"Authorizers": self._authorizers(functions)}
        gateway = (
            provider.get("apiGateway") if isinstance(provider.get("apiGateway"), Mapping) else {}
        )
        plan = gateway.get("usagePlan") if isinstance(gateway, Mapping) else None
        if isinstance(plan, Mapping) and isinstance(plan.get("throttle"), Mapping):
            throttle = plan["throttle"]
            auth["UsagePlan"] = {
                "CreateUsagePlan": "PER_API",
                "Throttle": {
                    "RateLimit": throttle.get("rateLimit"),
                    "BurstLimit": throttle.get("burstLimit"),
                },
            }
        policy = gateway.get("resourcePolicy") if isinstance(gateway, Mapping) else None
        if policy is not None:  # the framework writes these statements as the API's policy
            auth["ResourcePolicy"] = {"CustomStatements": policy}
        props["Auth"] = auth
        logs = provider.get("logs") if isinstance(provider.get("logs"), Mapping) else {}
        rest_logs = logs.get("restApi") if isinstance(logs, Mapping) else None
        if rest_logs:
            rest_logs = rest_logs if isinstance(rest_logs, Mapping) else {}
            if rest_logs.get("accessLogging", True):
                props["AccessLogSetting"] = {
                    "DestinationArn": {
                        "Fn::Sub": f"arn:aws:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/api-gateway/{prefix}"
                    }
                }
            if rest_logs.get("executionLogging", True):
                props["MethodSettings"] = [
                    {
                        "ResourcePath": "/*",
                        "HttpMethod": "*",
                        "LoggingLevel": rest_logs.get("level", "INFO"),
                    }
                ]
        tracing = provider.get("tracing") if isinstance(provider.get("tracing"), Mapping) else {}
        if isinstance(tracing, Mapping) and tracing.get("apiGateway"):
            props["TracingEnabled"] = True
        line = key_line(self.raw.get("provider") or {}, "apiGateway") or line  # type: ignore[arg-type]
        self.add(
            "ApiGatewayRestApi",
            "AWS::Serverless::Api",
            props,
            self.origin("ApiGatewayRestApi", line),
        )

    def _http_api(self, provider: Mapping[str, Any], prefix: str, line: int) -> None:
        props: dict[str, Any] = {"Name": prefix}
        http = provider.get("httpApi") if isinstance(provider.get("httpApi"), Mapping) else {}
        authorizers: dict[str, Any] = {}
        for name, spec in (
            (http.get("authorizers") or {}).items() if isinstance(http, Mapping) else []
        ):
            if isinstance(spec, Mapping) and spec.get("type") == "request":
                authorizers[name] = {
                    "FunctionArn": spec.get("functionArn", spec.get("functionName", name))
                }
            else:
                authorizers[name] = {"JwtConfiguration": {"issuer": (spec or {}).get("issuerUrl")}}
        props["Auth"] = {"Authorizers": authorizers}
        cors = serverless_alb.http_api_cors(http.get("cors") if isinstance(http, Mapping) else None)
        if cors is not None:
            props["CorsConfiguration"] = cors
        logs = provider.get("logs") if isinstance(provider.get("logs"), Mapping) else {}
        if isinstance(logs, Mapping) and logs.get("httpApi"):
            props["AccessLogSettings"] = {
                "DestinationArn": {
                    "Fn::Sub": f"arn:aws:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/http-api/{prefix}"
                }
            }
        self.add("HttpApi", "AWS::Serverless::HttpApi", props, self.origin("HttpApi", line))


def _authorizer_name(authorizer: Any) -> Any:
    if isinstance(authorizer, Unknown):
        return authorizer
    if isinstance(authorizer, str):
        return "AWS_IAM" if authorizer == "aws_iam" else authorizer
    if isinstance(authorizer, Mapping):
        if str(authorizer.get("type", "")).lower() == "aws_iam":
            return "AWS_IAM"
        name = authorizer.get("name") or authorizer.get("arn") or authorizer.get("id")
        if name is None:
            return Unknown("authorizer without name or arn")
        bad = first_unknown(name)
        return bad if bad is not None else str(name)
    return Unknown(f"an authorizer given as {kind_of(authorizer)} is not understood")
