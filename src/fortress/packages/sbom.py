"""CycloneDX SBOM of a function and its layers (contract; the writer is being built).

``cyclonedx(name, analysis, layers)`` returns the SBOM as a JSON-ready dict: the function's
dependencies as components, each layer (name, analysis) as a nested component.
"""

from __future__ import annotations

from typing import Any

from fortress.inventory import PackageAnalysis


def cyclonedx(
    name: str, analysis: PackageAnalysis, layers: list[tuple[str, PackageAnalysis]]
) -> dict[str, Any]:
    raise NotImplementedError("the SBOM writer is not built yet")
