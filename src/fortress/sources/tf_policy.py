"""``data "aws_iam_policy_document"`` → the JSON policy it renders (statement blocks, principals,
conditions, and the source/override documents it merges by ``Sid``), from any :class:`Obj`.
"""

from __future__ import annotations

import json
from typing import Any

from fortress.inventory import Unknown
from fortress.sources.tf_attrs import Obj
from fortress.sources.tf_values import JsonDoc, plain_value, to_str


def policy_document(doc: Obj) -> dict[str, Any]:
    """``data "aws_iam_policy_document"``: statement blocks (and source/override documents)."""
    statements: list[Any] = []
    for key in ("source_policy_documents", "source_json"):
        sources = doc.get(key)
        for src in sources if isinstance(sources, list) else [sources]:
            statements.extend(_statements_of(src))
    own: list[Any] = []
    blocks = doc.blocks("statement")
    if isinstance(blocks, Unknown):
        own.append(blocks)
    else:
        for st in blocks:
            own.append(_statement(st))
    for st in own:
        sid = st.get("Sid") if isinstance(st, dict) else None
        if sid:
            statements = [
                s for s in statements if not (isinstance(s, dict) and s.get("Sid") == sid)
            ]
        statements.append(st)
    overrides = doc.get("override_policy_documents")
    for src in overrides if isinstance(overrides, list) else [overrides]:
        for st in _statements_of(src):
            sid = st.get("Sid") if isinstance(st, dict) else None
            if sid:
                statements = [
                    s for s in statements if not (isinstance(s, dict) and s.get("Sid") == sid)
                ]
            statements.append(st)
    version = doc.get("version")
    return {
        "Version": version if isinstance(version, str) else "2012-10-17",
        "Statement": statements,
    }


def _statements_of(src: Any) -> list[Any]:
    if src is None:
        return []
    if isinstance(src, JsonDoc):
        value = src.value
    elif isinstance(src, str):
        try:
            value = json.loads(src)
        except ValueError:
            return [Unknown("a source policy document is not valid JSON")]
    else:
        return [
            src if isinstance(src, Unknown) else Unknown("a source policy document is not known")
        ]
    stmts = value.get("Statement", []) if isinstance(value, dict) else []
    return stmts if isinstance(stmts, list) else [stmts]


def _statement(st: Obj) -> dict[str, Any]:
    out: dict[str, Any] = {}
    sid = st.get("sid")
    if sid is not None:
        out["Sid"] = sid
    effect = st.get("effect")
    out["Effect"] = "Allow" if effect is None else effect
    for key, name in (
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ):
        value = st.get(key)
        if value is not None:
            out[name] = plain_value(value)
    for key, name in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        blocks = st.blocks(key)
        if isinstance(blocks, Unknown):
            out[name] = blocks
            continue
        if not blocks:
            continue
        principal: dict[str, Any] = {}
        star = False
        for p in blocks:
            ptype = to_str(p.get("type"))
            ids = plain_value(p.get("identifiers"))
            if ptype == "*" or (ptype == "AWS" and ids == ["*"]):
                star = True
                continue
            if isinstance(ptype, Unknown):
                principal["AWS"] = ptype
                continue
            existing = principal.setdefault(ptype, [])
            if isinstance(ids, list):
                existing.extend(ids)
            else:
                existing.append(ids)
        out[name] = "*" if star and not principal else principal
        if star and principal:
            principal.setdefault("AWS", []).append("*")
    conditions = st.blocks("condition")
    if isinstance(conditions, Unknown):
        out["Condition"] = conditions
    elif conditions:
        cond: dict[str, Any] = {}
        for c in conditions:
            test, variable = to_str(c.get("test")), to_str(c.get("variable"))
            if isinstance(test, Unknown) or isinstance(variable, Unknown):
                cond.setdefault("Unknown", {})["?"] = "${unknown}"
                continue
            cond.setdefault(test, {})[variable] = plain_value(c.get("values"))
        out["Condition"] = cond
    return out
