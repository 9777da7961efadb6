"""Benchmark the gate: judge the latest run against a long history.

    python bench/gate.py RUNS [--db URL]   # RUNS runs × 200 tasks × 10 hosts (default 1000)

Builds the store once (ingest of generated jsonl; not timed as the gate), then
times ``gate(latest)`` over five repetitions. Target: ≤1 s with 1,000 runs, and
≤1 s on ClickHouse with 10M host results (``5000 --db chdb:///PATH``; a store at
``--db`` that already holds the history is reused, see ``bench/history.py``).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from history import build

from ansiscope.analytics.gate import gate
from ansiscope.store import open_store

TASKS, HOSTS = 200, 10


def main() -> None:
    db = sys.argv[sys.argv.index("--db") + 1] if "--db" in sys.argv else None
    args = [a for a in sys.argv[1:] if a not in ("--db", db)]
    runs = int(args[0]) if args else 1000
    with tempfile.TemporaryDirectory() as tmp:
        url = db or str(Path(tmp) / "gate.duckdb")
        results = build(url, runs * TASKS * HOSTS, TASKS)
        print(f"history: {runs} runs × {TASKS} tasks × {HOSTS} hosts = {results:,} host results")
        store = open_store(url, read_only=True)
        run_id = store.resolve_run("latest")
        times = []
        for _ in range(5):
            t = time.perf_counter()
            result = gate(store, run_id)
            times.append(time.perf_counter() - t)
        store.close()
    print(
        f"gate over the latest run ({url}): {len(result.findings):,} series judged; "
        f"best {min(times) * 1000:.0f} ms, median {sorted(times)[2] * 1000:.0f} ms "
        "(target ≤1000 ms)"
    )


if __name__ == "__main__":
    main()
