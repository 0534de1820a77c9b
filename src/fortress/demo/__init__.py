"""Fortress demo."""
