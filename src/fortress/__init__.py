"""Fortress: secure AWS Lambda workloads end to end."""

__version__ = "0.1.0"
TOOL_NAME = "fortress"
