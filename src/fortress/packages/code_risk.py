"""Risky handler code: event data reaching command execution, evaluation, unsafe
deserialization, secrets written under /tmp (contract; the analyser is being built).

``scan(files, handler=..., runtime=...)`` returns the risky calls found, with file and line.
"""

from __future__ import annotations

from collections.abc import Sequence

from fortress.inventory import CodeRisk
from fortress.packages.files import PackageFile


def scan(
    files: Sequence[PackageFile], *, handler: str | None = None, runtime: str | None = None
) -> list[CodeRisk]:
    return []
