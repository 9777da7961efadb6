"""Benchmark the backfill: a realistic jsonl into a fresh DuckDB store.

    python bench/ingest.py SIZE [--failures] [--db URL]   # SIZE host results (default 200000)

Runs of 100 tasks × 10 hosts (``--failures``: every result failed, with a ~1 KB
message: the most memory a batch of events can take). Prints host-results/s, MB/s
and peak RSS of ``ansiscope ingest`` (library path, one process), next to the bare
``orjson`` line-decode rate of the same bytes and the rate of reading + typed
decoding alone (the floor under any parse; the rest of the budget is parsing and
storing). DuckDB runs with threads=1 (the target is one core). Target: ≥200k host
results/s; RSS flat (≤300 MB for a 1 GB file).

``--db URL`` (e.g. ``chdb:///tmp/x`` or ``clickhouse://…``, a fresh database) stores the
same file there too, in its own process, and prints its numbers next to DuckDB's
(target for ClickHouse: no slower than DuckDB).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import msgspec
import orjson
import pandas  # noqa: F401  (duckdb imports it on first Arrow scan: a warm process has it)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from jsonl_gen import generate

from ansiscope.ingest.ingester import Ingester
from ansiscope.parser.shapes import LineDoc
from ansiscope.store import open_store


def bare_orjson(path: Path) -> float:
    start = time.perf_counter()
    with path.open("rb") as f:
        for line in f:
            orjson.loads(line)
    return time.perf_counter() - start


def typed_decode(path: Path) -> float:
    """The floor of any parse: reading the lines and decoding each into the parser's
    typed shapes (what it keeps of a line), with no parsing logic and no storing."""
    decode = msgspec.json.Decoder(LineDoc).decode
    start = time.perf_counter()
    with path.open("rb") as f:
        for line in f:
            decode(line)
    return time.perf_counter() - start


def ingest(path: Path, db: str) -> None:
    """The measured part, in its own process so its peak RSS is its own."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    store = open_store(db, ingest=True)  # as `ansiscope ingest` does
    con = getattr(store, "con", None)
    if con is not None:  # DuckDB: one thread (the target is one core)
        con.execute("SET threads = 1")
    start = time.perf_counter()
    ingester = Ingester(store)
    assert ingester.backfill(path)
    elapsed = time.perf_counter() - start
    stored = sum(v for key, v in store.counters() if key.metric == "task_results")
    store.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "stored": stored,
                "runs": ingester.totals.runs_started,
                "rss_mb": rss / 1024,
                "rss_before_mb": rss_before / 1024,
            }
        )
    )


def measure(path: Path, db: str) -> dict[str, float]:
    child = subprocess.run(
        [sys.executable, __file__, "--child", str(path), db], capture_output=True, text=True
    )
    if child.returncode:
        sys.exit(f"storing into {db} failed:\n{child.stderr.strip()[-2000:]}")
    return dict(json.loads(child.stdout.strip().splitlines()[-1]))


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        ingest(Path(sys.argv[2]), sys.argv[3])
        return
    other = sys.argv[sys.argv.index("--db") + 1] if "--db" in sys.argv else None
    args = [a for a in sys.argv[1:] if a not in ("--failures", "--db", other)]
    size = int(args[0]) if args else 200_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.jsonl"
        nbytes = generate(path, size, failures="--failures" in sys.argv)
        lines = sum(1 for _ in path.open("rb"))
        t_bare = bare_orjson(path)
        t_typed = typed_decode(path)
        r = measure(path, str(Path(tmp) / "bench.duckdb"))
        theirs = measure(path, other) if other else None
        mb = nbytes / 1e6
        assert r["stored"] == size, r
        print(f"file: {size:,} host results in {r['runs']} runs, {lines:,} lines, {mb:.1f} MB")
        print(f"bare orjson.loads per line: {lines / t_bare:,.0f} lines/s, {mb / t_bare:,.1f} MB/s")
        print(
            f"read + typed msgspec decode alone (no parsing, no storing): "
            f"{lines / t_typed:,.0f} lines/s = {size / t_typed:,.0f} host results/s"
        )
        print(
            f"ansiscope ingest (parse + store): {size / r['seconds']:,.0f} host results/s, "
            f"{mb / r['seconds']:,.1f} MB/s, {r['seconds']:.2f} s (target ≥200,000/s)"
        )
        print(
            f"peak RSS of the ingesting process: {r['rss_mb']:.0f} MB "
            f"(after imports: {r['rss_before_mb']:.0f} MB; target ≤300 MB for 1 GB)"
        )
        if theirs is not None:
            assert theirs["stored"] == size, theirs
            print(
                f"{other}: {size / theirs['seconds']:,.0f} host results/s "
                f"({theirs['seconds']:.2f} s; {r['seconds'] / theirs['seconds']:.2f}× DuckDB's "
                f"rate), peak RSS {theirs['rss_mb']:.0f} MB "
                f"(after imports: {theirs['rss_before_mb']:.0f} MB)"
            )


if __name__ == "__main__":
    main()
