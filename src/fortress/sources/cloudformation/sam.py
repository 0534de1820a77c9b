"""SAM (``Transform: AWS::Serverless-2016-10-31``) expanded the way the SAM translator deploys it.

``AWS::Serverless::Function`` becomes an ``AWS::Lambda::Function`` plus what SAM generates: the
implicit execution role ``<Function>Role`` (AWSLambdaBasicExecutionRole + the ``Policies``:
AWS managed names, inline statements, and SAM policy templates expanded from the SAM
translator's own ``policy_templates.json``), permissions and event source mappings for
``Events``, the function URL (and its public permission when ``AuthType: NONE``), the alias for
``AutoPublishAlias`` and the ``EventInvokeConfig``. ``AWS::Serverless::Api``/``HttpApi`` and the
implicit ``ServerlessRestApi``/``ServerlessHttpApi`` become Api objects (:mod:`.sam_api`) with routes from the
events, their authorizers (``DefaultAuthorizer`` and per-route overrides), API keys and stage
settings. ``Globals`` are merged first (maps merged, lists appended, scalars overridden).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fortress.inventory import Origin, Unknown
from fortress.sources.base import kind_of
from fortress.sources.cloudformation import sam_api
from fortress.sources.cloudformation.model import (
    LAMBDA_TRUST,
    PACKAGE_BUCKET,
    SAM_SOURCE_KEY,
    Resource,
)

if TYPE_CHECKING:
    from fortress.sources.cloudformation.builder import Builder

BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
VPC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
XRAY_WRITE = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"
POLLER_POLICIES = {
    "SQS": "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
    "Kinesis": "arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole",
    "DynamoDB": "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
}
STREAM_EVENTS = {
    "SQS": "Queue",
    "Kinesis": "Stream",
    "DynamoDB": "Stream",
    "MSK": "Stream",
    "MQ": "Broker",
    "DocumentDB": "Cluster",
}
# Event type → (service principal, property holding the source ARN or None).
PUSH_EVENTS = {
    "S3": ("s3.amazonaws.com", None),
    "SNS": ("sns.amazonaws.com", "Topic"),
    "CloudWatchLogs": ("logs.amazonaws.com", None),
    "IoTRule": ("iot.amazonaws.com", None),
    "Cognito": ("cognito-idp.amazonaws.com", "UserPool"),
    "AlexaSkill": ("alexa-appkit.amazon.com", None),
}
RULE_EVENTS = ("Schedule", "CloudWatchEvent", "EventBridgeRule")
IMPLICIT_REST = "ServerlessRestApi"
IMPLICIT_HTTP = "ServerlessHttpApi"

FUNCTION_PROPS = (
    "FunctionName",
    "Runtime",
    "Handler",
    "MemorySize",
    "Timeout",
    "Environment",
    "KmsKeyArn",
    "VpcConfig",
    "Layers",
    "CodeSigningConfigArn",
    "ReservedConcurrentExecutions",
    "PackageType",
    "EphemeralStorage",
    "FileSystemConfigs",
    "Architectures",
    "LoggingConfig",
    "RuntimeManagementConfig",
    "RecursiveLoop",
    "Role",
    "Tags",
)


# --------------------------------------------------------------------------- policy templates


@lru_cache(maxsize=1)
def policy_templates() -> dict[str, Any] | None:
    """The SAM translator's policy template data, or None when the package is not installed."""
    spec = importlib.util.find_spec("samtranslator")
    if spec is None or not spec.submodule_search_locations:
        return None
    for base in spec.submodule_search_locations:
        path = Path(base) / "policy_templates_data" / "policy_templates.json"
        if path.is_file():
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["Templates"]
            return data
    return None


def expand_policy_template(name: str, arguments: Any) -> Any:
    """A SAM policy template's statements with its parameters substituted (still intrinsics)."""
    templates = policy_templates()
    if templates is None:
        return Unknown(
            f"SAM policy template {name} cannot be expanded: the aws-sam-translator package "
            "(source of the template data) is not installed"
        )
    spec = templates.get(name)
    if spec is None:
        return Unknown(f"{name} is not a SAM policy template")
    args = arguments if isinstance(arguments, Mapping) else {}
    params = spec.get("Parameters", {})
    missing = [p for p in params if p not in args]
    if missing:
        return Unknown(f"SAM policy template {name} lacks parameter {missing[0]}")

    def substitute(node: Any) -> Any:
        if isinstance(node, str):
            return node
        if isinstance(node, (dict, Mapping)):
            if len(node) == 1 and "Ref" in node and node["Ref"] in params:
                return args[node["Ref"]]
            return {k: substitute(v) for k, v in node.items()}
        if isinstance(node, list):
            return [substitute(v) for v in node]
        return node

    # substitute() builds new containers all the way down: the shared template data is never
    # mutated, so no deep copy is needed.
    result = substitute(spec["Definition"])
    result.setdefault("Version", "2012-10-17")
    return result


