"""A long stored history for the read benchmarks (gate, dashboard), in any store.

``build(db, results, tasks)`` writes generated runs in chunks of CHUNK host results
(a 10M-result history is ~10 GB of jsonl: never on disk at once) and ingests each
chunk, as ``ansiscope ingest`` would. A store that already holds ``results`` host
results is reused as it is, so one 10M store serves several benchmarks:

    python bench/gate.py 5000 --db chdb:///tmp/h10m        # builds it (minutes)
    python bench/dashboard.py 10000000 --db chdb:///tmp/h10m  # reuses it
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from jsonl_gen import generate

from ansiscope.ingest.ingester import Ingester
from ansiscope.store import open_store

CHUNK = 1_000_000


def stored_results(db: str) -> int:
    store = open_store(db, create=True)
    try:
        return int(sum(v for key, v in store.counters() if key.metric == "task_results"))
    finally:
        store.close()


def build(db: str, results: int, tasks: int) -> int:
    """Make ``db`` hold a history of ``results`` host results (runs of ``tasks`` tasks on
    10 hosts); returns how many it holds. Prints progress."""
    have = stored_results(db)
    if have >= results:
        print(f"history: reusing {db} ({have:,} host results stored)")
        return have
    if have:
        raise SystemExit(f"{db} holds {have:,} host results, not {results:,}: use a fresh one")
    started = time.perf_counter()
    store = open_store(db, ingest=True)
    ingester = Ingester(store)
    per_run = tasks * 10
    run = 0
    with tempfile.TemporaryDirectory() as tmp:
        while have < results:
            size = min(CHUNK, results - have)
            log = Path(tmp) / f"history-{run:06d}.jsonl"
            generate(log, size, tasks=tasks, first_run=run)
            assert ingester.backfill(log)
            log.unlink()
            have += size
            run += -(-size // per_run)
            rate = have / (time.perf_counter() - started)
            print(f"history: {have:,}/{results:,} host results stored ({rate:,.0f}/s)", flush=True)
    store.close()
    return have
