"""Fortress forensics."""
