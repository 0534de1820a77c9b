"""Routes of an API Gateway API defined by an OpenAPI (Swagger 2 or OpenAPI 3) body.

Real templates often define REST and HTTP APIs with ``Body`` / ``DefinitionBody`` instead of
one resource per method, so the API rules need the routes written there: each operation's
authorization (from ``security`` and the API Gateway extensions), API key requirement, request
validator and Lambda integration. What cannot be read (an unresolved body, an unknown security
scheme) is Unknown, never "no authorization".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fortress.inventory import ApiRoute, Origin, Unknown

_INVOCATIONS = re.compile(r"/functions/(.+?)/invocations")


def function_arn_in_uri(uri: str) -> str | None:
    """The Lambda function an API Gateway integration URI calls.

    REST APIs: ``arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations``;
    HTTP APIs: the function ARN itself. The ARN is returned as written (it may be qualified).
    """
    match = _INVOCATIONS.search(uri)
    if match:
        return match.group(1)
    if uri.startswith("arn:") and ":lambda:" in uri and ":function:" in uri:
        return uri
    return None


def function_arns(uri: Any) -> list[Any]:
    """``[ARN]`` for an integration URI, ``[Unknown]`` when it is unresolved, else ``[]``."""
    if uri is None:
        return []
    if isinstance(uri, Unknown):
        return [uri]
    arn = function_arn_in_uri(str(uri))
    return [arn] if arn else []


OPERATIONS = {
    "get": "GET",
    "put": "PUT",
    "post": "POST",
    "delete": "DELETE",
    "options": "OPTIONS",
    "head": "HEAD",
    "patch": "PATCH",
    "x-amazon-apigateway-any-method": "ANY",
}


def _schemes(body: Mapping[str, Any]) -> Mapping[str, Any]:
    swagger = body.get("securityDefinitions")
    if isinstance(swagger, Mapping):
        return swagger
    components = body.get("components")
    if isinstance(components, Mapping) and isinstance(components.get("securitySchemes"), Mapping):
        return components["securitySchemes"]  # type: ignore[no-any-return]
    return {}


def _scheme_auth(scheme: Any) -> tuple[str | Unknown, bool]:
    """(authorization type, is an API key) of one security scheme."""
    if not isinstance(scheme, Mapping):
        return Unknown("security scheme is not resolvable"), False
    authtype = str(scheme.get("x-amazon-apigateway-authtype", "")).lower()
    authorizer = scheme.get("x-amazon-apigateway-authorizer")
    kind = str(authorizer.get("type", "")).lower() if isinstance(authorizer, Mapping) else ""
    if authtype == "awssigv4":
        return "AWS_IAM", False
    if authtype == "cognito_user_pools" or kind == "cognito_user_pools":
        return "COGNITO_USER_POOLS", False
    if kind == "jwt" or scheme.get("type") in ("openIdConnect", "oauth2"):
        return "JWT", False
    if kind in ("token", "request") or authtype == "custom":
        return "CUSTOM", False
    if scheme.get("type") == "apiKey":
        return "NONE", True  # a plain API key: usage plans, not authorization
    declared = scheme.get("type")
    shown = declared if isinstance(declared, str) else "unknown"
    return Unknown(f"security scheme of type {shown} is not recognised"), False


def _auth(requirements: Any, schemes: Mapping[str, Any]) -> tuple[str | Unknown, bool]:
    """Authorization of an operation from its ``security`` requirements (an OR of ANDs)."""
    if requirements is None:
        return "NONE", False
    if not isinstance(requirements, list):
        return Unknown("security requirements are not resolvable"), False
    best: str | Unknown = "NONE"
    api_key = False
    for requirement in requirements:
        if not isinstance(requirement, Mapping) or not requirement:
            # {} in the list makes the operation callable without credentials.
            return "NONE", False
        kinds: list[str | Unknown] = []
        for name in requirement:
            auth, is_key = _scheme_auth(schemes.get(name))
            api_key = api_key or is_key
            kinds.append(auth)
        real = [k for k in kinds if isinstance(k, str) and k != "NONE"]
        if real:
            best = real[0]
        elif any(isinstance(k, Unknown) for k in kinds) and best == "NONE":
            best = next(k for k in kinds if isinstance(k, Unknown))
    return best, api_key


def _validator(op: Mapping[str, Any], body: Mapping[str, Any]) -> str | None:
    name = op.get(
        "x-amazon-apigateway-request-validator", body.get("x-amazon-apigateway-request-validator")
    )
    if not isinstance(name, str):
        return None
    definitions = body.get("x-amazon-apigateway-request-validators")
    if isinstance(definitions, Mapping):
        definition = definitions.get(name)
        if isinstance(definition, Mapping) and not definition.get("validateRequestBody"):
            return None  # validates parameters only: the body is not checked
    return name


def routes(body: Any, origin: Origin | None) -> list[ApiRoute] | Unknown:
    """The routes of an OpenAPI body."""
    if isinstance(body, Unknown):
        return Unknown(f"the OpenAPI body is not resolvable: {body.reason}")
    if not isinstance(body, Mapping) or not isinstance(body.get("paths"), Mapping):
        return Unknown("the OpenAPI body has no readable paths")
    schemes = _schemes(body)
    default_security = body.get("security")
    found: list[ApiRoute] = []
    for path, item in body["paths"].items():
        if not isinstance(item, Mapping):
            continue
        for key, op in item.items():
            method = OPERATIONS.get(str(key).lower())
            if method is None or not isinstance(op, Mapping):
                continue
            auth, api_key = _auth(op.get("security", default_security), schemes)
            integration = op.get("x-amazon-apigateway-integration")
            uri = integration.get("uri") if isinstance(integration, Mapping) else None
            found.append(
                ApiRoute(
                    method=method,
                    path=str(path),
                    authorization_type=auth,
                    api_key_required=api_key,
                    request_validator=_validator(op, body),
                    function_arns=function_arns(uri),
                    origin=origin,
                )
            )
    return found
