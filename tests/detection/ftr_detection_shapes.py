"""The record shapes AWS writes for the Lambda events the detections read, as builders.

Facts from public records (re-typed, not copied): the Stratus Red Team detonation log of
``aws.persistence.lambda-layer-extension`` (requestParameters ``{environment: {},
functionName: <ARN>, layers: [<ARN>]}``, responseElements the whole configuration with
``layers: [{arn, codeSize, uncompressedCodeSize}]``), Panther's CloudTrail test logs
(``requestParameters: {functionName}`` with the layers only in ``responseElements``), and the
Lambda API reference for what each response holds (``AddPermission`` answers the statement as
a JSON string, event source mappings and URL configs answer ``functionArn`` alone).

Each builder takes ``shape``: ``"request"`` (requestParameters name what was asked and the
response restates it, the usual record), ``"response"`` (the request was not recorded:
``requestParameters`` null, as in truncated or redacted records) or, where AWS writes it,
``"console"`` (the request names only the function; the response holds the configuration).
"""

from __future__ import annotations

import json
from typing import Any

from ftr_detection_events import ACCOUNT, REGION, event, fn_arn, function_config

SHAPES = ("request", "response")


def _split(shape: str, request: dict[str, Any], response: dict[str, Any] | None) -> Any:
    if shape == "request":
        return request, response
    if shape == "response":
        return None, response
    if shape == "console":
        return {"functionName": request.get("functionName")}, response
    raise ValueError(shape)


def statement(sid: str, principal: Any, action: str, resource: str, **cond: Any) -> str:
    doc: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": principal,
        "Action": action,
        "Resource": resource,
    }
    if cond:
        doc["Condition"] = cond
    return json.dumps(doc, separators=(",", ":"))


def add_permission(
    identity: dict[str, Any],
    principal: str,
    shape: str = "request",
    name: str = "AddPermission20150331v2",
    function: str = "orders",
    **extra: Any,
) -> dict[str, Any]:
    """``principal`` as the request gives it (``*``, an account id, an ARN, a service)."""
    request = {
        "functionName": function,
        "statementId": "s1",
        "action": "lambda:InvokeFunction",
        "principal": principal,
        **extra,
    }
    if principal == "*":
        who: Any = "*"
    elif principal.endswith(".amazonaws.com"):
        who = {"Service": principal}
    elif principal.isdigit():
        who = {"AWS": f"arn:aws:iam::{principal}:root"}
    else:
        who = {"AWS": principal}
    cond: dict[str, Any] = {}
    if "sourceArn" in extra:
        cond["ArnLike"] = {"AWS:SourceArn": extra["sourceArn"]}
    if "sourceAccount" in extra:
        cond.setdefault("StringEquals", {})["AWS:SourceAccount"] = extra["sourceAccount"]
    if "principalOrgID" in extra:
        cond.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = extra["principalOrgID"]
    response = {
        "statement": statement("s1", who, "lambda:InvokeFunction", fn_arn(function), **cond)
    }
    rp, re = _split(shape, request, response)
    return event(name, identity, request=rp, response=re)


def url_config(
    identity: dict[str, Any],
    auth: str | None,
    shape: str = "request",
    action: str = "CreateFunctionUrlConfig",
    function: str = "orders",
    **kw: Any,
) -> dict[str, Any]:
    """``auth`` None: an update that does not change the auth type (CORS only); the
    response then gives the ``current`` one."""
    current = kw.pop("current", "AWS_IAM")
    request: dict[str, Any] = {"functionName": function}
    if auth is not None:
        request["authType"] = auth
    else:
        request["cors"] = {"allowOrigins": ["https://example.com"]}
    response = {
        "functionUrl": f"https://abc123.lambda-url.{REGION}.on.aws/",
        "functionArn": fn_arn(function),
        "authType": auth or current,
        "creationTime": "2024-08-01T13:00:00.000000Z",
    }
    rp, re = _split(shape, request, response)
    return event(f"{action}20211031", identity, request=rp, response=re, **kw)


def layers_update(
    identity: dict[str, Any],
    layers: list[str],
    shape: str = "request",
    function: str = "orders",
    **kw: Any,
) -> dict[str, Any]:
    """UpdateFunctionConfiguration setting ``layers`` (Stratus shape with "request")."""
    request = {"environment": {}, "functionName": fn_arn(function), "layers": layers}
    config = function_config(function, f"arn:aws:iam::{ACCOUNT}:role/{function}-role", layers)
    config["environment"] = {}
    rp, re = _split(shape, request, config)
    return event("UpdateFunctionConfiguration20150331v2", identity, request=rp, response=re, **kw)


def env_update(
    identity: dict[str, Any], layers: list[str], function: str = "orders", **kw: Any
) -> dict[str, Any]:
    """A configuration change that does not touch layers; the response lists them."""
    request = {"functionName": function, "environment": {}, "timeout": 30}
    config = function_config(function, f"arn:aws:iam::{ACCOUNT}:role/{function}-role", layers)
    return event(
        "UpdateFunctionConfiguration20150331v2", identity, request=request, response=config, **kw
    )


def layer_permission(
    identity: dict[str, Any], principal: str, shape: str = "request", **extra: Any
) -> dict[str, Any]:
    request = {
        "layerName": "ext",
        "versionNumber": 3,
        "statementId": "s",
        "action": "lambda:GetLayerVersion",
        "principal": principal,
        **extra,
    }
    who: Any = "*" if principal == "*" else {"AWS": f"arn:aws:iam::{principal}:root"}
    cond = {}
    if "organizationId" in extra:
        cond["StringEquals"] = {"aws:PrincipalOrgID": extra["organizationId"]}
    layer = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:ext:3"
    response = {
        "statement": statement("s", who, "lambda:GetLayerVersion", layer, **cond),
        "revisionId": "r-1",
    }
    rp, re = _split(shape, request, response)
    return event("AddLayerVersionPermission20181031", identity, request=rp, response=re)


def event_source_mapping(
    identity: dict[str, Any], shape: str = "request", function: str = "orders", **kw: Any
) -> dict[str, Any]:
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"
    request = {"functionName": function, "eventSourceArn": queue, "enabled": True}
    response = {
        "uUID": "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE",
        "eventSourceArn": queue,
        "functionArn": fn_arn(function),
        "state": "Creating",
        "batchSize": 10,
    }
    rp, re = _split(shape, request, response)
    return event("CreateEventSourceMapping20150331", identity, request=rp, response=re, **kw)


def concurrency(
    identity: dict[str, Any],
    value: int,
    shape: str = "request",
    function: str = "orders",
    **kw: Any,
) -> dict[str, Any]:
    """The response holds only the value; with ``shape="console"`` the request names only
    the function."""
    request = {"functionName": function, "reservedConcurrentExecutions": value}
    response = {"reservedConcurrentExecutions": value}
    rp, re = _split(shape, request, response)
    return event("PutFunctionConcurrency20171031", identity, request=rp, response=re, **kw)
