"""A rule that trips on a wrong-typed value (a template can put anything anywhere) yields an
UNKNOWN finding with the reason; the other rules and objects are still evaluated."""

from __future__ import annotations

import dataclasses

from fortress.findings import Status
from fortress.inventory import Function, Inventory, LayerRef, Origin
from fortress.rules import engine

ORIGIN = Origin(source="cloudformation", file="t.yaml", line=1)


def _fn(name: str, **kw: object) -> Function:
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
    return Function(name=name, arn=arn, origin=ORIGIN, **kw)  # type: ignore[arg-type]


def test_wrong_typed_value_makes_the_verdict_unknown_not_a_crash() -> None:
    base = engine.get_rule("FTR-CODE-003")

    def picky(fn: Function, ctx: engine.Context) -> engine.Verdict:
        return engine.Verdict.passed(str(len(fn.layers[0].arn)))  # type: ignore[arg-type]

    rule = dataclasses.replace(base, func=picky)
    inventory = Inventory(
        functions=[_fn("odd", layers=[LayerRef(7)]), _fn("fine", layers=[LayerRef("abc")])]  # type: ignore[arg-type]
    )
    findings = {f.resource.id.rsplit(":", 1)[-1]: f for f in engine.evaluate(inventory, [rule])}
    assert findings["odd"].status is Status.UNKNOWN
    assert "cannot evaluate: a value of an unexpected type (TypeError" in findings["odd"].message
    assert findings["fine"].status is Status.PASS
