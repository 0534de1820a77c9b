"""Lambda: functions, layers, permissions, URLs, event source mappings, versions and aliases."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fortress.inventory import (
    CODE_DIR,
    CODE_IMAGE,
    CODE_INLINE,
    CODE_S3,
    CODE_UNKNOWN,
    CODE_ZIP,
    Alias,
    CodeSigning,
    CodeSource,
    EnvVar,
    EventSourceMapping,
    ExternalPermission,
    Function,
    FunctionUrl,
    FunctionVersion,
    InvokeConfig,
    LayerRef,
    LayerVersion,
    Unknown,
    Unresolved,
    VpcConfig,
)
from fortress.sources.base import kind_of
from fortress.sources.cfn_intrinsics import NO_VALUE, first_unknown, show
from fortress.sources.cloudformation.iam import principal as principal_of
from fortress.sources.cloudformation.model import (
    PACKAGE_BUCKET,
    SAM_SOURCE_KEY,
    UNRESOLVED,
    Resource,
    as_list,
    maybe_list,
    opt_str,
    str_or_unknown,
    tags_of,
    to_bool,
    to_int,
)

if TYPE_CHECKING:
    from fortress.sources.cloudformation.builder import Builder


def build_layers(b: Builder) -> None:
    layers: dict[str, LayerVersion] = {}
    for res in b.of_type("AWS::Lambda::LayerVersion"):
        arn = b.resolver.refs[res.logical_id]
        runtimes = b.prop(res, "CompatibleRuntimes", [])
        layer = LayerVersion(
            arn=arn,
            name=b.name_of(res, "LayerName"),
            version=1,
            origin=res.origin,
            compatible_runtimes=[x for x in as_list(runtimes) if isinstance(x, str)],
            code=code_source(b, b.prop(res, "Content")),
        )
        layers[arn] = layer
        b.inv.layers.append(layer)
    for res in b.of_type("AWS::Lambda::LayerVersionPermission"):
        target = b.prop(res, "LayerVersionArn")
        if not isinstance(target, str) or target not in layers:
            continue
        layer = layers[target]
        principal = b.prop(res, "Principal")
        statement: dict[str, Any] = {
            "Sid": res.logical_id,
            "Effect": "Allow",
            "Principal": principal_of(principal),
            "Action": b.prop(res, "Action", "lambda:GetLayerVersion"),
            "Resource": target,
        }
        org = b.prop(res, "OrganizationId")
        if org is not None:
            statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": org}}
        if isinstance(layer.policy, Unknown):
            continue
        bad = first_unknown(statement)
        if bad is not None:
            layer.policy = Unknown(f"layer permission {res.logical_id}: {bad.reason}")
            continue
        layer.policy = layer.policy or {"Version": "2012-10-17", "Statement": []}
        layer.policy["Statement"].append(statement)


def build_functions(b: Builder) -> None:
    signing = {
        b.resolver.attrs[(r.logical_id, "CodeSigningConfigArn")]: r
        for r in b.of_type("AWS::Lambda::CodeSigningConfig")
    }
    for res in b.of_type("AWS::Lambda::Function"):
        physical = b.resolver.refs[res.logical_id]
        fn = Function(
            name=b.name_of(res, "FunctionName"),
            arn=b.resolver.attrs[(res.logical_id, "Arn")],
            origin=res.origin,
        )
        fn.package_type = str(b.prop(res, "PackageType", "Zip"))
        code = b.prop(res, "Code")
        fn.code = code_source(b, code)
        fn.source_kms_key_arn = _source_key(b, res, code)
        fn.package_bucket = _package_bucket(code)
        if fn.package_bucket is None and PACKAGE_BUCKET in res.props:
            fn.package_bucket = b.prop(res, PACKAGE_BUCKET)
        fn.runtime = b.prop(res, "Runtime")
        fn.handler = b.prop(res, "Handler")
        if fn.package_type == "Image":
            fn.runtime = None
        fn.role_arn = b.prop(res, "Role")
        if isinstance(fn.role_arn, Unknown):  # the same import or parameter is the same role
            fn.role_arn = Unresolved(
                fn.role_arn.reason, f"{b.file}|{show(res.props.get('Role'), 400)}"
            )
        fn.memory_size = to_int(b.prop(res, "MemorySize", 128))
        fn.timeout = to_int(b.prop(res, "Timeout", 3))
        fn.environment = _environment(b, res)
        fn.kms_key_arn = b.prop(res, "KmsKeyArn")
        vpc = b.prop(res, "VpcConfig")
        if isinstance(vpc, Mapping) and (vpc.get("SubnetIds") or vpc.get("SecurityGroupIds")):
            fn.vpc = VpcConfig(
                subnet_ids=maybe_list(vpc.get("SubnetIds")),
                security_group_ids=maybe_list(vpc.get("SecurityGroupIds")),
            )
        elif isinstance(vpc, Unknown):
            fn.vpc = VpcConfig(subnet_ids=[vpc], security_group_ids=[vpc])
        tracing = b.prop(res, "TracingConfig", {})
        fn.tracing_mode = (
            tracing.get("Mode", "PassThrough") if isinstance(tracing, Mapping) else tracing
        )
        dlq = b.prop(res, "DeadLetterConfig")
        if isinstance(dlq, Mapping):
            fn.dead_letter_target = dlq.get("TargetArn")
        elif isinstance(dlq, Unknown):
            fn.dead_letter_target = dlq
        logging = b.prop(res, "LoggingConfig", {})
        if isinstance(logging, Mapping):
            group = logging.get("LogGroup")
            fn.log_group_name = group if group is not None else None
            fmt = logging.get("LogFormat")
            fn.log_format = fmt if isinstance(fmt, str) else None
            level = logging.get("ApplicationLogLevel")
            fn.application_log_level = level if level is not None else None
        elif isinstance(logging, Unknown):
            fn.application_log_level = logging
        _runtime_management(fn, b.prop(res, "RuntimeManagementConfig"))
        loop = b.prop(res, "RecursiveLoop", "Terminate")
        fn.recursive_loop = loop if isinstance(loop, (str, Unknown)) else Unknown("not text")
        storage = b.prop(res, "EphemeralStorage", {})
        if isinstance(storage, Mapping) and "Size" in storage:
            fn.ephemeral_storage_mb = to_int(storage["Size"])
        for fs in as_list(b.prop(res, "FileSystemConfigs", [])):
            if isinstance(fs, Mapping):
                fn.file_systems.append(fs.get("Arn", Unknown("file system ARN not resolvable")))
        fn.layers = _layers(b, res)
        csc = b.prop(res, "CodeSigningConfigArn")
        if csc is not None:
            fn.code_signing = _code_signing(b, csc, signing)
        reserved = b.prop(res, "ReservedConcurrentExecutions")
        fn.reserved_concurrency = to_int(reserved) if reserved is not None else None
        tags = b.prop(res, "Tags", [])
        fn.tags = tags_of(tags)
        arch = b.prop(res, "Architectures")
        if isinstance(arch, list):
            fn.architectures = [str(a) for a in arch]
        if fn.log_group_name is None and physical != fn.name:
            fn.log_group_name = f"/aws/lambda/{physical}"  # named after the deployed function
        b.functions[res.logical_id] = fn


# A ``Code`` key only the Serverless compiler writes: package the folder, filtered by patterns.
LOCAL_FOLDER = "Fortress::LocalFolder"


def _runtime_management(fn: Function, config: Any) -> None:
    """``RuntimeManagementConfig``: absent is Lambda's default (Auto)."""
    if isinstance(config, Unknown):
        fn.runtime_update_mode = config
    elif isinstance(config, Mapping):
        mode = config.get("UpdateRuntimeOn", Unknown("UpdateRuntimeOn is not set"))
        fn.runtime_update_mode = (
            mode
            if isinstance(mode, (str, Unknown))
            else Unknown(f"UpdateRuntimeOn is {kind_of(mode)}")
        )
        version = config.get("RuntimeVersionArn")
        fn.runtime_version_arn = version if isinstance(version, str) else None


