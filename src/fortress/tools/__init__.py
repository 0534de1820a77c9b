"""Maintenance tools for the project itself (not part of the user-facing CLI)."""
