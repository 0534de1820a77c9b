"""The shared state of the Terraform → Inventory mapper and the lookups every part uses
(resources by type, functions and roles by name or ARN, attached policies)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fortress.iam.managed import get_managed_policy, is_aws_managed_arn
from fortress.inventory import (
    Function,
    Inventory,
    Policy,
    Role,
    Unknown,
)
from fortress.sources.tf_attrs import (
    Res,
    fn_name_of,
    str_of,
)


def hkey(*values: Any) -> Any:
    """A dict key made of raw attribute values (one value, or a tuple of several).

    A value of the wrong type in a hostile file (a list where an id belongs) is unhashable: it
    gives a fresh key equal to nothing, so it links no resources and raises nothing.
    """
    key = values[0] if len(values) == 1 else values
    try:
        hash(key)
    except TypeError:
        return object()
    return key


class MapperBase:
    """State shared by the parts of the mapper: resources by type, what was built so far."""

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

    def each(self, *types: str) -> list[Res]:
        return [r for t in types for r in self.by_type.get(t, [])]

    # IAM ----------------------------------------------------------------------------------

    def _role_for(self, value: Any) -> Role | None:
        text = str_of(value)
        if not isinstance(text, str):
            return None
        return self.roles.get(text) or self.roles.get(text.rsplit("/", 1)[-1])

    def _managed(self, value: Any) -> Policy:
        arn = str_of(value)
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

    def _fn_for(self, value: Any) -> Function | None:
        text = str_of(value)
        if not isinstance(text, str):
            return None
        fn = self.functions.get(text)
        if fn is not None:
            return fn
        name = fn_name_of(text)
        return self.functions.get(name) if name else None