def _package_bucket(code: Any) -> Any:
    """The bucket of ``Code.S3Bucket`` or of a SAM ``CodeUri: s3://bucket/key``, or None."""
    if isinstance(code, str) and code.startswith("s3://"):
        return code[len("s3://") :].split("/", 1)[0] or None
    if isinstance(code, Mapping) and LOCAL_FOLDER not in code:
        bucket = code.get("S3Bucket")
        if isinstance(bucket, (str, Unknown)):
            return bucket or None
    return None


def _source_key(b: Builder, res: Resource, code: Any) -> Any:
    """``Code.SourceKMSKeyArn`` (or SAM's ``SourceKMSKeyArn``): the package's KMS key, or None."""
    key: Any = None
    if isinstance(code, Mapping):
        key = code.get("SourceKMSKeyArn")
    elif isinstance(code, Unknown):
        key = code
    if key is None and SAM_SOURCE_KEY in res.props:
        key = b.prop(res, SAM_SOURCE_KEY)
    return None if key is NO_VALUE else key


def code_source(b: Builder, code: Any) -> CodeSource | None:
    """Where ``Code`` (or a layer's ``Content``) says the code is. A string is a local path
    (folder or ``.zip``) relative to the template's folder, or an ``s3://`` URI."""
    if code is None or code is NO_VALUE:
        return None
    if isinstance(code, Unknown):
        return CodeSource(CODE_UNKNOWN, reason=f"code location not resolvable: {code.reason}")
    if isinstance(code, str):
        if code.startswith("s3://"):
            return CodeSource(CODE_S3, uri=code, reason="code in S3 only")
        if "://" in code:
            return CodeSource(CODE_UNKNOWN, uri=code, reason="code at a remote URI; not read")
        path = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(b.file)), code))
        kind = CODE_ZIP if code.lower().endswith((".zip", ".jar")) else CODE_DIR
        return CodeSource(kind, path=path)
    if not isinstance(code, Mapping):
        return CodeSource(CODE_UNKNOWN, reason=f"code is {kind_of(code)}")
    local = code.get(LOCAL_FOLDER)
    if isinstance(local, str):  # the Serverless Framework's service folder, with its patterns
        path = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(b.file)), local))
        patterns = code.get("Patterns")
        kept = [p for p in patterns if isinstance(p, str)] if isinstance(patterns, list) else []
        return CodeSource(CODE_DIR, path=path, patterns=kept)
    if isinstance(code.get("ImageUri"), str):
        return CodeSource(CODE_IMAGE, uri=code["ImageUri"])
    inline = code.get("ZipFile")
    if isinstance(inline, str):
        return CodeSource(CODE_INLINE, inline=inline)
    bucket, key = code.get("S3Bucket"), code.get("S3Key")
    if bucket is not None or key is not None:
        uri = f"s3://{bucket}/{key}" if isinstance(bucket, str) and isinstance(key, str) else None
        return CodeSource(CODE_S3, uri=uri, reason="code in S3 only")
    return CodeSource(CODE_UNKNOWN, reason="code location not resolvable")


