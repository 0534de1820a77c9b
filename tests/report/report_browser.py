"""Headless Chromium (Debian's ``chromium`` package) driven by its command line.

``--dump-dom`` prints the DOM after the page's scripts ran; ``--screenshot`` writes a PNG. The
page reads its filters from the URL fragment, so a test drives it by URL alone. Without
Chromium the tests skip with the reason, except under ``CI=true`` where they fail: `.ci/run`
installs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def chromium() -> str:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    message = "headless Chromium is not installed (Debian: apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must have it (.ci/run installs it)")
    pytest.skip(message)


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="fortress-chromium-") as profile:
        command = [
            chromium(),
            "--headless",
            "--no-sandbox",  # tests run as root in CI containers
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            *args,
        ]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def dump_dom(page: Path, fragment: str = "") -> str:
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    proc = _run(["--dump-dom", url])
    assert proc.returncode == 0 and "<html" in proc.stdout, proc.stderr[-2000:]
    return proc.stdout


def screenshot(page: Path, out: Path, fragment: str = "") -> Path:
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    proc = _run(["--hide-scrollbars", "--window-size=1280,1600", f"--screenshot={out}", url])
    assert proc.returncode == 0 and out.exists(), proc.stderr[-2000:]
    return out


class Dom(HTMLParser):
    """The few facts the tests read from a dumped DOM: elements by tag and attributes."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, Any]]] = []
        self.title = ""
        self._in_title = False
        self._seen_title = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        # the document's title is the first <title>; SVG <title>s are tooltips
        self._in_title = tag == "title" and not self._seen_title

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            self._seen_title = True

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data

    def find(self, tag: str, cls: str | None = None, **attrs: str) -> list[dict[str, Any]]:
        """Elements ``tag`` with class ``cls`` and attributes ``attrs`` (``data_x`` = ``data-x``)."""
        wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [
            found
            for name, found in self.elements
            if name == tag
            and (cls is None or cls in (found.get("class") or "").split())
            and all(found.get(k) == v for k, v in wanted.items())
        ]
