"""Per-function Lambda settings read with calls of their own (runtime management), and the
metadata of the Parameter Store parameters environment variables name.

``GetRuntimeManagementConfig`` is missing on some endpoints (the emulator answers 404). A region
whose endpoint lacks the operation records one coverage gap, not one per function, and every
function there keeps an unknown value (its rules answer "unknown", never "pass"); an access
denial or a throttle is recorded per function, as other per-function reads are.
"""

from __future__ import annotations

import threading
from typing import Any

from fortress.aws.client import AwsClient
from fortress.inventory import (
    PART_RECURSION,
    PART_RUNTIME_MANAGEMENT,
    Function,
    Origin,
    Parameter,
    Unknown,
    parameter_name_in,
)

# Error codes meaning "this endpoint does not implement the operation", not "you may not".
MISSING_OPERATION = frozenset(
    {"404", "NotImplemented", "UnknownOperationException", "InvalidAction", "501"}
)


class FunctionExtras:
    """Reads of one region, shared by the threads that read its functions."""

    def __init__(self, client: AwsClient, region: str) -> None:
        self.client = client
        self.region = region
        self._lock = threading.Lock()
        # operation -> why the endpoint cannot answer it, once known
        self._missing: dict[str, str] = {}

    def _read(self, operation: str, fn: Function) -> tuple[dict[str, Any] | None, str]:
        """(answer, "") or (None, why not). A region whose endpoint lacks ``operation``
        records one coverage gap; any other failure is recorded per function."""
        known = self._missing.get(operation)
        if known is not None:
            return None, known
        outcome = self.client.attempt(
            "lambda", self.region, operation, resource=fn.arn, FunctionName=fn.name
        )
        if outcome.gap is None:
            return (outcome.value or {}), ""
        code = outcome.gap.error_code
        reason = f"{operation} failed ({code})"
        with self._lock:
            first = operation not in self._missing
            if code in MISSING_OPERATION:  # every function gets the same reason
                reason = self._missing.setdefault(
                    operation, f"{reason}: the endpoint does not implement it"
                )
            if first or code not in MISSING_OPERATION:
                self.client.record(outcome.gap)
        return None, reason

    def recursion(self, fn: Function) -> None:
        """GetFunctionRecursionConfig (``RecursiveLoop``; Lambda's default is Terminate)."""
        answer, reason = self._read("get_function_recursion_config", fn)
        if answer is None:
            fn.uncollected.add(PART_RECURSION)
            fn.recursive_loop = Unknown(reason)
            return
        mode = answer.get("RecursiveLoop")
        fn.recursive_loop = mode if isinstance(mode, str) and mode else "Terminate"

    def runtime_management(self, fn: Function) -> None:
        """GetRuntimeManagementConfig (``UpdateRuntimeOn`` and the runtime version ARN)."""
        if fn.package_type == "Image" or fn.runtime is None:
            return  # container images carry their runtime: nothing to manage
        answer, reason = self._read("get_runtime_management_config", fn)
        if answer is None:
            fn.uncollected.add(PART_RUNTIME_MANAGEMENT)
            fn.runtime_update_mode = Unknown(reason)
            return
        mode = answer.get("UpdateRuntimeOn")
        if not isinstance(mode, str) or not mode:
            fn.uncollected.add(PART_RUNTIME_MANAGEMENT)
            fn.runtime_update_mode = Unknown("get_runtime_management_config named no mode")
            return
        fn.runtime_update_mode = mode
        version = answer.get("RuntimeVersionArn")
        fn.runtime_version_arn = version if isinstance(version, str) and version else None


# Names looked up per region at most (environment values that look like parameter names).
MAX_PARAMETER_NAMES = 1000
_BATCH = 50  # values per DescribeParameters name filter


def parameters(
    client: AwsClient, account: str, region: str, functions: list[Function]
) -> list[Parameter] | None:
    """Metadata (name, type, ARN) of the parameters the functions' environment values name,
    from DescribeParameters: values are never read. None when the listing failed."""
    names = sorted(
        {
            name
            for fn in functions
            for var in fn.environment
            for name in parameter_name_in(var.value)
        }
    )[:MAX_PARAMETER_NAMES]
    found: list[Parameter] = []
    for start in range(0, len(names), _BATCH):
        batch = names[start : start + _BATCH]
        items = client.paginate(
            "ssm",
            region,
            "describe_parameters",
            "Parameters",
            ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": batch}],
        )
        if items is None:
            return None
        for item in items:
            name = item.get("Name")
            if not isinstance(name, str):
                continue
            path = name if name.startswith("/") else f"/{name}"
            arn = item.get("ARN") or f"arn:aws:ssm:{region}:{account}:parameter{path}"
            found.append(
                Parameter(
                    name=name,
                    origin=Origin(source="aws", account=account, region=region, arn=arn),
                    type=item.get("Type") or Unknown("DescribeParameters named no type"),
                    arn=arn,
                )
            )
    return found