def _code_signing(b: Builder, arn: Any, signing: Mapping[str, Resource]) -> CodeSigning | Unknown:
    if isinstance(arn, Unknown):
        return arn
    config = signing.get(str(arn))
    if config is None:
        return CodeSigning(
            arn=str(arn),
            untrusted_artifact_on_deployment=Unknown(
                f"code signing config {arn} is defined outside the template"
            ),
        )
    policies = b.prop(config, "CodeSigningPolicies", {})
    untrusted: Any = "Warn"
    if isinstance(policies, Mapping):
        untrusted = policies.get("UntrustedArtifactOnDeployment", "Warn")
    elif isinstance(policies, Unknown):
        untrusted = policies
    publishers = b.prop(config, "AllowedPublishers", {})
    profiles = (
        publishers.get("SigningProfileVersionArns", []) if isinstance(publishers, Mapping) else []
    )
    return CodeSigning(
        arn=str(arn),
        untrusted_artifact_on_deployment=untrusted,
        allowed_publishers=[p for p in as_list(profiles) if isinstance(p, str)],
    )


def _environment(b: Builder, res: Resource) -> list[EnvVar]:
    env = res.props.get("Environment")
    if not isinstance(env, Mapping):
        return []
    raw_vars = env.get("Variables")
    if not isinstance(raw_vars, Mapping):
        resolved = b.r(raw_vars) if raw_vars is not None else {}
        if isinstance(resolved, Mapping):
            return [EnvVar(str(k), str_or_unknown(v)) for k, v in resolved.items()]
        return []
    out: list[EnvVar] = []
    for key, raw in raw_vars.items():
        value = b.r(raw)
        if value is NO_VALUE:
            continue
        var = EnvVar(str(key), str_or_unknown(value), reference=secret_reference(b, raw))
        var.parameter = parameter_reference(b, raw)
        out.append(var)
    return out


