"""Fortress report."""
