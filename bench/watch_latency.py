"""Benchmark watch mode: how long from a result line appended to a followed file
until it can be queried from the store.

    python bench/watch_latency.py N [--poll]     # N appends (default 200)

The watcher runs as in ``ansiscope watch`` (inotify, or polling with --poll) in a
thread of this process; the store is read through a cursor of the same connection
(DuckDB allows one process per file). Each append is one host result; the clock
stops when a query sees it. Prints p50/p90/p99/max. Target: p99 ≤ 1 s.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ansiscope.ingest.ingester import Ingester
from ansiscope.ingest.watch import Watcher
from ansiscope.store import open_store

PREFIX = "0a0b0c0d-0001-6e72-2971-"


def line(obj: dict) -> bytes:
    return orjson.dumps(obj) + b"\n"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 200
    poll = "--poll" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        logs = Path(tmp) / "logs"
        logs.mkdir()
        store = open_store(Path(tmp) / "store.duckdb")
        watcher = Watcher(Ingester(store), [logs], poll=poll)
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        reader = store.con.cursor()
        target = logs / "run.jsonl"
        task = {
            "id": PREFIX + "000000000002",
            "name": "Work",
            "path": "/srv/x.yml:3",
            "duration": {"start": "2026-11-29T03:00:00.000000Z"},
        }
        with target.open("ab", buffering=0) as out:
            out.write(
                line(
                    {
                        "_event": "v2_playbook_on_play_start",
                        "_timestamp": "2026-11-29T03:00:00Z",
                        "play": {
                            "id": PREFIX + "000000000001",
                            "name": "p",
                            "path": "/srv/x.yml:1",
                            "duration": {"start": "2026-11-29T03:00:00Z"},
                        },
                    }
                )
            )
            out.write(line({"_event": "v2_playbook_on_task_start", "task": task, "hosts": {}}))
            latencies = []
            for i in range(n):
                result = {
                    "_event": "v2_runner_on_ok",
                    "_timestamp": "2026-11-29T03:00:01Z",
                    "task": dict(
                        task,
                        duration={
                            "start": task["duration"]["start"],
                            "end": "2026-11-29T03:00:01Z",
                        },
                    ),
                    "hosts": {f"host{i:05d}": {"changed": False, "rc": 0}},
                }
                time.sleep(random.uniform(0.0, 0.1))
                start = time.perf_counter()
                out.write(line(result))
                while True:
                    (count,) = reader.execute("SELECT count(*) FROM results").fetchone() or (0,)
                    if count > i:
                        break
                    time.sleep(0.002)
                latencies.append(time.perf_counter() - start)
        watcher.stop.set()
        watcher.wake.set()
        thread.join(timeout=10)
        store.close()
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    print(f"watch ({'polling' if poll else 'inotify'}): {n} appends, append-to-queryable latency")
    print(
        f"p50 {q[49] * 1000:.0f} ms · p90 {q[89] * 1000:.0f} ms · p99 {q[98] * 1000:.0f} ms · "
        f"max {latencies[-1] * 1000:.0f} ms (target p99 ≤ 1000 ms)"
    )


if __name__ == "__main__":
    main()
