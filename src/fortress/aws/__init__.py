"""The one AWS access layer: sessions, credentials, regions, retries, endpoints, coverage gaps.

Sources, packages, forensics, detection, response and the demo talk to AWS only through
:class:`fortress.aws.client.AwsClient`.
"""

from fortress.aws.client import AwsCallError, AwsClient, AwsOptions, Outcome, iam_action

__all__ = ["AwsCallError", "AwsClient", "AwsOptions", "Outcome", "iam_action"]
