"""Terminal safety: control characters, ESC sequences and bidi overrides from the account or
a trail are shown escaped, never sent to the terminal."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from fortress.cli import main
from fortress.cli.sanitize import clean, clean_data, clean_multiline

ESC = "\x1b]0;pwned\x07\x1b[2J"  # set the window title, clear the screen
BIDI = "\u202e"  # right-to-left override
HOSTILE = f"fn{ESC}x{BIDI}hs.exe"


@pytest.fixture(autouse=True)
def _piped_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Output is piped here: 100 columns, whatever $COLUMNS the test runner inherited."""
    monkeypatch.delenv("COLUMNS", raising=False)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain-name", "plain-name"),
        ("a\x1b[31mred", "a\\x1b[31mred"),
        ("evil\u202eexe.sh", "evil\\u202eexe.sh"),
        ("line\nforged", "line\\x0aforged"),
        ("tab\there", "tab\\x09here"),
        ("c1\x9bcsi", "c1\\x9bcsi"),
        ("bell\x07del\x7f", "bell\\x07del\\x7f"),
        ("isolate\u2066x\u2069", "isolate\\u2066x\\u2069"),
        ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("ünïcødé 名前 ok", "ünïcødé 名前 ok"),
    ],
)
def test_clean_makes_controls_visible(raw: str, shown: str) -> None:
    assert clean(raw) == shown


def test_multiline_keeps_newlines_only() -> None:
    assert clean_multiline("a\n\tb\x1b[0m\r") == "a\n\tb\\x1b[0m\\x0d"
    assert clean_data({"k\x1b": ["v\u202e", 3]}) == {"k\\x1b": ["v\\u202e", 3]}
    assert clean(None) == "" and clean(12) == "12"


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


def test_escape_and_bidi_in_a_function_name_are_shown_escaped(
    client: Any, aws: str, capsys: Any
) -> None:
    role = client("iam").create_role(
        RoleName="plain-role",
        AssumeRolePolicyDocument=json.dumps(
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
        ),
    )["Role"]["Arn"]
    lam = client("lambda")
    lam.create_function(
        FunctionName=HOSTILE,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": _zip()},
    )
    assert lam.list_functions()["Functions"][0]["FunctionName"] == HOSTILE  # stored raw
    for extra in ([], ["--details"]):
        capsys.readouterr()
        main(["scan", "--endpoint-url", aws, "--region", "us-east-1", *extra])
        printed = capsys.readouterr()
        for stream in (printed.out, printed.err):
            assert "\x1b" not in stream and BIDI not in stream and "\x07" not in stream
        assert "fn\\x1b]0;pwned\\x07" in printed.out
        if extra:
            assert clean(HOSTILE) in printed.out  # the whole name, escaped
            assert "\\u202ehs.exe" in printed.out


def test_a_cloudtrail_field_is_shown_escaped_in_hunt(tmp_path: Path, capsys: Any) -> None:
    account = "111122223333"
    user = f"mallory{ESC}{BIDI}nimda"
    record = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": f"arn:aws:iam::{account}:user/{user}",
            "accountId": account,
            "accessKeyId": "AKIAEXAMPLE000000001",
            "userName": user,
        },
        "eventTime": "2024-08-01T13:00:00Z",
        "eventSource": "lambda.amazonaws.com",
        "eventName": "AddPermission20150331v2",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.10",
        "userAgent": "aws-cli/2.15.30",
        "requestParameters": {
            "action": "lambda:InvokeFunction",
            "functionName": f"orders{ESC}",
            "principal": "*",
            "statementId": "b",
        },
        "responseElements": None,
        "requestID": "r1",
        "eventID": "e1",
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
    trail = tmp_path / "trail.json"
    trail.write_text(json.dumps({"Records": [record]}))
    for extra in ([], ["--details"]):
        assert main(["hunt", str(trail), *extra]) == 1
        printed = capsys.readouterr()
        assert "FTR-DET-001" in printed.out
        for stream in (printed.out, printed.err):
            assert "\x1b" not in stream and BIDI not in stream
        # shown escaped (the --details table folds long cells, so look for the escape only)
        assert ("\\x1b" if extra else "mallory\\x1b]0;pwned") in printed.out, printed.out


def test_error_messages_are_sanitized(tmp_path: Path, capsys: Any) -> None:
    missing = tmp_path / f"no{ESC}such{BIDI}.yaml"
    assert main(["scan", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and BIDI not in err
    assert "no\\x1b]0;pwned\\x07\\x1b[2Jsuch\\u202e.yaml" in err
    assert main(["hunt", "--since", f"x{ESC}"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "x\\x1b]0;pwned" in err


def test_timeline_csv_and_text_rows_are_sanitized() -> None:
    from datetime import UTC, datetime

    from fortress.cli.forensics import _clean_entry
    from fortress.forensics.timeline import Entry, to_csv

    entry = Entry(
        time=datetime(2024, 8, 1, 13, 0, tzinfo=UTC),
        source="cloudtrail",
        action=f"UpdateFunctionCode{ESC}",
        summary=f"code of orders{BIDI} replaced",
        principal=f"arn:aws:iam::111122223333:user/{ESC}",
        user_agent=f"curl{ESC}",
        details={"note": f"x{ESC}", "list": [BIDI]},
    )
    rows = "".join(to_csv([_clean_entry(entry)]))
    assert "\x1b" not in rows and BIDI not in rows
    assert "UpdateFunctionCode\\x1b]0;pwned" in rows and "\\u202e replaced" in rows
    raw = "".join(to_csv([entry]))
    assert "\x1b" in raw  # the CSV writer itself keeps them: the CLI must clean first
