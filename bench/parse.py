"""Benchmark the jsonl parser against bare ``orjson.loads`` per line.

    python bench/parse.py SIZE [--short]   # SIZE host results (default 200000)

Generates a realistic ansible.posix.jsonl (bench/jsonl_gen.py: runs of 100 tasks on
10 hosts, command-module results with stdout, a failure now and then), then prints events/s, MB/s and peak
RSS for the parser next to the bare orjson decode rate of the same bytes. ``--short``
uses small ``ping``-like results (~420-byte lines): the parser's per-line work weighs
more there than on command output.
Target: parsing at ≥50% of the bare orjson rate; memory flat in file size.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from jsonl_gen import generate

from ansiscope.parser import jsonl


def bare_orjson(path: Path) -> float:
    start = time.perf_counter()
    with path.open("rb") as f:
        for line in f:
            orjson.loads(line)
    return time.perf_counter() - start


def parse(path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    count = 0
    with path.open("rb") as f:
        for _ in jsonl.iter_events(f, str(path)):
            count += 1
    return time.perf_counter() - start, count


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--short"]
    size = int(args[0]) if args else 200_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.jsonl"
        nbytes = generate(path, size, short="--short" in sys.argv)
        lines = sum(1 for _ in path.open("rb"))
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t_bare = min(bare_orjson(path) for _ in range(2))
        t_parse, events = min((parse(path) for _ in range(2)), key=lambda r: r[0])
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        mb = nbytes / 1e6
        print(f"file: {size} host results, {lines} lines, {mb:.1f} MB")
        print(f"bare orjson.loads per line: {lines / t_bare:,.0f} lines/s, {mb / t_bare:,.1f} MB/s")
        print(
            f"ansiscope jsonl parser:     {events / t_parse:,.0f} events/s, {lines / t_parse:,.0f} lines/s, "
            f"{mb / t_parse:,.1f} MB/s"
        )
        print(f"parser speed vs bare orjson: {t_bare / t_parse * 100:.0f}% (target ≥50%)")
        print(
            f"peak RSS: {rss / 1024:.0f} MB (before parsing: {rss_before / 1024:.0f} MB); pid {os.getpid()}"
        )


if __name__ == "__main__":
    main()
