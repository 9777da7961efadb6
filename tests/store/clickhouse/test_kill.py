"""SIGKILL on the ClickHouse backend.

- chDB: ``ansiscope watch --db chdb:///…`` killed at random points (≥20 times) while a
  writer appends, as ``tests/ingest/test_fault.py`` does for DuckDB; the store must hold
  what the file holds, counters included.
- A server (``$ANSISCOPE_TEST_CLICKHOUSE_URL``; skipped without it): four ``ansiscope
  ingest`` processes on different files, each killed and restarted, into one store.
  Against the test server here: ``python ../shared/tools/chdb_http.py --path DIR --port 0``
  then ``ANSISCOPE_TEST_CLICKHOUSE_URL=clickhouse://default@127.0.0.1:PORT/ansiscope_test``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, SAMPLES
from tests.ingest.test_fault import ORDER, _writer
from tests.store.clickhouse.helpers import assert_exact, expected

KILLS = int(os.environ.get("ANSISCOPE_FAULT_KILLS", "20"))


def _ansiscope(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ansiscope", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _snapshot(url: str) -> dict[str, Any]:
    """Read in another process: chDB lets one process hold a data path."""
    out = subprocess.run(
        [sys.executable, "-m", "tests.store.clickhouse.helpers", url],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def test_watch_killed_at_random_points_on_chdb(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    url = f"chdb://{tmp_path / 'engine'}?database=killed"
    target = logs / "ansible.jsonl"
    data = b"".join((SAMPLES / "jsonl" / name).read_bytes() for name in ORDER)
    done = threading.Event()
    writer = threading.Thread(target=_writer, args=(target, data, KILLS * 2.0, done))
    writer.start()
    rng = random.Random(42)
    try:
        for _ in range(KILLS):
            proc = _ansiscope("watch", str(logs), "--db", url, "--rescan", "0.05", "--node", "n1")
            assert proc.stderr is not None
            for line in proc.stderr:  # "watching ...": started
                if line.startswith(b"watching"):
                    break
            # a commit on chDB takes tens of queries (not one transaction): give it time
            time.sleep(rng.uniform(0.1, 2.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stderr.close()
    finally:
        writer.join()
    assert done.is_set() and target.read_bytes() == data
    before = _snapshot(url)
    assert sum(before["results"].values()) > 0  # the killed processes did the work
    # a last, clean pass catches up with the end of the file (ingest finishes its runs)
    last = subprocess.run(
        [sys.executable, "-m", "ansiscope", "ingest", str(target), "--db", url, "--node", "n1",
         "-q"], cwd=ROOT, capture_output=True,
    )  # fmt: skip
    assert last.returncode == 0, last.stderr.decode()
    assert_exact(_snapshot(url), expected([target]), 10)


def test_four_ingest_processes_killed_and_restarted(server_url: str, tmp_path: Path) -> None:
    names = ["site-2.19.jsonl", "two-runs-2.16.jsonl", "killed-2.19.jsonl", "loops-2.19.jsonl"]
    paths = []
    for name in names:
        path = tmp_path / name
        path.write_bytes((SAMPLES / "jsonl" / name).read_bytes())
        paths.append(path)
    rng = random.Random(7)
    kills = 0
    pending = dict(enumerate(paths))
    while pending:
        procs = {
            n: _ansiscope("ingest", str(p), "--db", server_url, "--node", f"ci-{n}", "-q")
            for n, p in pending.items()
        }
        # each process lives ~0.7 s (start, connect, ~0.3 s of ingest): until four kills
        # have landed, kill every one early, so that the count does not hang on how fast
        # the machine is (a quiet CI machine once finished all but two before 0.3–1.5 s)
        early = kills < 4
        time.sleep(rng.uniform(0.05, 0.4) if early else rng.uniform(0.3, 1.5))
        for n, proc in procs.items():
            if kills < 12 and proc.poll() is None and (early or rng.random() < 0.6):
                proc.send_signal(signal.SIGKILL)
                kills += 1
            code = proc.wait()
            assert proc.stderr is not None
            err = proc.stderr.read()
            proc.stderr.close()
            if code == 0:
                pending.pop(n)
            else:
                assert code == -signal.SIGKILL, err
    assert kills >= 4
    runs = sum(1 for _ in paths) and _server_runs(paths)
    assert_exact(_snapshot(server_url), expected(paths), runs)


def _server_runs(paths: list[Path]) -> int:
    from tests.conftest import runs_of

    return sum(len(runs_of(p)) for p in paths)
