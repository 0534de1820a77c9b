"""Terraform's expression language as Terraform evaluates it: operators, conditionals, for
expressions, splats, templates with directives, the built-in functions, and unknowns whose
reasons name what was not evaluated (never a Python repr)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from fortress.inventory import Unknown
from fortress.rules import engine
from fortress.sources import terraform
from fortress.sources.hcl import parse_bytes
from fortress.sources.tf_expr import Evaluator
from fortress.sources.tf_values import Computed, Invalid

FIXTURES = Path(__file__).parent / "fixtures"

NAMES: dict[str, Any] = {
    "l": ["a", "b", "c"],
    "m": {"b": 2, "a": 1},
    "objs": [{"id": "x", "n": 1}, {"id": "y", "n": 2}],
    "nested": [["a"], ["b", ["c"]]],
    "flag": True,
    "later": Computed("aws_lambda_function.f.arn is not known before apply", ref="x.arn"),
}


def _eval(source: str) -> Any:
    body = parse_bytes(f"x = {source}\n".encode(), "t.tf")
    ev = Evaluator(lambda n: NAMES.get(n, Invalid(f"{n} is not declared")), FIXTURES)
    return ev.eval(body.attrs["x"].expr)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # comparison and logic
        ('"a" == "a"', True),
        ('"a" != "a"', False),
        ("1 == 1.0", True),
        ('true == "true"', False),
        ("[1, 2] == [1, 2]", True),
        ("!flag", False),
        ("!flag || 2 > 1", True),
        ("flag && 1 >= 2", False),
        ("3 <= 3 && 2 < 3 && 4 > 3", True),
        ('length(l) == 3 && !contains(l, "z")', True),
        # arithmetic, precedence, parentheses, operands with attributes and indexes
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 % 4 - 1", 1),
        ("-m.a + m.b", 1),
        ("objs[1].n * 10", 20),
        ("length(l) - 1", 2),
        # conditionals
        ('flag ? "on" : "off"', "on"),
        ('m.a == 2 ? "two" : m.b == 2 ? "b-two" : "none"', "b-two"),
        # for expressions and splats
        ('[for s in l : upper(s) if s != "b"]', ["A", "C"]),
        ("{ for k, v in m : k => v * 10 }", {"a": 10, "b": 20}),
        ("{ for o in objs : o.id => o.n... }", {"x": [1], "y": [2]}),
        ('[for i, s in l : "${i}${s}"]', ["0a", "1b", "2c"]),
        ("objs[*].id", ["x", "y"]),
        ("objs.*.n", [1, 2]),
        ("m.a[*]", [1]),
        ("null[*]", []),
        # templates and directives
        ('"%{ if flag }yes%{ else }no%{ endif }"', "yes"),
        ('"%{ for s in l }<${s}>%{ endfor }"', "<a><b><c>"),
        ('"%{ for k, v in m ~} ${k}=${v} %{~ endfor }"', "a=1b=2"),
        ('"%{ for s in l }%{ if s != "b" }${s}%{ endif }%{ endfor }"', "ac"),
        ("<<EOT\n%{ for s in l ~}\n- ${s}\n%{ endfor ~}\nEOT\n", "- a\n- b\n- c\n"),
        # functions
        ('try(m.missing, "fallback")', "fallback"),
        ("try(objs[5].id, objs[0].id)", "x"),
        ("can(m.missing)", False),
        ("can(m.a)", True),
        ('coalesce(null, "", "z")', "z"),
        ('lookup(m, "a", 0)', 1),
        ('lookup(m, "zz", "dflt")', "dflt"),
        ("merge(m, { c = 3 })", {"b": 2, "a": 1, "c": 3}),
        ('concat(l, ["d"])', ["a", "b", "c", "d"]),
        ("length(m)", 2),
        ('contains(l, "b")', True),
        ('format("%s-%03d-%.1f-%t-%q", "f", 7, 2.25, true, "x")', 'f-007-2.2-true-"x"'),
        ("element(l, 4)", "b"),
        ("keys(m)", ["a", "b"]),
        ("values(m)", [1, 2]),
        ("tostring(12)", "12"),
        ("tolist(l)", ["a", "b", "c"]),
        ('toset(["b", "a", "b"])', ["b", "a"]),
        ("flatten(nested)", ["a", "b", "c"]),
        ('distinct(["a", "a", "b"])', ["a", "b"]),
        ('compact(["a", "", null, "b"])', ["a", "b"]),
        ('replace("a-b-c", "-", "_")', "a_b_c"),
        ('replace("v1.2.3", "/v(\\\\d+).*/", "$1")', "1"),
        ('lower("AbC")', "abc"),
        ('upper("abc")', "ABC"),
        ('join("/", l)', "a/b/c"),
        ('split(",", "a,b")', ["a", "b"]),
        ('jsondecode("{\\"a\\": [1]}").a[0]', 1),
    ],
)
def test_expressions(source: str, expected: Any) -> None:
    assert _eval(source) == expected


@pytest.mark.parametrize(
    ("source", "reason_has"),
    [
        ('templatefile("missing.tpl", {}) == ""', "missing.tpl"),
        ('cidrsubnet("10.0.0.0/16", 8, 1)', "function `cidrsubnet` is not evaluated"),
        ('provider::aws::arn_parse("x")', "function `provider::aws::arn_parse`"),
        ('later == "x"', "aws_lambda_function.f.arn"),
        ('later != "" ? "NONE" : "AWS_IAM"', "condition is not known"),
        ('"%{ if later == "a" }x%{ endif }"', "%{ if } condition is not known"),
        ('"%{ for s in later }x%{ endfor }"', "%{ for } collection is not known"),
        ("[for s in later : s]", "aws_lambda_function.f.arn"),
        ("undeclared.thing", "undeclared is not declared"),
    ],
)
def test_unknowns_name_what_is_not_known(source: str, reason_has: str) -> None:
    value = _eval(source)
    assert isinstance(value, Unknown), value
    assert reason_has in value.reason


def test_try_returns_unknown_for_a_value_known_only_after_apply() -> None:
    # An error falls through to the next argument; a value pending apply does not (Terraform).
    value = _eval('try(later, "AWS_IAM")')
    assert isinstance(value, Computed)
    assert isinstance(_eval("can(later)"), Unknown)
    assert _eval('try(m.nope, later, "x")') == NAMES["later"]


def test_unknown_condition_with_equal_branches_is_known() -> None:
    assert _eval('later == "a" ? "same" : "same"') == "same"
    assert isinstance(_eval('later == "a" ? "one" : "other"'), Unknown)


def test_logic_with_one_known_side() -> None:
    assert _eval('later == "a" && false') is False
    assert _eval('later == "a" || true') is True
    assert isinstance(_eval('later == "a" && true'), Unknown)


# --------------------------------------------------------------------------- reasons


_REPR_MARKS = ("object at 0x", "<fortress", "Unknown(", "Computed(", "Invalid(", "<bound ")


def _reasons(value: Any, seen: set[int] | None = None) -> list[str]:
    """Every Unknown reason anywhere inside an inventory object."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, Unknown):
        return [value.reason]
    out: list[str] = []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            out.extend(_reasons(getattr(value, f.name), seen))
    elif isinstance(value, dict):
        for k, v in value.items():
            out.extend(_reasons(k, seen) + _reasons(v, seen))
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            out.extend(_reasons(item, seen))
    return out


