"""The one builder: a decoded template → Inventory, family by family (see the family modules)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fortress.inventory import (
    NOTE_GAP,
    Api,
    Function,
    Inventory,
    Origin,
    Role,
    SourceNote,
    Unknown,
)
from fortress.sources.base import IacOptions, kind_of
from fortress.sources.cfn_intrinsics import NO_VALUE, Resolver
from fortress.sources.cloudformation import (
    api,
    elb,
    functions,
    iam,
    keys,
    network,
    observability,
    shapes,
    storage,
)
from fortress.sources.cloudformation.model import (
    Resource,
    key_lines,
    suppressions_of,
)


def stack_suffix(file: str) -> str:
    """Six hex digits naming a template's stack, from its folder and file name (stable across
    machines and working directories, distinct for sibling templates)."""
    path = Path(file)
    return hashlib.sha256(f"{path.parent.name}/{path.name}".encode()).hexdigest()[:6]


class Builder:
    """One template being mapped: its resources, resolver, and what the families built so far."""

    def __init__(
        self,
        template: Mapping[str, Any],
        file: str,
        source: str,
        options: IacOptions,
        origins: Mapping[str, Origin],
        resource_files: Mapping[str, tuple[str, int | None]] | None = None,
    ) -> None:
        """``resource_files``: logical id → (file, line) of resources that an ``AWS::Include``
        fragment brought in (their origin is the fragment, where to fix them)."""
        self.template = template
        self.file = file
        self.source = source
        self.options = options
        self.account = options.account or Resolver(template).account
        self.resolver = Resolver(template, options.parameters, options.account, options.region)
        self.region_text = self.resolver.region
        self.resources: dict[str, Resource] = {}
        self.inv = Inventory(scope="template", accounts=[], sources=[source])
        self.notes = self.inv.notes
        # Each template is its own stack: identities of its unnamed resources carry a suffix of
        # their own, so two templates with the same logical ids never share a role, function,
        # log group or security group. (Serverless services name their resources themselves.)
        self.stack_suffix = stack_suffix(file) if source == "cloudformation" else ""
        self.functions: dict[str, Function] = {}
        self.roles: dict[str, Role] = {}
        self.apis: dict[str, Api] = {}
        self.post_steps: list[Callable[[], None]] = []
        self._fn_index: dict[str, Function] = {}
        self._fn_count = -1
        self._by_type: dict[str, list[Resource]] | None = None
        raw = template.get("Resources")
        assert isinstance(raw, Mapping)
        lines = key_lines(raw)
        included = resource_files or {}
        for logical, res in raw.items():
            line = lines.get(logical)
            if not isinstance(res, Mapping):
                self.bad_input(str(logical), None, f"is {kind_of(res)}, not a mapping", line)
                continue
            rtype = res.get("Type")
            if not isinstance(rtype, str):
                self.bad_input(str(logical), None, "has no Type", line)
                continue
            condition = res.get("Condition")
            if isinstance(condition, str) and self.resolver.condition(condition) is False:
                continue
            where = included.get(str(logical))
            origin = origins.get(str(logical)) or Origin(
                source=source,
                account=self.account,
                region=options.region,
                file=where[0] if where else file,
                line=where[1] if where else line,
                logical_id=str(logical),
                suppressions=suppressions_of(res.get("Metadata")),
            )
            props = res.get("Properties")
            if props is not None and not isinstance(props, Mapping):
                self.bad_input(str(logical), "Properties", f"is {kind_of(props)}", origin.line)
            self.resources[str(logical)] = Resource(
                str(logical), rtype, props if isinstance(props, Mapping) else {}, origin
            )
            self.resolver.resource_types[str(logical)] = rtype

    def bad_input(
        self,
        logical: str,
        prop: str | None,
        problem: str,
        line: int | None,
        file: str | None = None,
    ) -> None:
        """A value of the wrong shape: a one-line note naming file, resource and property.

        The deploy tool would refuse it; the scan reads the rest of the template and leaves
        what that value decides unknown, so the note is a gap (the scan is incomplete).
        """
        what = f"resource {logical}" + (f" property {prop}" if prop else "")
        self.notes.append(
            SourceNote(
                kind=NOTE_GAP,
                file=file or self.file,
                line=line,
                subject=f"{logical}.{prop}" if prop else logical,
                message=f"{what} {problem}; it is not read",
            )
        )

    # ------------------------------------------------------------------ helpers

    def r(self, value: Any) -> Any:
        return self.resolver.resolve(value)

    def prop(self, res: Resource, name: str, default: Any = None) -> Any:
        if name not in res.props:
            return default
        value = self.r(res.props[name])
        return default if value is NO_VALUE else value

    def physical_name(self, res: Resource, prop: str) -> str:
        """The name a resource is deployed under: its own name property, else (as CloudFormation
        names unnamed resources after their stack) the logical id with this template's suffix."""
        value = self.prop(res, prop)
        return value if isinstance(value, str) and value else self.physical_id(res.logical_id)

    def physical_id(self, logical: str) -> str:
        """The deployed identity of a resource without a name: the logical id and stack suffix."""
        return f"{logical}-{self.stack_suffix}" if self.stack_suffix else logical

    def name_of(self, res: Resource, prop: str) -> str:
        value = self.prop(res, prop)
        return value if isinstance(value, str) and value else res.logical_id

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        return f"arn:aws:{service}:{self.region_text if region else ''}:{self.account}:{resource}"

    def of_type(self, *types: str) -> list[Resource]:
        if self._by_type is None:  # resources are final once SAM expansion is done
            self._by_type = {}
            for res in self.resources.values():
                self._by_type.setdefault(res.type, []).append(res)
        return [r for t in types for r in self._by_type.get(t, [])]

    # ------------------------------------------------------------------ build

    def function_for(self, target: Any) -> Function | None:
        """The template function a FunctionName/ARN value designates (name, ARN, qualified ARN)."""
        if not isinstance(target, str):
            return None
        if self._fn_count != len(self.functions):
            self._fn_index = {}
            for lid, fn in self.functions.items():
                self._fn_index[fn.name] = fn
                self._fn_index[fn.arn] = fn
                self._fn_index.setdefault(str(self.resolver.refs.get(lid, fn.name)), fn)
            self._fn_count = len(self.functions)
        found = self._fn_index.get(target)
        if found is None and target.count(":") == 7:  # arn:...:function:name:qualifier
            found = self._fn_index.get(target.rsplit(":", 1)[0])
        return found

    def api_for(self, value: Any) -> Api | None:
        return self.apis.get(value) if isinstance(value, str) else None

    def build(self, expand: Callable[[Builder], None] | None = None) -> Inventory:
        """Map every resource family; ``expand`` first rewrites resources a transform declares
        (SAM) into the CloudFormation resources it deploys."""
        shapes.check_globals(self)
        for res in self.resources.values():
            shapes.check_resource(self, res)
        if expand is not None:
            expand(self)
        self._register_identities()
        iam.build_roles(self)
        functions.build_layers(self)
        functions.build_functions(self)
        functions.build_permissions(self)
        functions.build_function_parts(self)
        network.build_network(self)
        network.build_routing(self)
        observability.build_logs(self)
        api.build_apis(self)
        elb.build_load_balancers(self)
        keys.build_secrets_and_keys(self)
        storage.build_buckets(self)
        for step in self.post_steps:
            step()
        self.inv.accounts = [self.account]
        self.inv.functions = list(self.functions.values())
        self.inv.roles = list(self.roles.values())
        self.inv.apis = [*self.inv.apis, *self.apis.values()]
        return self.inv

    def _register_identities(self) -> None:
        refs, attrs = self.resolver.refs, self.resolver.attrs
        for res in self.resources.values():
            lid, t = res.logical_id, res.type
            if t == "AWS::Lambda::Function":
                name = self.physical_name(res, "FunctionName")
                refs[lid] = name
                attrs[(lid, "Arn")] = self.arn("lambda", f"function:{name}")
            elif t == "AWS::IAM::Role":
                name = self.physical_name(res, "RoleName")
                refs[lid] = name
                attrs[(lid, "Arn")] = f"arn:aws:iam::{self.account}:role/{name}"
            elif t == "AWS::IAM::ManagedPolicy":
                name = self.physical_name(res, "ManagedPolicyName")
                refs[lid] = f"arn:aws:iam::{self.account}:policy/{name}"
                attrs[(lid, "PolicyArn")] = refs[lid]
            elif t == "AWS::Lambda::LayerVersion":
                name = self.physical_name(res, "LayerName")
                refs[lid] = self.arn("lambda", f"layer:{name}:1")
                attrs[(lid, "LayerVersionArn")] = refs[lid]
            elif t == "AWS::Lambda::Url":
                attrs[(lid, "FunctionUrl")] = (
                    f"https://{lid.lower()}.lambda-url.{self.region_text}.on.aws/"
                )
            elif t == "AWS::Lambda::CodeSigningConfig":
                attrs[(lid, "CodeSigningConfigArn")] = self.arn(
                    "lambda", f"code-signing-config:{lid}"
                )
            elif t == "AWS::ApiGateway::RestApi":
                refs[lid] = lid
                attrs[(lid, "RootResourceId")] = f"{lid}::root"
            elif t == "AWS::ApiGatewayV2::Api":
                refs[lid] = lid
                attrs[(lid, "ApiId")] = lid
                attrs[(lid, "ApiEndpoint")] = (
                    f"https://{lid}.execute-api.{self.region_text}.amazonaws.com"
                )
            elif t in ("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"):
                refs[lid] = self.name_of(res, "StageName")
            elif t == "AWS::Logs::LogGroup":
                name = self.physical_name(res, "LogGroupName")
                refs[lid] = name
                attrs[(lid, "Arn")] = self.arn("logs", f"log-group:{name}:*")
            elif t == "AWS::SecretsManager::Secret":
                name = self.name_of(res, "Name")
                refs[lid] = self.arn("secretsmanager", f"secret:{name}")
                attrs[(lid, "Id")] = refs[lid]
            elif t == "AWS::KMS::Key":
                key_id = self.physical_id(lid)
                refs[lid] = key_id
                attrs[(lid, "KeyId")] = key_id
                attrs[(lid, "Arn")] = self.arn("kms", f"key/{key_id}")
            elif t in (
                "AWS::EC2::SecurityGroup",
                "AWS::EC2::Subnet",
                "AWS::EC2::VPC",
                "AWS::EC2::RouteTable",
                "AWS::EC2::InternetGateway",
                "AWS::EC2::NetworkAcl",
            ):
                refs[lid] = self.physical_id(lid)
                if t == "AWS::EC2::VPC":
                    attrs[(lid, "VpcId")] = refs[lid]
                    attrs[(lid, "DefaultNetworkAcl")] = network.default_acl_id(refs[lid])
                if t == "AWS::EC2::SecurityGroup":
                    attrs[(lid, "GroupId")] = refs[lid]
            elif t == "AWS::KMS::Alias":
                refs[lid] = self.name_of(res, "AliasName")
            elif t == "AWS::IAM::AccessKey":
                attrs[(lid, "SecretAccessKey")] = Unknown(
                    f"secret access key of {lid}, created at deployment"
                )
            elif t == "AWS::SQS::Queue":
                name = self.physical_name(res, "QueueName")
                refs[lid] = f"https://sqs.{self.region_text}.amazonaws.com/{self.account}/{name}"
                attrs[(lid, "Arn")] = self.arn("sqs", name)
                attrs[(lid, "QueueName")] = name
            elif t == "AWS::SNS::Topic":
                refs[lid] = self.arn("sns", self.physical_name(res, "TopicName"))
                attrs[(lid, "TopicArn")] = refs[lid]
            elif t == "AWS::S3::Bucket":
                name = self.physical_name(res, "BucketName")
                refs[lid] = name
                attrs[(lid, "Arn")] = f"arn:aws:s3:::{name}"
            elif t == "AWS::SSM::Parameter":
                name = self.physical_name(res, "Name")
                refs[lid] = name
                path = name if name.startswith("/") else f"/{name}"
                attrs[(lid, "Arn")] = self.arn("ssm", f"parameter{path}")
            elif t == "AWS::Events::Rule":
                attrs[(lid, "Arn")] = self.arn("events", f"rule/{self.name_of(res, 'Name')}")
            elif t in ("AWS::DynamoDB::Table",):
                name = self.physical_name(res, "TableName")
                refs[lid] = name
                attrs[(lid, "Arn")] = self.arn("dynamodb", f"table/{name}")
                attrs[(lid, "StreamArn")] = self.arn("dynamodb", f"table/{name}/stream/*")
            elif t == "AWS::Kinesis::Stream":
                name = self.name_of(res, "Name")
                refs[lid] = name
                attrs[(lid, "Arn")] = self.arn("kinesis", f"stream/{name}")
        elb.register_identities(self)

    # ------------------------------------------------------------------ IAM
