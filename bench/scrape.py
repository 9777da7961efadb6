"""Benchmark /metrics: scrape latency with SIZE host results stored, idle and while
the service ingests.

    python bench/scrape.py SIZE        # default 1000000

As deployed: the service renders the exposition at most every 5 s in the background
(scrapes serve the latest rendering); the collection itself is timed separately with
the cache off. Target ≤50 ms.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from jsonl_gen import generate
from prometheus_client import CollectorRegistry, generate_latest

from ansiscope.exporters.metrics import StoreCollector
from ansiscope.ingest.ingester import Ingester
from ansiscope.service.core import Service
from ansiscope.store import open_store


def scrape_times(url: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as r:
            r.read()
        out.append(time.perf_counter() - t)
        time.sleep(0.05)
    return out


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        history = Path(tmp) / "history.jsonl"
        generate(history, size)
        store = open_store(Path(tmp) / "scrape.duckdb")
        ingester = Ingester(store)
        assert ingester.backfill(history)
        watched = Path(tmp) / "watched"
        watched.mkdir()
        service = Service(store, watch=[watched])
        url = f"http://127.0.0.1:{service.start('127.0.0.1', 0)}/metrics"
        scrape_times(url, 3)  # warm-up
        registry = CollectorRegistry()
        registry.register(StoreCollector(store.reader, cache_s=0.0))
        collect = []
        for _ in range(10):
            t = time.perf_counter()
            generate_latest(registry)
            collect.append(time.perf_counter() - t)
        idle = scrape_times(url, 30)
        stop = threading.Event()

        def write() -> None:
            i = 0
            while not stop.is_set():
                generate(watched / f"new-{i}.jsonl", 20_000, first_run=100_000 + 100 * i)
                i += 1
                time.sleep(0.5)

        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(1.0)
        busy = scrape_times(url, 30)
        stop.set()
        writer.join()
        service.shutdown()
    collect.sort()
    print(
        f"one full collection from the store (uncached): median {statistics.median(collect) * 1000:.0f} ms, max {collect[-1] * 1000:.0f} ms"
    )
    for name, times in (("idle", idle), ("while ingesting", busy)):
        times.sort()
        print(
            f"/metrics with {size:,} host results stored, {name}: median {statistics.median(times) * 1000:.0f} ms, "
            f"p90 {times[int(len(times) * 0.9)] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms (target ≤50 ms)"
        )


if __name__ == "__main__":
    main()
