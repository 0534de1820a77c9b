"""Fuzzing `fortress scan` on Serverless and Terraform HCL: wrong types, nesting and sizes,
encodings and broken bytes (file functions pointing outside: ``test_fuzz_outside.py``).
Strategies: ``iac_fuzz``; settings: ``fuzz_support``."""

from __future__ import annotations

from fuzz_support import FUZZ, assert_input_error_path
from hypothesis import given
from iac_fuzz import (
    HCL,
    bytes_property,
    mangled_bytes,
    mutated_hcl,
    scan_hcl,
    structure_property,
)

test_types_serverless = structure_property("serverless")
test_bytes_serverless = bytes_property("serverless")


@FUZZ
@given(data=mutated_hcl())
def test_types_terraform(data: bytes) -> None:
    code, _, err = scan_hcl(data)
    assert_input_error_path(code, err, "terraform main.tf mutated")


@FUZZ
@given(data=mangled_bytes(HCL))
def test_bytes_terraform(data: bytes) -> None:
    code, _, err = scan_hcl(data)
    assert_input_error_path(code, err, "terraform main.tf bytes")