_RESOLVE_SSM = re.compile(r"\{\{resolve:ssm:((?:arn:[^}]*?:parameter)?[^}:]+)")


def parameter_reference(b: Builder, raw: Any) -> str | None:
    """The Parameter Store parameter an environment value is read from, if any: a
    ``{{resolve:ssm:name}}`` reference, or a ``Ref``/``GetAtt .Value`` of an
    ``AWS::SSM::Parameter`` of the template (directly or inside ``Fn::Sub``/``Fn::Join``)."""
    found: list[str] = []

    def target(logical: str) -> None:
        if b.resolver.resource_types.get(logical) == "AWS::SSM::Parameter":
            found.append(str(b.resolver.refs[logical]))

    def visit(node: Any) -> None:
        if isinstance(node, str):
            for name in _RESOLVE_SSM.findall(node):
                found.append(name.rsplit(":parameter", 1)[-1] if name.startswith("arn:") else name)
            for var in re.findall(r"\$\{([^}!]+)\}", node):
                target(var.partition(".")[0])
        elif isinstance(node, Mapping):
            if len(node) == 1 and "Ref" in node:
                target(str(node["Ref"]))
            elif len(node) == 1 and "Fn::GetAtt" in node:
                arg = node["Fn::GetAtt"]
                logical = arg[0] if isinstance(arg, list) and arg else str(arg).partition(".")[0]
                target(str(logical))
            else:
                for v in node.values():
                    visit(v)
        elif isinstance(node, list):
            for v in node:
                visit(v)

    visit(raw)
    return found[0] if found else None


def secret_reference(b: Builder, raw: Any) -> str | None:
    """Name the secret-bearing thing an environment value is wired from, if any."""
    found: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, str):
            if "{{resolve:secretsmanager:" in node:
                found.append("AWS::SecretsManager::Secret.SecretString")
            elif "{{resolve:ssm-secure:" in node:
                found.append("AWS::SSM::Parameter.SecureString")
            for var in re.findall(r"\$\{([^}!]+)\}", node):
                visit_target(var.partition(".")[0], var.partition(".")[2])
        elif isinstance(node, Mapping):
            if len(node) == 1 and "Ref" in node:
                visit_target(str(node["Ref"]), "")
            elif len(node) == 1 and "Fn::GetAtt" in node:
                arg = node["Fn::GetAtt"]
                if isinstance(arg, list) and len(arg) == 2:
                    visit_target(str(arg[0]), str(arg[1]))
                elif isinstance(arg, str):
                    visit_target(arg.partition(".")[0], arg.partition(".")[2])
            else:
                for v in node.values():
                    visit(v)
        elif isinstance(node, list):
            for v in node:
                visit(v)

    def visit_target(logical: str, attr: str) -> None:
        rtype = b.resolver.resource_types.get(logical)
        if rtype == "AWS::IAM::AccessKey" and attr == "SecretAccessKey":
            found.append("AWS::IAM::AccessKey.SecretAccessKey")
        elif rtype == "AWS::ApiGateway::ApiKey":
            found.append("AWS::ApiGateway::ApiKey")
        elif rtype == "AWS::SecretsManager::Secret" and attr == "SecretString":
            found.append("AWS::SecretsManager::Secret.SecretString")
        elif logical in b.resolver.no_echo:
            found.append(f"AWS::CloudFormation::Parameter.{logical} (NoEcho)")

    visit(raw)
    return found[0] if found else None


def build_permissions(b: Builder) -> None:
    """Each permission joins its function's resource policy; one for a function the template
    does not define (a literal name or ARN, an import, a parameter) is kept on its own, judged
    on the permission resource (:class:`ExternalPermission`)."""
    for res in b.of_type("AWS::Lambda::Permission"):
        target = b.prop(res, "FunctionName")
        fn = b.function_for(target) or _qualified_function(b, res.props.get("FunctionName"))
        if fn is None:
            outside = _outside_permission(b, res, target)
            if outside is not None:
                b.inv.external_permissions.append(outside)
            continue
        if isinstance(fn.resource_policy, Unknown):
            continue
        statement = _permission_statement(b, res, fn.arn)
        if isinstance(statement, Unknown):
            fn.resource_policy = statement
            continue
        if fn.resource_policy is None:
            fn.resource_policy = {"Version": "2012-10-17", "Id": "default", "Statement": []}
        fn.resource_policy["Statement"].append(statement)


