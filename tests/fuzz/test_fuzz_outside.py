"""Reads stay inside the scanned root: mutated SAM, CloudFormation and Terraform fixtures that
name files outside the folder (``CodeUri``, ``AWS::Include``, ``file()``, ``templatefile()``).
An audit hook records every file opened for reading; a read outside the root, or the outside
file's content in the report, fails the property. Strategies: ``iac_fuzz``."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fuzz_support import FUZZ, ReadAudit, assert_input_error_path, run_cli
from hypothesis import given
from iac_fuzz import AS_OF, outside_hcl, outside_property, outside_targets

test_reads_stay_inside_sam = outside_property("sam-yaml")
test_reads_stay_inside_cfn = outside_property("cfn-yaml")


@FUZZ
@given(case=outside_hcl())
def test_reads_stay_inside_terraform(case: tuple[str, int]) -> None:
    text, index = case
    with tempfile.TemporaryDirectory(prefix="fortress-fuzz-") as tmp:
        fence = Path(tmp)
        (fence / "canary.txt").write_text("OUTSIDE-SECRET")
        root = fence / "project"
        root.mkdir()
        (root / "main.tf").write_text(
            text.replace(f"__OUTSIDE_{index}__", outside_targets(fence)[index])
        )
        with ReadAudit().watching() as audit:
            code, out, err = run_cli(["scan", str(root), "--format", "json", *AS_OF])
        assert_input_error_path(code, err, "terraform outside reference")
        assert audit.outside(root, fence) == []
        assert "OUTSIDE-SECRET" not in out + err
