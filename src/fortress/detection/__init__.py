"""Fortress detection."""