def _terraform_folders() -> list[Path]:
    folders = {
        tf.parent
        for tf in FIXTURES.rglob("*.tf")
        if ".terraform" not in tf.parts
        and (tf.parent.parent.name != "modules" and tf.parent.name != "mod")
    }
    return sorted(folders)


def test_no_python_repr_in_any_reason_or_message() -> None:
    folders = _terraform_folders()
    assert len(folders) >= 9  # every Terraform fixture, including the new ones
    checked = 0
    for folder in folders:
        inventory = terraform.load(folder)
        texts = _reasons(inventory)
        texts += [n.message + " " + n.subject for n in inventory.notes]
        findings = engine.evaluate(inventory, engine.all_rules())
        texts += [f.message for f in findings]
        for text in texts:
            assert not any(mark in text for mark in _REPR_MARKS), (folder, text)
        checked += len(texts)
    assert checked > 500


def test_wrong_types_are_named_in_terraform_words() -> None:
    inv = terraform.load(FIXTURES / "terraform" / "oddtypes")
    reasons = set(_reasons(inv))
    assert "aws_iam_role.r is given where a number is expected" in reasons
    assert "an object is given where a string is expected" in reasons
    assert "function `cidrsubnet` is not evaluated" in reasons
    (fn,) = inv.functions
    (url,) = fn.urls
    assert isinstance(url.auth_type, Unknown)
    assert "aws_lambda_function.odd" in url.auth_type.reason  # the object given, not "not set"
