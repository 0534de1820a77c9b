"""The CI integrations: the pre-commit hook runs, the GitHub Action has the shape it needs."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import yaml

from fortress.cli import main

ROOT = Path(__file__).parents[2]
TEMPLATE = ROOT / "tests" / "iac" / "fixtures" / "sam" / "vulnerable.yaml"
HARDENED = ROOT / "tests" / "iac" / "fixtures" / "sam" / "hardened.yaml"


def _hook() -> dict[str, Any]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(hooks, list) and len(hooks) == 1
    hook: dict[str, Any] = hooks[0]
    return hook


def test_pre_commit_hook_scans_the_changed_iac_files(tmp_path: Path, capsys: Any) -> None:
    hook = _hook()
    assert hook["id"] == "fortress-iac" and hook["language"] == "python"
    assert hook["pass_filenames"] is True
    entry = shlex.split(hook["entry"])
    assert entry[:2] == ["fortress", "scan"]
    # pre-commit passes every changed file matching `files`; non-IaC ones are ignored.
    notes = tmp_path / "notes.yaml"
    notes.write_text("just: notes\n")
    tf = tmp_path / "infra" / "main.tf"
    tf.parent.mkdir()
    tf.write_text('resource "aws_sqs_queue" "q" {}\n')
    changed = [str(notes), str(TEMPLATE), str(tf)]
    assert main([*entry[1:], "--no-config", *changed]) == 1  # the vulnerable template fails
    assert main([*entry[1:], "--no-config", str(notes)]) == 0  # nothing to scan: clean
    assert "no IaC files" in capsys.readouterr().err


def test_github_action_scans_and_uploads_sarif() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    uploads = [
        s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")
    ]
    assert len(uploads) == 1
    assert uploads[0]["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    scan = next(s for s in steps if s.get("id") == "scan")
    assert "fortress scan" in scan["run"] and "--format sarif" in scan["run"]
    install = " ".join(s.get("run", "") for s in steps)
    assert "requirements.lock" in install  # the locked dependencies, as `make` installs them
    assert set(action["inputs"]) >= {"path", "fail-on", "args", "sarif-file", "upload-sarif"}
