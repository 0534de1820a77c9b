"""Dependency inventory of a package or layer (contract; the analyser is being built).

``inventory(files)`` returns every third-party package found in the files (manifests, lock
files, installed metadata), each with the file it was read from.
"""

from __future__ import annotations

from collections.abc import Sequence

from fortress.inventory import Dependency
from fortress.packages.files import PackageFile


def inventory(files: Sequence[PackageFile]) -> list[Dependency]:
    return []
