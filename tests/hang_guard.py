"""One guard for the hostile-input tests: a call that hangs fails the test instead of CI."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def bounded(fn: Callable[[], Any], seconds: float = 60, what: str = "the call") -> Any:
    """Run ``fn`` in a thread and fail if it does not return (a hang is the bug tested)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{what} blocked"
    if "error" in box:
        raise box["error"]
    return box["value"]
