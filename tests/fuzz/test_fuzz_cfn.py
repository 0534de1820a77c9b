"""Fuzzing `fortress scan` on CloudFormation and SAM (YAML and JSON): wrong types, nesting and
sizes at the fields the sources read, encodings and broken bytes, and references to files
outside the scanned folder. Strategies: ``iac_fuzz``; settings: ``fuzz_support``."""

from __future__ import annotations

from iac_fuzz import bytes_property, outside_property, structure_property

test_types_cfn_yaml = structure_property("cfn-yaml")
test_types_cfn_json = structure_property("cfn-json")
test_types_sam_yaml = structure_property("sam-yaml")
test_types_sam_json = structure_property("sam-json")

test_bytes_cfn_yaml = bytes_property("cfn-yaml")
test_bytes_cfn_json = bytes_property("cfn-json")
test_bytes_sam_yaml = bytes_property("sam-yaml")

test_reads_stay_inside_sam = outside_property("sam-yaml")
test_reads_stay_inside_cfn = outside_property("cfn-yaml")
