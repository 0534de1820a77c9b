"""What ``serverless package`` zips: the code of each function and layer, as CloudFormation
``Code``/``Content`` the function builder resolves (see ``cloudformation.functions``).

A prebuilt ``package.artifact`` (function, then service) is a zip path or an ``s3://`` URI.
Otherwise the package is the service folder (a layer: its ``path``) filtered by the framework's
default excludes, then ``package.patterns`` of the service and of the function, in order;
``include``/``exclude`` of framework v1/v2 are read as patterns too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from fortress.sources.cloudformation.decode import key_line
from fortress.sources.cloudformation.functions import LOCAL_FOLDER

# What the Serverless Framework leaves out of every package.
DEFAULT_EXCLUDES = (
    "!.git/**",
    "!.gitignore",
    "!.DS_Store",
    "!npm-debug.log",
    "!.serverless/**",
    "!.serverless_plugins/**",
)


def _patterns(*packages: Mapping[str, Any]) -> list[str]:
    out = list(DEFAULT_EXCLUDES)
    for pkg in packages:
        for key, prefix in (("include", ""), ("exclude", "!"), ("patterns", "")):
            values = pkg.get(key)
            for value in values if isinstance(values, list) else []:
                if isinstance(value, str):
                    out.append(prefix + value)
    return out


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def function_code(fn: Mapping[str, Any], service: Mapping[str, Any]) -> Any:
    """The ``Code`` of one function (``fn`` and the service ``package`` resolved)."""
    own = _mapping(fn.get("package"))
    artifact = own.get("artifact", service.get("artifact"))
    if isinstance(artifact, str) and artifact:
        return artifact
    return {LOCAL_FOLDER: ".", "Patterns": _patterns(service, own)}


def layers(
    resolved: Any, raw: Any, service: Mapping[str, Any]
) -> Iterator[tuple[str, dict[str, Any], int | None]]:
    """(logical id, ``AWS::Lambda::LayerVersion`` properties, line) for each layer declared
    under ``layers:``; entries that are not mappings are left out."""
    if not isinstance(resolved, Mapping):
        return
    raw_map = raw if isinstance(raw, Mapping) else {}
    for key, layer in resolved.items():
        if not isinstance(key, str) or not isinstance(layer, Mapping):
            continue
        lid = f"{key[:1].upper()}{key[1:].replace('-', 'Dash').replace('_', 'Underscore')}"
        props: dict[str, Any] = {"LayerName": layer.get("name", key)}
        runtimes = layer.get("compatibleRuntimes")
        if isinstance(runtimes, list):
            props["CompatibleRuntimes"] = runtimes
        own = _mapping(layer.get("package"))
        artifact = own.get("artifact")
        if isinstance(artifact, str) and artifact:
            props["Content"] = artifact
        elif isinstance(layer.get("path"), str):
            props["Content"] = {LOCAL_FOLDER: layer["path"], "Patterns": _patterns(own)}
        yield f"{lid}LambdaLayer", props, key_line(raw_map, key)
