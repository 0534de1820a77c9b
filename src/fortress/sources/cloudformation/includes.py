"""``Fn::Transform: {Name: AWS::Include, Parameters: {Location: ...}}`` of a local file.

``aws cloudformation package`` and ``sam deploy`` upload a local ``Location`` to S3 and deploy
the fragment in place of the transform, so a repository holds the fragment next to the
template. It is read here, as a template fragment (a mapping merged into the mapping holding
the transform, e.g. Resources) or as a whole value (an OpenAPI ``DefinitionBody``/``Body``).

Inputs are hostile: the location must resolve (symlinks followed) to a regular file inside the
scanned root, no larger than :data:`MAX_BYTES`, and includes nest at most :data:`MAX_DEPTH` deep.
Whatever is not followed (S3, outside the root, missing, too big, unparsable, an unresolved
location, another macro) is a coverage gap naming the location; a whole value that was not
followed becomes Unknown, and a fragment that was not merged leaves the rest of the mapping.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fortress.errors import InputError
from fortress.inventory import NOTE_GAP, SourceNote, Unknown
from fortress.sources.cloudformation.decode import decode_file, key_line, key_lines

TRANSFORM = "Fn::Transform"
INCLUDE = "AWS::Include"
MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 5


@dataclass
class Included:
    """What the includes of one template brought in."""

    notes: list[SourceNote] = field(default_factory=list)
    # Logical ids merged into Resources from a fragment → (fragment file, line there).
    resource_files: dict[str, tuple[str, int | None]] = field(default_factory=dict)


def mentions_transform(text: str) -> bool:
    """A cheap test on the raw text, so templates without transforms skip the walk."""
    return TRANSFORM in text or "!Transform" in text


def expand(template: Any, file: Path, root: Path) -> Included:
    """Replace every ``AWS::Include`` in ``template`` (in place) by the fragment it names."""
    result = Included()
    _Expander(root, result).walk(template, file, 0, (file.resolve(),), "")
    return result


class _Expander:
    def __init__(self, root: Path, result: Included) -> None:
        self.root = root.resolve()
        self.result = result

    def walk(self, node: Any, file: Path, depth: int, chain: tuple[Path, ...], path: str) -> Any:
        """The node with its includes expanded (mappings and lists are changed in place)."""
        if isinstance(node, dict):
            if TRANSFORM in node:
                spec = node[TRANSFORM]
                fragment = self.fragment(spec, node, file, depth, chain, path)
                if path == "Resources" and isinstance(fragment, Mapping):
                    fragment_file = str(_location_path(spec, file) or file)
                    lines = key_lines(fragment)
                    for key in fragment:
                        self.result.resource_files[str(key)] = (fragment_file, lines.get(key))
                if len(node) == 1:  # the whole value is the fragment
                    if path == "Resources" and not isinstance(fragment, Mapping):
                        return {}  # nothing readable was included; the gap says so
                    return fragment
                del node[TRANSFORM]
                if isinstance(fragment, Mapping):
                    for key, value in fragment.items():
                        node[key] = value  # its own includes were expanded when read
            for key in list(node):
                child = node[key]
                if isinstance(child, (dict, list)):
                    node[key] = self.walk(
                        child, file, depth, chain, f"{path}.{key}" if path else str(key)
                    )
            return node
        if isinstance(node, list):
            for i, child in enumerate(node):
                if isinstance(child, (dict, list)):
                    node[i] = self.walk(child, file, depth, chain, f"{path}[{i}]")
        return node

    def fragment(
        self,
        spec: Any,
        holder: Any,
        file: Path,
        depth: int,
        chain: tuple[Path, ...],
        path: str,
    ) -> Any:
        """The included fragment, or Unknown (with a gap note) when it is not followed."""
        line = key_line(holder, TRANSFORM) or _line(holder)
        name = spec.get("Name") if isinstance(spec, Mapping) else None
        if name != INCLUDE:
            shown = name if isinstance(name, str) else "a macro with an unresolved name"
            return self.gap(file, line, str(shown), f"the macro {shown} is not expanded offline")
        params = spec.get("Parameters")
        location = params.get("Location") if isinstance(params, Mapping) else None
        if not isinstance(location, str):
            return self.gap(
                file, line, "AWS::Include", "its Location is not a literal path or S3 URI"
            )
        if location.startswith(("s3://", "https://", "http://")):
            return self.gap(
                file,
                line,
                location,
                "the fragment is in S3 (or on the web), which the scan does not read; "
                "scan the template that references the local file instead",
            )
        if "\0" in location:  # no file system takes it (a hostile value)
            return self.gap(file, line, "AWS::Include", "its Location holds a NUL byte")
        target = _location_path(spec, file)
        assert target is not None
        real = target.resolve()
        if real != self.root and self.root not in real.parents:
            return self.gap(
                file,
                line,
                location,
                "it resolves outside the folder being scanned (the template's own folder for one template)",
            )
        try:
            info = os.stat(real)
        except OSError:
            return self.gap(file, line, location, "no such file")
        if not stat.S_ISREG(info.st_mode):
            return self.gap(file, line, location, "not a regular file")
        if info.st_size > MAX_BYTES:
            return self.gap(file, line, location, f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
        if real in chain:
            return self.gap(file, line, location, "it includes itself (an include cycle)")
        if depth >= MAX_DEPTH:
            return self.gap(file, line, location, f"includes nest deeper than {MAX_DEPTH}")
        try:
            fragment = decode_file(real, self.result.notes)
        except InputError as exc:
            return self.gap(file, line, location, exc.message)
        return self.walk(fragment, real, depth + 1, (*chain, real), path)

    def gap(self, file: Path, line: int | None, subject: str, why: str) -> Unknown:
        self.result.notes.append(
            SourceNote(
                kind=NOTE_GAP,
                file=str(file),
                line=line,
                subject=subject,
                message=f"Fn::Transform {subject} is not followed: {why}",
            )
        )
        return Unknown(f"Fn::Transform {subject} is not followed: {why}")


def _location_path(spec: Any, file: Path) -> Path | None:
    params = spec.get("Parameters") if isinstance(spec, Mapping) else None
    location = params.get("Location") if isinstance(params, Mapping) else None
    if not isinstance(location, str) or location.startswith(("s3://", "https://", "http://")):
        return None
    return file.parent / location


def _line(node: Any) -> int | None:
    mark = getattr(node, "start_mark", None)
    return int(mark.line) + 1 if mark is not None else None
