"""Values every model object uses: Unknown and Unresolved, Origin, ARN helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Unknown:
    """A value the source could not resolve. ``reason`` says why, for the finding."""

    reason: str

    def __bool__(self) -> bool:  # an Unknown is never mistaken for a truthy, safe value
        return False


@dataclass(frozen=True)
class Unresolved(Unknown):
    """An Unknown that keeps the expression yielding it, as written (IaC): two values with the
    same ``expression`` are the same value at deployment (one import, parameter or variable).

    ``expression`` includes what scopes it (the template file, the Terraform module), so equal
    text in two stacks or module instances stays apart.
    """

    expression: str = ""


# ``Maybe[str]`` reads "a str, or Unknown".
Maybe: TypeAlias = T | Unknown

PolicyDocument = dict[str, Any]


# The account a template deploys into, when it is not known: Origin.account of every template
# object and the account part of ARNs built from AWS::AccountId / data.aws_caller_identity.
# Rules compare accounts by equality, so "self" stays self and a literal foreign id stays foreign.
TEMPLATE_ACCOUNT = "${AWS::AccountId}"

# A colon outside ``${...}``: template placeholders such as ``${AWS::Region}`` hold colons.
_ARN_SEPARATOR = re.compile(r":(?![^{}]*\})")


def arn_parts(arn: str) -> list[str]:
    """An ARN's colon-separated parts, a placeholder (``${AWS::Region}``) staying one part.

    ``arn:aws:lambda:${AWS::Region}:017000801446:layer:L:7`` → account ``017000801446``: a
    template that leaves the region to deployment still names the publisher.
    """
    return _ARN_SEPARATOR.split(arn)


def unqualified_arn(arn: str) -> str:
    """A function ARN without its alias or version (placeholders such as ${AWS::Region} kept)."""
    return ":".join(arn_parts(arn)[:7]) if arn.startswith("arn:") else arn


# The reason of the Unknown that replaces a secret value withheld from a snapshot.
WITHHELD = "secret value withheld from the snapshot"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an object came from."""

    source: str  # "aws", "snapshot", "cloudformation", "serverless", "terraform", "terraform-plan"
    account: str | None = None
    region: str | None = None
    arn: str | None = None
    file: str | None = None
    line: int | None = None
    logical_id: str | None = None  # CloudFormation logical id or Terraform address
    # In-code suppressions declared on this resource: (rule id, reason or "").
    suppressions: tuple[tuple[str, str], ...] = ()

    @property
    def is_template(self) -> bool:
        return self.file is not None
