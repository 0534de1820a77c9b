"""The shape (string, list, mapping, ...) of the properties the families read, checked once.

A property of the wrong shape (``Layers: arn:...`` instead of a list, ``Events`` a string,
``AvailabilityZone`` a list) would be refused by the deploy tool. Here it becomes one input note
naming file, resource and property, and an Unknown in its place, so the families read the rest
of the template and the rules say "unknown" for what that property decides. Values are judged
after intrinsic resolution (``!Ref`` to a list parameter is a list); unresolved values pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fortress.inventory import Unknown
from fortress.sources.base import kind_of
from fortress.sources.cfn_intrinsics import NO_VALUE
from fortress.sources.cloudformation.decode import key_line

if TYPE_CHECKING:
    from fortress.sources.cloudformation.builder import Builder
    from fortress.sources.cloudformation.model import Resource

STRING, LIST, MAPPING, SCALAR = "a string", "a list", "a mapping", "a string or number"
POLICIES = "a policy name, a list or a mapping"

_FUNCTION = {
    "FunctionName": STRING,
    "Runtime": STRING,
    "Handler": STRING,
    "Role": STRING,
    "MemorySize": SCALAR,
    "Timeout": SCALAR,
    "Environment": MAPPING,
    "KmsKeyArn": STRING,
    "VpcConfig": MAPPING,
    "Layers": LIST,
    "TracingConfig": MAPPING,
    "DeadLetterConfig": MAPPING,
    "LoggingConfig": MAPPING,
    "EphemeralStorage": MAPPING,
    "FileSystemConfigs": LIST,
    "Architectures": LIST,
    "CodeSigningConfigArn": STRING,
    "ReservedConcurrentExecutions": SCALAR,
    "PackageType": STRING,
}
_SAM_FUNCTION = {
    **_FUNCTION,
    "Events": MAPPING,
    "Policies": POLICIES,
    "FunctionUrlConfig": MAPPING,
    "EventInvokeConfig": MAPPING,
    "DeadLetterQueue": MAPPING,
    "AutoPublishAlias": STRING,
    "Tracing": STRING,
    "Tags": MAPPING,
}
_SAM_API = {"Auth": MAPPING, "DefinitionBody": MAPPING, "StageName": STRING, "MethodSettings": LIST}
SHAPES: dict[str, dict[str, str]] = {
    "AWS::Lambda::Function": {**_FUNCTION, "Tags": LIST},
    "AWS::Serverless::Function": _SAM_FUNCTION,
    "AWS::Serverless::Api": _SAM_API,
    "AWS::Serverless::HttpApi": {"Auth": MAPPING, "DefinitionBody": MAPPING, "StageName": STRING},
    "AWS::Lambda::Url": {"AuthType": STRING, "Cors": MAPPING, "TargetFunctionArn": STRING},
    "AWS::Lambda::Permission": {"Action": STRING, "FunctionName": STRING},
    "AWS::IAM::Role": {
        "AssumeRolePolicyDocument": MAPPING,
        "Policies": LIST,
        "ManagedPolicyArns": LIST,
        "RoleName": STRING,
    },
    "AWS::IAM::Policy": {"PolicyDocument": MAPPING, "Roles": LIST},
    "AWS::IAM::ManagedPolicy": {"PolicyDocument": MAPPING, "Roles": LIST},
    "AWS::EC2::SecurityGroup": {"SecurityGroupIngress": LIST, "SecurityGroupEgress": LIST},
    "AWS::EC2::Subnet": {"AvailabilityZone": STRING, "VpcId": STRING},
    "AWS::Logs::LogGroup": {"LogGroupName": STRING, "RetentionInDays": SCALAR},
    "AWS::ApiGateway::Method": {"AuthorizationType": STRING, "HttpMethod": STRING},
    "AWS::ApiGateway::Stage": {"MethodSettings": LIST, "StageName": STRING},
    "AWS::ApiGatewayV2::Route": {"AuthorizationType": STRING, "RouteKey": STRING},
    "AWS::ApiGatewayV2::Api": {"CorsConfiguration": MAPPING},
    "AWS::ElasticLoadBalancingV2::LoadBalancer": {"Scheme": STRING, "Type": STRING},
    "AWS::ElasticLoadBalancingV2::Listener": {"DefaultActions": LIST, "LoadBalancerArn": STRING},
    "AWS::ElasticLoadBalancingV2::ListenerRule": {"Actions": LIST, "ListenerArn": STRING},
    "AWS::ElasticLoadBalancingV2::TargetGroup": {"TargetType": STRING, "Targets": LIST},
}
# Globals sections hold the properties of the SAM resource type they apply to.
GLOBALS = {
    "Function": "AWS::Serverless::Function",
    "Api": "AWS::Serverless::Api",
    "HttpApi": "AWS::Serverless::HttpApi",
}


def fits(value: Any, shape: str) -> bool:
    if isinstance(value, Unknown) or value is NO_VALUE:
        return True
    if shape == STRING:
        return isinstance(value, str)
    if shape == LIST:
        return isinstance(value, list)
    if shape == MAPPING:
        return isinstance(value, Mapping)
    if shape == SCALAR:
        return isinstance(value, (str, int, float)) and not isinstance(value, bool)
    return isinstance(value, (str, list, Mapping))  # POLICIES


def check_resource(b: Builder, res: Resource) -> None:
    """Replace each ill-shaped property of ``res`` by an Unknown, with a note."""
    shapes = SHAPES.get(res.type)
    if not shapes:
        return
    fixed = check_props(b, res.props, shapes, res.logical_id, res.origin.line, res.origin.file)
    if fixed is not None:
        res.props = fixed


def check_globals(b: Builder) -> None:
    """The same for SAM ``Globals`` sections (reported as ``Globals.Function`` ...)."""
    section = b.template.get("Globals")
    if not isinstance(section, Mapping):
        return
    for name, rtype in GLOBALS.items():
        props = section.get(name)
        if isinstance(props, Mapping):
            line = getattr(getattr(props, "start_mark", None), "line", None)
            fixed = check_props(
                b, props, SHAPES[rtype], f"Globals.{name}", line + 1 if line is not None else None
            )
            if fixed is not None:
                section[name] = fixed  # type: ignore[index]


def check_props(
    b: Builder,
    props: Mapping[str, Any],
    shapes: Mapping[str, str],
    where: str,
    line: int | None,
    file: str | None = None,
) -> dict[str, Any] | None:
    """A copy of ``props`` with ill-shaped values replaced, or None when all fit."""
    fixed: dict[str, Any] | None = None
    for key, shape in shapes.items():
        if key not in props:
            continue
        value = b.r(props[key])
        if fits(value, shape):
            continue
        problem = f"is {kind_of(value)}, not {shape}"
        b.bad_input(where, key, problem, _line(props, key) or line, file)
        fixed = dict(props) if fixed is None else fixed
        fixed[key] = Unknown(f"{key} of {where} {problem}")
    return fixed


def _line(props: Mapping[str, Any], key: str) -> int | None:
    return key_line(props, key)
