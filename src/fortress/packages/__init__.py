"""Fortress packages."""
