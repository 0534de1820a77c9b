"""Serverless function settings compiled to their CloudFormation shape: the logging
configuration (``provider.logs.lambda``, a function's ``logs``) and the runtime update mode
(``runtimeManagement``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fortress.inventory import Unknown

# ``logs.lambda`` (provider) and ``logs`` (function) keys -> LoggingConfig keys. The log group
# is left to the framework's own ``<Name>LogGroup``.
_LOGGING_KEYS = {
    "logFormat": "LogFormat",
    "applicationLogLevel": "ApplicationLogLevel",
    "systemLogLevel": "SystemLogLevel",
}


def logging_config(provider: Mapping[str, Any], fn: Mapping[str, Any]) -> dict[str, Any]:
    """``provider.logs.lambda`` overlaid with the function's ``logs``, as LoggingConfig."""
    config: dict[str, Any] = {}
    logs = provider.get("logs")
    for source in (logs.get("lambda") if isinstance(logs, Mapping) else None, fn.get("logs")):
        if isinstance(source, Mapping):
            for key, prop in _LOGGING_KEYS.items():
                if source.get(key) is not None:
                    config[prop] = source[key]
    return config


# ``runtimeManagement`` modes as the framework writes them -> UpdateRuntimeOn.
_RUNTIME_MODES = {"auto": "Auto", "onfunctionupdate": "FunctionUpdate", "manual": "Manual"}


def runtime_management(value: Any) -> dict[str, Any] | None:
    """``runtimeManagement: auto | onFunctionUpdate`` or ``{mode: manual, arn: ...}``."""
    if value is None:
        return None
    if isinstance(value, Unknown):
        return {"UpdateRuntimeOn": value}
    mode: Any = value.get("mode", "auto") if isinstance(value, Mapping) else value
    if isinstance(mode, str):
        mode = _RUNTIME_MODES.get(mode.lower(), Unknown(f"runtimeManagement mode {mode!r}"))
    config: dict[str, Any] = {"UpdateRuntimeOn": mode}
    if isinstance(value, Mapping) and value.get("arn") is not None:
        config["RuntimeVersionArn"] = value["arn"]
    return config
