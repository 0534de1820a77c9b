"""acquire without --cloudtrail reads the LookupEvents API (stubbed: the emulator lacks it)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.stub import Stubber

from fortress.aws.client import AwsClient, AwsOptions
from fortress.forensics.acquire import AcquireOptions, acquire

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def _event(name: str, function: str, event_id: str) -> dict[str, Any]:
    record = {
        "eventVersion": "1.09",
        "eventTime": "2026-11-26T13:20:00Z",
        "eventSource": "lambda.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.77",
        "userAgent": "aws-cli/2.15.30",
        "userIdentity": {
            "type": "IAMUser",
            "arn": "arn:aws:iam::123456789012:user/dana",
            "userName": "dana",
        },
        "requestParameters": {"functionName": function},
        "eventID": event_id,
    }
    return {
        "EventId": event_id,
        "EventName": name,
        "EventTime": datetime(2026, 11, 26, 13, 20, tzinfo=UTC),
        "EventSource": "lambda.amazonaws.com",
        "CloudTrailEvent": json.dumps(record),
    }


def test_lookup_events_pages_are_filtered_to_the_function(
    client: Any, aws: str, tmp_path: Path
) -> None:
    role = client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("app.py", "def handler(e, c):\n    return 1\n")
    client("lambda").create_function(
        FunctionName="victim",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": buffer.getvalue()},
    )

    aws_client = AwsClient(AwsOptions(regions=["us-east-1"], endpoint_url=aws, max_attempts=1))
    trail = aws_client.client("cloudtrail", "us-east-1")
    stubber = Stubber(trail)
    stubber.add_response(
        "lookup_events",
        {
            "Events": [
                _event("UpdateFunctionCode20150331v2", "victim", "e1"),
                _event("GetFunction20150331v2", "other", "e2"),
            ],
            "NextToken": "page-2",
        },
    )
    stubber.add_response(
        "lookup_events",
        {
            "Events": [
                _event(
                    "AddPermission20150331v2",
                    "arn:aws:lambda:us-east-1:123456789012:function:victim",
                    "e3",
                )
            ]
        },
    )
    with stubber:
        result = acquire(
            aws_client,
            AcquireOptions(function="victim", output=tmp_path / "bundle", region="us-east-1"),
        )
        stubber.assert_no_pending_responses()

    lines = (tmp_path / "bundle" / "cloudtrail" / "events.jsonl").read_text().splitlines()
    ids = [json.loads(line)["eventID"] for line in lines]
    assert ids == ["e1", "e3"], "both pages read; the other function's event left out"
    assert not any(g.operation == "lookup_events" for g in aws_client.gaps)
    assert result.bundle.exists()
