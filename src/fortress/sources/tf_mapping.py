"""Terraform resource instances (from HCL or a plan) → the normalized Inventory.

Both Terraform front ends hand over :class:`Res` objects: ``get(attr)`` is the configured value
(``None`` when unset, :class:`Unknown` when not known before apply), ``blocks(name)`` the
nested blocks, ``attr(name)`` the value another resource sees when it references this one
(identity attributes such as ``arn``/``id`` are synthesized from the address so references
link up; see :func:`synthetic_attr`).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

from fortress.iam.managed import get_managed_policy, is_aws_managed_arn
from fortress.inventory import (
    Alarm,
    Api,
    ApiRoute,
    ApiStage,
    CodeSigning,
    EnvVar,
    EventSourceMapping,
    Function,
    FunctionUrl,
    Inventory,
    InvokeConfig,
    KmsKey,
    LayerRef,
    LayerVersion,
    LogGroup,
    Origin,
    Policy,
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
from fortress.sources.tf_values import Computed, JsonDoc, first_unknown, plain_value

REGION_PLACEHOLDER = "${AWS::Region}"

_SKIP_RE = re.compile(r"fortress:skip=([A-Za-z0-9_,\-]+)[ \t]*(.*)")


def parse_suppressions(comments: list[str]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for comment in comments:
        for match in _SKIP_RE.finditer(comment):
            reason = match.group(2).strip().rstrip("*/").strip()
            for rule_id in match.group(1).split(","):
                if rule_id:
                    out.append((rule_id.strip(), reason))
    return tuple(out)


class Obj:
    """A block body: configured attributes and nested blocks."""

    def get(self, name: str) -> Any:
        return None

    def get_lenient(self, name: str) -> Any:
        return self.get(name)

    def blocks(self, name: str) -> list[Obj] | Unknown:
        return []

    def ref_of(self, name: str) -> str | None:
        return None

    def map_refs(self, name: str) -> dict[str, str]:
        return {}


class Res(Obj):
    type: str
    address: str
    origin: Origin

    def attr(self, name: str) -> Any:
        return self.get(name)


# --------------------------------------------------------------------------- identities

_MISSING: Any = object()

# The attribute holding a resource's name, and the computed attributes built from it.
_NAME_ATTR = {
    "aws_lambda_function": "function_name",
    "aws_iam_role": "name",
    "aws_iam_policy": "name",
    "aws_lambda_layer_version": "layer_name",
    "aws_cloudwatch_log_group": "name",
    "aws_secretsmanager_secret": "name",
    "aws_sqs_queue": "name",
    "aws_sns_topic": "name",
    "aws_kms_alias": "name",
    "aws_cloudtrail": "name",
    "aws_lambda_alias": "name",
    "aws_dynamodb_table": "name",
    "aws_s3_bucket": "bucket",
    "aws_api_gateway_rest_api": "name",
    "aws_apigatewayv2_api": "name",
    "aws_security_group": "name",
}


def synthetic_attr(
    res: Res, name: str, account: str, region: str, configured: Any = _MISSING
) -> Any:
    """The identity value of ``res.name`` (arn, id, name...), or None when not an identity."""
    rtype = res.type
    name_attr = _NAME_ATTR.get(rtype)
    if configured is not _MISSING:
        if name == name_attr and not isinstance(configured, str):
            return res.address  # a name only known at apply: its address stands for it
        return None

    def own_name() -> str:
        value = res.get(name_attr) if name_attr else None
        return value if isinstance(value, str) else res.address

    if name == name_attr:
        return own_name()
    addr = res.address
    if rtype == "aws_lambda_function":
        arn = f"arn:aws:lambda:{region}:{account}:function:{own_name()}"
        table = {
            "arn": arn,
            "id": own_name(),
            "qualified_arn": arn + ":$LATEST",
            "version": "$LATEST",
            "invoke_arn": _invoke_arn(region, arn),
            "qualified_invoke_arn": _invoke_arn(region, arn + ":$LATEST"),
        }
        return table.get(name)
    if rtype == "aws_iam_role":
        path = res.get("path")
        path = path if isinstance(path, str) else "/"
        return {"arn": f"arn:aws:iam::{account}:role{path}{own_name()}", "id": own_name()}.get(name)
    if rtype == "aws_iam_policy":
        path = res.get("path")
        path = path if isinstance(path, str) else "/"
        arn = f"arn:aws:iam::{account}:policy{path}{own_name()}"
        return {"arn": arn, "id": arn}.get(name)
    if rtype == "aws_lambda_layer_version":
        base = f"arn:aws:lambda:{region}:{account}:layer:{own_name()}"
        return {"arn": base + ":1", "layer_arn": base, "version": "1", "id": base + ":1"}.get(name)
    if rtype == "aws_lambda_alias":
        fn = res.get("function_name")
        fn_arn = (
            fn
            if isinstance(fn, str) and fn.startswith("arn:")
            else f"arn:aws:lambda:{region}:{account}:function:{fn if isinstance(fn, str) else addr}"
        )
        return {"arn": f"{fn_arn}:{own_name()}"}.get(name)
    if rtype == "aws_cloudwatch_log_group":
        return {
            "arn": f"arn:aws:logs:{region}:{account}:log-group:{own_name()}",
            "id": own_name(),
        }.get(name)
    if rtype == "aws_secretsmanager_secret":
        arn = f"arn:aws:secretsmanager:{region}:{account}:secret:{own_name()}"
        return {"arn": arn, "id": arn}.get(name)
    if rtype == "aws_sqs_queue":
        return {
            "arn": f"arn:aws:sqs:{region}:{account}:{own_name()}",
            "id": f"https://sqs.{region}.amazonaws.com/{account}/{own_name()}",
            "url": f"https://sqs.{region}.amazonaws.com/{account}/{own_name()}",
        }.get(name)
    if rtype == "aws_sns_topic":
        arn = f"arn:aws:sns:{region}:{account}:{own_name()}"
        return {"arn": arn, "id": arn}.get(name)
    if rtype == "aws_s3_bucket":
        return {"arn": f"arn:aws:s3:::{own_name()}", "id": own_name()}.get(name)
    if rtype == "aws_kms_key":
        return {
            "arn": f"arn:aws:kms:{region}:{account}:key/{addr}",
            "key_id": addr,
            "id": addr,
        }.get(name)
    if rtype == "aws_kms_alias":
        return {"arn": f"arn:aws:kms:{region}:{account}:{own_name()}", "id": own_name()}.get(name)
    if rtype == "aws_api_gateway_rest_api":
        return {
            "id": addr,
            "root_resource_id": addr + "/",
            "execution_arn": f"arn:aws:execute-api:{region}:{account}:{addr}",
            "arn": f"arn:aws:apigateway:{region}::/restapis/{addr}",
        }.get(name)
    if rtype == "aws_apigatewayv2_api":
        return {
            "id": addr,
            "execution_arn": f"arn:aws:execute-api:{region}:{account}:{addr}",
            "arn": f"arn:aws:apigateway:{region}::/apis/{addr}",
            "api_endpoint": f"https://{addr}.execute-api.{region}.amazonaws.com",
        }.get(name)
    if rtype in ("aws_api_gateway_stage", "aws_apigatewayv2_stage"):
        if name == "arn":
            api = res.get("rest_api_id" if rtype == "aws_api_gateway_stage" else "api_id")
            stage = res.get("stage_name" if rtype == "aws_api_gateway_stage" else "name")
            kind = "restapis" if rtype == "aws_api_gateway_stage" else "apis"
            return f"arn:aws:apigateway:{region}::/{kind}/{_id_text(api, addr)}/stages/{_id_text(stage, addr)}"
        return {"id": addr}.get(name)
    if rtype == "aws_cloudtrail":
        return {
            "arn": f"arn:aws:cloudtrail:{region}:{account}:trail/{own_name()}",
            "id": own_name(),
        }.get(name)
    if name == "id":
        return addr
    if name == "arn":
        service = rtype.split("_")[1] if rtype.count("_") >= 1 else "unknown"
        return f"arn:aws:{service}:{region}:{account}:{addr}"
    return None


def _id_text(value: Any, fallback: str) -> str:
    return value if isinstance(value, str) else fallback


def _invoke_arn(region: str, fn_arn: str) -> str:
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{fn_arn}/invocations"


# --------------------------------------------------------------------------- value helpers


def _s(value: Any) -> Any:
    """Maybe[str] | None."""
    if value is None or isinstance(value, (str, Unknown)):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, JsonDoc):
        return value.text()
    return Unknown(f"a {type(value).__name__} where a string is expected")


def _int(value: Any, default: Any) -> Any:
    if value is None:
        return default
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return Unknown(f"{value!r} is not a number")
    return Unknown("not a number")


def _bool(value: Any, default: Any) -> Any:
    if value is None:
        return default
    if isinstance(value, (bool, Unknown)):
        return value
    if value in ("true", "false"):
        return value == "true"
    return Unknown(f"{value!r} is not a bool")


def _strlist(value: Any) -> list[Any] | Unknown:
    if value is None:
        return []
    if isinstance(value, Unknown):
        return value
    if isinstance(value, list):
        return [_s(v) if v is not None else Unknown("null in a list") for v in value]
    return [_s(value)]


def _str_map(value: Any) -> dict[str, str] | Unknown:
    if value is None:
        return {}
    if isinstance(value, Unknown):
        return value
    if not isinstance(value, dict):
        return Unknown("not a map")
    out: dict[str, str] = {}
    for k, v in value.items():
        text = _s(v)
        if isinstance(text, Unknown):
            return text
        if text is not None:
            out[str(k)] = text
    return out


_SENSITIVE_WORDS = ("secret", "password", "token", "private_key", "result", "api_key")
_SENSITIVE_VALUE_TYPES = (
    "aws_api_gateway_api_key",
    "aws_ssm_parameter",
    "random_password",
    "random_string",
)


def is_sensitive_ref(ref: str) -> bool:
    """ "type.attr" references whose value is a credential (not an identity such as an ARN)."""
    rtype, _, attr = ref.rpartition(".")
    if attr in ("arn", "id", "name", "key_id", "url") or attr.endswith(("_arn", "_id", "_name")):
        return False
    if attr == "value" and rtype.endswith(_SENSITIVE_VALUE_TYPES):
        return True
    return any(word in attr for word in _SENSITIVE_WORDS)


def _first(obj: Obj, name: str) -> Obj | None:
    blocks = obj.blocks(name)
    if isinstance(blocks, Unknown) or not blocks:
        return None
    return blocks[0]


def _blocks(obj: Obj, name: str) -> list[Obj]:
    blocks = obj.blocks(name)
    return [] if isinstance(blocks, Unknown) else blocks


def _placeholder(value: Unknown) -> str:
    if isinstance(value, Computed) and value.ref:
        return "${" + value.ref + "}"
    return "${unknown}"


def _fill(value: Any) -> Any:
    if isinstance(value, Unknown):
        return _placeholder(value)
    if isinstance(value, dict):
        return {k: _fill(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v) for v in value]
    return value


def policy_value(value: Any, where: str) -> dict[str, Any] | Unknown | None:
    """A policy attribute value → document; unknown actions make it Unknown, other leaves
    (resources, condition values) become ``${...}`` placeholders."""
    if value is None:
        return None
    if isinstance(value, Unknown):
        return value
    if isinstance(value, JsonDoc):
        doc = plain_value(value.value)
    elif isinstance(value, str):
        try:
            doc = json.loads(value)
        except ValueError:
            return Unknown(f"{where} is not valid JSON")
    elif isinstance(value, dict):
        doc = plain_value(value)
    else:
        return Unknown(f"{where} is not a policy document")
    if not isinstance(doc, dict):
        return Unknown(f"{where} is not a JSON object")
    statements = doc.get("Statement")
    if isinstance(statements, Unknown):
        return Unknown(f"the statements of {where} are not known: {statements.reason}")
    for st in statements if isinstance(statements, list) else [statements]:
        if isinstance(st, Unknown):
            return Unknown(f"a statement of {where} is not known: {st.reason}")
        if isinstance(st, dict):
            for key in ("Effect", "Action", "NotAction", "Principal", "NotPrincipal"):
                bad = first_unknown(st.get(key))
                if bad is not None:
                    return Unknown(f"{key} of {where} is not known: {bad.reason}")
    return _fill(doc)


def _policy(obj: Obj, attr: str, where: str) -> dict[str, Any] | Unknown | None:
    value = obj.get(attr)
    if isinstance(value, Unknown):
        lenient = obj.get_lenient(attr)
        if isinstance(lenient, str):
            value = lenient
    return policy_value(value, where)


def _fn_name_of(value: Any) -> str | None:
    text = _s(value)
    if not isinstance(text, str):
        return None
    if text.startswith("arn:") and ":function:" in text:
        return text.split(":function:", 1)[1].split(":")[0]
    if text.count(":") == 2 and ":function:" not in text:
        return text
    return text.split(":")[0] if ":" in text and not text.startswith("arn:") else text


def _fn_from_uri(uri: Any) -> Any:
    text = _s(uri)
    if not isinstance(text, str):
        return text if isinstance(text, Unknown) else None
    return openapi.function_arn_in_uri(text)


def _principal(value: Any) -> Any:
    text = _s(value)
    if isinstance(text, Unknown) or text is None:
        return text
    if text == "*":
        return "*"
    if text.endswith(".amazonaws.com") or text.endswith(".amazonaws.com.cn"):
        return {"Service": text}
    if re.fullmatch(r"\d{12}", text):
        return {"AWS": f"arn:aws:iam::{text}:root"}
    return {"AWS": text}


def _cond_value(value: Any) -> Any:
    text = _s(value)
    return _placeholder(text) if isinstance(text, Unknown) else text


# --------------------------------------------------------------------------- the mapper


def build_inventory(
    resources: list[Res], account: str, region: str | None, source: str
) -> Inventory:
    return _Mapper(resources, account, region or REGION_PLACEHOLDER, source).run()


class _Mapper:
    def __init__(self, resources: list[Res], account: str, region: str, source: str) -> None:
        self.by_type: dict[str, list[Res]] = defaultdict(list)
        for res in resources:
            self.by_type[res.type].append(res)
        self.account = account
        self.region = region
        self.inv = Inventory(scope="template", accounts=[account], sources=[source])
        self.functions: dict[str, Function] = {}
        self.roles: dict[str, Role] = {}
        self.customer_policies: dict[str, Policy] = {}

    def run(self) -> Inventory:
        self._kms()
        self._roles()
        self._functions()
        self._permissions()
        self._function_extras()
        self._layers()
        self._rest_apis()
        self._http_apis()
        self._logs()
        self._network()
        self._trails()
        self._secrets()
        return self.inv

    def each(self, *types: str) -> list[Res]:
        return [r for t in types for r in self.by_type.get(t, [])]

    # IAM ----------------------------------------------------------------------------------

    def _roles(self) -> None:
        for p in self.each("aws_iam_policy"):
            arn = p.attr("arn")
            doc = _policy(p, "policy", p.address)
            self.customer_policies[arn] = Policy(
                name=p.attr("name"), document=doc if doc is not None else {}, arn=arn
            )
        for r in self.each("aws_iam_role"):
            trust = _policy(r, "assume_role_policy", f"{r.address}.assume_role_policy")
            role = Role(
                name=r.attr("name"),
                arn=r.attr("arn"),
                origin=r.origin,
                trust_policy=trust if trust is not None else {},
            )
            for block in _blocks(r, "inline_policy"):
                name = _s(block.get("name"))
                doc = _policy(block, "policy", f"{r.address}.inline_policy")
                if doc is None:
                    continue
                role.inline_policies.append(
                    Policy(
                        name=name if isinstance(name, str) else "inline", document=doc, inline=True
                    )
                )
            boundary = _s(r.get("permissions_boundary"))
            if isinstance(boundary, str):
                role.permissions_boundary_arn = boundary
            arns = r.get("managed_policy_arns")
            if isinstance(arns, Unknown):
                role.attached_policies.append(Policy(name="(unknown)", document=arns))
            elif isinstance(arns, list):
                for arn in arns:
                    role.attached_policies.append(self._managed(arn))
            self.inv.roles.append(role)
            self.roles[role.arn] = role
            self.roles[role.name] = role
        for rp in self.each("aws_iam_role_policy"):
            role_ref = self._role_for(rp.get("role"))
            doc = _policy(rp, "policy", rp.address)
            if role_ref is not None and doc is not None:
                name = _s(rp.get("name"))
                role_ref.inline_policies.append(
                    Policy(
                        name=name if isinstance(name, str) else rp.address,
                        document=doc,
                        inline=True,
                    )
                )
        for att in self.each("aws_iam_role_policy_attachment"):
            role_ref = self._role_for(att.get("role"))
            if role_ref is not None:
                role_ref.attached_policies.append(self._managed(att.get("policy_arn")))
        for att in self.each("aws_iam_policy_attachment"):
            roles = att.get("roles")
            for ref in roles if isinstance(roles, list) else []:
                role_ref = self._role_for(ref)
                if role_ref is not None:
                    role_ref.attached_policies.append(self._managed(att.get("policy_arn")))

    def _role_for(self, value: Any) -> Role | None:
        text = _s(value)
        if not isinstance(text, str):
            return None
        return self.roles.get(text) or self.roles.get(text.rsplit("/", 1)[-1])

    def _managed(self, value: Any) -> Policy:
        arn = _s(value)
        if isinstance(arn, Unknown) or arn is None:
            reason = arn.reason if isinstance(arn, Unknown) else "no policy ARN"
            return Policy(
                name="(unknown)", document=Unknown(f"attached policy is not known: {reason}")
            )
        if arn in self.customer_policies:
            return self.customer_policies[arn]
        if is_aws_managed_arn(arn):
            managed = get_managed_policy(arn)
            if managed is not None:
                return Policy(
                    name=managed.name, document=managed.document, arn=arn, aws_managed=True
                )
            return Policy(
                name=arn.rsplit("/", 1)[-1],
                document=Unknown(f"AWS managed policy {arn} is not in the offline dataset"),
                arn=arn,
                aws_managed=True,
            )
        return Policy(
            name=arn.rsplit("/", 1)[-1],
            document=Unknown(f"policy {arn} is not defined in the scanned configuration"),
            arn=arn,
        )

    # functions ----------------------------------------------------------------------------

    def _functions(self) -> None:
        for r in self.each("aws_lambda_function"):
            fn = self._function(r)
            self.inv.functions.append(fn)
            self.functions[fn.name] = fn
            self.functions[fn.arn] = fn

    def _function(self, r: Res) -> Function:
        name = r.attr("function_name")
        package = _s(r.get("package_type"))
        package_type = package if isinstance(package, str) else "Zip"
        fn = Function(
            name=name,
            arn=r.attr("arn"),
            origin=r.origin,
            runtime=_s(r.get("runtime")),
            handler=_s(r.get("handler")),
            package_type=package_type,
            role_arn=_s(r.get("role")),
            memory_size=_int(r.get("memory_size"), 128),
            timeout=_int(r.get("timeout"), 3),
            kms_key_arn=_s(r.get("kms_key_arn")),
            reserved_concurrency=None,
        )
        reserved = _int(r.get("reserved_concurrent_executions"), None)
        fn.reserved_concurrency = None if reserved == -1 else reserved
        env = _first(r, "environment")
        if env is not None:
            fn.environment = self._env(env, r.address)
        vpc = _first(r, "vpc_config")
        if vpc is not None:
            subnets, groups = (
                _strlist(vpc.get("subnet_ids")),
                _strlist(vpc.get("security_group_ids")),
            )
            fn.vpc = VpcConfig(
                subnet_ids=subnets if isinstance(subnets, list) else [subnets],
                security_group_ids=groups if isinstance(groups, list) else [groups],
            )
        tracing = _first(r, "tracing_config")
        if tracing is not None:
            mode = _s(tracing.get("mode"))
            fn.tracing_mode = mode if mode is not None else "PassThrough"
        dlq = _first(r, "dead_letter_config")
        if dlq is not None:
            fn.dead_letter_target = _s(dlq.get("target_arn"))
        logging = _first(r, "logging_config")
        if logging is not None:
            fn.log_group_name = _s(logging.get("log_group"))
            fmt = _s(logging.get("log_format"))
            fn.log_format = fmt if isinstance(fmt, str) else None
        storage = _first(r, "ephemeral_storage")
        if storage is not None:
            fn.ephemeral_storage_mb = _int(storage.get("size"), 512)
        fn.file_systems = [_s(fs.get("arn")) for fs in _blocks(r, "file_system_config")]
        layers = _strlist(r.get("layers"))
        fn.layers = (
            [LayerRef(a) for a in layers] if isinstance(layers, list) else [LayerRef(layers)]
        )
        csc = r.get("code_signing_config_arn")
        if csc is not None:
            fn.code_signing = self._code_signing(csc)
        tags = _str_map(r.get("tags"))
        fn.tags = tags
        arch = r.get("architectures")
        if isinstance(arch, list) and all(isinstance(a, str) for a in arch):
            fn.architectures = list(arch)
        return fn

    def _env(self, env: Obj, address: str) -> list[EnvVar]:
        variables = env.get("variables")
        if variables is None:
            return []
        if isinstance(variables, Unknown):
            return [
                EnvVar(
                    "*",
                    variables,
                    reference=variables.ref
                    if isinstance(variables, Computed) and variables.ref
                    else None,
                )
            ]
        if not isinstance(variables, dict):
            return [EnvVar("*", Unknown(f"environment of {address} is not a map"))]
        refs = env.map_refs("variables")
        out = []
        for key, value in variables.items():
            ref = refs.get(key)
            if ref is None and isinstance(value, Computed) and value.ref:
                ref = value.ref
            if ref is not None and not is_sensitive_ref(ref):
                ref = None
            out.append(EnvVar(str(key), _s(value) if value is not None else "", reference=ref))
        return out

    def _code_signing(self, value: Any) -> CodeSigning | Unknown:
        arn = _s(value)
        if isinstance(arn, Unknown):
            return CodeSigning(arn=arn, untrusted_artifact_on_deployment=arn)
        for c in self.each("aws_lambda_code_signing_config"):
            if c.attr("arn") == arn:
                policies = _first(c, "policies")
                untrusted = (
                    _s(policies.get("untrusted_artifact_on_deployment")) if policies else None
                )
                publishers: list[str] = []
                for pub in _blocks(c, "allowed_publishers"):
                    arns = _strlist(pub.get("signing_profile_version_arns"))
                    if isinstance(arns, list):
                        publishers.extend(
                            a if isinstance(a, str) else _placeholder(a) for a in arns
                        )
                return CodeSigning(
                    arn=arn,
                    untrusted_artifact_on_deployment=untrusted or "Warn",
                    allowed_publishers=publishers,
                )
        return CodeSigning(
            arn=arn,
            untrusted_artifact_on_deployment=Unknown(
                f"code signing config {arn} is not in the configuration"
            ),
        )

    def _fn_for(self, value: Any) -> Function | None:
        text = _s(value)
        if not isinstance(text, str):
            return None
        fn = self.functions.get(text)
        if fn is not None:
            return fn
        name = _fn_name_of(text)
        return self.functions.get(name) if name else None

    def _permissions(self) -> None:
        for p in self.each("aws_lambda_permission"):
            fn = self._fn_for(p.get("function_name"))
            if fn is None or isinstance(fn.resource_policy, Unknown):
                continue
            principal = _principal(p.get("principal"))
            if isinstance(principal, Unknown) or principal is None:
                reason = principal.reason if isinstance(principal, Unknown) else "no principal"
                fn.resource_policy = Unknown(f"principal of {p.address} is not known: {reason}")
                continue
            qualifier = _s(p.get("qualifier"))
            resource = fn.arn + (f":{qualifier}" if isinstance(qualifier, str) else "")
            action = _s(p.get("action"))
            statement: dict[str, Any] = {
                "Sid": _cond_value(p.get("statement_id")) or p.address,
                "Effect": "Allow",
                "Principal": principal,
                "Action": action if isinstance(action, str) else "lambda:InvokeFunction",
                "Resource": resource,
            }
            cond: dict[str, dict[str, Any]] = {}
            for attr, op, key in (
                ("source_arn", "ArnLike", "AWS:SourceArn"),
                ("source_account", "StringEquals", "AWS:SourceAccount"),
                ("principal_org_id", "StringEquals", "aws:PrincipalOrgID"),
                ("function_url_auth_type", "StringEquals", "lambda:FunctionUrlAuthType"),
                ("event_source_token", "StringEquals", "lambda:EventSourceToken"),
            ):
                value = p.get(attr)
                if value is not None:
                    cond.setdefault(op, {})[key] = _cond_value(value)
            if cond:
                statement["Condition"] = cond
            if fn.resource_policy is None:
                fn.resource_policy = {"Version": "2012-10-17", "Id": "default", "Statement": []}
            fn.resource_policy["Statement"].append(statement)

    def _function_extras(self) -> None:
        for u in self.each("aws_lambda_function_url"):
            fn = self._fn_for(u.get("function_name"))
            if fn is None:
                continue
            url = FunctionUrl(
                auth_type=_s(u.get("authorization_type"))
                or Unknown("authorization_type is not set")
            )
            qualifier = _s(u.get("qualifier"))
            url.qualifier = qualifier if isinstance(qualifier, str) else None
            cors = _first(u, "cors")
            if cors is not None:
                origins = _strlist(cors.get("allow_origins"))
                url.cors_allow_origins = (
                    [o if isinstance(o, str) else _placeholder(o) for o in origins]
                    if isinstance(origins, list)
                    else origins
                )
                creds = _bool(cors.get("allow_credentials"), False)
                url.cors_allow_credentials = creds is True
            fn.urls.append(url)
        for m in self.each("aws_lambda_event_source_mapping"):
            fn = self._fn_for(m.get("function_name"))
            if fn is None:
                continue
            enabled = _bool(m.get("enabled"), True)
            dest = None
            config = _first(m, "destination_config")
            failure = _first(config, "on_failure") if config is not None else None
            if failure is not None:
                d = _s(failure.get("destination_arn"))
                dest = (
                    d
                    if isinstance(d, str)
                    else (_placeholder(d) if isinstance(d, Unknown) else None)
                )
            fn.event_source_mappings.append(
                EventSourceMapping(
                    uuid=m.address,
                    event_source_arn=_s(m.get("event_source_arn"))
                    or Unknown("no event source ARN"),
                    state="Disabled" if enabled is False else "Enabled",
                    on_failure_destination=dest,
                )
            )
        for c in self.each("aws_lambda_function_event_invoke_config"):
            fn = self._fn_for(c.get("function_name"))
            if fn is None:
                continue
            cfg = InvokeConfig()
            qualifier = _s(c.get("qualifier"))
            cfg.qualifier = qualifier if isinstance(qualifier, str) else None
            retries = _int(c.get("maximum_retry_attempts"), None)
            cfg.maximum_retry_attempts = retries if isinstance(retries, int) else None
            dest_cfg = _first(c, "destination_config")
            if dest_cfg is not None:
                for block, field in (("on_failure", "on_failure"), ("on_success", "on_success")):
                    target = _first(dest_cfg, block)
                    if target is not None:
                        setattr(cfg, field, _s(target.get("destination")))
            fn.invoke_configs.append(cfg)

    def _layers(self) -> None:
        layer: LayerVersion | None
        layers: dict[str, LayerVersion] = {}
        for r in self.each("aws_lambda_layer_version"):
            runtimes = r.get("compatible_runtimes")
            layer = LayerVersion(
                arn=r.attr("arn"),
                name=r.attr("layer_name"),
                version=1,
                origin=r.origin,
                compatible_runtimes=[x for x in runtimes if isinstance(x, str)]
                if isinstance(runtimes, list)
                else [],
            )
            self.inv.layers.append(layer)
            for key in (layer.arn, layer.name, r.attr("layer_arn")):
                layers[key] = layer
        for p in self.each("aws_lambda_layer_version_permission"):
            ref = _s(p.get("layer_name"))
            layer = layers.get(ref) if isinstance(ref, str) else None
            if layer is None or isinstance(layer.policy, Unknown):
                continue
            principal = _s(p.get("principal"))
            if isinstance(principal, Unknown) or principal is None:
                layer.policy = Unknown(f"principal of {p.address} is not known")
                continue
            statement: dict[str, Any] = {
                "Sid": _cond_value(p.get("statement_id")) or p.address,
                "Effect": "Allow",
                "Principal": "*"
                if principal == "*"
                else {
                    "AWS": f"arn:aws:iam::{principal}:root" if principal.isdigit() else principal
                },
                "Action": _s(p.get("action")) or "lambda:GetLayerVersion",
                "Resource": layer.arn,
            }
            org = p.get("organization_id")
            if org is not None:
                statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": _cond_value(org)}}
            if layer.policy is None:
                layer.policy = {"Version": "2012-10-17", "Statement": []}
            layer.policy["Statement"].append(statement)

    # API Gateway --------------------------------------------------------------------------

    def _rest_apis(self) -> None:
        api: Api | None
        stage: ApiStage | None
        apis: dict[Any, Api] = {}
        roots: dict[Any, str] = {}
        for r in self.each("aws_api_gateway_rest_api"):
            name = _s(r.get("name"))
            api = Api(
                id=r.attr("id"),
                name=name if isinstance(name, str) else r.address,
                kind="rest",
                origin=r.origin,
            )
            endpoint = _first(r, "endpoint_configuration")
            if endpoint is not None:
                types = endpoint.get("types")
                if isinstance(types, list) and types and isinstance(types[0], str):
                    api.endpoint_type = types[0]
            if r.get("body") is not None:
                _openapi_routes(api, r.get("body"), r)
            apis[api.id] = api
            roots[r.attr("root_resource_id")] = api.id
            self.inv.apis.append(api)
        parents: dict[Any, tuple[Any, Any]] = {}
        for r in self.each("aws_api_gateway_resource"):
            parents[r.attr("id")] = (r.get("parent_id"), r.get("path_part"))

        def path_of(resource_id: Any, depth: int = 0) -> str:
            if isinstance(resource_id, str) and resource_id in roots:
                return "/"
            if depth > 30 or not isinstance(resource_id, str) or resource_id not in parents:
                return "/{unknown}"
            parent, part = parents[resource_id]
            base = path_of(parent, depth + 1).rstrip("/")
            return f"{base}/{part if isinstance(part, str) else '{unknown}'}"

        integrations: dict[tuple[Any, Any, Any], list[Any]] = defaultdict(list)
        for i in self.each("aws_api_gateway_integration"):
            key = (i.get("rest_api_id"), i.get("resource_id"), i.get("http_method"))
            target = _fn_from_uri(i.get("uri"))
            if target is not None:
                integrations[key].append(target)
        for m in self.each("aws_api_gateway_method"):
            api = apis.get(m.get("rest_api_id")) if isinstance(m.get("rest_api_id"), str) else None
            if api is None:
                continue
            method = _s(m.get("http_method"))
            authorizer = _s(m.get("authorizer_id"))
            api.routes.append(
                ApiRoute(
                    method=method if isinstance(method, str) else "*",
                    path=path_of(m.get("resource_id")),
                    authorization_type=_s(m.get("authorization")) or "NONE",
                    authorizer_id=authorizer if isinstance(authorizer, str) else None,
                    api_key_required=_bool(m.get("api_key_required"), False),
                    request_validator=_s(m.get("request_validator_id")),
                    function_arns=list(
                        integrations.get(
                            (m.get("rest_api_id"), m.get("resource_id"), m.get("http_method")), []
                        )
                    ),
                    origin=m.origin,
                )
            )
        stages: dict[tuple[Any, Any], ApiStage] = {}
        stage_arns: dict[Any, ApiStage] = {}
        for s in self.each("aws_api_gateway_stage"):
            api = apis.get(s.get("rest_api_id")) if isinstance(s.get("rest_api_id"), str) else None
            if api is None:
                continue
            stage = self._stage(s, _s(s.get("stage_name")))
            stage.tracing_enabled = _bool(s.get("xray_tracing_enabled"), False)
            api.stages.append(stage)
            stages[(api.id, s.get("stage_name"))] = stage
            stage_arns[s.attr("arn")] = stage
        for ms in self.each("aws_api_gateway_method_settings"):
            stage = stages.get((ms.get("rest_api_id"), ms.get("stage_name")))
            settings = _first(ms, "settings")
            if stage is None or settings is None:
                continue
            rate = settings.get("throttling_rate_limit")
            burst = settings.get("throttling_burst_limit")
            has_limit = any(isinstance(v, (int, float)) and v >= 0 for v in (rate, burst))
            if ms.get("method_path") == "*/*":
                level = _s(settings.get("logging_level"))
                if level is not None:
                    stage.execution_logging_level = level
                if isinstance(rate, (int, float)) and rate >= 0:
                    stage.throttling_rate = float(rate)
                if isinstance(burst, (int, float)) and burst >= 0:
                    stage.throttling_burst = int(burst)
            elif has_limit:
                stage.route_throttling = True
        for plan in self.each("aws_api_gateway_usage_plan"):
            throttled = _first(plan, "throttle_settings") is not None
            for ref in _blocks(plan, "api_stages"):
                stage = stages.get((ref.get("api_id"), ref.get("stage")))
                if stage is not None and throttled:
                    stage.usage_plan_throttling = True
        for assoc in self.each("aws_wafv2_web_acl_association"):
            stage = stage_arns.get(assoc.get("resource_arn"))
            if stage is not None:
                stage.web_acl_arn = _s(assoc.get("web_acl_arn"))

    def _stage(self, s: Res, name: Any) -> ApiStage:
        stage = ApiStage(name=name if isinstance(name, str) else s.address, origin=s.origin)
        logs = _first(s, "access_log_settings")
        if logs is not None:
            stage.access_log_destination = _s(logs.get("destination_arn"))
        variables = (
            s.get("variables") if s.type == "aws_api_gateway_stage" else s.get("stage_variables")
        )
        if isinstance(variables, dict):
            stage.variables = {str(k): _s(v) for k, v in variables.items()}
        return stage

    def _http_apis(self) -> None:
        api: Api | None
        apis: dict[Any, Api] = {}
        for r in self.each("aws_apigatewayv2_api"):
            name = _s(r.get("name"))
            api = Api(
                id=r.attr("id"),
                name=name if isinstance(name, str) else r.address,
                kind="http",
                origin=r.origin,
            )
            if r.get("body") is not None:
                _openapi_routes(api, r.get("body"), r)
            target = r.get("target")
            if target is not None:
                fn = _fn_from_uri(target)
                api.routes.append(
                    ApiRoute(
                        method="$default",
                        path="$default",
                        function_arns=[fn] if fn else [],
                        origin=r.origin,
                    )
                )
                api.stages.append(ApiStage(name="$default", origin=r.origin))
            apis[api.id] = api
            self.inv.apis.append(api)
        integrations: dict[Any, Any] = {}
        for i in self.each("aws_apigatewayv2_integration"):
            integrations[i.attr("id")] = _fn_from_uri(i.get("integration_uri"))
        for rt in self.each("aws_apigatewayv2_route"):
            api = apis.get(rt.get("api_id")) if isinstance(rt.get("api_id"), str) else None
            if api is None:
                continue
            key = _s(rt.get("route_key"))
            method, _, path = key.partition(" ") if isinstance(key, str) else ("*", "", "{unknown}")
            target = _s(rt.get("target"))
            fns: list[Any] = []
            if isinstance(target, str) and target.startswith("integrations/"):
                fn = integrations.get(target.split("/", 1)[1])
                if fn is not None:
                    fns.append(fn)
            authorizer = _s(rt.get("authorizer_id"))
            api.routes.append(
                ApiRoute(
                    method=method,
                    path=path or method,
                    authorization_type=_s(rt.get("authorization_type")) or "NONE",
                    authorizer_id=authorizer if isinstance(authorizer, str) else None,
                    api_key_required=_bool(rt.get("api_key_required"), False),
                    function_arns=fns,
                    origin=rt.origin,
                )
            )
        for s in self.each("aws_apigatewayv2_stage"):
            api = apis.get(s.get("api_id")) if isinstance(s.get("api_id"), str) else None
            if api is None:
                continue
            stage = self._stage(s, _s(s.get("name")))
            defaults = _first(s, "default_route_settings")
            if defaults is not None:
                rate, burst = (
                    defaults.get("throttling_rate_limit"),
                    defaults.get("throttling_burst_limit"),
                )
                if isinstance(rate, (int, float)):
                    stage.throttling_rate = float(rate)
                if isinstance(burst, (int, float)):
                    stage.throttling_burst = int(burst)
                level = _s(defaults.get("logging_level"))
                if level is not None:
                    stage.execution_logging_level = level
            for rs in _blocks(s, "route_settings"):
                if (
                    rs.get("throttling_rate_limit") is not None
                    or rs.get("throttling_burst_limit") is not None
                ):
                    stage.route_throttling = True
            api.stages = [st for st in api.stages if st.name != stage.name]
            api.stages.append(stage)

    # logs, network, trails, secrets, keys -------------------------------------------------

    def _logs(self) -> None:
        for r in self.each("aws_cloudwatch_log_group"):
            retention = _int(r.get("retention_in_days"), None)
            self.inv.log_groups.append(
                LogGroup(
                    name=r.attr("name"),
                    origin=r.origin,
                    retention_days=None if retention == 0 else retention,
                    kms_key_id=_s(r.get("kms_key_id")),
                )
            )
        for r in self.each("aws_cloudwatch_metric_alarm"):
            name = _s(r.get("alarm_name"))
            dims = _str_map(r.get("dimensions"))
            alarm = Alarm(
                name=name if isinstance(name, str) else r.address,
                origin=r.origin,
                namespace=_str_or_none(r.get("namespace")),
                metric_name=_str_or_none(r.get("metric_name")),
                dimensions=dims if isinstance(dims, dict) else {},
            )
            for q in _blocks(r, "metric_query"):
                metric = _first(q, "metric")
                if metric is None:
                    continue
                mdims = _str_map(metric.get("dimensions"))
                alarm.metrics.append(
                    (
                        _str_or_none(metric.get("namespace")) or "",
                        _str_or_none(metric.get("metric_name")) or "",
                        mdims if isinstance(mdims, dict) else {},
                    )
                )
            self.inv.alarms.append(alarm)

    def _network(self) -> None:
        group: SecurityGroup | None
        groups: dict[Any, SecurityGroup] = {}
        for r in self.each("aws_security_group"):
            name = _s(r.get("name"))
            group = SecurityGroup(
                id=r.attr("id"),
                name=name if isinstance(name, str) else r.address,
                origin=r.origin,
                vpc_id=_str_or_none(r.get("vpc_id")),
            )
            for direction in ("ingress", "egress"):
                blocks = r.blocks(direction)
                if isinstance(blocks, Unknown):
                    setattr(group, direction, blocks)
                    continue
                rules = getattr(group, direction)
                for b in blocks:
                    cidrs = _strlist(b.get("cidr_blocks"))
                    v6 = _strlist(b.get("ipv6_cidr_blocks"))
                    sgs = _strlist(b.get("security_groups"))
                    rules.append(
                        _sg_rule(
                            b.get("protocol"),
                            b.get("from_port"),
                            b.get("to_port"),
                            [
                                *(cidrs if isinstance(cidrs, list) else [cidrs]),
                                *(v6 if isinstance(v6, list) else [v6]),
                            ],
                            [
                                g
                                for g in (sgs if isinstance(sgs, list) else [])
                                if isinstance(g, str)
                            ],
                        )
                    )
            groups[group.id] = group
            self.inv.security_groups.append(group)
        for r in self.each("aws_security_group_rule"):
            group = groups.get(r.get("security_group_id"))
            if group is None:
                continue
            direction = "ingress" if r.get("type") == "ingress" else "egress"
            rules = getattr(group, direction)
            if isinstance(rules, Unknown):
                continue
            cidrs = _strlist(r.get("cidr_blocks"))
            v6 = _strlist(r.get("ipv6_cidr_blocks"))
            source = _str_or_none(r.get("source_security_group_id"))
            rules.append(
                _sg_rule(
                    r.get("protocol"),
                    r.get("from_port"),
                    r.get("to_port"),
                    [
                        *(cidrs if isinstance(cidrs, list) else [cidrs]),
                        *(v6 if isinstance(v6, list) else [v6]),
                    ],
                    [source] if source else [],
                )
            )
        for kind, direction in (
            ("aws_vpc_security_group_ingress_rule", "ingress"),
            ("aws_vpc_security_group_egress_rule", "egress"),
        ):
            for r in self.each(kind):
                group = groups.get(r.get("security_group_id"))
                if group is None:
                    continue
                rules = getattr(group, direction)
                if isinstance(rules, Unknown):
                    continue
                cidrs = [_s(r.get(k)) for k in ("cidr_ipv4", "cidr_ipv6") if r.get(k) is not None]
                ref = _str_or_none(r.get("referenced_security_group_id"))
                rules.append(
                    _sg_rule(
                        r.get("ip_protocol"),
                        r.get("from_port"),
                        r.get("to_port"),
                        cidrs,
                        [ref] if ref else [],
                    )
                )
        for r in self.each("aws_subnet"):
            self.inv.subnets.append(
                Subnet(
                    id=r.attr("id"),
                    origin=r.origin,
                    vpc_id=_str_or_none(r.get("vpc_id")),
                    availability_zone=_s(r.get("availability_zone")),
                )
            )

    def _trails(self) -> None:
        for r in self.each("aws_cloudtrail"):
            trail = Trail(
                name=r.attr("name"),
                arn=r.attr("arn"),
                origin=r.origin,
                is_multi_region=_bool(r.get("is_multi_region_trail"), False),
                is_logging=_bool(r.get("enable_logging"), True),
            )
            mgmt: list[Any] = []
            for sel in _blocks(r, "event_selector"):
                include = _bool(sel.get("include_management_events"), True)
                mgmt.append(include)
                selector: dict[str, Any] = {
                    "ReadWriteType": _str_or_none(sel.get("read_write_type")) or "All",
                    "IncludeManagementEvents": include,
                    "DataResources": [],
                }
                for data in _blocks(sel, "data_resource"):
                    values = _strlist(data.get("values"))
                    selector["DataResources"].append(
                        {
                            "Type": _str_or_none(data.get("type")),
                            "Values": values if isinstance(values, list) else [],
                        }
                    )
                trail.event_selectors.append(selector)
            for adv in _blocks(r, "advanced_event_selector"):
                fields = []
                for fs in _blocks(adv, "field_selector"):
                    entry: dict[str, Any] = {"Field": _str_or_none(fs.get("field"))}
                    for attr, key in (
                        ("equals", "Equals"),
                        ("not_equals", "NotEquals"),
                        ("starts_with", "StartsWith"),
                        ("not_starts_with", "NotStartsWith"),
                        ("ends_with", "EndsWith"),
                        ("not_ends_with", "NotEndsWith"),
                    ):
                        values = fs.get(attr)
                        if isinstance(values, list):
                            entry[key] = [
                                v if isinstance(v, str) else _placeholder(Unknown("?"))
                                for v in values
                            ]
                    fields.append(entry)
                trail.advanced_event_selectors.append(
                    {"Name": _str_or_none(adv.get("name")), "FieldSelectors": fields}
                )
            if mgmt:
                trail.include_management_events = any(m is True for m in mgmt) or next(
                    (m for m in mgmt if isinstance(m, Unknown)), False
                )
            self.inv.trails.append(trail)

    def _secrets(self) -> None:
        secret: Secret | None
        secrets: dict[Any, Secret] = {}
        for r in self.each("aws_secretsmanager_secret"):
            secret = Secret(
                arn=r.attr("arn"),
                name=r.attr("name"),
                origin=r.origin,
                rotation_enabled=r.get("rotation_lambda_arn") is not None,
                kms_key_id=_str_or_none(r.get("kms_key_id")),
            )
            secrets[secret.arn] = secret
            secrets[secret.name] = secret
            self.inv.secrets.append(secret)
        for r in self.each("aws_secretsmanager_secret_rotation"):
            secret = secrets.get(r.get("secret_id"))
            if secret is not None:
                secret.rotation_enabled = True

    def _kms(self) -> None:
        key: KmsKey | None
        keys: dict[Any, KmsKey] = {}
        for r in self.each("aws_kms_key"):
            key = KmsKey(arn=r.attr("arn"), key_id=r.attr("key_id"), origin=r.origin)
            keys[key.arn] = key
            keys[key.key_id] = key
            self.inv.kms_keys.append(key)
        for r in self.each("aws_kms_alias"):
            key = keys.get(r.get("target_key_id"))
            if key is not None:
                key.aliases.extend([r.attr("name"), r.attr("arn")])


def _str_or_none(value: Any) -> str | None:
    text = _s(value)
    return text if isinstance(text, str) else None


def _sg_rule(
    protocol: Any, from_port: Any, to_port: Any, cidrs: list[Any], groups: list[str]
) -> SecurityGroupRule:
    proto = _s(protocol)
    proto_text = proto.lower() if isinstance(proto, str) else "-1"
    if proto_text in ("all", "-1"):
        proto_text = "-1"
    lo, hi = _int(from_port, None), _int(to_port, None)
    return SecurityGroupRule(
        protocol=proto_text,
        from_port=lo if isinstance(lo, int) else None,
        to_port=hi if isinstance(hi, int) else None,
        cidrs=cidrs,
        source_groups=groups,
    )


def _openapi_routes(api: Api, body: Any, r: Any) -> None:
    """Routes of an API whose ``body`` is an OpenAPI document (jsonencode(...) or JSON text)."""
    value = plain_value(body)
    if isinstance(value, JsonDoc):
        value = plain_value(value.value)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = Unknown(f"{r.address}: the OpenAPI body is not JSON (YAML bodies are not read)")
    found = openapi.routes(value, r.origin)
    if isinstance(found, Unknown):
        api.opaque_reason = f"{r.address}: {found.reason}"
    else:
        api.routes.extend(found)
