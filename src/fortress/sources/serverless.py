"""Serverless Framework ``serverless.yml`` → Inventory, modelling what the framework deploys.

The file is parsed with cfn-lint's YAML loader (line numbers, ``!Ref``-style tags in
``resources``), variables are resolved (``${self:...}``, ``${opt:name, default}``,
``${sls:stage}``, ``${env:NAME, default}``; ``${ssm:...}``, ``${cf:...}``, ``${file(...)}`` and
other remote sources become Unknown), and the service is compiled to the template the framework
would deploy: one shared execution role ``IamRoleLambdaExecution`` (the logs statement,
``provider.iam.role.statements`` / ``iamRoleStatements``, ``managedPolicies``), one function
``<Name>LambdaFunction`` and one log group ``<Name>LogGroup`` (``provider.logRetentionInDays``)
per function, the REST API ``ApiGatewayRestApi`` for ``http`` events and ``HttpApi`` for
``httpApi`` events, then ``resources.Resources`` merged on top. That template goes through the
CloudFormation/SAM mapper, with origins pointing at serverless.yml lines.

``opt:`` variables come from ``IacOptions.parameters`` (``--parameter stage=prod``); ``stage``
defaults to ``dev``. ``env:`` variables use their default, or stay Unknown: a scan does not read
the deploying machine's environment.

``resources.Resources`` entries named like a generated resource extend it, as the framework
does: ``ListLambdaFunction``/``ListLogGroup`` properties are merged, and the stage overrides
``ApiGatewayStage``/``HttpApiStage`` set the generated API's stage settings.

Suppressions: a function's ``fortress: {skip: [{id: FTR-..., reason: ...}]}`` applies to that
function and its log group; ``custom: {fortress: {skip: [...]}}`` applies to every resource the
framework generates; resources under ``resources.Resources`` use CloudFormation ``Metadata``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fortress import safeio
from fortress.errors import InputError
from fortress.inventory import Inventory, Origin, Unknown
from fortress.sources.base import IacOptions
from fortress.sources.cfn_intrinsics import first_unknown, plain
from fortress.sources.cloudformation import (
    LAMBDA_TRUST,
    build_inventory,
    fast_decode,
    gc_paused,
    key_line,
    suppressions_of,
)

FORMAT = "serverless"
FILENAMES = ("serverless.yml", "serverless.yaml")
_VAR = re.compile(r"\$\{((?:self|opt|env|sls|file|ssm|cf|aws|param|s3|sls|strToBool)[:(][^${}]*)\}")
VPC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
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


def detect(path: Path) -> bool:
    if path.is_dir():
        return any((path / name).is_file() for name in FILENAMES)
    return path.name in FILENAMES


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
            text = path.read_text(encoding="utf-8")
            # The same nodes as cfn-lint's loader, faster; cfn-lint for the rest (and errors).
            doc = fast_decode(text)
            if doc is None:
                from cfnlint.decode import cfn_yaml

                doc = cfn_yaml.loads(text, str(path))
        except Exception as exc:
            mark = getattr(exc, "problem_mark", None)
            line = int(mark.line) + 1 if mark is not None else None
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise InputError(str(path), f"serverless.yml does not parse: {problem}", line) from None
        if not isinstance(doc, Mapping) or "service" not in doc:
            raise InputError(str(path), "not a Serverless Framework file (no 'service')", 1)
        return _Compiler(doc, str(path), options).compile()


# --------------------------------------------------------------------------- variables


class _Variables:
    def __init__(self, doc: Mapping[str, Any], options: IacOptions) -> None:
        self.doc = doc
        self.options = options
        self.depth = 0

    def stage(self) -> Any:
        if "stage" in self.options.parameters:
            return self.options.parameters["stage"]
        provider = self.doc.get("provider")
        stage = provider.get("stage") if isinstance(provider, Mapping) else None
        return self.resolve(stage) if stage is not None else "dev"

    def resolve(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, str):
            return value
        text = str(value)
        for _ in range(20):
            match = _VAR.search(text)
            if match is None:
                return text
            resolved = self.variable(match.group(1))
            if match.group(0) == text:
                return (
                    self.resolve(resolved)
                    if isinstance(resolved, str) and resolved != text
                    else resolved
                )
            if isinstance(resolved, Unknown):
                return resolved
            if resolved is None:
                resolved = ""
            text = text[: match.start()] + str(resolved) + text[match.end() :]
        return Unknown(f"variables in {value!r} nest too deeply")

    def variable(self, expr: str) -> Any:
        ref, default = _split_default(expr)
        value = self._lookup(ref)
        if (value is None or isinstance(value, Unknown)) and default is not None:
            return _literal(default)
        if value is None:
            return Unknown(f"${{{ref}}} has no value")
        return value

    def _lookup(self, ref: str) -> Any:
        source, _, address = ref.partition(":")
        address = address.strip()
        if source == "self":
            node: Any = self.doc
            for part in address.split(".") if address else []:
                if isinstance(node, Mapping) and part in node:
                    node = node[part]
                else:
                    return None
            self.depth += 1
            try:
                return (
                    self.resolve(plain(node))
                    if self.depth < 30
                    else Unknown(f"${{self:{address}}} is circular")
                )
            finally:
                self.depth -= 1
        if source == "opt":
            if address == "stage":
                return self.stage() if "stage" in self.options.parameters else None
            if address == "region":
                return self.options.parameters.get("region", self.options.region)
            return self.options.parameters.get(address)
        if source == "sls":
            if address == "stage":
                return self.stage()
            return Unknown(f"${{sls:{address}}} is known only at deployment")
        if source == "env":
            return None
        return Unknown(f"${{{ref}}} is read from {source} at deployment")


def _split_default(expr: str) -> tuple[str, str | None]:
    depth = 0
    for i, ch in enumerate(expr):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            return expr[:i].strip(), expr[i + 1 :].strip()
    return expr.strip(), None


def _literal(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        return text


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
        self.vars = _Variables(doc, options)
        self.resources: dict[str, Any] = {}
        self.origins: dict[str, Origin] = {}
        custom = doc.get("custom")
        self.shared_skips = suppressions_of(custom) if isinstance(custom, Mapping) else ()

    def origin(
        self, logical: str, line: int | None, skips: tuple[tuple[str, str], ...] = ()
    ) -> Origin:
        return Origin(
            source=FORMAT,
            account=self.options.account or "${AWS::AccountId}",
            region=self.options.region,
            file=self.file,
            line=line,
            logical_id=logical,
            suppressions=(*skips, *self.shared_skips),
        )

    def add(self, logical: str, rtype: str, props: Mapping[str, Any], origin: Origin) -> None:
        self.resources[logical] = {"Type": rtype, "Properties": dict(props)}
        self.origins[logical] = origin

    def compile(self) -> Inventory:
        r = self.vars.resolve
        service = r(plain(self.raw.get("service")))
        if isinstance(service, Mapping):
            service = service.get("name", "service")
        stage = self.vars.stage()
        prefix = f"{service}-{stage}"
        raw_provider = self.raw.get("provider")
        raw_provider = raw_provider if isinstance(raw_provider, Mapping) else {}
        provider = r(plain(raw_provider))
        provider_line = key_line(self.raw, "provider") or 1
        raw_functions = self.raw.get("functions")
        raw_functions = raw_functions if isinstance(raw_functions, Mapping) else {}
        functions = {str(k): r(plain(v)) for k, v in raw_functions.items()}

        iam = provider.get("iam") if isinstance(provider.get("iam"), Mapping) else {}
        role_cfg = iam.get("role") if isinstance(iam, Mapping) else None
        custom_role = role_cfg if isinstance(role_cfg, (str, Unknown)) else provider.get("role")
        role_ref: Any = (
            custom_role
            if custom_role is not None
            else {"Fn::GetAtt": ["IamRoleLambdaExecution", "Arn"]}
        )
        if custom_role is None:
            self._shared_role(provider, role_cfg, prefix, provider_line)

        rest_events: list[Any] = []
        http_events: list[Any] = []
        for key, fn in functions.items():
            if not isinstance(fn, Mapping):
                continue
            line = key_line(raw_functions, key)
            skips = suppressions_of(fn)
            lid = f"{_normalize(key)}LambdaFunction"
            name = fn.get("name", f"{prefix}-{key}")
            props = self._function_props(fn, provider, name, role_ref)
            events: dict[str, Any] = {}
            for i, event in enumerate(fn.get("events") or []):
                converted = self._event(event, i, fn, functions, rest_events, http_events)
                if converted is not None:
                    events[f"Event{i}"] = converted
            props["Events"] = events
            self.add(lid, "AWS::Serverless::Function", props, self.origin(lid, line, skips))
            if not fn.get("disableLogs"):
                group: dict[str, Any] = {"LogGroupName": f"/aws/lambda/{name}"}
                if provider.get("logRetentionInDays") is not None:
                    group["RetentionInDays"] = provider["logRetentionInDays"]
                log_id = f"{_normalize(key)}LogGroup"
                self.add(log_id, "AWS::Logs::LogGroup", group, self.origin(log_id, line, skips))
        if rest_events:
            self._rest_api(provider, prefix, stage, provider_line, functions)
        if http_events:
            self._http_api(provider, prefix, provider_line)

        template: dict[str, Any] = {
            "Transform": "AWS::Serverless-2016-10-31",
            "Resources": self.resources,
        }
        raw_resources = self.raw.get("resources")
        if isinstance(raw_resources, Mapping):
            user = raw_resources.get("Resources")
            if isinstance(user, Mapping):
                for lid, res in user.items():
                    resolved = r(plain(res))
                    api_id, stage_keys = STAGE_OVERRIDES.get(str(lid), ("", ()))
                    if api_id in self.resources:
                        override = (
                            resolved.get("Properties") if isinstance(resolved, Mapping) else None
                        )
                        if isinstance(override, Mapping):
                            api = self.resources[api_id]["Properties"]
                            api.update({k: override[k] for k in stage_keys if k in override})
                        continue
                    if lid in self.resources and isinstance(resolved, Mapping):
                        merged = dict(self.resources[lid])
                        merged["Properties"] = {
                            **merged.get("Properties", {}),
                            **resolved.get("Properties", {}),
                        }
                        self.resources[lid] = merged
                        continue
                    self.resources[str(lid)] = resolved
                    meta = res.get("Metadata") if isinstance(res, Mapping) else None
                    self.origins[str(lid)] = self.origin(
                        str(lid), key_line(user, lid), suppressions_of(meta)
                    )
            for section in ("Conditions", "Parameters", "Mappings"):
                if isinstance(raw_resources.get(section), Mapping):
                    template[section] = r(plain(raw_resources[section]))
        inventory = build_inventory(template, self.file, FORMAT, self.options, self.origins)
        inventory.sources = [FORMAT]
        return inventory

    # ------------------------------------------------------------------ parts

    def _shared_role(
        self, provider: Mapping[str, Any], role_cfg: Any, prefix: str, line: int
    ) -> None:
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
        props: dict[str, Any] = {
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
        props["MemorySize"] = fn.get("memorySize", provider.get("memorySize", 1024))
        props["Timeout"] = fn.get("timeout", provider.get("timeout", 6))
        env: dict[str, Any] = {}
        for source in (provider.get("environment"), fn.get("environment")):
            if isinstance(source, Mapping):
                env.update(source)
        if env:
            props["Environment"] = {"Variables": env}
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
        if fn.get("codeSigningConfigArn") or provider.get("codeSigningConfigArn"):
            props["CodeSigningConfigArn"] = fn.get(
                "codeSigningConfigArn", provider.get("codeSigningConfigArn")
            )
        return {k: v for k, v in props.items() if v is not None}

    def _event(
        self,
        event: Any,
        index: int,
        fn: Mapping[str, Any],
        functions: Mapping[str, Any],
        rest_events: list[Any],
        http_events: list[Any],
    ) -> dict[str, Any] | None:
        if not isinstance(event, Mapping) or len(event) != 1:
            return None
        etype, spec = next(iter(event.items()))
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
    return Unknown(f"unsupported authorizer {authorizer!r}")
