"""Shared fixtures: an AWS API emulator (moto in server mode) on 127.0.0.1.

Tests talk to it over HTTP through the same boto3 code path users run. One server per test
process (pytest-xdist workers each get their own); ``aws`` resets its state for each test.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from fortress.demo import reset_emulator

os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
logging.getLogger("werkzeug").setLevel(logging.ERROR)
for _key, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ[_key] = _value
os.environ.pop("AWS_PROFILE", None)
# Caches Fortress writes (the IAM action index) go to a private folder, not the user's ~/.cache.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="fortress-test-cache-")
os.environ.pop("AWS_ENDPOINT_URL", None)

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account


@pytest.fixture(scope="session")
def emulator() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws(emulator: str) -> str:
    """The emulator's endpoint, with all state reset for this test."""
    reset_emulator(emulator)
    return emulator


ClientFactory = Callable[..., Any]


@pytest.fixture
def client(aws: str) -> ClientFactory:
    """``client("lambda")`` — a boto3 client on the freshly reset emulator."""

    def make(service: str, region: str = REGION) -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=aws,
            config=Config(retries={"max_attempts": 1}),
        )

    return make
