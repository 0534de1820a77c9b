"""Each command's parser comes from the module ``cli.COMMANDS`` names, and a run builds only
its own: a run of one command does not import the others' dependencies."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from fortress import cli

FIXTURES = Path(__file__).parents[1] / "iac" / "fixtures"


def _registered(module: str) -> list[str]:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    importlib.import_module(module).register(sub)
    return list(sub.choices)


def test_the_command_map_matches_what_the_modules_register() -> None:
    registered = {name: m for m in cli.COMMAND_MODULES for name in _registered(m)}
    assert registered == cli.COMMANDS


def test_a_known_command_builds_only_its_parser_and_help_builds_all() -> None:
    parser = cli.build_parser(["hunt", "--help"])
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(sub.choices) == ["hunt"]
    everything = cli.build_parser(["--help"])
    (sub,) = (a for a in everything._actions if isinstance(a, argparse._SubParsersAction))
    assert list(sub.choices) == list(cli.COMMANDS)


@pytest.mark.parametrize(
    ("argv", "absent"),
    [
        (["hunt", "--help"], ("fortress.forensics.bundle", "fortress.response.model")),
        (["scan", "--help"], ("fortress.forensics.bundle", "fortress.detection.sql")),
        # A scan imports only the IaC sources it loads (detection imported all of them).
        (
            ["scan", str(FIXTURES / "sam" / "vulnerable.yaml"), "--format", "json"],
            ("fortress.sources.terraform", "fortress.sources.hcl", "fortress.sources.serverless"),
        ),
        (
            ["scan", str(FIXTURES / "sam"), "--format", "json"],
            ("fortress.sources.terraform", "fortress.sources.serverless", "fortress.sources.hcl"),
        ),
        (
            ["scan", str(FIXTURES / "terraform" / "basic"), "--format", "json"],
            ("fortress.sources.cloudformation", "fortress.sources.serverless"),
        ),
    ],
)
def test_a_run_imports_only_what_its_command_needs(
    argv: list[str], absent: tuple[str, ...]
) -> None:
    probe = (
        "import sys\n"
        "from fortress import cli\n"
        "try:\n"
        f"    cli.main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('IMPORTED:' + ','.join(m for m in {absent!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert "Traceback" not in out
    (line,) = [x for x in out.splitlines() if x.startswith("IMPORTED:")]
    assert line == "IMPORTED:"


def test_an_unknown_command_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["scna"])
    err = capsys.readouterr().err
    assert "invalid choice: 'scna'" in err and "respond" in err and "vulndb" in err


def test_a_template_whose_code_is_not_built_imports_no_analysers_or_osv(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: build/}\n"
    )
    probe = (
        "import sys\n"
        "from fortress import cli\n"
        "try:\n"
        f"    cli.main(['scan', {str(template)!r}, '--format', 'json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "gone = ('fortress.packages.analyse', 'fortress.packages.osv')\n"
        "print('ANALYSE:' + str(any(m in sys.modules for m in gone)))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "does not exist (not built yet?)" in run.stderr  # the warning still says so
    assert "ANALYSE:False" in run.stdout
