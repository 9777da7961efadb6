"""Benchmark the jsonl parser against bare ``orjson.loads`` per line.

    python bench/parse.py SIZE      # SIZE host results (default 200000)

Generates a realistic ansible.posix.jsonl (10 hosts per task, command-module
results with stdout, some loops and failures), then prints events/s, MB/s and peak
RSS for the parser next to the bare orjson decode rate of the same bytes.
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

from ansiscope.parser import jsonl

HOSTS = [f"host{i:02d}" for i in range(10)]


def generate(path: Path, results: int) -> int:
    """Write a jsonl file with ``results`` host results; returns its size."""
    prefix = "02fc0000-0001-6e72-2971-"
    n = 0
    task_no = 0
    with path.open("wb") as out:
        out.write(
            orjson.dumps(
                {
                    "_event": "v2_playbook_on_play_start",
                    "_timestamp": "2026-11-29T02:56:26.849380Z",
                    "play": {
                        "duration": {"start": "2026-11-29T02:56:26.849359Z"},
                        "id": prefix + "000000000001",
                        "name": "Bench play",
                        "path": "/srv/site.yml:1",
                    },
                    "tasks": [],
                }
            )
            + b"\n"
        )
        while n < results:
            task_no += 1
            task = {
                "duration": {"start": "2026-11-29T02:56:28.520939Z"},
                "id": f"{prefix}{task_no:012d}",
                "name": f"Configure component {task_no}",
                "path": f"/srv/roles/app/tasks/main.yml:{task_no}",
            }
            out.write(
                orjson.dumps(
                    {
                        "_event": "v2_playbook_on_task_start",
                        "_timestamp": "2026-11-29T02:56:28.5Z",
                        "hosts": {},
                        "task": task,
                    }
                )
                + b"\n"
            )
            for host in HOSTS:
                if n >= results:
                    break
                n += 1
                res = {
                    "action": "ansible.builtin.command",
                    "changed": task_no % 3 == 0,
                    "cmd": ["echo", "x"],
                    "delta": "0:00:00.004218",
                    "end": "2026-11-29 02:56:42.767322",
                    "rc": 0,
                    "msg": "",
                    "start": "2026-11-29 02:56:42.763104",
                    "stderr": "",
                    "stderr_lines": [],
                    "stdout": "configured component " * 8,
                    "stdout_lines": ["configured component " * 8],
                    "invocation": {
                        "module_args": {
                            "_raw_params": "echo x",
                            "_uses_shell": False,
                            "chdir": None,
                        }
                    },
                    "_ansible_no_log": False,
                }
                event = "v2_runner_on_failed" if (n % 997 == 0) else "v2_runner_on_ok"
                if event == "v2_runner_on_failed":
                    res["failed"] = True
                t = dict(
                    task,
                    duration={
                        "start": task["duration"]["start"],
                        "end": "2026-11-29T02:56:29.1234Z",
                    },
                )
                out.write(
                    orjson.dumps(
                        {
                            "_event": event,
                            "_timestamp": "2026-11-29T02:56:29.1234Z",
                            "hosts": {host: res},
                            "task": t,
                        }
                    )
                    + b"\n"
                )
        stats = {
            h: {
                "ok": results // 10,
                "changed": 0,
                "failures": 0,
                "unreachable": 0,
                "skipped": 0,
                "rescued": 0,
                "ignored": 0,
            }
            for h in HOSTS
        }
        out.write(
            orjson.dumps(
                {
                    "_event": "v2_playbook_on_stats",
                    "_timestamp": "2026-11-29T03:00:00Z",
                    "stats": stats,
                }
            )
            + b"\n"
        )
    return path.stat().st_size


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
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.jsonl"
        nbytes = generate(path, size)
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
