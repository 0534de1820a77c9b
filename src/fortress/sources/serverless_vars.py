"""Serverless Framework variables (``${source:address, default}``), resolved as far as a scan can.

What each source gives:

- ``self:path`` — the service's own configuration; variables met along the path are resolved
  first (``custom: ${file(./custom.yml)}`` then ``${self:custom.table}``).
- ``opt:stage`` / ``opt:region`` / ``opt:NAME`` — ``--parameter stage=prod``, ``--parameter
  region=…``; ``sls:stage`` — the stage (``--parameter stage``, ``provider.stage``, ``dev``).
- ``env:NAME`` — only ``--parameter NAME=…`` or ``--var NAME=…``, else the default, else
  Unknown: a scan never reads the scanner's own environment into a report.
- ``param:NAME`` — ``params.<stage>.NAME``, ``params.default.NAME``, or ``--parameter NAME=…``.
- ``aws:region`` — the deploy region (``opt:region``, ``provider.region``, ``us-east-1``);
  ``aws:accountId`` — ``--account``, else Unknown.
- ``file(./x.yml)`` and ``file(./x.yml):key.sub`` — a YAML or JSON file inside the service
  folder (real path, no symlink escape, regular files only, size and count caps). A file the
  scan cannot read (missing, outside the folder, JavaScript, unparseable) and no default: a
  coverage-gap note naming the path, file and line; the value is Unknown.
- ``ssm:``, ``cf:``, ``s3:``, ``sls:instanceId``, ``strToBool(…)``… — Unknown with the reason
  (they are read at deployment).

Variables nest (``${self:custom.${opt:stage}.x}``: the innermost is resolved first) and take
defaults (``${opt:stage, 'dev'}``, ``${self:custom.x, "y"}``, ``${opt:stage, self:custom.s}``).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fortress.inventory import NOTE_GAP, SourceNote, Unknown
from fortress.sources.base import IacOptions, kind_of

# The innermost variable: no ``$``, ``{`` or ``}`` inside.
VARIABLE = re.compile(r"\$\{((?:self|opt|env|sls|file|ssm|cf|aws|param|s3|strToBool)[:(][^${}]*)\}")
_FILE = re.compile(r"file\(([^)]*)\)\s*(?::\s*(.*))?", re.S)
# A whole value that is one ``${file(...)}`` (sections given as files keep their lines).
WHOLE_FILE = re.compile(r"\$\{file\(([^)$]*)\)\s*(?::\s*([^,${}]*))?\}")
_SOURCE_PREFIX = re.compile(r"(?:self|opt|env|sls|ssm|cf|aws|param|s3):|file\(")
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_FILES = 200
MAX_DEPTH = 30
YAML_SUFFIXES = (".yml", ".yaml", ".json")
SCRIPT_SUFFIXES = (".js", ".cjs", ".mjs", ".ts")


class Unresolved(Unknown):
    """An Unknown that means "the scan could not follow this" (a coverage gap, unless the
    variable has a default)."""


def line_of(value: Any) -> int | None:
    mark = getattr(value, "start_mark", None)
    return int(mark.line) + 1 if mark is not None else None


def decode(text: str, file: str) -> Any:
    """A YAML or JSON document with line-aware nodes (the CloudFormation source's decoder)."""
    from fortress.sources.cloudformation import fast_decode

    doc = fast_decode(text, string_marks=True)  # variables name the line of a string
    if doc is None:
        from cfnlint.decode import cfn_yaml

        doc = cfn_yaml.loads(text, file)
    return doc


class Variables:
    """Resolves one service's variables; ``notes`` collects what it could not follow."""

    def __init__(self, doc: Mapping[str, Any], options: IacOptions, file: str) -> None:
        self.doc = doc
        self.options = options
        self.file = file
        self.root = Path(os.path.realpath(Path(file).parent))
        self.current = file  # the file whose values are being resolved (for note locations)
        self.notes: list[SourceNote] = []
        self._noted: set[tuple[str, int | None, str]] = set()
        self._files: dict[Path, Any] = {}
        self.depth = 0

    # ------------------------------------------------------------------ context

    def stage(self) -> Any:
        if "stage" in self.options.parameters:
            return self.options.parameters["stage"]
        provider = self.doc.get("provider")
        stage = provider.get("stage") if isinstance(provider, Mapping) else None
        return self.resolve(stage) if stage is not None else "dev"

    def region(self) -> Any:
        if "region" in self.options.parameters:
            return self.options.parameters["region"]
        provider = self.doc.get("provider")
        region = provider.get("region") if isinstance(provider, Mapping) else None
        if region is not None:
            return self.resolve(region)
        return self.options.region or "us-east-1"

    @contextmanager
    def within(self, file: str) -> Iterator[None]:
        """Resolve values read from ``file`` (an included file): notes point there."""
        saved, self.current = self.current, file
        try:
            yield
        finally:
            self.current = saved

    def note(self, kind: str, line: int | None, message: str, subject: str = "") -> None:
        key = (self.current, line, message)
        if key not in self._noted:
            self._noted.add(key)
            self.notes.append(SourceNote(kind, self.current, message, line, subject))

    # ------------------------------------------------------------------ resolution

    def resolve(self, value: Any) -> Any:
        """``value`` (line-aware nodes or plain data) as plain data, variables resolved."""
        if isinstance(value, Mapping):
            return {str(k): self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, str):
            return value
        line = line_of(value)
        text = str(value)
        for _ in range(50):
            match = VARIABLE.search(text)
            if match is None:
                return text
            resolved = self.variable(match.group(1), line)
            if match.group(0) == text:
                if isinstance(resolved, str) and resolved != text:
                    return self._nested(resolved)
                return resolved
            if isinstance(resolved, Unknown):
                return resolved
            if isinstance(resolved, (Mapping, list)):
                return Unknown(f"{match.group(0)} is {kind_of(resolved)} used inside a string")
            text = text[: match.start()] + _text(resolved) + text[match.end() :]
        return Unknown(f"the variables in '{value}' nest too deeply")

    def _nested(self, value: str) -> Any:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                return Unknown("variables refer to each other in a circle")
            return self.resolve(value)
        finally:
            self.depth -= 1

    def variable(self, expr: str, line: int | None = None) -> Any:
        ref, default = _split_default(expr)
        value = self._lookup(ref, line)
        if default is not None and (value is None or isinstance(value, Unknown)):
            if _SOURCE_PREFIX.match(default):
                fallback = self.variable(default, line)
                if fallback is not None and not isinstance(fallback, Unknown):
                    return fallback
                return value if isinstance(value, Unknown) else fallback
            return _literal(default)
        if isinstance(value, Unresolved):
            self.note(NOTE_GAP, line, value.reason, subject=f"${{{ref}}}")
            return Unknown(value.reason)
        if value is None:
            return Unknown(f"${{{ref}}} has no value")
        return value

    def _lookup(self, ref: str, line: int | None) -> Any:
        if ref.startswith("file("):
            return self._file(ref)
        source, _, address = ref.partition(":")
        address = address.strip()
        if source == "self":
            return self._self(address)
        if source == "opt":
            if address == "stage":
                return self.options.parameters.get("stage")
            if address == "region":
                return self.options.parameters.get("region", self.options.region)
            return self.options.parameters.get(address)
        if source == "sls":
            if address == "stage":
                return self.stage()
            return Unknown(f"${{sls:{address}}} is known only at deployment")
        if source == "env":
            if address in self.options.parameters:
                return self.options.parameters[address]
            if address in self.options.variables:
                return self.options.variables[address]
            return Unknown(
                f"${{env:{address}}} is read from the deploying machine's environment "
                f"(give it with --parameter {address}=...)"
            )
        if source == "param":
            return self._param(address)
        if source == "aws":
            if address == "region":
                return self.region()
            if address == "accountId" and self.options.account:
                return self.options.account
            return Unknown(f"${{aws:{address}}} is known only at deployment")
        return Unknown(f"${{{ref}}} is read from {source} at deployment")

    def _self(self, address: str) -> Any:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                return Unknown(f"${{self:{address}}} refers to itself")
            node: Any = self.doc
            for part in address.split(".") if address else []:
                if isinstance(node, str) and VARIABLE.search(node):
                    node = self.resolve(node)
                if isinstance(node, Mapping) and part in node:
                    node = node[part]
                elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                    node = node[int(part)]
                elif isinstance(node, Unknown):
                    return node
                else:
                    return None
            with self.within(self.file):  # ``self:`` always reads the service's own file
                return self.resolve(node)
        finally:
            self.depth -= 1

    def _param(self, name: str) -> Any:
        params = self.doc.get("params")
        if isinstance(params, Mapping):
            stage = self.stage()
            for key in (stage, "default"):
                group = params.get(key) if isinstance(key, str) else None
                if isinstance(group, Mapping) and name in group:
                    return self.resolve(group[name])
        if name in self.options.parameters:
            return self.options.parameters[name]
        return Unknown(f"${{param:{name}}} comes from the Serverless Dashboard at deployment")

    # ------------------------------------------------------------------ files

    def _file(self, ref: str) -> Any:
        match = _FILE.fullmatch(ref.strip())
        if match is None:
            return Unresolved(f"${{{ref}}} is not a file reference")
        raw = self.read_file(match.group(1))
        if isinstance(raw, Unresolved):
            return raw
        path, node = raw
        address = (match.group(2) or "").strip()
        node = _walk(node, address)
        if node is None:
            return Unresolved(f"{_clean(match.group(1))} has no key '{address}'")
        with self.within(str(path)):
            return self.resolve(node)

    def read_file(self, argument: str) -> tuple[Path, Any] | Unresolved:
        """The decoded document of a ``${file(...)}`` path (cached), or why it was not read."""
        name = _clean(argument)
        if not name:
            return Unresolved("${file()} names no file")
        given = Path(name)
        real = Path(os.path.realpath(given if given.is_absolute() else self.root / given))
        if not real.is_relative_to(self.root):
            return Unresolved(f"{name} is outside the service folder {self.root}; not read")
        if real in self._files:
            cached: tuple[Path, Any] | Unresolved = self._files[real]
            return cached
        if len(self._files) >= MAX_FILES:
            return Unresolved(f"{name}: more than {MAX_FILES} files included; not read")
        self._files[real] = result = self._read(name, real)
        return result

    def _read(self, name: str, real: Path) -> tuple[Path, Any] | Unresolved:
        try:
            info = os.stat(real)
        except FileNotFoundError:
            return Unresolved(f"{name}: no such file in the service folder")
        except OSError as exc:
            return Unresolved(f"{name} cannot be read ({exc.strerror or 'error'})")
        if not stat.S_ISREG(info.st_mode):
            return Unresolved(f"{name} is not a regular file; not read")
        if info.st_size > MAX_FILE_BYTES:
            return Unresolved(
                f"{name} is larger than the limit of {MAX_FILE_BYTES} bytes; not read"
            )
        suffix = real.suffix.lower()
        if suffix in SCRIPT_SUFFIXES:
            return Unresolved(
                f"{name} is a script the framework runs at deployment; the scan does not run it"
            )
        try:
            text = real.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return Unresolved(f"{name} is not a readable UTF-8 file")
        if suffix not in YAML_SUFFIXES:
            return Path(name), text  # the framework reads other files as text
        shown = Path(self.file).parent / real.relative_to(self.root)  # as the service was named
        try:
            return shown, decode(text, str(shown))
        except Exception as exc:  # the YAML/JSON decoders raise many kinds
            problem = getattr(exc, "problem", None) or (str(exc).splitlines() or ["error"])[0]
            return Unresolved(f"{name} does not parse: {problem}")

    def sections(self, value: Any, line: int | None = None) -> list[tuple[Any, str]]:
        """A section (``functions``, ``resources``) as written or given as files.

        ``value`` is a mapping, a ``${file(...)}``, or a list of either; each part comes with the
        file it was read from, so that origins point at the right file and line.
        """
        out: list[tuple[Any, str]] = []
        for item in value if isinstance(value, list) else [value]:
            match = WHOLE_FILE.fullmatch(item.strip()) if isinstance(item, str) else None
            if match is not None:
                raw = self.read_file(match.group(1))
                node = raw if isinstance(raw, Unresolved) else _walk(raw[1], match.group(2) or "")
                if isinstance(raw, Unresolved) or node is None:
                    reason = (
                        raw.reason
                        if isinstance(raw, Unresolved)
                        else f"{_clean(match.group(1))} has no key '{match.group(2)}'"
                    )
                    self.note(NOTE_GAP, line_of(item) or line, reason, subject=str(item))
                    continue
                assert not isinstance(raw, Unresolved)
                if isinstance(node, list):
                    out.extend((part, str(raw[0])) for part in node)
                else:
                    out.append((node, str(raw[0])))
                continue
            noted = len(self.notes)
            resolved = self.resolve(item) if isinstance(item, str) else item
            if isinstance(resolved, Unknown) and len(self.notes) == noted:
                self.note(NOTE_GAP, line_of(item) or line, resolved.reason, subject=str(item))
            if isinstance(resolved, list):
                out.extend((part, self.current) for part in resolved)
            elif resolved is not None:
                out.append((resolved, self.current))
        return out


def _walk(node: Any, address: str) -> Any:
    for part in address.split(".") if address.strip() else []:
        part = part.strip()
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _clean(argument: str) -> str:
    return argument.strip().strip("'\"").strip()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _split_default(expr: str) -> tuple[str, str | None]:
    depth = 0
    quote = ""
    for i, ch in enumerate(expr):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            return expr[:i].strip(), expr[i + 1 :].strip()
    return expr.strip(), None


def _literal(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    try:
        return int(text)
    except ValueError:
        return text
