"""Benchmark: time and peak memory of Fortress on hostile inputs that hit its caps.

Usage::

    .venv/bin/python bench/hostile.py [--bomb-gb 4] [--template-mb 18]

Each case runs ``fortress`` in a fresh subprocess with a private ``TMPDIR`` (checked empty
afterwards) and reports wall time, peak RSS (of the subprocess) and the exit code:

- ``gzip-bomb``: a ~4 MB ``.json.gz`` that inflates to ``--bomb-gb`` GB of whitespace inside a
  ``{"Records": [`` document, in a hunt folder: stops at the 1 GB gunzip cap (unreadable, exit 3);
- ``template-under-cap``: a CloudFormation template of ``--template-mb`` MB (under the 20 MB
  cap): scanned, showing the decoder's memory per template byte;
- ``template-over-cap``: the same template grown past the cap: refused at the read.

Output: one line per case and a JSON summary on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any

_RUN = r"""
import resource, subprocess, sys, time, json
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": proc.returncode, "seconds": seconds, "peak_mb": peak / 1024,
                  "stderr": proc.stderr.decode(errors="replace")[-300:]}))
"""


def _fortress() -> str:
    return str(Path(sys.executable).with_name("fortress"))


def _measure(name: str, argv: list[str], tmpdir: Path) -> dict[str, Any]:
    env = dict(os.environ, TMPDIR=str(tmpdir))
    out = subprocess.run(
        [sys.executable, "-c", _RUN, *argv], env=env, capture_output=True, check=True, text=True
    )
    result: dict[str, Any] = json.loads(out.stdout)
    result["case"] = name
    result["temp_left"] = sorted(p.name for p in tmpdir.iterdir())
    print(
        f"{name}: exit {result['code']}, {result['seconds']:.1f} s, peak {result['peak_mb']:.0f} MB, "
        f"temp left {result['temp_left'] or 'none'}"
    )
    return result


def _bomb(path: Path, gigabytes: int) -> None:
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b" " * (1 << 20)
    with path.open("wb") as out:
        out.write(deflate.compress(b'{"Records": ['))
        for _ in range(gigabytes * 1024):
            out.write(deflate.compress(chunk))
        out.write(deflate.compress(b"]}"))
        out.write(deflate.flush())


def _template(path: Path, megabytes: float) -> None:
    body = "  R{i}:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: t{i}\n"
    count = int(megabytes * 1024 * 1024 / (len(body) + 8))
    with path.open("w") as out:
        out.write("AWSTemplateFormatVersion: 2010-09-09\nResources:\n")
        for i in range(count):
            out.write(body.format(i=i))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bomb-gb", type=int, default=4)
    parser.add_argument("--template-mb", type=float, default=18.0)
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="fortress-bench-hostile-") as tmp:
        root = Path(tmp)
        private = root / "tmp"
        private.mkdir()
        trail = root / "trail"
        trail.mkdir()
        _bomb(trail / "bomb.json.gz", args.bomb_gb)
        size_mb = (trail / "bomb.json.gz").stat().st_size / 1024 / 1024
        print(f"gzip bomb: {size_mb:.1f} MB on disk, {args.bomb_gb} GB inflated")
        results.append(_measure("gzip-bomb", [_fortress(), "hunt", str(trail)], private))
        template = root / "template.yaml"
        _template(template, args.template_mb)
        scan = [_fortress(), "scan", str(template), "--format", "json"]
        results.append(_measure("template-under-cap", scan, private))
        _template(template, 25.0)
        results.append(_measure("template-over-cap", scan, private))
    print(json.dumps({"results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
