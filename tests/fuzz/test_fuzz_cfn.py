"""Fuzzing `fortress scan` on CloudFormation and SAM (YAML and JSON): wrong types, nesting and
sizes at the fields the sources read, encodings and broken bytes. References to files
outside the folder: ``test_fuzz_outside.py``. Strategies: ``iac_fuzz``; settings: ``fuzz_support``."""

from __future__ import annotations

from iac_fuzz import bytes_property, structure_property

test_types_cfn_yaml = structure_property("cfn-yaml")
test_types_cfn_json = structure_property("cfn-json")
test_types_sam_yaml = structure_property("sam-yaml")
test_types_sam_json = structure_property("sam-json")

test_bytes_cfn_yaml = bytes_property("cfn-yaml")
test_bytes_cfn_json = bytes_property("cfn-json")
test_bytes_sam_yaml = bytes_property("sam-yaml")
