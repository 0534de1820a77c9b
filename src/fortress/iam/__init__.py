"""Fortress iam."""
