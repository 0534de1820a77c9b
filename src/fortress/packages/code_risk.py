"""Risky handler code: event data reaching command execution, evaluation, unsafe
deserialization; secrets written under /tmp; credentials cached in module state.

``scan(files, handler=..., runtime=...)`` picks the source files to read (the handler's module
when the handler is known, else every first-party source file), parses each one with
tree-sitter (:mod:`code_risk_python`, :mod:`code_risk_node`) and returns the risky calls found,
with file and line. A file that does not parse, is binary or too big is skipped, never raised.
"""

from __future__ import annotations

from collections.abc import Sequence

from fortress.inventory import CodeRisk
from fortress.packages import code_risk_node, code_risk_python
from fortress.packages.files import PackageFile

# A hand-written handler module is far smaller; bigger files are bundles (webpack, esbuild)
# whose flow a per-function analysis cannot follow anyway.
MAX_CODE_BYTES = 1024 * 1024
# Bounds the work on a hostile package of many small files: the first files by path are read.
MAX_CODE_FILES = 5000

PYTHON_EXTS = (".py",)
NODE_EXTS = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts")

# Third-party and vendored code: not the function's own code (the dependency and OSV analyses
# cover it); reading it would bury the handler's risks under library internals.
_SKIP_PARTS = frozenset(
    {
        "node_modules",
        "site-packages",
        "dist-packages",
        "vendor",
        "vendored",
        "__pycache__",
        ".venv",
        "venv",
        "bower_components",
        "botocore",
        "boto3",
    }
)


def _first_party(path: str) -> bool:
    parts = path.split("/")
    for part in parts[:-1]:
        if part in _SKIP_PARTS or part.endswith((".dist-info", ".egg-info")):
            return False
    name = parts[-1]
    return not name.endswith((".min.js", ".d.ts"))


def _exts(runtime: str | None) -> tuple[str, ...]:
    rt = (runtime or "").lower()
    if rt.startswith("python"):
        return PYTHON_EXTS
    if rt.startswith("nodejs"):
        return NODE_EXTS
    return PYTHON_EXTS + NODE_EXTS


def split_handler(handler: str) -> tuple[str, str] | None:
    """``"src/app.lambda_handler"`` → ``("src/app", "lambda_handler")``; ``None`` when the
    value has no module part (a custom runtime's free-form handler)."""
    if "." not in handler:
        return None
    module, func = handler.rsplit(".", 1)
    if not module or not func:
        return None
    return module, func


def handler_files(
    files: Sequence[PackageFile], handler: str, runtime: str | None
) -> tuple[list[PackageFile], str] | None:
    """The handler's module among ``files`` and the handler function's name, or ``None``."""
    split = split_handler(handler)
    if split is None:
        return None
    module, func = split
    module = module.lstrip("./")
    stems = [module]
    if "/" not in module and "." in module:  # Python package path: "pkg.mod.handler"
        stems.append(module.replace(".", "/"))
    wanted = [stem + ext for stem in stems for ext in _exts(runtime)]
    # Lambda resolves the handler in the function's own code first (/var/task).
    found = [f for f in files if f.layer is None and f.path in wanted]
    if not found:
        return None
    found.sort(key=lambda f: wanted.index(f.path))
    return found[:1], func


def source_files(files: Sequence[PackageFile], runtime: str | None) -> list[PackageFile]:
    exts = _exts(runtime)
    chosen = [f for f in files if f.path.endswith(exts) and _first_party(f.path)]
    chosen.sort(key=lambda f: (f.layer or "", f.path))
    return chosen[:MAX_CODE_FILES]


def scan_file(file: PackageFile, handler_func: str | None) -> list[CodeRisk]:
    """The risks in one file; ``[]`` for a file that is too big, binary or does not parse."""
    if file.size > MAX_CODE_BYTES:
        return []
    data = file.read(MAX_CODE_BYTES)
    if data is None or b"\x00" in data[:8192]:
        return []
    if file.path.endswith(PYTHON_EXTS):
        return code_risk_python.scan_source(data, file.path, handler_func, file.layer)
    if file.path.endswith(NODE_EXTS):
        return code_risk_node.scan_source(data, file.path, handler_func, file.layer)
    return []


def scan(
    files: Sequence[PackageFile], *, handler: str | None = None, runtime: str | None = None
) -> list[CodeRisk]:
    """Risky calls in the package's own code.

    With ``handler`` ("app.handler"), only the handler's module is read and the handler
    function's first parameter is the event; without it (or when that module is not in the
    package), every first-party source file is read and every function taking
    ``(event, context)`` is treated as a handler.
    """
    picked = handler_files(files, handler, runtime) if handler else None
    if picked is not None:
        chosen, func = picked
        handler_func: str | None = func
    else:
        chosen, handler_func = source_files(files, runtime), None
    risks: list[CodeRisk] = []
    for file in chosen:
        risks.extend(scan_file(file, handler_func))
    return risks
