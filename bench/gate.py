"""Benchmark the gate: judge the latest run against a long history.

    python bench/gate.py RUNS        # RUNS runs × 200 tasks × 10 hosts (default 1000)

Builds the store once (ingest of a generated jsonl; not timed as the gate), then
times ``gate(latest)`` over five repetitions. Target: ≤1 s with 1,000 runs.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from jsonl_gen import generate

from ansiscope.analytics.gate import gate
from ansiscope.ingest.ingester import Ingester
from ansiscope.store import open_store

TASKS, HOSTS = 200, 10


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "history.jsonl"
        generate(log, runs * TASKS * HOSTS, tasks=TASKS)
        store = open_store(Path(tmp) / "gate.duckdb")
        started = time.perf_counter()
        ingester = Ingester(store)
        assert ingester.backfill(log)
        (results,) = store.con.execute("SELECT count(*) FROM results").fetchone() or (0,)
        print(
            f"history: {runs} runs × {TASKS} tasks × {HOSTS} hosts = {results:,} host results "
            f"(ingested in {time.perf_counter() - started:.0f} s)"
        )
        run_id = store.resolve_run("latest")
        times = []
        for _ in range(5):
            t = time.perf_counter()
            result = gate(store, run_id)
            times.append(time.perf_counter() - t)
        store.close()
    print(
        f"gate over the latest run: {len(result.findings):,} series judged; "
        f"best {min(times) * 1000:.0f} ms, median {sorted(times)[2] * 1000:.0f} ms (target ≤1000 ms)"
    )


if __name__ == "__main__":
    main()
