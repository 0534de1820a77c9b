"""The CloudFormation source's shape: SAM sits on the CloudFormation families, never the reverse.

Read from the modules' import statements (ast), so a lazy import inside a function counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import fortress.sources.cloudformation as package

PACKAGE = Path(package.__file__).parent
PACKAGE_NAME = package.__name__
SAM_MODULES = {"sam", "sam_api"}


def _is_module(dotted: str) -> bool:
    return (PACKAGE / f"{dotted.rsplit('.', 1)[-1]}.py").is_file()


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                # ``from package import submodule`` imports the submodule, not the package.
                found.add(
                    name
                    if name.startswith(PACKAGE_NAME + ".") and _is_module(name)
                    else node.module
                )
                found.add(name)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _core_modules() -> list[Path]:
    return [p for p in sorted(PACKAGE.glob("*.py")) if p.stem not in SAM_MODULES | {"__init__"}]


def test_cloudformation_families_never_import_sam() -> None:
    assert len(_core_modules()) >= 6  # decode, model, builder and the families
    for module in _core_modules():
        sam_imports = {name for name in _imports(module) if name.rsplit(".", 1)[-1] in SAM_MODULES}
        assert not sam_imports, f"{module.name} imports SAM: {sorted(sam_imports)}"


def test_sam_depends_on_cloudformation_families_not_on_the_entry_module() -> None:
    for module in SAM_MODULES:
        imports = _imports(PACKAGE / f"{module}.py")
        assert any(name.startswith(PACKAGE_NAME + ".") for name in imports)
        # Only the package entry (load, build_inventory) composes SAM with the builder.
        assert PACKAGE_NAME not in imports, f"{module}.py imports the package entry"


def test_modules_stay_small() -> None:
    for module in PACKAGE.glob("*.py"):
        lines = module.read_text(encoding="utf-8").count("\n")
        assert lines < 800, f"{module.name} has {lines} lines: split it along its seams"
