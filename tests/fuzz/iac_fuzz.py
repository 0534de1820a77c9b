"""Strategies and property factories for fuzzing `fortress scan` with mutated copies of the IaC test fixtures (CloudFormation and SAM
in YAML and JSON, Serverless, Terraform HCL): wrong types, deep nesting, sizes, encodings and
broken bytes, and references to files outside the scanned folder.

The properties themselves live in ``test_fuzz_cfn.py`` (CloudFormation, SAM) and
``test_fuzz_sls_tf.py`` (Serverless, Terraform), two files so that ``pytest -n 2`` runs them
side by side. Each property asserts that the CLI answers 0/1/2/3 with no ``internal error`` (no exception
escapes the input-error path) and, for the references, that nothing outside the scanned root
is opened. Fixed seed, bounded examples: see ``fuzz_support``.
"""

from __future__ import annotations

import copy
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from fuzz_support import (
    FUZZ,
    ReadAudit,
    assert_input_error_path,
    hostile_values,
    paths_of,
    replace_at,
    run_cli,
)
from hypothesis import given
from hypothesis import strategies as st

FIXTURES = Path(__file__).resolve().parents[1] / "iac" / "fixtures"
AS_OF = ["--as-of", "2026-03-01"]


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation short-form tags (``!Ref x`` becomes ``{"Ref": "x"}``)."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tag)


def _load(path: Path) -> Any:
    return yaml.load(path.read_text(), Loader=_CfnLoader)


# format -> (fixture, file name to write, serialization)
FORMATS: dict[str, tuple[Path, str, str]] = {
    "cfn-yaml": (FIXTURES / "cloudformation" / "vulnerable.yaml", "template.yaml", "yaml"),
    "cfn-json": (FIXTURES / "cloudformation" / "hardened.yaml", "template.json", "json"),
    "sam-yaml": (FIXTURES / "sam" / "vulnerable.yaml", "template.yaml", "yaml"),
    "sam-json": (FIXTURES / "sam" / "hardened.yaml", "template.json", "json"),
    "serverless": (FIXTURES / "serverless" / "serverless.yml", "serverless.yml", "yaml"),
}
DOCS = {name: _load(fixture) for name, (fixture, _, _) in FORMATS.items()}
HCL = (FIXTURES / "terraform" / "vulnerable" / "main.tf").read_text()
_DEEP = re.compile(r"""["']?__DEEP_(\d+)__["']?""")


def _deep_marker(depth: int) -> str:
    return f"__DEEP_{depth}__"


def serialize(doc: Any, how: str) -> str:
    """YAML or JSON text of ``doc``; deep-nesting markers become flow text (``[[[1]]]``), so
    that no serializer has to recurse thousands of levels."""
    if how == "json":
        text = json.dumps(doc, default=str, indent=1)
    else:
        text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=1 << 20)
    return _DEEP.sub(lambda m: "[" * int(m.group(1)) + "1" + "]" * int(m.group(1)), text)


def _values() -> st.SearchStrategy[Any]:
    deep = st.integers(min_value=200, max_value=50_000).map(_deep_marker)
    return st.one_of(hostile_values, deep)


def scan_text(name: str, data: bytes, extra: list[str] | None = None) -> tuple[int, str, str]:
    with tempfile.TemporaryDirectory(prefix="fortress-fuzz-") as tmp:
        root = Path(tmp) / "project"
        root.mkdir()
        (root / name).write_bytes(data)
        return run_cli(["scan", str(root / name), "--format", "json", *AS_OF, *(extra or [])])


# ------------------------------------------------------------------ wrong types, nesting, sizes


_FOCUS = {"Properties", "functions", "provider", "Globals"}


@st.composite
def mutated_docs(draw: st.DrawFn, fmt: str) -> Any:
    doc = copy.deepcopy(DOCS[fmt])
    spots = paths_of(doc)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        spots = paths_of(doc)
        # mostly where the sources read fields: resource properties, functions, provider
        focus = [p for p in spots if _FOCUS.intersection(map(str, p[:3])) and len(p) <= 4]
        path = draw(st.sampled_from(focus if focus and draw(st.integers(0, 4)) else spots))
        doc = replace_at(doc, path, draw(_values()))
    if isinstance(doc, dict) and draw(st.booleans()):
        # sizes: one of the mapping sections repeated many times under new names
        section = next(
            (k for k in ("Resources", "functions") if isinstance(doc.get(k), dict)), None
        )
        if section and doc[section]:
            key, value = draw(
                st.sampled_from(sorted(doc[section].items(), key=lambda kv: str(kv[0])))
            )
            for i in range(draw(st.integers(min_value=2, max_value=25))):
                doc[section][f"{key}Copy{i}"] = copy.deepcopy(value)
    return doc


def structure_property(fmt: str) -> Any:
    fixture, name, how = FORMATS[fmt]

    @FUZZ
    @given(doc=mutated_docs(fmt))
    def prop(doc: Any) -> None:
        code, _, err = scan_text(name, serialize(doc, how).encode("utf-8"))
        assert_input_error_path(code, err, f"{fmt} ({fixture.name}) mutated")

    return prop


# ------------------------------------------------------------------ encodings and broken bytes


