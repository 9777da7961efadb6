"""Fault injection: ``ansiscope watch`` is killed with SIGKILL at random points while a
writer appends (sometimes half lines), then restarted; at the end the store holds
exactly what the file holds: nothing lost, nothing stored twice, counters included.

ANSISCOPE_FAULT_KILLS sets the number of kills (default 20; try 100+).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ansiscope.ingest.ingester import Ingester
from ansiscope.ingest.watch import Watcher
from ansiscope.parser import open_input
from ansiscope.store.duckdb.store import DuckDBStore
from tests.conftest import ROOT, SAMPLES
from tests.ingest.helpers import expected_results, open_duckdb, stored_results

KILLS = int(os.environ.get("ANSISCOPE_FAULT_KILLS", "20"))
ORDER = [  # a complete run last, so the file ends with no run open
    "killed-2.19.jsonl",
    "site-2.19.jsonl",
    "two-runs-2.16.jsonl",
    "deploy-check-2.19.jsonl",
    "killed-2.16.jsonl",
    "site-2.16.jsonl",
    "deploy-check-2.16.jsonl",
    "two-runs-2.19.jsonl",
]


def _writer(target: Path, data: bytes, seconds: float, done: threading.Event) -> None:
    rng = random.Random(7)
    pos = 0
    pause = seconds / max(1, data.count(b"\n") / 5)
    with target.open("ab", buffering=0) as out:
        while pos < len(data):
            end = pos
            for _ in range(rng.randint(1, 10)):
                end = data.find(b"\n", end) + 1 or len(data)
            if rng.random() < 0.3:  # leave a half-written line for a while
                end = max(pos + 1, end - rng.randint(1, 40))
            out.write(data[pos:end])
            pos = end
            time.sleep(pause * rng.uniform(0.5, 1.5))
    done.set()


def test_sigkill_at_random_points_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    db = tmp_path / "store.duckdb"
    target = logs / "ansible.jsonl"
    data = b"".join((SAMPLES / "jsonl" / name).read_bytes() for name in ORDER)
    done = threading.Event()
    writer = threading.Thread(target=_writer, args=(target, data, KILLS * 0.9, done))
    writer.start()
    rng = random.Random(42)
    kills = 0
    try:
        while kills < KILLS:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ansiscope",
                    "watch",
                    str(logs),
                    "--db",
                    str(db),
                    "--rescan",
                    "0.05",
                ],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            assert proc.stderr is not None
            for line in proc.stderr:  # "watching ...": started (imports take longer than kills)
                if line.startswith(b"watching"):
                    break
            time.sleep(rng.uniform(0.05, 0.6))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stderr.close()
            kills += 1
    finally:
        writer.join()
    assert done.is_set() and target.read_bytes() == data
    # a last, clean run catches up with the end of the file
    store = open_duckdb(db)
    try:
        # the killed processes did the work (the catch-up below only finishes it)
        assert sum(stored_results(store).values()) > 0
        watcher = Watcher(Ingester(store), [logs], rescan_s=0)
        watcher.step()
        watcher.step()
        _assert_exact(store, target)
    finally:
        store.close()


def _assert_exact(store: DuckDBStore, target: Path) -> None:
    expected = expected_results(target)
    stored = stored_results(store)
    assert sum(stored.values()) == sum(expected.values()) > 500
    assert stored - expected == type(stored)(), "stored twice or never in the file"
    assert expected - stored == type(stored)(), "lost"
    with open_input(str(target)) as inp:
        events = sum(1 for _ in inp.events)
    (counted,) = store.con.execute(
        "SELECT sum(value) FROM counters WHERE metric = 'ingested_events'"
    ).fetchone() or (None,)
    assert counted == events
    runs = store.con.execute("SELECT count(*), count(DISTINCT run_id) FROM runs").fetchone()
    assert runs is not None and runs[0] == runs[1] == 10
    # run totals and run/result counters, whether kept in memory or counted after a restart
    wrong = store.con.execute(
        """SELECT r.run_id, r.results_total, count(x.seq) FROM runs r
        LEFT JOIN results x USING (run_id) GROUP BY ALL HAVING r.results_total <> count(x.seq)"""
    ).fetchall()
    assert wrong == []
    counted = dict(
        store.con.execute(
            "SELECT metric, sum(value) FROM counters WHERE metric IN ('runs', 'task_results') GROUP BY 1"
        ).fetchall()
    )
    assert counted == {"runs": 10.0, "task_results": float(sum(expected.values()))}
    (offset,) = store.con.execute("SELECT offset_bytes FROM files").fetchone() or (None,)
    assert offset == target.stat().st_size
