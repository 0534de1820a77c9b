"""Malformed Sigma files are skipped and listed with their reason; the hunt runs the others."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from ftr_detection_events import CLI_UA, iam_user, update_code

from fortress.cli import main
from fortress.detection import sigma
from fortress.detection.hunt import HuntRequest, hunt

GOOD = Path(__file__).parent / "fixtures" / "sigma" / "aws_lambda_code_update.yml"
HEAD = "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\n"

MALFORMED: dict[str, tuple[bytes, str]] = {
    "not-yaml": (b"title: x\n  bad: [unclosed\n\t: -", "cannot parse: not YAML"),
    "a-list": (b"- a\n- b\n", "a YAML document is a list, not a mapping"),
    "a-scalar": (b"42\n", "a YAML document is a int, not a mapping"),
    "empty": (b"\n", "no Sigma rule in the file"),
    "no-detection": (HEAD.encode(), "invalid rule: Sigma rule must have a detection"),
    "unknown-modifier": (
        (HEAD + "detection:\n  sel:\n    eventName|bogus: x\n  condition: sel\n").encode(),
        "invalid rule: Unknown modifier 'bogus'",
    ),
    "bad-condition": (
        (HEAD + "detection:\n  sel:\n    eventName: x\n  condition: sel and and (\n").encode(),
        "invalid rule: Expected end of text",
    ),
    "undefined-condition": (
        (HEAD + "detection:\n  sel:\n    eventName: x\n  condition: nosuch\n").encode(),
        "invalid rule: Detection 'nosuch' not defined",
    ),
    "wrong-types": (b"title: [1, 2]\nlogsource: 5\ndetection: x\n", "invalid rule:"),
    "binary": (bytes(range(256)) * 8, "cannot parse: not UTF-8 text"),
    "huge": (
        (HEAD + "description: " + "a" * (2 * 1024 * 1024) + "\n").encode(),
        "Sigma file is larger than the 1 MB cap; not read",
    ),
    "deep": (b"a: " + b"[" * 50_000 + b"]" * 50_000 + b"\n", "cannot parse"),
}


@pytest.mark.parametrize("form", sorted(MALFORMED))
def test_malformed_sigma_file_is_skipped_with_its_reason(tmp_path: Path, form: str) -> None:
    content, reason = MALFORMED[form]
    shutil.copy(GOOD, tmp_path / "good.yml")
    (tmp_path / f"{form}.yml").write_bytes(content)
    compiled, skipped = sigma.load_rules([str(tmp_path)])
    assert [c.title for c in compiled] == ["AWS Lambda Function Code Updated"]
    [skip] = skipped
    assert skip.file == str(tmp_path / f"{form}.yml")
    assert reason in skip.reason


def test_fifo_in_a_sigma_folder_is_skipped_not_waited_on(tmp_path: Path) -> None:
    shutil.copy(GOOD, tmp_path / "good.yml")
    os.mkfifo(tmp_path / "pipe.yml")
    compiled, skipped = sigma.load_rules([str(tmp_path)])
    assert len(compiled) == 1
    assert [(s.file, s.reason) for s in skipped] == [
        (str(tmp_path / "pipe.yml"), "a FIFO (named pipe), not a regular file; not read")
    ]


def test_hunt_goes_on_with_the_good_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(GOOD, rules / "good.yml")
    for form, (content, _) in MALFORMED.items():
        (rules / f"{form}.yml").write_bytes(content)
    trail = tmp_path / "t.jsonl"
    trail.write_text(json.dumps(update_code("orders", iam_user(), ua=CLI_UA)) + "\n")
    result = hunt(HuntRequest(paths=[str(trail)], sigma_paths=[str(rules)], builtin=False))
    assert [d.title for d in result.detections] == ["AWS Lambda Function Code Updated"]
    assert len(result.sigma_skipped) == len(MALFORMED)
    code = main(["hunt", str(trail), "--sigma", str(rules), "--no-builtin"])
    err = capsys.readouterr().err
    assert code == 3  # the good rule's detection is reported, but the hunt is incomplete
    assert err.count("fortress: sigma rule skipped") == len(MALFORMED)
    assert "internal error" not in err