@st.composite
def mangled_bytes(draw: st.DrawFn, text: str) -> bytes:
    kind = draw(st.sampled_from(["bom", "utf-16", "utf-32", "latin-1", "insert", "truncate"]))
    if kind == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    if kind in ("utf-16", "utf-32"):
        return text.encode(kind)
    if kind == "latin-1":
        return (text + "\n# caf\xe9 \xff\n").encode("latin-1", "replace")
    data = text.encode()
    at = draw(st.integers(min_value=0, max_value=len(data)))
    if kind == "truncate":
        return data[:at]
    junk = draw(
        st.one_of(
            st.binary(min_size=1, max_size=64),
            st.sampled_from([b"\x00", b"\xff\xfe", b"\x1b[2J", b"\xed\xa0\x80", b"\r", b"\t"]),
        )
    )
    return data[:at] + junk + data[at:]


def bytes_property(fmt: str) -> Any:
    fixture, name, how = FORMATS[fmt]
    text = serialize(copy.deepcopy(DOCS[fmt]), how)

    @FUZZ
    @given(data=mangled_bytes(text))
    def prop(data: bytes) -> None:
        code, _, err = scan_text(name, data)
        assert_input_error_path(code, err, f"{fmt} ({fixture.name}) bytes")

    return prop


# ------------------------------------------------------------------ Terraform HCL

_HCL_LITERAL = re.compile(r'(=\s*)("(?:[^"\\\n]|\\.)*"|\d+(?:\.\d+)?|true|false)')
hcl_values = st.one_of(
    st.sampled_from(
        ["null", "[]", "{}", '[1, "a", null]', "{ a = 1 }", "1e400", "-0", "true", '"${x.y}"']
    ),
    st.text(max_size=30).map(lambda s: json.dumps(s)),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.integers(min_value=100, max_value=20_000).map(lambda n: "[" * n + "1" + "]" * n),
    st.integers(min_value=1000, max_value=100_000).map(lambda n: '"' + "x" * n + '"'),
)


@st.composite
def mutated_hcl(draw: st.DrawFn) -> bytes:
    matches = list(_HCL_LITERAL.finditer(HCL))
    chosen = sorted(
        draw(st.sets(st.integers(0, len(matches) - 1), min_size=1, max_size=3)), reverse=True
    )
    text = HCL
    for index in chosen:
        m = matches[index]
        text = text[: m.start(2)] + draw(hcl_values) + text[m.end(2) :]
    return text.encode()


def scan_hcl(data: bytes) -> tuple[int, str, str]:
    with tempfile.TemporaryDirectory(prefix="fortress-fuzz-") as tmp:
        root = Path(tmp) / "project"
        root.mkdir()
        (root / "main.tf").write_bytes(data)
        return run_cli(["scan", str(root), "--format", "json", *AS_OF])


# ------------------------------------------------------------------ reads stay inside the root

OUTSIDE_REFS: dict[str, list[str]] = {
    "sam-yaml": ["CodeUri", "DefinitionUri", "ContentUri"],
    "cfn-yaml": ["Code", "TemplateURL"],
}


def outside_targets(tmp: Path) -> list[str]:
    canary = tmp / "canary.txt"
    return ["../canary.txt", str(canary), "../../" + canary.name, "../"]


@st.composite
def outside_refs(draw: st.DrawFn, fmt: str) -> tuple[Any, int]:
    doc = copy.deepcopy(DOCS[fmt])
    target_index = draw(st.integers(min_value=0, max_value=3))
    resources = doc.get("Resources") if isinstance(doc, dict) else None
    if isinstance(resources, dict):
        names = sorted(resources)
        name = draw(st.sampled_from(names))
        props = resources[name].setdefault("Properties", {})
        key = draw(st.sampled_from(OUTSIDE_REFS.get(fmt, ["CodeUri"])))
        props[key] = f"__OUTSIDE_{target_index}__"
        if draw(st.booleans()):
            doc["Resources"]["Included"] = {
                "Fn::Transform": {
                    "Name": "AWS::Include",
                    "Parameters": {"Location": f"__OUTSIDE_{target_index}__"},
                }
            }
    return doc, target_index


def outside_property(fmt: str) -> Any:
    _, name, how = FORMATS[fmt]

    @FUZZ
    @given(case=outside_refs(fmt))
    def prop(case: tuple[Any, int]) -> None:
        doc, index = case
        with tempfile.TemporaryDirectory(prefix="fortress-fuzz-") as tmp:
            fence = Path(tmp)
            (fence / "canary.txt").write_text("OUTSIDE-SECRET")
            root = fence / "project"
            root.mkdir()
            text = serialize(doc, how).replace(
                f"__OUTSIDE_{index}__", outside_targets(fence)[index]
            )
            (root / name).write_text(text)
            with ReadAudit().watching() as audit:
                code, out, err = run_cli(["scan", str(root), "--format", "json", *AS_OF])
            assert_input_error_path(code, err, f"{fmt} outside reference")
            assert audit.outside(root, fence) == []
            assert "OUTSIDE-SECRET" not in out + err

    return prop


@st.composite
def outside_hcl(draw: st.DrawFn) -> tuple[str, int]:
    call = draw(st.sampled_from(["file", "filebase64", "templatefile", "fileexists"]))
    index = draw(st.integers(min_value=0, max_value=2))
    arg = f'"__OUTSIDE_{index}__"' + (", {}" if call == "templatefile" else "")
    # the read lands in a function's environment, which rules and reports look at
    text = HCL.replace("    variables = {", f"    variables = {{\n      LEAK = {call}({arg})", 1)
    assert text != HCL
    return text, index
