"""The one AWS access layer: sessions, credentials, regions, retries, endpoints, coverage gaps.

Sources, packages, forensics, detection, response and the demo talk to AWS only through
:class:`fortress.aws.client.AwsClient`.
"""

from fortress.aws.client import AwsClient, AwsOptions, Outcome

__all__ = ["AwsClient", "AwsOptions", "Outcome"]
