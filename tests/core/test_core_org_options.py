"""Organization options: account lists, shards, call gates, and their errors (one line, exit 2)."""

from __future__ import annotations

import io
import random
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest

from conftest import ClientFactory
from fortress.aws.accounts import account_ids, in_shard, shard
from fortress.aws.client import AwsClient, AwsOptions
from fortress.cli import main
from fortress.errors import FortressError
from fortress.sources import aws as live


def test_shards_split_any_account_list_once_and_stably() -> None:
    rng = random.Random(7)
    ids = [f"{rng.randrange(10**11, 10**12):012d}" for _ in range(200)]
    for count in (1, 2, 3, 5):
        shards = [[a for a in ids if in_shard(a, i, count)] for i in range(1, count + 1)]
        assert sorted(a for s in shards for a in s) == sorted(ids)  # each id exactly once
        assert all(len(s) > 200 / count / 2 for s in shards)  # no shard starved
    # Stable: an account's shard does not depend on the other accounts.
    assert [in_shard(a, 1, 3) for a in ids[:20]] == [in_shard(a, 1, 3) for a in ids[:20]]


def test_option_values_are_checked() -> None:
    assert shard(" 2/4 ") == (2, 4)
    for bad in ("0/2", "3/2", "1", "a/b"):
        with pytest.raises(FortressError, match="--shard"):
            shard(bad)
    assert account_ids("111122223333, 444455556666,111122223333", "--accounts") == [
        "111122223333",
        "444455556666",
    ]
    with pytest.raises(FortressError, match="'12345' is not an AWS account id"):
        account_ids("111122223333,12345", "--accounts")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scan", "--shard", "1/2"], "--shard: needs --organization or --accounts"),
        (["scan", "--organization", "--accounts", "111122223333"], "not both"),
        (["scan", "--accounts", "111122223333", "--shard", "5/2"], "between 1 and n"),
        (["scan", "--accounts", "111122223333", "--role-name", "bad name"], "--role-name"),
        (["collect", "--accounts", "111122223333"], "needs --output-dir"),
        (["scan", "--accounts", "111122223333", "--snapshot", "x.json"], "--snapshot: not with"),
        (["collect"], "collect needs --output FILE"),
    ],
)
def test_bad_account_options_are_one_line_errors(
    argv: list[str], message: str, capsys: Any
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_merge_without_snapshots_is_an_error(tmp_path: Path, capsys: Any) -> None:
    assert main(["merge", str(tmp_path)]) == 2
    assert "no account snapshots in" in capsys.readouterr().err
    (tmp_path / "111122223333.failed.json").write_text("{not json")
    assert main(["merge", str(tmp_path)]) == 2
    assert "not a Fortress account failure record" in capsys.readouterr().err


def test_no_organization_is_an_error(aws: str, capsys: Any) -> None:
    """No organization in the emulator: ListAccounts lists nothing, and the error says so."""
    assert main(["scan", "--endpoint-url", aws, "--organization"]) == 2
    assert "the organization lists no ACTIVE account" in capsys.readouterr().err


class Tracker:
    """A semaphore that remembers the most holders it had at once."""

    def __init__(self, size: int) -> None:
        self.gate = threading.BoundedSemaphore(size)
        self.lock = threading.Lock()
        self.held = self.most = self.entered = 0

    def acquire(self) -> None:
        self.gate.acquire()
        with self.lock:
            self.held += 1
            self.entered += 1
            self.most = max(self.most, self.held)

    def release(self) -> None:
        with self.lock:
            self.held -= 1
        self.gate.release()


def test_gates_bound_the_calls_in_flight(client: ClientFactory, aws: str) -> None:
    lam, iam = client("lambda"), client("iam")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("app.py", "def handler(e, c):\n    return 1\n")
    for i in range(6):
        lam.create_function(
            FunctionName=f"f{i}",
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": buffer.getvalue()},
        )
    tracker = Tracker(2)
    fortress = AwsClient(
        AwsOptions(endpoint_url=aws, max_workers=8, max_attempts=1, gates=(tracker,))
    )
    inventory = live.collect(fortress, versions=False)
    assert len(inventory.functions) == 6
    assert tracker.entered == fortress.calls  # every call went through the gate
    assert 1 <= tracker.most <= 2
    assert tracker.held == 0  # every slot given back, failed calls included
