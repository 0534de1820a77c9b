"""Secrets in the text files of a package or layer (contract; the analyser is being built).

``scan(files)`` returns the secrets found (file, line, kind, fingerprint — never the value) and
the analyses it could not run, as ``{"secrets": reason}``.
"""

from __future__ import annotations

from collections.abc import Sequence

from fortress.inventory import PackageSecret
from fortress.packages.files import PackageFile


def scan(files: Sequence[PackageFile]) -> tuple[list[PackageSecret], dict[str, str]]:
    return [], {"secrets": "the package secret scanner is not built yet"}