_QUALIFIERS = ("AWS::Lambda::Alias", "AWS::Lambda::Version")


def _qualified_function(b: Builder, raw: Any) -> Function | None:
    """The template function behind ``!Ref Alias`` / ``!Ref Version`` (or ``!GetAtt`` of one):
    a permission on an alias or a version of a function the template defines is that
    function's, not one "outside the scanned files"."""
    logical: Any = None
    if isinstance(raw, Mapping) and len(raw) == 1:
        if "Ref" in raw:
            logical = raw["Ref"]
        elif "Fn::GetAtt" in raw:
            arg = raw["Fn::GetAtt"]
            logical = arg[0] if isinstance(arg, list) and arg else str(arg).partition(".")[0]
    qualifier = b.resources.get(str(logical)) if logical is not None else None
    if qualifier is None or qualifier.type not in _QUALIFIERS:
        return None
    return b.function_for(b.prop(qualifier, "FunctionName"))


def _outside_permission(b: Builder, res: Resource, target: Any) -> ExternalPermission | None:
    if isinstance(target, str) and target:
        arn = target if target.startswith("arn:") else b.arn("lambda", f"function:{target}")
        name = target
    elif isinstance(target, Unknown):
        arn, name = UNRESOLVED, show(res.props.get("FunctionName"))
    else:
        return None  # no FunctionName: the shape checks report it
    statement = _permission_statement(b, res, arn)
    return ExternalPermission(
        function=name,
        origin=res.origin,
        resource_policy=statement
        if isinstance(statement, Unknown)
        else {"Version": "2012-10-17", "Id": "default", "Statement": [statement]},
    )


def _permission_statement(b: Builder, res: Resource, arn: str) -> dict[str, Any] | Unknown:
    """The resource-policy statement an ``AWS::Lambda::Permission`` adds; Unknown when its
    principal or action cannot be resolved."""
    principal = b.prop(res, "Principal")
    statement: dict[str, Any] = {
        "Sid": res.logical_id,
        "Effect": "Allow",
        "Principal": principal_of(principal),
        "Action": b.prop(res, "Action", "lambda:InvokeFunction"),
        "Resource": arn,
    }
    conditions: dict[str, dict[str, Any]] = {}
    for prop_name, op, key in (
        ("SourceArn", "ArnLike", "AWS:SourceArn"),
        ("SourceAccount", "StringEquals", "AWS:SourceAccount"),
        ("PrincipalOrgID", "StringEquals", "aws:PrincipalOrgID"),
        ("FunctionUrlAuthType", "StringEquals", "lambda:FunctionUrlAuthType"),
        ("EventSourceToken", "StringEquals", "lambda:EventSourceToken"),
    ):
        value = b.prop(res, prop_name)
        if value is not None:
            conditions.setdefault(op, {})[key] = UNRESOLVED if isinstance(value, Unknown) else value
    if conditions:
        statement["Condition"] = conditions
    bad = first_unknown({k: statement[k] for k in ("Principal", "Action")})
    if bad is not None:
        return Unknown(f"permission {res.logical_id}: {bad.reason}")
    return statement


