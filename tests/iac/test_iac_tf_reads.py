"""Reads stay inside: `file()`, `templatefile()`, `fileexists()` and the file hashes read only
regular files inside the scanned folder, up to a size cap; anything else is unknown with the
reason and never read (no content in any report). Non-UTF-8 or non-regular .tf files are one
clear input error naming the file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fortress.cli import main
from fortress.errors import InputError
from fortress.inventory import NOTE_GAP, Function, Unknown
from fortress.sources import terraform, terraform_plan
from fortress.sources.tf_files import MAX_FILE_BYTES

CANARY = "fortress-canary-4f1d9a"  # in this process's environment: /proc/self/environ has it

HOSTILE = """
resource "aws_lambda_function" "f" {
  function_name = "reads"
  runtime       = "python3.12"
  handler       = "app.handler"
  environment {
    variables = {
      ENVIRON = file("/proc/self/environ")
      PASSWD  = file("../../../../../../../../etc/passwd")
      ABS     = file("/etc/passwd")
      ZERO    = file("zero")
      FIFO    = file("fifo")
      LINK    = file("link")
      TPL     = templatefile("link", {})
      EXISTS  = fileexists("/etc/passwd") ? "yes" : "no"
      HASH    = filebase64sha256("link")
      BIG     = file("big.txt")
      DIR     = file("sub")
      OK      = file("ok.txt")
      RENDER  = templatefile("${path.module}/greet.tpl", { names = ["ann", "bob"], loud = true })
    }
  }
}
"""


@pytest.fixture()
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FORTRESS_TEST_CANARY", CANARY)
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text(HOSTILE)
    os.symlink("/dev/zero", root / "zero")
    os.mkfifo(root / "fifo")
    os.symlink("/etc/passwd", root / "link")
    (root / "big.txt").write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    (root / "sub").mkdir()
    (root / "ok.txt").write_text("inside")
    (root / "greet.tpl").write_text(
        "%{ for n in names ~}\nhi ${loud ? upper(n) : n}\n%{ endfor ~}\n"
    )
    return root


def _env(fn: Function) -> dict[str, object]:
    return {e.name: e.value for e in fn.environment}


def test_reads_outside_or_of_non_regular_files_are_unknown(hostile: Path) -> None:
    env = _env(terraform.load(hostile).functions[0])
    expected = {
        "ENVIRON": "outside the scanned folder",
        "PASSWD": "outside the scanned folder",
        "ABS": "outside the scanned folder",
        "ZERO": "outside the scanned folder",  # the link resolves to /dev/zero
        "FIFO": "not a regular file",
        "LINK": "outside the scanned folder",
        "TPL": "outside the scanned folder",
        "EXISTS": "outside the scanned folder",
        "HASH": "outside the scanned folder",
        "BIG": f"larger than {MAX_FILE_BYTES} bytes",
        "DIR": "not a regular file",
    }
    for name, reason in expected.items():
        value = env[name]
        assert isinstance(value, Unknown), (name, value)
        assert reason in value.reason and "not read" in value.reason, (name, value.reason)
    assert env["OK"] == "inside"
    assert env["RENDER"] == "hi ANN\nhi BOB\n"


def test_each_refused_read_is_a_gap_note_at_its_line(hostile: Path) -> None:
    notes = terraform.load(hostile).notes
    assert {n.kind for n in notes} == {NOTE_GAP}
    assert {n.file for n in notes} == {str(hostile / "main.tf")}
    by_subject = {n.subject: (n.line, n.message) for n in notes}
    assert by_subject['file("/proc/self/environ")'] == (
        8,
        "not read: the file is outside the scanned folder",
    )
    assert by_subject['file("fifo")'] == (12, "not read: the file is not a regular file")
    assert by_subject['templatefile("link")'][0] == 14
    assert len(notes) == 11  # one per refused read; ok.txt and greet.tpl were read


def test_symlink_to_a_device_inside_the_root_is_not_read(tmp_path: Path) -> None:
    """A device reached through a path that stays inside: refused by type, not by place."""
    root = tmp_path / "root"
    root.mkdir()
    os.mkfifo(root / "pipe")
    os.symlink("pipe", root / "alias")
    (root / "main.tf").write_text(
        'resource "aws_lambda_function" "f" {\n  function_name = "f"\n'
        '  handler = file("alias")\n}\n'
    )
    fn = terraform.load(root).functions[0]
    assert isinstance(fn.handler, Unknown)
    assert "not a regular file" in fn.handler.reason


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_scan_finishes_and_reports_no_content(
    hostile: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    code = main(["scan", str(hostile), "--format", fmt, "--as-of", "2026-12-01"])
    out, err = capsys.readouterr()
    assert code == 3  # what was not read is a coverage gap, never clean
    json.loads(out)
    passwd = Path("/etc/passwd").read_text().splitlines()[0]
    for secret in (CANARY, passwd, "root:x:0:0"):
        assert secret not in out and secret not in err
    assert "Traceback" not in err


def test_non_utf8_tf_file_is_one_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "main.tf"
    bad.write_bytes(b'resource "aws_lambda_function" "f" {\n  description = "caf\xe9"\n}\n')
    with pytest.raises(InputError) as info:
        terraform.load(tmp_path)
    assert info.value.file == str(bad) and info.value.line == 2
    assert "not UTF-8" in info.value.message
    code = main(["scan", str(tmp_path)])
    _, err = capsys.readouterr()
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith(f"fortress: error: {bad}:2: not UTF-8") and "Traceback" not in err


def test_a_tf_file_that_is_a_fifo_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_lambda_function" "f" {}\n')
    os.mkfifo(tmp_path / "extra.tf")
    with pytest.raises(InputError) as info:
        terraform.load(tmp_path)
    assert info.value.file == str(tmp_path / "extra.tf")
    assert "not a regular file" in info.value.message


def test_non_utf8_plan_is_one_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "plan.json"
    bad.write_bytes(b'{"format_version": "1.2", "planned_values": {"x": "\xff"}}')
    with pytest.raises(InputError) as info:
        terraform_plan.load(bad)
    assert info.value.file == str(bad) and "UTF-8" in info.value.message
