"""CloudFormation, SAM and CDK (``cdk.out/*.template.json``) templates → Inventory.

Parsing uses cfn-lint's decoder (JSON and YAML with short-form tags, line numbers on every
node). Intrinsics are resolved by :mod:`fortress.sources.cfn_intrinsics`; SAM resources are
expanded the way the SAM translator deploys them by :mod:`fortress.sources.sam`. Every object's
Origin carries the file, the line of its logical id and the logical id; in-code suppressions come
from ``Metadata: {fortress: {skip: [{id: FTR-..., reason: ...}]}}``.

Resource identities a template cannot know (physical names, ARNs) are stable placeholders built
on the template account (``inventory.TEMPLATE_ACCOUNT`` unless ``--account``), so a function,
its role, its log group and its permissions link up exactly as they will once deployed.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from fortress import safeio
from fortress.errors import InputError
from fortress.inventory import (
    Alarm,
    Alias,
    Api,
    ApiRoute,
    ApiStage,
    CodeSigning,
    EnvVar,
    EventSourceMapping,
    Function,
    FunctionUrl,
    FunctionVersion,
    Inventory,
    InvokeConfig,
    KmsKey,
    LayerRef,
    LayerVersion,
    LogGroup,
    Origin,
    Policy,
    PolicyDocument,
    Role,
    Secret,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    Trail,
    Unknown,
    VpcConfig,
)
from fortress.sources import openapi
from fortress.sources.base import IacOptions
from fortress.sources.cfn_intrinsics import NO_VALUE, Resolver, first_unknown, plain

FORMAT = "cloudformation"

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
LAMBDA_TRUST: PolicyDocument = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
UNRESOLVED = "${unresolved}"


# --------------------------------------------------------------------------- detection & loading


def detect(path: Path) -> bool:
    """A CloudFormation/SAM template file, a ``cdk.out`` folder, or a folder holding templates."""
    if path.is_dir():
        return bool(_template_files(path))
    return path.suffix.lower() in TEMPLATE_SUFFIXES and _looks_like_template(path)


def load(path: Path, options: IacOptions) -> Inventory:
    """Load one template, or every template under a folder (CDK: ``cdk.out/*.template.json``)."""
    if not path.exists():
        raise InputError(str(path), "no such file or folder")
    with gc_paused():
        if path.is_dir():
            inventory = Inventory(scope="template", sources=[FORMAT])
            for file in _template_files(path):
                inventory.extend(load_file(file, options))
            inventory.scope = "template"
            return inventory
        return load_file(path, options)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a template is decoded and mapped.

    Loading allocates hundreds of thousands of long-lived objects and no reference cycles worth
    collecting; with the collector running, half of the load time went to collections walking
    that growing heap. Reference counting still frees everything else at once.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_file(path: Path, options: IacOptions) -> Inventory:
    template = parse_template(path)
    return build_inventory(template, str(path), FORMAT, options)


def parse_template(path: Path) -> Mapping[str, Any]:
    """Decode a template with cfn-lint's decoder; InputError (file, line) when it does not parse.

    The common case (valid YAML/JSON without anchors or merge keys) takes :func:`fast_decode`,
    which gives the very same nodes; anything else, errors included, goes through cfn-lint.
    """
    try:
        fast = fast_decode(safeio.read_template(path))  # regular file, size cap: InputError
    except (OSError, ValueError):
        fast = None
    if isinstance(fast, Mapping) and isinstance(fast.get("Resources"), Mapping):
        return fast
    from cfnlint.decode import decode

    try:
        template, matches = decode(str(path))
    except Exception as exc:  # the decoder raises on some binary/encoding problems
        raise InputError(str(path), f"cannot read template: {exc}") from None
    if template is None or matches:
        match = matches[0] if matches else None
        message = match.message if match is not None else "not a template"
        line = getattr(match, "linenumber", None) if match is not None else None
        raise InputError(str(path), f"template does not parse: {message}", line)
    if not isinstance(template, Mapping) or not isinstance(template.get("Resources"), Mapping):
        raise InputError(str(path), "not a CloudFormation template (no Resources section)", 1)
    return template


class StrNode(str):
    """A template string with its source position (cfn-lint's ``str_node``)."""

    start_mark: Any
    end_mark: Any


class DictNode(dict[Any, Any]):
    """A template mapping with its source position (cfn-lint's ``dict_node``)."""

    __slots__ = ("end_mark", "start_mark", "using_merge")
    start_mark: Any
    end_mark: Any
    using_merge: bool


class ListNode(list[Any]):
    """A template sequence with its source position (cfn-lint's ``list_node``)."""

    __slots__ = ("end_mark", "start_mark")
    start_mark: Any
    end_mark: Any


class _Fallback(Exception):
    """The fast decoder met something only cfn-lint's own constructor handles."""


def fast_decode(text: str) -> Any:
    """cfn-lint's YAML decoding (``cfn_yaml.loads``) at libyaml speed, or None.

    cfn-lint composes with libyaml but builds values through PyYAML's generic constructor
    (per-node dispatch, two passes per mapping, a quadratic duplicate-key scan), and importing
    it costs ~0.5 s (networkx, sympy). This builds equivalent objects straight from libyaml's
    node tree: mappings, sequences and strings carry the same ``start_mark``/``end_mark``
    (0-based ``line``/``column``), short-form tags become ``{"Fn::...": ...}`` exactly as in
    cfn-lint, other scalars go through PyYAML's safe constructors. It returns None (the
    caller then uses cfn-lint, which also words the errors) when libyaml is absent, an alias
    repeats a mapping or sequence (cfn-lint shares the object and guards against alias
    amplification), on merge keys, a duplicate or null key, several documents, an unknown tag,
    or when the text does not parse. An aliased scalar is decoded twice, equal in value and
    marks to cfn-lint's shared one.
    """
    import yaml

    if not getattr(yaml, "__with_libyaml__", False):
        return None
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
        if root is None:
            return None
        return _Construct(yaml).node(root)
    except (_Fallback, yaml.YAMLError, RecursionError, ValueError, TypeError):
        return None


_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


class _Construct:
    def __init__(self, yaml: Any) -> None:
        self.scalar_node, self.mapping_node = yaml.ScalarNode, yaml.MappingNode
        self.seen: set[int] = set()  # collection nodes already built: a second visit = alias
        safe = yaml.SafeLoader("")
        self.scalars: dict[str, Callable[[Any], Any]] = {
            "tag:yaml.org,2002:null": safe.construct_yaml_null,
            "tag:yaml.org,2002:bool": safe.construct_yaml_bool,
            "tag:yaml.org,2002:int": safe.construct_yaml_int,
            "tag:yaml.org,2002:float": safe.construct_yaml_float,
            "tag:yaml.org,2002:timestamp": safe.construct_yaml_timestamp,
        }

    def node(self, node: Any) -> Any:
        kind, tag = type(node), node.tag
        if kind is not self.scalar_node:
            if id(node) in self.seen:
                raise _Fallback("alias of a collection")
            self.seen.add(id(node))
        if kind is self.scalar_node:
            if tag == _STR_TAG:
                text = StrNode(node.value)
                text.start_mark, text.end_mark = node.start_mark, node.end_mark
                return text
            if tag.startswith("!"):
                return self.tagged(node)
            build = self.scalars.get(tag)
            if build is None:
                raise _Fallback(tag)
            return build(node)
        if kind is self.mapping_node:
            if tag == _MAP_TAG:
                mapping = DictNode()
                for key_node, value_node in node.value:
                    key = self.node(key_node)
                    if key is None or key in mapping:  # cfn-lint reports these
                        raise _Fallback("null or duplicate key")
                    mapping[key] = self.node(value_node)
                mapping.start_mark, mapping.end_mark = node.start_mark, node.end_mark
                mapping.using_merge = False
                return mapping
            if tag.startswith("!"):
                return self.tagged(node)
            raise _Fallback(tag)
        if tag == _SEQ_TAG:
            return self.sequence(node.value, node)
        if tag.startswith("!"):
            return self.tagged(node)
        raise _Fallback(tag)

    def sequence(self, children: Iterable[Any], node: Any) -> ListNode:
        items = ListNode([self.node(child) for child in children])
        items.start_mark, items.end_mark = node.start_mark, node.end_mark
        return items

    def tagged(self, node: Any) -> DictNode:
        """``!Ref x`` → ``{"Ref": "x"}``, ``!GetAtt a.b`` → ``{"Fn::GetAtt": ["a", "b"]}``."""
        suffix = node.tag[1:]
        if suffix not in ("Ref", "Condition"):
            suffix = f"Fn::{suffix}"
        kind = type(node)
        value: Any
        if suffix == "Fn::GetAtt":
            if kind is self.scalar_node:
                value = ListNode(node.value.split(".", 1))
                value.start_mark, value.end_mark = node.start_mark, node.end_mark
            elif kind is self.mapping_node:
                raise _Fallback("!GetAtt on a mapping")
            else:
                value = self.sequence(node.value, node)
        elif kind is self.scalar_node:
            value = node.value
        elif kind is self.mapping_node:  # a plain dict, the last duplicate wins (as in cfn-lint)
            value = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _Fallback("merge key")
                value[self.node(key_node)] = self.node(value_node)
        else:
            value = [self.node(child) for child in node.value]
        out = DictNode({suffix: value})
        out.start_mark, out.end_mark = node.start_mark, node.end_mark
        out.using_merge = False
        return out


def _looks_like_template(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:200_000]
    except OSError:
        return False
    if "AWSTemplateFormatVersion" in head or "AWS::Serverless" in head:
        return True
    return (
        "Resources" in head and re.search(r"[\"']?Type[\"']?\s*:\s*[\"']?AWS::", head) is not None
    )


def _template_files(folder: Path) -> list[Path]:
    files: list[Path] = []
    for file in sorted(folder.rglob("*")):
        parts = file.relative_to(folder).parts
        if any(
            p in ("node_modules", ".git", ".serverless", ".aws-sam", ".terraform") for p in parts
        ):
            continue
        if "cdk.out" in parts or folder.name == "cdk.out":
            if file.name.endswith(".template.json"):
                files.append(file)
            continue
        if file.is_file() and file.suffix.lower() in TEMPLATE_SUFFIXES:
            if file.name.startswith("serverless.") or file.name.endswith("tfvars.json"):
                continue
            if _looks_like_template(file):
                files.append(file)
    return files


# --------------------------------------------------------------------------- the model


@dataclass
class Resource:
    logical_id: str
    type: str
    props: Mapping[str, Any]
    origin: Origin
    # For SAM-generated resources: the SAM resource they came from.
    sam_source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def suppressions_of(metadata: Any) -> tuple[tuple[str, str], ...]:
    """``{fortress: {skip: [{id, reason}]}}`` → ((id, reason), ...); plain ids are allowed too."""
    if not isinstance(metadata, Mapping):
        return ()
    fortress = metadata.get("fortress")
    if not isinstance(fortress, Mapping):
        return ()
    skips = fortress.get("skip")
    if not isinstance(skips, list):
        skips = [skips] if skips else []
    out: list[tuple[str, str]] = []
    for entry in skips:
        if isinstance(entry, Mapping) and entry.get("id"):
            out.append((str(entry["id"]), str(entry.get("reason") or "")))
        elif isinstance(entry, str):
            out.append((entry, ""))
    return tuple(out)


def key_line(mapping: Mapping[str, Any], key: str) -> int | None:
    """1-based line of ``key`` in a cfn-lint node mapping."""
    for k in mapping:
        if k == key:
            mark = getattr(k, "start_mark", None)
            if mark is not None:
                return int(mark.line) + 1
    return None


def key_lines(mapping: Mapping[str, Any]) -> dict[Any, int]:
    """1-based line of every key of a node mapping (``key_line`` for all keys at once)."""
    out: dict[Any, int] = {}
    for k in mapping:
        mark = getattr(k, "start_mark", None)
        if mark is not None:
            out.setdefault(k, int(mark.line) + 1)
    return out


def build_inventory(
    template: Mapping[str, Any],
    file: str,
    source: str,
    options: IacOptions,
    origins: Mapping[str, Origin] | None = None,
) -> Inventory:
    """Map a decoded template to an Inventory. ``origins`` overrides the origin per logical id
    (the Serverless source passes the serverless.yml lines of the resources it generates)."""
    return _Builder(template, file, source, options, origins or {}).build()


class _Builder:
    def __init__(
        self,
        template: Mapping[str, Any],
        file: str,
        source: str,
        options: IacOptions,
        origins: Mapping[str, Origin],
    ) -> None:
        self.template = template
        self.file = file
        self.source = source
        self.options = options
        self.account = options.account or Resolver(template).account
        self.resolver = Resolver(template, options.parameters, options.account, options.region)
        self.region_text = self.resolver.region
        self.resources: dict[str, Resource] = {}
        self.inv = Inventory(scope="template", accounts=[], sources=[source])
        self.functions: dict[str, Function] = {}
        self.roles: dict[str, Role] = {}
        self.apis: dict[str, Api] = {}
        self.post_steps: list[Callable[[], None]] = []
        self._fn_index: dict[str, Function] = {}
        self._by_type: dict[str, list[Resource]] | None = None
        raw = template.get("Resources")
        assert isinstance(raw, Mapping)
        lines = key_lines(raw)
        for logical, res in raw.items():
            if not isinstance(res, Mapping):
                raise InputError(
                    file, f"resource {logical} is not a mapping", key_line(raw, logical)
                )
            rtype = res.get("Type")
            if not isinstance(rtype, str):
                raise InputError(file, f"resource {logical} has no Type", key_line(raw, logical))
            condition = res.get("Condition")
            if isinstance(condition, str) and self.resolver.condition(condition) is False:
                continue
            origin = origins.get(str(logical)) or Origin(
                source=source,
                account=self.account,
                region=options.region,
                file=file,
                line=lines.get(logical),
                logical_id=str(logical),
                suppressions=suppressions_of(res.get("Metadata")),
            )
            props = res.get("Properties")
            self.resources[str(logical)] = Resource(
                str(logical), rtype, props if isinstance(props, Mapping) else {}, origin
            )
            self.resolver.resource_types[str(logical)] = rtype

    # ------------------------------------------------------------------ helpers

    def r(self, value: Any) -> Any:
        return self.resolver.resolve(value)

    def prop(self, res: Resource, name: str, default: Any = None) -> Any:
        if name not in res.props:
            return default
        value = self.r(res.props[name])
        return default if value is NO_VALUE else value

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

    def build(self) -> Inventory:
        if any(r.type.startswith("AWS::Serverless::") for r in self.resources.values()):
            from fortress.sources import sam

            sam.expand(self)
        self._register_identities()
        self._roles()
        self._layers()
        self._functions()
        self._permissions()
        self._function_parts()
        self._network()
        self._logs()
        self._apis()
        self._secrets_and_keys()
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
                name = self.name_of(res, "FunctionName")
                refs[lid] = name
                attrs[(lid, "Arn")] = self.arn("lambda", f"function:{name}")
            elif t == "AWS::IAM::Role":
                name = self.name_of(res, "RoleName")
                refs[lid] = name
                attrs[(lid, "Arn")] = f"arn:aws:iam::{self.account}:role/{name}"
            elif t == "AWS::IAM::ManagedPolicy":
                name = self.name_of(res, "ManagedPolicyName")
                refs[lid] = f"arn:aws:iam::{self.account}:policy/{name}"
                attrs[(lid, "PolicyArn")] = refs[lid]
            elif t == "AWS::Lambda::LayerVersion":
                name = self.name_of(res, "LayerName")
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
                name = self.name_of(res, "LogGroupName")
                refs[lid] = name
                attrs[(lid, "Arn")] = self.arn("logs", f"log-group:{name}:*")
            elif t == "AWS::SecretsManager::Secret":
                name = self.name_of(res, "Name")
                refs[lid] = self.arn("secretsmanager", f"secret:{name}")
                attrs[(lid, "Id")] = refs[lid]
            elif t == "AWS::KMS::Key":
                refs[lid] = lid
                attrs[(lid, "KeyId")] = lid
                attrs[(lid, "Arn")] = self.arn("kms", f"key/{lid}")
            elif t == "AWS::KMS::Alias":
                refs[lid] = self.name_of(res, "AliasName")
            elif t == "AWS::IAM::AccessKey":
                attrs[(lid, "SecretAccessKey")] = Unknown(
                    f"secret access key of {lid}, created at deployment"
                )
            elif t == "AWS::SQS::Queue":
                name = self.name_of(res, "QueueName")
                refs[lid] = f"https://sqs.{self.region_text}.amazonaws.com/{self.account}/{name}"
                attrs[(lid, "Arn")] = self.arn("sqs", name)
                attrs[(lid, "QueueName")] = name
            elif t == "AWS::SNS::Topic":
                refs[lid] = self.arn("sns", self.name_of(res, "TopicName"))
                attrs[(lid, "TopicArn")] = refs[lid]
            elif t == "AWS::S3::Bucket":
                name = self.name_of(res, "BucketName")
                refs[lid] = name
                attrs[(lid, "Arn")] = f"arn:aws:s3:::{name}"
            elif t == "AWS::Events::Rule":
                attrs[(lid, "Arn")] = self.arn("events", f"rule/{self.name_of(res, 'Name')}")
            elif t in ("AWS::DynamoDB::Table",):
                name = self.name_of(res, "TableName")
                refs[lid] = name
                attrs[(lid, "Arn")] = self.arn("dynamodb", f"table/{name}")
                attrs[(lid, "StreamArn")] = self.arn("dynamodb", f"table/{name}/stream/*")
            elif t == "AWS::Kinesis::Stream":
                name = self.name_of(res, "Name")
                refs[lid] = name
                attrs[(lid, "Arn")] = self.arn("kinesis", f"stream/{name}")

    # ------------------------------------------------------------------ IAM

    def _roles(self) -> None:
        by_name: dict[str, Role] = {}
        for res in self.of_type("AWS::IAM::Role"):
            name = self.resolver.refs[res.logical_id]
            trust = self.prop(res, "AssumeRolePolicyDocument", {})
            role = Role(
                name=name,
                arn=self.resolver.attrs[(res.logical_id, "Arn")],
                origin=res.origin,
                trust_policy=policy_document(trust, f"{res.logical_id} trust policy"),
            )
            boundary = self.prop(res, "PermissionsBoundary")
            role.permissions_boundary_arn = boundary if isinstance(boundary, str) else None
            for i, pol in enumerate(_as_list(self.prop(res, "Policies", []))):
                if isinstance(pol, Mapping):
                    pname = pol.get("PolicyName")
                    role.inline_policies.append(
                        Policy(
                            name=pname
                            if isinstance(pname, str)
                            else f"{res.logical_id}-policy-{i}",
                            document=policy_document(
                                pol.get("PolicyDocument"), f"{res.logical_id} policy"
                            ),
                            inline=True,
                        )
                    )
            for arn in _as_list(self.prop(res, "ManagedPolicyArns", [])):
                role.attached_policies.append(self.managed(arn))
            self.roles[res.logical_id] = role
            by_name[name] = role
        for res in self.of_type("AWS::IAM::Policy", "AWS::IAM::RolePolicy"):
            doc = policy_document(self.prop(res, "PolicyDocument"), res.logical_id)
            name = self.name_of(res, "PolicyName")
            targets = _as_list(self.prop(res, "Roles", [])) + _as_list(
                self.prop(res, "RoleName", [])
            )
            for target in targets:
                if isinstance(target, str) and target in by_name:
                    by_name[target].inline_policies.append(
                        Policy(name=name, document=doc, inline=True)
                    )
        for res in self.of_type("AWS::IAM::ManagedPolicy"):
            policy = Policy(
                name=self.name_of(res, "ManagedPolicyName"),
                document=policy_document(self.prop(res, "PolicyDocument"), res.logical_id),
                arn=self.resolver.refs[res.logical_id],
            )
            for target in _as_list(self.prop(res, "Roles", [])):
                if isinstance(target, str) and target in by_name:
                    role = by_name[target]
                    if not any(p.arn == policy.arn for p in role.attached_policies):
                        role.attached_policies.append(policy)

    def managed(self, arn: Any) -> Policy:
        """A policy attached by ARN: AWS managed (real document), in-template, or unknown."""
        if isinstance(arn, Unknown):
            return Policy(name="(unresolved)", document=arn)
        text = str(arn)
        for res in self.of_type("AWS::IAM::ManagedPolicy"):
            if self.resolver.refs.get(res.logical_id) == text:
                return Policy(
                    name=self.name_of(res, "ManagedPolicyName"),
                    document=policy_document(self.prop(res, "PolicyDocument"), res.logical_id),
                    arn=text,
                )
        return aws_managed_policy(text)

    # ------------------------------------------------------------------ Lambda

    def _layers(self) -> None:
        layers: dict[str, LayerVersion] = {}
        for res in self.of_type("AWS::Lambda::LayerVersion"):
            arn = self.resolver.refs[res.logical_id]
            runtimes = self.prop(res, "CompatibleRuntimes", [])
            layer = LayerVersion(
                arn=arn,
                name=self.name_of(res, "LayerName"),
                version=1,
                origin=res.origin,
                compatible_runtimes=[x for x in _as_list(runtimes) if isinstance(x, str)],
            )
            layers[arn] = layer
            self.inv.layers.append(layer)
        for res in self.of_type("AWS::Lambda::LayerVersionPermission"):
            target = self.prop(res, "LayerVersionArn")
            if not isinstance(target, str) or target not in layers:
                continue
            layer = layers[target]
            principal = self.prop(res, "Principal")
            statement: dict[str, Any] = {
                "Sid": res.logical_id,
                "Effect": "Allow",
                "Principal": _principal(principal),
                "Action": self.prop(res, "Action", "lambda:GetLayerVersion"),
                "Resource": target,
            }
            org = self.prop(res, "OrganizationId")
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

    def _functions(self) -> None:
        signing = {
            self.resolver.attrs[(r.logical_id, "CodeSigningConfigArn")]: r
            for r in self.of_type("AWS::Lambda::CodeSigningConfig")
        }
        for res in self.of_type("AWS::Lambda::Function"):
            name = self.resolver.refs[res.logical_id]
            fn = Function(
                name=name, arn=self.resolver.attrs[(res.logical_id, "Arn")], origin=res.origin
            )
            fn.package_type = str(self.prop(res, "PackageType", "Zip"))
            fn.runtime = self.prop(res, "Runtime")
            fn.handler = self.prop(res, "Handler")
            if fn.package_type == "Image":
                fn.runtime = None
            fn.role_arn = self.prop(res, "Role")
            fn.memory_size = _int(self.prop(res, "MemorySize", 128))
            fn.timeout = _int(self.prop(res, "Timeout", 3))
            fn.environment = self._environment(res)
            fn.kms_key_arn = self.prop(res, "KmsKeyArn")
            vpc = self.prop(res, "VpcConfig")
            if isinstance(vpc, Mapping) and (vpc.get("SubnetIds") or vpc.get("SecurityGroupIds")):
                fn.vpc = VpcConfig(
                    subnet_ids=_maybe_list(vpc.get("SubnetIds")),
                    security_group_ids=_maybe_list(vpc.get("SecurityGroupIds")),
                )
            elif isinstance(vpc, Unknown):
                fn.vpc = VpcConfig(subnet_ids=[vpc], security_group_ids=[vpc])
            tracing = self.prop(res, "TracingConfig", {})
            fn.tracing_mode = (
                tracing.get("Mode", "PassThrough") if isinstance(tracing, Mapping) else tracing
            )
            dlq = self.prop(res, "DeadLetterConfig")
            if isinstance(dlq, Mapping):
                fn.dead_letter_target = dlq.get("TargetArn")
            elif isinstance(dlq, Unknown):
                fn.dead_letter_target = dlq
            logging = self.prop(res, "LoggingConfig", {})
            if isinstance(logging, Mapping):
                group = logging.get("LogGroup")
                fn.log_group_name = group if group is not None else None
                fmt = logging.get("LogFormat")
                fn.log_format = fmt if isinstance(fmt, str) else None
            storage = self.prop(res, "EphemeralStorage", {})
            if isinstance(storage, Mapping) and "Size" in storage:
                fn.ephemeral_storage_mb = _int(storage["Size"])
            for fs in _as_list(self.prop(res, "FileSystemConfigs", [])):
                if isinstance(fs, Mapping):
                    fn.file_systems.append(fs.get("Arn", Unknown("file system ARN not resolvable")))
            layers = self.prop(res, "Layers", [])
            if isinstance(layers, Unknown):
                fn.layers = [LayerRef(layers)]
            else:
                fn.layers = [LayerRef(x) for x in _as_list(layers)]
            csc = self.prop(res, "CodeSigningConfigArn")
            if csc is not None:
                fn.code_signing = self._code_signing(csc, signing)
            reserved = self.prop(res, "ReservedConcurrentExecutions")
            fn.reserved_concurrency = _int(reserved) if reserved is not None else None
            tags = self.prop(res, "Tags", [])
            fn.tags = _tags(tags)
            arch = self.prop(res, "Architectures")
            if isinstance(arch, list):
                fn.architectures = [str(a) for a in arch]
            self.functions[res.logical_id] = fn

    def _code_signing(self, arn: Any, signing: Mapping[str, Resource]) -> CodeSigning | Unknown:
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
        policies = self.prop(config, "CodeSigningPolicies", {})
        untrusted: Any = "Warn"
        if isinstance(policies, Mapping):
            untrusted = policies.get("UntrustedArtifactOnDeployment", "Warn")
        elif isinstance(policies, Unknown):
            untrusted = policies
        publishers = self.prop(config, "AllowedPublishers", {})
        profiles = (
            publishers.get("SigningProfileVersionArns", [])
            if isinstance(publishers, Mapping)
            else []
        )
        return CodeSigning(
            arn=str(arn),
            untrusted_artifact_on_deployment=untrusted,
            allowed_publishers=[p for p in _as_list(profiles) if isinstance(p, str)],
        )

    def _environment(self, res: Resource) -> list[EnvVar]:
        env = res.props.get("Environment")
        if not isinstance(env, Mapping):
            return []
        raw_vars = env.get("Variables")
        if not isinstance(raw_vars, Mapping):
            resolved = self.r(raw_vars) if raw_vars is not None else {}
            if isinstance(resolved, Mapping):
                return [EnvVar(str(k), _str_or_unknown(v)) for k, v in resolved.items()]
            return []
        out: list[EnvVar] = []
        for key, raw in raw_vars.items():
            value = self.r(raw)
            if value is NO_VALUE:
                continue
            out.append(
                EnvVar(str(key), _str_or_unknown(value), reference=self.secret_reference(raw))
            )
        return out

    def secret_reference(self, raw: Any) -> str | None:
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
            rtype = self.resolver.resource_types.get(logical)
            if rtype == "AWS::IAM::AccessKey" and attr == "SecretAccessKey":
                found.append("AWS::IAM::AccessKey.SecretAccessKey")
            elif rtype == "AWS::ApiGateway::ApiKey":
                found.append("AWS::ApiGateway::ApiKey")
            elif rtype == "AWS::SecretsManager::Secret" and attr == "SecretString":
                found.append("AWS::SecretsManager::Secret.SecretString")
            elif logical in self.resolver.no_echo:
                found.append(f"AWS::CloudFormation::Parameter.{logical} (NoEcho)")

        visit(raw)
        return found[0] if found else None

    def function_for(self, target: Any) -> Function | None:
        """The template function a FunctionName/ARN value designates (name, ARN, qualified ARN)."""
        if not isinstance(target, str):
            return None
        if len(self._fn_index) != 2 * len(self.functions):
            self._fn_index = {}
            for fn in self.functions.values():
                self._fn_index[fn.name] = fn
                self._fn_index[fn.arn] = fn
        found = self._fn_index.get(target)
        if found is None and target.count(":") == 7:  # arn:...:function:name:qualifier
            found = self._fn_index.get(target.rsplit(":", 1)[0])
        return found

    def _permissions(self) -> None:
        for res in self.of_type("AWS::Lambda::Permission"):
            fn = self.function_for(self.prop(res, "FunctionName"))
            if fn is None or isinstance(fn.resource_policy, Unknown):
                continue
            principal = self.prop(res, "Principal")
            statement: dict[str, Any] = {
                "Sid": res.logical_id,
                "Effect": "Allow",
                "Principal": _principal(principal),
                "Action": self.prop(res, "Action", "lambda:InvokeFunction"),
                "Resource": fn.arn,
            }
            conditions: dict[str, dict[str, Any]] = {}
            for prop_name, op, key in (
                ("SourceArn", "ArnLike", "AWS:SourceArn"),
                ("SourceAccount", "StringEquals", "AWS:SourceAccount"),
                ("PrincipalOrgID", "StringEquals", "aws:PrincipalOrgID"),
                ("FunctionUrlAuthType", "StringEquals", "lambda:FunctionUrlAuthType"),
                ("EventSourceToken", "StringEquals", "lambda:EventSourceToken"),
            ):
                value = self.prop(res, prop_name)
                if value is not None:
                    conditions.setdefault(op, {})[key] = (
                        UNRESOLVED if isinstance(value, Unknown) else value
                    )
            if conditions:
                statement["Condition"] = conditions
            bad = first_unknown({k: statement[k] for k in ("Principal", "Action")})
            if bad is not None:
                fn.resource_policy = Unknown(f"permission {res.logical_id}: {bad.reason}")
                continue
            if fn.resource_policy is None:
                fn.resource_policy = {"Version": "2012-10-17", "Id": "default", "Statement": []}
            fn.resource_policy["Statement"].append(statement)

    def _function_parts(self) -> None:
        for res in self.of_type("AWS::Lambda::Url"):
            fn = self.function_for(self.prop(res, "TargetFunctionArn"))
            if fn is None:
                continue
            cors = self.prop(res, "Cors", {})
            origins: list[str] | Unknown = []
            credentials = False
            if isinstance(cors, Mapping):
                allow = cors.get("AllowOrigins", [])
                origins = allow if isinstance(allow, Unknown) else [str(o) for o in _as_list(allow)]
                credentials = _bool(cors.get("AllowCredentials", False)) is True
            elif isinstance(cors, Unknown):
                origins = cors
            qualifier = self.prop(res, "Qualifier")
            fn.urls.append(
                FunctionUrl(
                    auth_type=self.prop(res, "AuthType", Unknown("AuthType missing")),
                    url=self.resolver.attrs.get((res.logical_id, "FunctionUrl")),
                    qualifier=qualifier if isinstance(qualifier, str) else None,
                    cors_allow_origins=origins,
                    cors_allow_credentials=credentials,
                )
            )
        for res in self.of_type("AWS::Lambda::EventSourceMapping"):
            fn = self.function_for(self.prop(res, "FunctionName"))
            if fn is None:
                continue
            dest = self.prop(res, "DestinationConfig", {})
            on_failure = None
            if isinstance(dest, Mapping) and isinstance(dest.get("OnFailure"), Mapping):
                value = dest["OnFailure"].get("Destination")
                on_failure = value if isinstance(value, str) else None
            enabled = _bool(self.prop(res, "Enabled", True))
            fn.event_source_mappings.append(
                EventSourceMapping(
                    uuid=res.logical_id,
                    event_source_arn=self.prop(res, "EventSourceArn", Unknown("no EventSourceArn")),
                    state="Disabled" if enabled is False else "Enabled",
                    on_failure_destination=on_failure,
                )
            )
        for res in self.of_type("AWS::Lambda::EventInvokeConfig"):
            fn = self.function_for(self.prop(res, "FunctionName"))
            if fn is None:
                continue
            dest = self.prop(res, "DestinationConfig", {})
            config = InvokeConfig(qualifier=_opt_str(self.prop(res, "Qualifier")))
            if isinstance(dest, Mapping):
                for key, attr in (("OnFailure", "on_failure"), ("OnSuccess", "on_success")):
                    part = dest.get(key)
                    if isinstance(part, Mapping) and "Destination" in part:
                        setattr(config, attr, part["Destination"])
            retries = self.prop(res, "MaximumRetryAttempts")
            config.maximum_retry_attempts = retries if isinstance(retries, int) else None
            fn.invoke_configs.append(config)
        for res in self.of_type("AWS::Lambda::Version"):
            fn = self.function_for(self.prop(res, "FunctionName"))
            if fn is not None:
                fn.versions.append(
                    FunctionVersion(
                        version=res.logical_id, description=str(self.prop(res, "Description", ""))
                    )
                )
        for res in self.of_type("AWS::Lambda::Alias"):
            fn = self.function_for(self.prop(res, "FunctionName"))
            if fn is not None:
                version = self.prop(res, "FunctionVersion", "")
                fn.aliases.append(
                    Alias(
                        name=self.name_of(res, "Name"),
                        function_version=version if isinstance(version, str) else "?",
                    )
                )

    # ------------------------------------------------------------------ network, logs, keys

    def _network(self) -> None:
        groups: dict[str, SecurityGroup] = {}
        for res in self.of_type("AWS::EC2::SecurityGroup"):
            group = SecurityGroup(
                id=res.logical_id,
                name=self.name_of(res, "GroupName"),
                origin=res.origin,
                vpc_id=_opt_str(self.prop(res, "VpcId")),
            )
            group.ingress = self._sg_rules(self.prop(res, "SecurityGroupIngress", []), "Source")
            egress = self.prop(res, "SecurityGroupEgress")
            # Without SecurityGroupEgress, EC2 keeps its default allow-all egress rule.
            group.egress = (
                [SecurityGroupRule(protocol="-1", cidrs=["0.0.0.0/0"])]
                if egress is None
                else self._sg_rules(egress, "Destination")
            )
            groups[res.logical_id] = group
            self.inv.security_groups.append(group)
        for res in self.of_type("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            target = self.prop(res, "GroupId")
            owner = groups.get(target) if isinstance(target, str) else None
            if owner is None:
                continue
            ingress = res.type.endswith("Ingress")
            rules = self._sg_rules([res.props], "Source" if ingress else "Destination")
            current = owner.ingress if ingress else owner.egress
            if isinstance(current, list) and isinstance(rules, list):
                current.extend(rules)
        for res in self.of_type("AWS::EC2::Subnet"):
            self.inv.subnets.append(
                Subnet(
                    id=res.logical_id,
                    origin=res.origin,
                    vpc_id=_opt_str(self.prop(res, "VpcId")),
                    availability_zone=self.prop(
                        res, "AvailabilityZone", Unknown("no AvailabilityZone: EC2 picks one")
                    ),
                )
            )

    def _sg_rules(self, raw: Any, side: str) -> list[SecurityGroupRule] | Unknown:
        entries = (
            self.r(raw)
            if not isinstance(raw, list) or (raw and not isinstance(raw[0], Mapping))
            else raw
        )
        if isinstance(entries, Unknown):
            return entries
        rules: list[SecurityGroupRule] = []
        for entry in _as_list(entries):
            if not isinstance(entry, Mapping):
                continue
            entry = self.r(entry)
            protocol = entry.get("IpProtocol", "-1")
            rule = SecurityGroupRule(
                protocol=str(protocol) if not isinstance(protocol, Unknown) else "-1",
                from_port=_opt_int(entry.get("FromPort")),
                to_port=_opt_int(entry.get("ToPort")),
            )
            for key in ("CidrIp", "CidrIpv6"):
                if key in entry:
                    rule.cidrs.append(entry[key])
            group = entry.get(f"{side}SecurityGroupId")
            if isinstance(group, str):
                rule.source_groups.append(group)
            prefix = entry.get(f"{side}PrefixListId")
            if isinstance(prefix, str):
                rule.prefix_lists.append(prefix)
            rules.append(rule)
        return rules

    def _logs(self) -> None:
        for res in self.of_type("AWS::Logs::LogGroup"):
            retention = self.prop(res, "RetentionInDays")
            kms = self.prop(res, "KmsKeyId")
            self.inv.log_groups.append(
                LogGroup(
                    name=self.resolver.refs[res.logical_id],
                    origin=res.origin,
                    retention_days=_int(retention) if retention is not None else None,
                    kms_key_id=kms,
                )
            )
        for res in self.of_type("AWS::CloudWatch::Alarm"):
            alarm = Alarm(
                name=self.name_of(res, "AlarmName"),
                origin=res.origin,
                namespace=_opt_str(self.prop(res, "Namespace")),
                metric_name=_opt_str(self.prop(res, "MetricName")),
                dimensions=_dims(self.prop(res, "Dimensions", [])),
            )
            for metric in _as_list(self.prop(res, "Metrics", [])):
                stat = metric.get("MetricStat") if isinstance(metric, Mapping) else None
                inner = stat.get("Metric") if isinstance(stat, Mapping) else None
                if isinstance(inner, Mapping):
                    alarm.metrics.append(
                        (
                            str(inner.get("Namespace", "")),
                            str(inner.get("MetricName", "")),
                            _dims(inner.get("Dimensions", [])),
                        )
                    )
            self.inv.alarms.append(alarm)
        for res in self.of_type("AWS::CloudTrail::Trail"):
            name = self.name_of(res, "TrailName")
            selectors = [
                plain(s)
                for s in _as_list(self.prop(res, "EventSelectors", []))
                if isinstance(s, Mapping)
            ]
            advanced = [
                plain(s)
                for s in _as_list(self.prop(res, "AdvancedEventSelectors", []))
                if isinstance(s, Mapping)
            ]
            management: bool | Unknown = True
            if selectors:
                management = any(
                    _bool(s.get("IncludeManagementEvents", True)) is True for s in selectors
                )
            elif advanced:
                management = "Management" in json.dumps(advanced)
            self.inv.trails.append(
                Trail(
                    name=name,
                    arn=self.arn("cloudtrail", f"trail/{name}"),
                    origin=res.origin,
                    is_multi_region=_bool(self.prop(res, "IsMultiRegionTrail", False)),
                    is_logging=_bool(self.prop(res, "IsLogging", True)),
                    include_management_events=management,
                    event_selectors=selectors,
                    advanced_event_selectors=advanced,
                    home_region=self.options.region,
                )
            )

    def _secrets_and_keys(self) -> None:
        secrets: dict[str, Secret] = {}
        for res in self.of_type("AWS::SecretsManager::Secret"):
            kms = self.prop(res, "KmsKeyId")
            secret = Secret(
                arn=self.resolver.refs[res.logical_id],
                name=self.name_of(res, "Name"),
                origin=res.origin,
                kms_key_id=kms if isinstance(kms, str) else None,
            )
            secrets[secret.arn] = secret
            self.inv.secrets.append(secret)
        for res in self.of_type("AWS::SecretsManager::RotationSchedule"):
            target = self.prop(res, "SecretId")
            if isinstance(target, str) and target in secrets:
                has_rotation = any(
                    k in res.props
                    for k in ("RotationLambdaARN", "HostedRotationLambda", "RotationRules")
                )
                secrets[target].rotation_enabled = has_rotation
        keys: dict[str, KmsKey] = {}
        for res in self.of_type("AWS::KMS::Key"):
            key = KmsKey(
                arn=self.resolver.attrs[(res.logical_id, "Arn")],
                key_id=res.logical_id,
                origin=res.origin,
            )
            keys[res.logical_id] = key
            keys[key.arn] = key
            self.inv.kms_keys.append(key)
        for res in self.of_type("AWS::KMS::Alias"):
            target = self.prop(res, "TargetKeyId")
            alias = self.prop(res, "AliasName")
            if isinstance(target, str) and target in keys and isinstance(alias, str):
                keys[target].aliases.extend([alias, self.arn("kms", alias)])

    # ------------------------------------------------------------------ API Gateway

    def _apis(self) -> None:
        self._rest_apis()
        self._http_apis()

    def _openapi_routes(self, api: Api, res: Any) -> None:
        """Routes written in the API's OpenAPI ``Body`` (a ``BodyS3Location`` is not read)."""
        if "BodyS3Location" in res.props:
            api.opaque_reason = "routes are defined by an OpenAPI file in S3 (BodyS3Location)"
        elif "Body" in res.props:
            found = openapi.routes(self.prop(res, "Body"), res.origin)
            if isinstance(found, Unknown):
                api.opaque_reason = found.reason
            else:
                api.routes.extend(found)

    def api_for(self, value: Any) -> Api | None:
        return self.apis.get(value) if isinstance(value, str) else None

    def _rest_apis(self) -> None:
        for res in self.of_type("AWS::ApiGateway::RestApi"):
            endpoint = self.prop(res, "EndpointConfiguration", {})
            types = endpoint.get("Types") if isinstance(endpoint, Mapping) else None
            made = Api(
                id=res.logical_id,
                name=self.name_of(res, "Name"),
                kind="rest",
                origin=res.origin,
                endpoint_type=str(types[0]) if isinstance(types, list) and types else None,
            )
            self._openapi_routes(made, res)
            self.apis[res.logical_id] = made
        paths: dict[str, str] = {}

        def path_of(resource_id: Any) -> str:
            if not isinstance(resource_id, str):
                return "/{unresolved}"
            if resource_id.endswith("::root"):
                return "/"
            if resource_id in paths:
                return paths[resource_id]
            res = self.resources.get(resource_id)
            if res is None or res.type != "AWS::ApiGateway::Resource":
                return "/{unresolved}"
            paths[resource_id] = "/{cycle}"
            parent = path_of(self.prop(res, "ParentId"))
            part = self.prop(res, "PathPart", "{unresolved}")
            paths[resource_id] = (
                parent.rstrip("/") + "/" + (part if isinstance(part, str) else "{unresolved}")
            )
            return paths[resource_id]

        for res in self.of_type("AWS::ApiGateway::Method"):
            api = self.api_for(self.prop(res, "RestApiId"))
            if api is None:
                continue
            integration = self.prop(res, "Integration", {})
            uri = integration.get("Uri") if isinstance(integration, Mapping) else None
            validator = self.prop(res, "RequestValidatorId")
            authorizer = self.prop(res, "AuthorizerId")
            api.routes.append(
                ApiRoute(
                    method=str(self.prop(res, "HttpMethod", "ANY")),
                    path=path_of(self.prop(res, "ResourceId")),
                    authorization_type=self.prop(res, "AuthorizationType", "NONE"),
                    authorizer_id=authorizer if isinstance(authorizer, str) else None,
                    api_key_required=_bool(self.prop(res, "ApiKeyRequired", False)),
                    request_validator=validator,
                    function_arns=openapi.function_arns(uri),
                    origin=res.origin,
                )
            )
        stages: dict[tuple[str, str], ApiStage] = {}
        for res in self.of_type("AWS::ApiGateway::Stage"):
            api = self.api_for(self.prop(res, "RestApiId"))
            if api is not None:
                stage = self._rest_stage(self.name_of(res, "StageName"), res.props, res.origin)
                api.stages.append(stage)
                stages[(api.id, stage.name)] = stage
        for res in self.of_type("AWS::ApiGateway::Deployment"):
            api = self.api_for(self.prop(res, "RestApiId"))
            name = self.prop(res, "StageName")
            if api is None or not isinstance(name, str) or (api.id, name) in stages:
                continue
            desc = res.props.get("StageDescription")
            stage = self._rest_stage(name, desc if isinstance(desc, Mapping) else {}, res.origin)
            api.stages.append(stage)
            stages[(api.id, name)] = stage
        self._usage_plans(stages)
        for res in self.of_type("AWS::WAFv2::WebACLAssociation"):
            target = self.prop(res, "ResourceArn")
            if not isinstance(target, str):
                continue
            match = re.search(r"/restapis/([^/]+)/stages/([^/]+)", target)
            if match and (match.group(1), match.group(2)) in stages:
                stages[(match.group(1), match.group(2))].web_acl_arn = self.prop(res, "WebACLArn")

    def _usage_plans(self, stages: Mapping[tuple[str, str], ApiStage]) -> None:
        for res in self.of_type("AWS::ApiGateway::UsagePlan"):
            throttle = self.prop(res, "Throttle")
            if not isinstance(throttle, Mapping) or not (
                throttle.get("RateLimit") is not None or throttle.get("BurstLimit") is not None
            ):
                continue
            for entry in _as_list(self.prop(res, "ApiStages", [])):
                if isinstance(entry, Mapping):
                    stage = stages.get((str(entry.get("ApiId")), str(entry.get("Stage"))))
                    if stage is not None:
                        stage.usage_plan_throttling = True

    def _rest_stage(self, name: str, raw: Mapping[str, Any], origin: Origin) -> ApiStage:
        props = self.r(raw)
        stage = ApiStage(name=name, origin=origin)
        apply_rest_stage_settings(stage, props if isinstance(props, Mapping) else {})
        return stage

    def _http_apis(self) -> None:
        integrations: dict[str, list[Any]] = {}
        for res in self.of_type("AWS::ApiGatewayV2::Integration"):
            integrations[res.logical_id] = openapi.function_arns(self.prop(res, "IntegrationUri"))
        for res in self.of_type("AWS::ApiGatewayV2::Api"):
            protocol = self.prop(res, "ProtocolType", "HTTP")
            made = Api(
                id=res.logical_id, name=self.name_of(res, "Name"), kind="http", origin=res.origin
            )
            if protocol == "WEBSOCKET":
                made.kind = "websocket"
            self._openapi_routes(made, res)
            target = self.prop(res, "Target")
            if target is not None:  # quick create: a $default route and stage
                made.routes.append(
                    ApiRoute(method="$default", path="", function_arns=[target], origin=res.origin)
                )
                made.stages.append(ApiStage(name="$default", origin=res.origin))
            self.apis[res.logical_id] = made
        for res in self.of_type("AWS::ApiGatewayV2::Route"):
            api = self.api_for(self.prop(res, "ApiId"))
            if api is None:
                continue
            key = self.prop(res, "RouteKey", "$default")
            method, _, path = (key if isinstance(key, str) else "? {unresolved}").partition(" ")
            target = self.prop(res, "Target")
            arns: list[Any] = []
            if isinstance(target, str) and target.startswith("integrations/"):
                arns = integrations.get(target.split("/", 1)[1], [])
            authorizer = self.prop(res, "AuthorizerId")
            api.routes.append(
                ApiRoute(
                    method=method,
                    path=path,
                    authorization_type=self.prop(res, "AuthorizationType", "NONE"),
                    authorizer_id=authorizer if isinstance(authorizer, str) else None,
                    api_key_required=_bool(self.prop(res, "ApiKeyRequired", False)),
                    function_arns=arns,
                    origin=res.origin,
                )
            )
        for res in self.of_type("AWS::ApiGatewayV2::Stage"):
            api = self.api_for(self.prop(res, "ApiId"))
            if api is not None:
                props = self.r(res.props)
                stage = ApiStage(name=self.name_of(res, "StageName"), origin=res.origin)
                apply_http_stage_settings(stage, props if isinstance(props, Mapping) else {})
                api.stages.append(stage)


# --------------------------------------------------------------------------- shared helpers


def apply_rest_stage_settings(stage: ApiStage, props: Mapping[str, Any]) -> None:
    """REST stage (or Deployment StageDescription / SAM Api) settings onto an ApiStage."""
    for key, attr in (
        ("ThrottlingRateLimit", "throttling_rate"),
        ("ThrottlingBurstLimit", "throttling_burst"),
    ):
        if props.get(key) is not None:
            setattr(stage, attr, props[key])
    if props.get("LoggingLevel") is not None:
        stage.execution_logging_level = props["LoggingLevel"]
    for setting in _as_list(props.get("MethodSettings", [])):
        if not isinstance(setting, Mapping):
            continue
        stage_wide = (
            setting.get("ResourcePath", "/*") == "/*" and setting.get("HttpMethod", "*") == "*"
        )
        throttled = (
            setting.get("ThrottlingRateLimit") is not None
            or setting.get("ThrottlingBurstLimit") is not None
        )
        if stage_wide:
            if setting.get("ThrottlingRateLimit") is not None:
                stage.throttling_rate = setting["ThrottlingRateLimit"]
            if setting.get("ThrottlingBurstLimit") is not None:
                stage.throttling_burst = setting["ThrottlingBurstLimit"]
            if setting.get("LoggingLevel") is not None:
                stage.execution_logging_level = setting["LoggingLevel"]
        elif throttled:
            stage.route_throttling = True
    access = props.get("AccessLogSetting")
    if isinstance(access, Mapping):
        stage.access_log_destination = access.get("DestinationArn")
    elif isinstance(access, Unknown):
        stage.access_log_destination = access
    if "TracingEnabled" in props:
        stage.tracing_enabled = _bool(props["TracingEnabled"])
    variables = props.get("Variables")
    if isinstance(variables, Mapping):
        stage.variables = {str(k): _str_or_unknown(v) for k, v in variables.items()}


def apply_http_stage_settings(stage: ApiStage, props: Mapping[str, Any]) -> None:
    defaults = props.get("DefaultRouteSettings")
    if isinstance(defaults, Mapping):
        if defaults.get("ThrottlingRateLimit") is not None:
            stage.throttling_rate = defaults["ThrottlingRateLimit"]
        if defaults.get("ThrottlingBurstLimit") is not None:
            stage.throttling_burst = defaults["ThrottlingBurstLimit"]
    routes = props.get("RouteSettings")
    if isinstance(routes, Mapping):
        for setting in routes.values():
            if isinstance(setting, Mapping) and (
                setting.get("ThrottlingRateLimit") is not None
                or setting.get("ThrottlingBurstLimit") is not None
            ):
                stage.route_throttling = True
    access = props.get("AccessLogSettings") or props.get("AccessLogSetting")
    if isinstance(access, Mapping):
        stage.access_log_destination = access.get("DestinationArn")
    variables = props.get("StageVariables")
    if isinstance(variables, Mapping):
        stage.variables = {str(k): _str_or_unknown(v) for k, v in variables.items()}


def policy_document(value: Any, what: str) -> PolicyDocument | Unknown:
    """A resolved policy document; Unknown if an effect/action/principal cannot be resolved.

    Unresolvable resources and condition values become the placeholder ``${unresolved}``,
    which never equals ``*`` nor a real ARN.
    """
    if isinstance(value, Unknown):
        return Unknown(f"{what}: {value.reason}")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return Unknown(f"{what}: policy is not JSON")
    if not isinstance(value, Mapping):
        return Unknown(f"{what}: no policy document")
    statements = value.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        return Unknown(f"{what}: {getattr(statements, 'reason', 'malformed Statement')}")
    out: list[dict[str, Any]] = []
    for st in statements:
        if not isinstance(st, Mapping):
            return Unknown(f"{what}: statement cannot be resolved")
        for key in ("Effect", "Action", "NotAction", "Principal", "NotPrincipal"):
            bad = first_unknown(st.get(key))
            if bad is not None:
                return Unknown(f"{what}: {key} of a statement cannot be resolved ({bad.reason})")
        out.append(_replace_unknown(dict(st)))
    doc = dict(value)
    doc["Statement"] = out
    return doc


def _replace_unknown(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, Unknown):
        return UNRESOLVED
    if isinstance(value, (dict, Mapping)):
        return {k: _replace_unknown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_unknown(v) for v in value]
    return value


@lru_cache(maxsize=1)
def _managed_data() -> dict[str, Any]:
    # moto's dataset read on its own file (importing moto.iam costs ~0.35 s and ~50 MB), and
    # parsed once per process for every source and rule.
    from fortress.iam import managed

    return managed.dataset()


def aws_managed_policy(arn_or_name: str) -> Policy:
    """An AWS managed policy judged by its real document (moto's bundled offline dataset)."""
    text = arn_or_name.strip()
    name = text.rsplit("/", 1)[-1]
    arn = text if text.startswith("arn:") else f"arn:aws:iam::aws:policy/{name}"
    if text.startswith("arn:") and ":iam::aws:policy/" not in text:
        return Policy(
            name=name, arn=arn, document=Unknown(f"policy {arn} is defined outside the template")
        )
    entry = _managed_data().get(name)
    if entry is None:
        return Policy(
            name=name,
            arn=arn,
            aws_managed=True,
            document=Unknown(f"AWS managed policy {name} is not in the offline dataset"),
        )
    path = entry.get("Path", "/")
    return Policy(
        name=name,
        arn=f"arn:aws:iam::aws:policy{path}{name}",
        aws_managed=True,
        document=entry["Document"],
    )


def _principal(value: Any) -> Any:
    if isinstance(value, Unknown) or value is None:
        return value if value is not None else Unknown("no Principal")
    text = str(value)
    if text == "*":
        return "*"
    if re.fullmatch(r"\d{12}", text):
        return {"AWS": f"arn:aws:iam::{text}:root"}
    if text.startswith("arn:"):
        return {"AWS": text}
    if text.endswith(".amazonaws.com") or text.endswith(".amazon.com"):
        return {"Service": text}
    return {"AWS": text}


def _as_list(value: Any) -> list[Any]:
    if value is None or value is NO_VALUE:
        return []
    if isinstance(value, list):
        return value
    return [value]


def _maybe_list(value: Any) -> list[Any]:
    if isinstance(value, Unknown):
        return [value]
    return [v for v in _as_list(value) if isinstance(v, (str, Unknown))]


def _int(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, Unknown)):
        return value
    try:
        return int(str(value))
    except ValueError:
        return Unknown(f"not a number: {value!r}")


def _opt_int(value: Any) -> int | None:
    result = _int(value) if value is not None else None
    return result if isinstance(result, int) else None


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _bool(value: Any) -> Any:
    if isinstance(value, (bool, Unknown)):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return Unknown(f"not a boolean: {value!r}")


def _str_or_unknown(value: Any) -> str | Unknown:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        bad = first_unknown(value)
        return bad if bad is not None else json.dumps(value)
    return str(value)


def _tags(value: Any) -> dict[str, str] | Unknown:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    tags: dict[str, str] = {}
    for tag in _as_list(value):
        if isinstance(tag, Mapping) and "Key" in tag:
            tags[str(tag["Key"])] = str(tag.get("Value", ""))
    return tags


def _dims(value: Any) -> dict[str, str]:
    dims: dict[str, str] = {}
    for dim in _as_list(value):
        if isinstance(dim, Mapping) and "Name" in dim:
            dims[str(dim["Name"])] = str(dim.get("Value", ""))
    return dims


def iter_statements(doc: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(doc, Mapping):
        statements = doc.get("Statement", [])
        for st in _as_list(statements):
            if isinstance(st, Mapping):
                yield st
