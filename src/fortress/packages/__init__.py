"""The bytes behind a function: its code package and layers, read safely and analysed offline.

One place turns "a function" (live, or the local code an IaC template deploys) into "its files",
as a list of :class:`~fortress.packages.files.PackageFile`; every analyser takes that list and
returns plain Inventory facts (``fortress.inventory.PackageAnalysis`` and its parts). Rules read
those facts from the Inventory and never download or open a package themselves.

- ``files``: PackageFile, the unit every analyser reads (regular files only, size-capped reads).
- getting the bytes (live download into a content-addressed cache, IaC local code), secrets in
  code and layers;
- dependency inventory, CycloneDX SBOM, offline OSV matching;
- risky handler code (event data reaching command execution, evaluation, deserialization).
"""
