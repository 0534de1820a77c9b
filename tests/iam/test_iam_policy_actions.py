"""iam.policy parsing and iam.actions catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from fortress.errors import FortressError
from fortress.iam.actions import (
    access_level,
    build_catalogue,
    catalogue,
    expand,
    expand_all,
)
from fortress.iam.policy import parse_policies, parse_policy
from fortress.inventory import Unknown


def test_statement_dict_and_strings_are_normalized() -> None:
    parsed = parse_policy(
        {
            "Statement": {
                "Sid": "One",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
                "Principal": {"AWS": ["111122223333", "arn:aws:iam::444455556666:root"]},
                "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}},
            }
        }
    )
    assert len(parsed.statements) == 1
    stmt = parsed.statements[0]
    assert stmt.is_allow and stmt.sid == "One"
    assert stmt.actions == ("s3:GetObject",)
    assert [p.value for p in stmt.principals] == ["111122223333", "arn:aws:iam::444455556666:root"]
    assert stmt.conditions_for("AWS:SOURCEACCOUNT")[0].values == ("111122223333",)
    assert not parsed.uncertain


def test_not_action_not_resource_and_principal_star() -> None:
    parsed = parse_policy(
        '{"Statement": [{"Effect": "Deny", "NotAction": ["iam:*"], "NotResource": "arn:x",'
        ' "Principal": "*"}]}'
    )
    stmt = parsed.statements[0]
    assert stmt.is_deny and stmt.not_action and stmt.not_resource
    assert stmt.principals[0].is_wildcard


def test_malformed_documents_do_not_raise() -> None:
    assert parse_policy("{not json").unknown is not None
    assert parse_policy(["a"]).unknown is not None
    parsed = parse_policy({"Statement": ["junk", {"Effect": "Allow", "Action": "s3:*"}]})
    assert len(parsed.statements) == 1
    assert any("not an object" in p for p in parsed.problems)
    odd = parse_policy({"Statement": [{"Effect": "Maybe", "Action": "s3:*"}]})
    assert odd.statements[0].effect_unknown and odd.uncertain


def test_unknown_values_are_kept_unknown() -> None:
    parsed = parse_policy(
        {"Statement": [{"Effect": "Allow", "Action": Unknown("param Actions"), "Resource": "*"}]}
    )
    stmt = parsed.statements[0]
    assert stmt.actions_unknown and parsed.uncertain
    assert parse_policy(Unknown("module output")).unknown == "module output"


def test_parse_policies_records_names() -> None:
    merged = parse_policies(
        [
            ("inline-a", {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
            ("broken", Unknown("not resolvable")),
        ]
    )
    assert merged.statements[0].label == "inline-a statement #1"
    assert merged.unknown is not None and "broken" in merged.unknown


def test_expand_patterns_case_insensitive() -> None:
    puts = expand("S3:put*")
    assert "s3:PutObject" in puts and "s3:GetObject" not in puts
    assert all(a.startswith("s3:Put") for a in puts)
    assert "iam:PassRole" in expand("iam:*")
    assert expand("iam:passrole") == frozenset({"iam:PassRole"})
    assert "ec2:DescribeVpcs" in expand("ec2:Describe?pcs")
    assert len(expand("*")) == len(catalogue()) > 15000
    # unknown literal actions are kept as written, unknown patterns expand to nothing
    assert expand("newsvc:DoThing") == frozenset({"newsvc:DoThing"})
    assert expand("newsvc:*") == frozenset()


def test_access_levels() -> None:
    assert access_level("s3:GetObject") == "Read"
    assert access_level("s3:ListAllMyBuckets") == "List"
    assert access_level("iam:PassRole") == "Permissions management"
    assert access_level("lambda:UpdateFunctionCode") == "Write"
    assert access_level("lambda:TagResource") == "Tagging"
    assert access_level("nope:Nothing") is None
    # policy_sentry's override file fixes levels AWS documents wrongly
    assert access_level("autoscaling:CreateAutoScalingGroup") == "Write"


def test_not_action_expansion() -> None:
    everything_but_iam = expand_all(["iam:*", "organizations:*"], not_action=True)
    assert "iam:PassRole" not in everything_but_iam
    assert "s3:GetObject" in everything_but_iam
    assert len(everything_but_iam) == len(catalogue()) - len(
        expand_all(["iam:*", "organizations:*"])
    )


def test_catalogue_builds_from_the_dataset(tmp_path: Path) -> None:
    # Its speed is measured by the benchmarks (bench/), never by a timed assertion here.
    definition, overrides = __import__(
        "fortress.iam.actions", fromlist=["_datastore_paths"]
    )._datastore_paths()
    built = build_catalogue(definition, overrides)
    assert len(built) > 15000


def test_broken_catalogue_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "iam-definition.json"
    bad.write_text("{oops")
    with pytest.raises(FortressError, match=r"iam-definition\.json"):
        build_catalogue(bad)
