"""evidence: publish a version (freezing the code as it is now) and acquire a bundle, first.

Publishing a version of unchanged code returns the latest existing version (no new one), so a
second apply changes nothing. The version and the bundle are evidence: undo keeps both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fortress.aws.client import AwsClient
from fortress.forensics.acquire import AcquireOptions, acquire
from fortress.response.context import PlanContext
from fortress.response.model import ResponseError, Step
from fortress.response.ops import Ops, StepKind

KIND = "evidence"


@dataclass
class EvidenceOptions:
    output: Path
    code_mirror: str | None = None
    cloudtrail: list[Path] = field(default_factory=list)
    redact: bool = False


def plan(ctx: PlanContext, output: Path) -> list[Step]:
    name = ctx.target.name
    return [
        Step(
            action="evidence",
            kind=KIND,
            target=f"{name} code and configuration",
            resource={"function": name, "bundle": str(output)},
            call={
                "service": "lambda",
                "operation": "publish_version",
                "params": {"FunctionName": name, "Description": "fortress respond: evidence"},
            },
            before={},
            after={},
            summary=f"publish a version, then acquire into {output}",
        )
    ]


def secure(ops: Ops, step: Step, options: EvidenceOptions) -> dict[str, Any]:
    """Publish the version and acquire the bundle; raises if either fails.

    Where the bundle goes is checked first, so that a bad path changes nothing at all.
    """
    if options.output.exists():
        raise ResponseError(f"{options.output}: already exists; bundles are never overwritten")
    if not options.output.parent.is_dir():
        raise ResponseError(f"{options.output.parent}: no such directory for the bundle")
    published = ops.call(step.call, step.target)
    result = acquire(
        AwsClient(ops.aws.options),
        AcquireOptions(
            function=str(step.resource["function"]),
            output=options.output,
            region=ops.region,
            cloudtrail=list(options.cloudtrail),
            redact=options.redact,
            code_mirror=options.code_mirror,
        ),
    )
    return {
        "version": published.get("Version"),
        "code_sha256": published.get("CodeSha256"),
        "bundle": str(result.bundle),
        "manifest_sha256": result.manifest_sha256,
        "bundle_gaps": len(result.gaps),
    }


def _nothing(ops: Ops, step: Step) -> dict[str, Any]:
    return {}


def _keep(ops: Ops, step: Step) -> None:
    return None


def _undo_call(step: Step) -> dict[str, Any]:
    return {}


STEP_KIND = StepKind(_nothing, _nothing, _keep, _undo_call, reversible=False)