# --------------------------------------------------------------------------- expansion


def _code(props: Mapping[str, Any]) -> Any:
    """SAM's code properties in CloudFormation's ``Code`` shape; a local ``CodeUri`` stays a
    string (as ``aws cloudformation package`` accepts it), resolved by the function builder."""
    if "ImageUri" in props:
        return {"ImageUri": props["ImageUri"]}
    if "InlineCode" in props:
        return {"ZipFile": props["InlineCode"]}
    uri = props.get("CodeUri")
    if isinstance(uri, Mapping) and ("Bucket" in uri or "Key" in uri):
        return {"S3Bucket": uri.get("Bucket"), "S3Key": uri.get("Key")}
    return uri


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(over, Mapping):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base[key], value) if key in base else value
        return out
    if isinstance(base, list) and isinstance(over, list):
        return [*base, *over]
    return over


def expand(b: Builder) -> None:
    globals_ = b.template.get("Globals")
    globals_ = globals_ if isinstance(globals_, Mapping) else {}
    api_specs: dict[str, tuple[str, Mapping[str, Any], Origin]] = {}
    routes: list[
        tuple[str, str, Mapping[str, Any], str, Origin]
    ] = []  # (api, kind, event, fn, origin)

    def add(logical: str, rtype: str, props: Mapping[str, Any], origin: Origin) -> None:
        b.resources[logical] = Resource(logical, rtype, props, _with_id(origin, logical))
        b.resolver.resource_types[logical] = rtype

    for res in list(b.resources.values()):
        if res.type == "AWS::Serverless::Api":
            api_specs[res.logical_id] = (
                "rest",
                _merge(globals_.get("Api", {}), dict(res.props)),
                res.origin,
            )
        elif res.type == "AWS::Serverless::HttpApi":
            api_specs[res.logical_id] = (
                "http",
                _merge(globals_.get("HttpApi", {}), dict(res.props)),
                res.origin,
            )
        elif res.type == "AWS::Serverless::LayerVersion":
            props = _merge(globals_.get("LayerVersion", {}), dict(res.props))
            res.type = "AWS::Lambda::LayerVersion"
            res.props = {
                k: v
                for k, v in props.items()
                if k in ("LayerName", "CompatibleRuntimes", "Description")
            }
            content = props.get("ContentUri")
            if isinstance(content, Mapping) and ("Bucket" in content or "Key" in content):
                content = {"S3Bucket": content.get("Bucket"), "S3Key": content.get("Key")}
            if content is not None:
                res.props["Content"] = content
            b.resolver.resource_types[res.logical_id] = res.type
        elif res.type == "AWS::Serverless::SimpleTable":
            res.type = "AWS::DynamoDB::Table"
            b.resolver.resource_types[res.logical_id] = res.type

    for res in list(b.resources.values()):
        if res.type != "AWS::Serverless::Function":
            continue
        lid = res.logical_id
        props = _merge(globals_.get("Function", {}), dict(res.props))
        out: dict[str, Any] = {k: props[k] for k in FUNCTION_PROPS if k in props}
        code = _code(props)
        if code is not None:
            out["Code"] = code
        if "SourceKMSKeyArn" in props:
            out[SAM_SOURCE_KEY] = props["SourceKMSKeyArn"]
        if PACKAGE_BUCKET in props:
            out[PACKAGE_BUCKET] = props[PACKAGE_BUCKET]
        if "Tracing" in props:
            out["TracingConfig"] = {"Mode": props["Tracing"]}
        dlq = props.get("DeadLetterQueue")
        if isinstance(dlq, Mapping) and "TargetArn" in dlq:
            out["DeadLetterConfig"] = {"TargetArn": dlq["TargetArn"]}
        res.type = "AWS::Lambda::Function"
        res.props = out
        b.resolver.resource_types[lid] = res.type
        managed: list[Any] = []
        alias = props.get("AutoPublishAlias")
        qualifier: Any = None
        if alias is not None:
            qualifier = alias
            add(f"{lid}Version", "AWS::Lambda::Version", {"FunctionName": {"Ref": lid}}, res.origin)
            add(
                f"{lid}Alias{_clean(alias)}",
                "AWS::Lambda::Alias",
                {
                    "FunctionName": {"Ref": lid},
                    "Name": alias,
                    "FunctionVersion": {"Fn::GetAtt": [f"{lid}Version", "Version"]},
                },
                res.origin,
            )
        url = props.get("FunctionUrlConfig")
        if isinstance(url, Mapping):
            url_props = {
                "TargetFunctionArn": {"Ref": lid},
                **{k: v for k, v in url.items() if k != "InvokeMode"},
            }
            if qualifier is not None:
                url_props["Qualifier"] = qualifier
            add(f"{lid}Url", "AWS::Lambda::Url", url_props, res.origin)
            if b.r(url.get("AuthType")) == "NONE":
                add(
                    f"{lid}UrlPublicPermissions",
                    "AWS::Lambda::Permission",
                    {
                        "FunctionName": {"Ref": lid},
                        "Action": "lambda:InvokeFunctionUrl",
                        "Principal": "*",
                        "FunctionUrlAuthType": "NONE",
                    },
                    res.origin,
                )
        invoke = props.get("EventInvokeConfig")
        if isinstance(invoke, Mapping):
            add(
                f"{lid}EventInvokeConfig",
                "AWS::Lambda::EventInvokeConfig",
                {"FunctionName": {"Ref": lid}, "Qualifier": qualifier or "$LATEST", **dict(invoke)},
                res.origin,
            )
        events = props.get("Events")
        for event_name, event in events.items() if isinstance(events, Mapping) else []:
            where = f"Events.{event_name}"
            if not isinstance(event, Mapping):
                b.bad_input(lid, where, f"is {kind_of(event)}, not a mapping", res.origin.line)
                continue
            etype = str(event.get("Type", ""))
            eprops = event.get("Properties")
            if eprops is not None and not isinstance(eprops, Mapping):
                b.bad_input(lid, f"{where}.Properties", f"is {kind_of(eprops)}", res.origin.line)
            eprops = eprops if isinstance(eprops, Mapping) else {}
            ename = f"{lid}{event_name}"
            if etype in ("Api", "HttpApi"):
                key = "RestApiId" if etype == "Api" else "ApiId"
                target = eprops.get(key)
                api_id = (
                    str(target["Ref"]) if isinstance(target, Mapping) and "Ref" in target else None
                )
                if api_id is None:
                    api_id = IMPLICIT_REST if etype == "Api" else IMPLICIT_HTTP
                    if api_id not in api_specs:
                        glob = globals_.get("Api" if etype == "Api" else "HttpApi", {})
                        stage = {"StageName": "Prod"} if etype == "Api" else {}
                        api_specs[api_id] = (
                            "rest" if etype == "Api" else "http",
                            _merge(glob, stage),
                            _with_id(res.origin, api_id, force=True),
                        )
                        b.resolver.resource_types[api_id] = f"AWS::Serverless::{etype}"
                        b.resolver.refs[api_id] = api_id
                routes.append((api_id, etype, eprops, lid, res.origin))
                method = str(eprops.get("Method", "*")).upper().replace("ANY", "*")
                path = str(eprops.get("Path", "*"))
                add(
                    f"{ename}Permission",
                    "AWS::Lambda::Permission",
                    {
                        "FunctionName": {"Ref": lid},
                        "Action": "lambda:InvokeFunction",
                        "Principal": "apigateway.amazonaws.com",
                        "SourceArn": {
                            "Fn::Sub": f"arn:aws:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{api_id}}}/*/{method}{path}"
                        },
                    },
                    res.origin,
                )
            elif etype in STREAM_EVENTS:
                mapping: dict[str, Any] = {
                    "FunctionName": {"Ref": lid},
                    "EventSourceArn": eprops.get(STREAM_EVENTS[etype]),
                }
                for key in ("Enabled", "DestinationConfig"):
                    if key in eprops:
                        mapping[key] = eprops[key]
                add(ename, "AWS::Lambda::EventSourceMapping", mapping, res.origin)
                if etype in POLLER_POLICIES:
                    managed.append(POLLER_POLICIES[etype])
            elif etype in PUSH_EVENTS:
                principal, arn_prop = PUSH_EVENTS[etype]
                perm: dict[str, Any] = {
                    "FunctionName": {"Ref": lid},
                    "Action": "lambda:InvokeFunction",
                    "Principal": principal,
                }
                if arn_prop and arn_prop in eprops:
                    perm["SourceArn"] = eprops[arn_prop]
                elif etype in ("S3", "IoTRule"):
                    perm["SourceAccount"] = {"Ref": "AWS::AccountId"}
                if etype == "AlexaSkill" and "SkillId" in eprops:
                    perm["EventSourceToken"] = eprops["SkillId"]
                add(f"{ename}Permission", "AWS::Lambda::Permission", perm, res.origin)
            elif etype in RULE_EVENTS:
                add(ename, "AWS::Events::Rule", {}, res.origin)
                add(
                    f"{ename}Permission",
                    "AWS::Lambda::Permission",
                    {
                        "FunctionName": {"Ref": lid},
                        "Action": "lambda:InvokeFunction",
                        "Principal": "events.amazonaws.com",
                        "SourceArn": {"Fn::GetAtt": [ename, "Arn"]},
                    },
                    res.origin,
                )
        if "Role" not in props:
            role_id = f"{lid}Role"
            managed = [BASIC_EXECUTION, *managed]
            if props.get("VpcConfig") is not None:
                managed.append(VPC_EXECUTION)
            if b.r(props.get("Tracing")) == "Active":
                managed.append(XRAY_WRITE)
            role_props: dict[str, Any] = {
                "AssumeRolePolicyDocument": _lambda_trust(),  # read-only: resolved into a copy
                "ManagedPolicyArns": managed,
                "Policies": [],
            }
            if "PermissionsBoundary" in props:
                role_props["PermissionsBoundary"] = props["PermissionsBoundary"]
            policies = props.get("Policies", [])
            for i, item in enumerate(policies if isinstance(policies, list) else [policies]):
                _add_policy(role_props, item, f"{lid}RolePolicy{i}")
            add(role_id, "AWS::IAM::Role", role_props, res.origin)
            res.props = {**res.props, "Role": {"Fn::GetAtt": [role_id, "Arn"]}}

    b.post_steps.append(lambda: sam_api.build_apis(b, api_specs, routes))


