"""Fortress rules."""