def build_function_parts(b: Builder) -> None:
    for res in b.of_type("AWS::Lambda::Url"):
        fn = b.function_for(b.prop(res, "TargetFunctionArn"))
        if fn is None:
            continue
        cors = b.prop(res, "Cors", {})
        origins: list[str] | Unknown = []
        credentials = False
        if isinstance(cors, Mapping):
            allow = cors.get("AllowOrigins", [])
            origins = allow if isinstance(allow, Unknown) else [str(o) for o in as_list(allow)]
            credentials = to_bool(cors.get("AllowCredentials", False)) is True
        elif isinstance(cors, Unknown):
            origins = cors
        qualifier = b.prop(res, "Qualifier")
        fn.urls.append(
            FunctionUrl(
                auth_type=b.prop(res, "AuthType", Unknown("AuthType missing")),
                url=b.resolver.attrs.get((res.logical_id, "FunctionUrl")),
                qualifier=qualifier if isinstance(qualifier, str) else None,
                cors_allow_origins=origins,
                cors_allow_credentials=credentials,
            )
        )
    for res in b.of_type("AWS::Lambda::EventSourceMapping"):
        fn = b.function_for(b.prop(res, "FunctionName"))
        if fn is None:
            continue
        dest = b.prop(res, "DestinationConfig", {})
        on_failure = None
        if isinstance(dest, Mapping) and isinstance(dest.get("OnFailure"), Mapping):
            value = dest["OnFailure"].get("Destination")
            on_failure = value if isinstance(value, str) else None
        enabled = to_bool(b.prop(res, "Enabled", True))
        fn.event_source_mappings.append(
            EventSourceMapping(
                uuid=res.logical_id,
                event_source_arn=b.prop(res, "EventSourceArn", Unknown("no EventSourceArn")),
                state="Disabled" if enabled is False else "Enabled",
                on_failure_destination=on_failure,
            )
        )
    for res in b.of_type("AWS::Lambda::EventInvokeConfig"):
        fn = b.function_for(b.prop(res, "FunctionName"))
        if fn is None:
            continue
        dest = b.prop(res, "DestinationConfig", {})
        config = InvokeConfig(qualifier=opt_str(b.prop(res, "Qualifier")))
        if isinstance(dest, Mapping):
            for key, attr in (("OnFailure", "on_failure"), ("OnSuccess", "on_success")):
                part = dest.get(key)
                if isinstance(part, Mapping) and "Destination" in part:
                    setattr(config, attr, part["Destination"])
        retries = b.prop(res, "MaximumRetryAttempts")
        config.maximum_retry_attempts = retries if isinstance(retries, int) else None
        fn.invoke_configs.append(config)
    for res in b.of_type("AWS::Lambda::Version"):
        fn = b.function_for(b.prop(res, "FunctionName"))
        if fn is not None:
            fn.versions.append(
                FunctionVersion(
                    version=res.logical_id, description=str(b.prop(res, "Description", ""))
                )
            )
    for res in b.of_type("AWS::Lambda::Alias"):
        fn = b.function_for(b.prop(res, "FunctionName"))
        if fn is not None:
            version = b.prop(res, "FunctionVersion", "")
            fn.aliases.append(
                Alias(
                    name=b.name_of(res, "Name"),
                    function_version=version if isinstance(version, str) else "?",
                )
            )


# ------------------------------------------------------------------ network, logs, keys


def _layers(b: Builder, res: Resource) -> list[LayerRef]:
    """The function's layers; an ARN whose region or version cannot be resolved keeps its
    account when that part is written literally (``${AWS::Region}``-style placeholders in the
    rest), so the publisher is judged, not left unknown."""
    raw = res.props.get("Layers")
    if raw is None:
        return []
    layers = b.r(raw)
    if layers is NO_VALUE:
        return []
    if isinstance(layers, Unknown):
        return [LayerRef(layers)]
    if not isinstance(layers, list):
        b.bad_input(res.logical_id, "Layers", f"is {kind_of(layers)}, not a list", res.origin.line)
        return [LayerRef(Unknown(f"Layers of {res.logical_id} is {kind_of(layers)}, not a list"))]
    items = raw if isinstance(raw, list) and len(raw) == len(layers) else [None] * len(layers)
    out: list[LayerRef] = []
    for value, written in zip(layers, items, strict=True):
        if isinstance(value, Unknown) and written is not None:
            text = b.resolver.partial_text(written)
            if text is not None and _literal_account(text):
                out.append(LayerRef(text))
                continue
        if not isinstance(value, (str, Unknown)):
            b.bad_input(res.logical_id, "Layers", f"holds {kind_of(value)}", res.origin.line)
            value = Unknown(f"a layer of {res.logical_id} is {kind_of(value)}, not an ARN")
        out.append(LayerRef(value))
    return out


def _literal_account(arn: str) -> bool:
    """An ``arn:PARTITION:lambda:REGION:ACCOUNT:layer:...`` whose account is a written id."""
    parts = arn.split(":")
    return (
        len(parts) >= 7
        and parts[0] == "arn"
        and parts[2] == "lambda"
        and parts[5] == "layer"
        and re.fullmatch(r"\d{12}", parts[4]) is not None
    )