def _add_policy(role_props: dict[str, Any], item: Any, name: str) -> None:
    if isinstance(item, str):
        text = str(item)
        role_props["ManagedPolicyArns"].append(
            text if text.startswith("arn:") else f"arn:aws:iam::aws:policy/{text}"
        )
    elif isinstance(item, Mapping) and "Statement" in item:
        role_props["Policies"].append({"PolicyName": name, "PolicyDocument": item})
    elif isinstance(item, Mapping) and len(item) == 1:
        key, args = next(iter(item.items()))
        if str(key) in ("Ref", "Fn::Sub", "Fn::ImportValue", "Fn::Join", "Fn::GetAtt"):
            role_props["ManagedPolicyArns"].append(item)
        elif str(key) == "Fn::If":
            role_props["Policies"].append({"PolicyName": name, "PolicyDocument": item})
        else:
            role_props["Policies"].append(
                {
                    "PolicyName": f"{name}{key}",
                    "PolicyDocument": expand_policy_template(str(key), args),
                }
            )
    else:
        role_props["Policies"].append(
            {
                "PolicyName": name,
                "PolicyDocument": Unknown(f"unsupported SAM policy entry in {name}"),
            }
        )


def _lambda_trust() -> dict[str, Any]:
    return LAMBDA_TRUST


def _clean(value: Any) -> str:
    return "".join(ch for ch in str(value) if ch.isalnum())


def _with_id(origin: Origin, logical: str, force: bool = False) -> Origin:
    """Origin of a generated resource: the SAM resource it comes from (where to fix it)."""
    return Origin(
        source=origin.source,
        account=origin.account,
        region=origin.region,
        file=origin.file,
        line=origin.line,
        logical_id=logical if force or origin.logical_id is None else origin.logical_id,
        suppressions=origin.suppressions,
    )
