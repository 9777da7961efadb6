"""Benchmark the service's HTTP answers under load while it follows a log folder.

    python bench/http_load.py DIR [--clients 32] [--seconds 30] [--src SRC]

DIR is a folder made by ``bench/idle.py N --keep DIR`` (``logs/`` and
``store.duckdb``). ``ansiscope serve --watch DIR/logs`` runs as a subprocess on a
copy of the store; once it has settled, CLIENTS threads (each its own keep-alive
connection to 127.0.0.1), half asking ``/metrics`` and half
``/api/runs?limit=20``, send requests back to back for SECONDS. Prints requests/s
and p50/p95/p99/max latency per endpoint and overall. Target: p99 ≤ 250 ms with 32
clients while 10,000 inputs are followed.
"""

from __future__ import annotations

import argparse
import http.client
import math
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from idle import free_port, wait_settled  # noqa: E402

PATHS = ("/metrics", "/api/runs?limit=20")


def rank(ordered: list[float], q: float) -> float:
    """The nearest-rank quantile of sorted values."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def client(port: int, path: str, until: float, out: list[float], errors: list[str]) -> None:
    """Ask ``path`` back to back on one keep-alive connection until ``until``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while time.monotonic() < until:
        start = time.perf_counter()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(f"{path}: {response.status}")
        except (OSError, http.client.HTTPException) as exc:
            errors.append(f"{path}: {exc}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        out.append(time.perf_counter() - start)
    conn.close()


def line(name: str, latencies: list[float], seconds: float) -> str:
    latencies.sort()
    return (
        f"{name:<22} {len(latencies) / seconds:7.1f} req/s · "
        f"p50 {rank(latencies, 0.5) * 1000:5.0f} ms · p95 {rank(latencies, 0.95) * 1000:5.0f} ms"
        f" · p99 {rank(latencies, 0.99) * 1000:5.0f} ms · max {latencies[-1] * 1000:5.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--src", type=Path, default=ROOT)
    args = parser.parse_args()
    logs = args.dir / "logs"
    followed = sum(1 for _ in (logs / "jsonl").rglob("*.jsonl"))
    followed += sum(1 for p in (logs / "runner").glob("*/*") if p.is_dir())
    db = args.dir / "store-load.duckdb"
    shutil.copy(args.dir / "store.duckdb", db)
    port = free_port()
    cmd = [sys.executable, "-m", "ansiscope", "serve", "--db", str(db), "--watch", str(logs)]
    cmd += ["--port", str(port), "--dashboard-port", "0"]
    proc = subprocess.Popen(cmd, cwd=args.src, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_settled(f"http://127.0.0.1:{port}", proc, 600)
        time.sleep(10)
        results: dict[str, list[float]] = {p: [] for p in PATHS}
        errors: list[str] = []
        until = time.monotonic() + args.seconds
        threads = [
            threading.Thread(
                target=client, args=(port, PATHS[i % 2], until, results[PATHS[i % 2]], errors)
            )
            for i in range(args.clients)
        ]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - started
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        db.unlink(missing_ok=True)
    print(f"{args.clients} clients for {took:.0f}s, the service following {followed} inputs")
    for path, latencies in results.items():
        print(line(path, list(latencies), took))
    print(line("all", [x for v in results.values() for x in v], took))
    if errors:
        print(f"{len(errors)} errors, e.g. {errors[0]}")


if __name__ == "__main__":
    main()
