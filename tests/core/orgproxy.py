"""A loopback HTTP proxy in front of the emulator: it forwards every request unchanged and logs
it, and refuses ``sts:AssumeRole`` into the roles of chosen accounts. With ``lookup`` it also
answers CloudTrail ``LookupEvents``, which the emulator lacks (500): each call gets the page
``lookup(account, region)`` returns, the account found from the caller's access key (the keys
of the AssumeRole answers that pass through, the caller's own for the rest).

The emulator lets anyone assume any role, existing or not (moto's documented behaviour), so it
cannot show an account whose role is missing. The proxy gives the answer AWS gives then (an
STS ``AccessDenied`` error document, HTTP 403) for those accounts only; every other request
reaches the emulator as boto3 sent it.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_DENIED = (
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
    "<Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/moto is not "
    "authorized to perform: sts:AssumeRole on resource: {arn}</Message></Error>"
    "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
)


_CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([a-z0-9-]+)/")
_ACCESS_KEY = re.compile(r"<AccessKeyId>([^<]+)</AccessKeyId>")


@dataclass
class Proxy:
    endpoint: str
    refuse: set[str] = field(default_factory=set)  # account ids whose roles cannot be assumed
    assumed: list[str] = field(default_factory=list)  # RoleArn of every AssumeRole request
    # (RoleSessionName, ExternalId or "") of every AssumeRole request
    sessions: list[tuple[str, str]] = field(default_factory=list)
    requests: int = 0
    keys: dict[str, str] = field(default_factory=dict)  # access key id -> account (assumed)
    lookups: list[tuple[str, str]] = field(default_factory=list)  # (account, region) answered


@contextmanager
def proxy(
    upstream: str,
    refuse: set[str] | None = None,
    lookup: Callable[[str, str], dict[str, Any]] | None = None,
    caller: str = "123456789012",
) -> Iterator[Proxy]:
    target = urllib.parse.urlsplit(upstream)
    lock = threading.Lock()
    state = Proxy(endpoint="", refuse=set(refuse or ()))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            form = urllib.parse.parse_qs(body.decode("latin-1")) if body else {}
            with lock:
                state.requests += 1
            target_header = self.headers.get("X-Amz-Target") or ""
            if lookup is not None and target_header.endswith(".LookupEvents"):
                scope = _CREDENTIAL.search(self.headers.get("Authorization") or "")
                key, region = (scope.group(1), scope.group(2)) if scope else ("", "")
                with lock:
                    account = state.keys.get(key, caller)
                    state.lookups.append((account, region))
                page = json.dumps(lookup(account, region)).encode()
                self._answer(200, page, "application/x-amz-json-1.1")
                return
            if form.get("Action") == ["AssumeRole"]:
                arn = form.get("RoleArn", [""])[0]
                with lock:
                    state.assumed.append(arn)
                    state.sessions.append(
                        (form.get("RoleSessionName", [""])[0], form.get("ExternalId", [""])[0])
                    )
                if arn.split(":")[4:5] and arn.split(":")[4] in state.refuse:
                    self._answer(403, _DENIED.format(arn=arn).encode(), "text/xml")
                    return
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
                if form.get("Action") == ["AssumeRole"] and answer.status == 200:
                    issued = _ACCESS_KEY.search(data.decode("utf-8", "replace"))
                    arn = form.get("RoleArn", [""])[0]
                    if issued and arn.count(":") >= 5:
                        with lock:
                            state.keys[issued.group(1)] = arn.split(":")[4]
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            finally:
                conn.close()

        def _answer(self, status: int, data: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
