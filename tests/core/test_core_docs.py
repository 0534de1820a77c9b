"""The README tells the truth: its rule table is the catalogue, its first commands are make targets."""

from __future__ import annotations

from pathlib import Path

from fortress.tools.readme_rules import update

ROOT = Path(__file__).parents[2]


def test_readme_rule_table_is_generated_from_the_catalogue() -> None:
    text = (ROOT / "README.md").read_text()
    assert update(text) == text, "run `make rules-doc`"


def test_readme_opens_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    block = lines[lines.index("```sh") + 1 : lines.index("```", lines.index("```sh") + 1)]
    assert [line.split()[0:2] for line in block] == [["make", "demo"], ["make", "test"]]
    makefile = (ROOT / "Makefile").read_text()
    assert "\ndemo:" in makefile and "\ntest:" in makefile
