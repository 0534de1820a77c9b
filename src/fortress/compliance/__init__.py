"""Fortress compliance."""
