"""What both Terraform front ends hand to the mapper, and the value helpers it uses.

:class:`Res` objects (from HCL or a plan): ``get(attr)`` is the configured value (``None`` when
unset, :class:`Unknown` when not known before apply), ``blocks(name)`` the nested blocks,
``attr(name)`` the value another resource sees when it references this one (identity
attributes such as ``arn``/``id`` are synthesized from the address so references link up; see
:func:`synthetic_attr`). The helpers turn configured values into inventory values
(strings, numbers, bools, lists, maps, policies) keeping unknowns.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fortress.inventory import (
    Origin,
    Unknown,
)
from fortress.sources import openapi
from fortress.sources.tf_values import Computed, JsonDoc, first_unknown, plain_value, type_name

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

    def expression(self, name: str) -> str | None:
        """The attribute's expression as written (``var.role_arn``), when the front end has it."""
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
    "aws_ssm_parameter": "name",
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
            "invoke_arn": invoke_arn(region, arn),
            "qualified_invoke_arn": invoke_arn(region, arn + ":$LATEST"),
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
    if rtype == "aws_ssm_parameter":
        path = own_name() if own_name().startswith("/") else f"/{own_name()}"
        return {"arn": f"arn:aws:ssm:{region}:{account}:parameter{path}", "id": own_name()}.get(
            name
        )
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
            return f"arn:aws:apigateway:{region}::/{kind}/{id_text(api, addr)}/stages/{id_text(stage, addr)}"
        return {"id": addr}.get(name)
    if rtype == "aws_vpc":
        return {
            "id": addr,
            "default_route_table_id": addr + "/main-route-table",
            "main_route_table_id": addr + "/main-route-table",
            "default_network_acl_id": addr + "/default-network-acl",
        }.get(name)
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


def id_text(value: Any, fallback: str) -> str:
    return value if isinstance(value, str) else fallback


def invoke_arn(region: str, fn_arn: str) -> str:
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{fn_arn}/invocations"


# --------------------------------------------------------------------------- value helpers


def str_of(value: Any) -> Any:
    """Maybe[str] | None."""
    if value is None or isinstance(value, (str, Unknown)):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, JsonDoc):
        return value.text()
    return Unknown(f"{type_name(value)} is given where a string is expected")


def int_of(value: Any, default: Any) -> Any:
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
            return Unknown("a string that is not a number is given where a number is expected")
    return Unknown(f"{type_name(value)} is given where a number is expected")


def bool_of(value: Any, default: Any) -> Any:
    if value is None:
        return default
    if isinstance(value, (bool, Unknown)):
        return value
    if value in ("true", "false"):
        return value == "true"
    return Unknown(f"{type_name(value)} is given where a bool is expected")


def str_list(value: Any) -> list[Any] | Unknown:
    if value is None:
        return []
    if isinstance(value, Unknown):
        return value
    if isinstance(value, list):
        return [str_of(v) if v is not None else Unknown("null in a list") for v in value]
    return [str_of(value)]


def str_map(value: Any) -> dict[str, str] | Unknown:
    if value is None:
        return {}
    if isinstance(value, Unknown):
        return value
    if not isinstance(value, dict):
        return Unknown("not a map")
    out: dict[str, str] = {}
    for k, v in value.items():
        text = str_of(v)
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


def first_block(obj: Obj, name: str) -> Obj | None:
    blocks = obj.blocks(name)
    if isinstance(blocks, Unknown) or not blocks:
        return None
    return blocks[0]


def blocks_of(obj: Obj, name: str) -> list[Obj]:
    blocks = obj.blocks(name)
    return [] if isinstance(blocks, Unknown) else blocks


def placeholder(value: Unknown) -> str:
    if isinstance(value, Computed) and value.ref:
        return "${" + value.ref + "}"
    return "${unknown}"


def fill(value: Any) -> Any:
    if isinstance(value, Unknown):
        return placeholder(value)
    if isinstance(value, dict):
        return {k: fill(v) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v) for v in value]
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
    return fill(doc)


def policy_of(obj: Obj, attr: str, where: str) -> dict[str, Any] | Unknown | None:
    value = obj.get(attr)
    if isinstance(value, Unknown):
        lenient = obj.get_lenient(attr)
        if isinstance(lenient, str):
            value = lenient
    return policy_value(value, where)


def fn_name_of(value: Any) -> str | None:
    text = str_of(value)
    if not isinstance(text, str):
        return None
    if text.startswith("arn:") and ":function:" in text:
        return text.split(":function:", 1)[1].split(":")[0]
    if text.count(":") == 2 and ":function:" not in text:
        return text
    return text.split(":")[0] if ":" in text and not text.startswith("arn:") else text


def fn_from_uri(uri: Any) -> Any:
    text = str_of(uri)
    if not isinstance(text, str):
        return text if isinstance(text, Unknown) else None
    return openapi.function_arn_in_uri(text)


def principal_of(value: Any) -> Any:
    text = str_of(value)
    if isinstance(text, Unknown) or text is None:
        return text
    if text == "*":
        return "*"
    if text.endswith(".amazonaws.com") or text.endswith(".amazonaws.com.cn"):
        return {"Service": text}
    if re.fullmatch(r"\d{12}", text):
        return {"AWS": f"arn:aws:iam::{text}:root"}
    return {"AWS": text}


def cond_value(value: Any) -> Any:
    text = str_of(value)
    return placeholder(text) if isinstance(text, Unknown) else text


def str_or_none(value: Any) -> str | None:
    text = str_of(value)
    return text if isinstance(text, str) else None
