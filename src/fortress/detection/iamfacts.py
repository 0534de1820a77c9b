"""Facts from an inventory (``hunt --inventory snapshot.json``) that detections join with
CloudTrail, as small tables: how much each role can do (judged by :mod:`fortress.iam`), which
privilege-relevant actions it allows, each function's role, and the access keys functions
hold in their environment (by fingerprint only: snapshots withhold the values).

The local store loads them as tables, Athena receives them as ``VALUES`` lists; without an
inventory they are empty and the detections that need them say less (see the docs).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from fortress.detection.sql import lit
from fortress.iam.actions import catalogue
from fortress.iam.privesc import (
    PATHS,
    SELF_GRANT_ACTIONS,
    admin_level,
    escalation_paths,
    permissions,
    role_documents,
)
from fortress.inventory import Inventory

# name -> columns (name, SQL type); every table is created (empty) in each store
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "iam_roles": (
        ("arn", "VARCHAR"),
        ("name", "VARCHAR"),
        ("rank", "INTEGER"),
        ("summary", "VARCHAR"),
    ),
    "iam_role_actions": (("arn", "VARCHAR"), ("action", "VARCHAR")),
    "inventory_functions": (("function", "VARCHAR"), ("name", "VARCHAR"), ("role", "VARCHAR")),
    "inventory_env_keys": (
        ("function", "VARCHAR"),
        ("name", "VARCHAR"),
        ("variable", "VARCHAR"),
        ("fingerprint", "VARCHAR"),
    ),
}
RANK_ADMIN, RANK_ESCALATION, RANK_OTHER = 3, 2, 1
_KEY_ID = re.compile(r"^(AKIA|ASIA)[A-Z0-9]{16}$")


@dataclass
class IamFacts:
    rows: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {name: [] for name in TABLES}
    )

    def __bool__(self) -> bool:
        return any(self.rows.values())


@functools.cache
def sensitive_actions() -> frozenset[str]:
    """The actions a role "can do more" with: IAM, STS and Organizations writes and
    permission changes, and every step of a known escalation path (lowercase)."""
    cat = catalogue()
    out = {
        a.lower()
        for a in cat.all_actions
        if a.split(":", 1)[0] in ("iam", "sts", "organizations")
        and cat.access_level(a) in ("Write", "Permissions management")
    }
    out |= {a.lower() for path in PATHS for group in path.requires for a in group}
    out |= {a.lower() for a in SELF_GRANT_ACTIONS}
    return frozenset(out)


def facts(inventory: Inventory) -> IamFacts:
    """The tables of :data:`TABLES` for ``inventory``."""
    from fortress.secrets.detect import fingerprint

    out = IamFacts()
    sensitive = sensitive_actions()
    for role in inventory.roles:
        perms = permissions(role_documents(role))
        admin = admin_level(perms)
        paths = escalation_paths(perms)
        if admin:
            rank, summary = RANK_ADMIN, f"administrator-level: {admin}"
        elif paths:
            titles = ", ".join(p.path.title for p in paths[:3])
            more = f" (+{len(paths) - 3} more)" if len(paths) > 3 else ""
            rank, summary = RANK_ESCALATION, f"privilege escalation: {titles}{more}"
        else:
            rank, summary = RANK_OTHER, f"{len(perms.actions)} actions"
        out.rows["iam_roles"].append((role.arn, role.name, rank, summary))
        allowed = {a.lower() for a in perms.actions} & sensitive
        out.rows["iam_role_actions"].extend((role.arn, a) for a in sorted(allowed))
    for fn in inventory.functions:
        if isinstance(fn.role_arn, str):
            out.rows["inventory_functions"].append((fn.arn, fn.name, fn.role_arn))
        for var in fn.environment:
            fp = None
            if isinstance(var.value, str) and _KEY_ID.match(var.value.strip()):
                fp = fingerprint(var.value.strip())
            elif var.redacted and var.fingerprint and "access key id" in var.redacted.lower():
                fp = var.fingerprint  # withheld in the snapshot: its fingerprint stays
            if fp:
                out.rows["inventory_env_keys"].append((fn.arn, fn.name, var.name, fp))
    return out


def values_sql(name: str, rows: list[tuple[Any, ...]]) -> str:
    """The rows of table ``name`` as a literal relation (for Athena)."""
    columns = TABLES[name]
    if not rows:
        nulls = ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in columns)
        return f"SELECT {nulls} WHERE false"
    casts = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in columns)
    body = ", ".join(
        "(" + ", ".join(str(int(v)) if isinstance(v, int) else lit(str(v)) for v in row) + ")"
        for row in rows
    )
    names = ", ".join(c for c, _ in columns)
    return f"SELECT {casts} FROM (VALUES {body}) AS t({names})"
