"""Fortress response."""
