"""Fortress sources."""
