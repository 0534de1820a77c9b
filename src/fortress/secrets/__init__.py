"""Fortress secrets."""
