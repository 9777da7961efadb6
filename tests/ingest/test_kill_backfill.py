"""``ansiscope ingest`` of a big file killed with SIGKILL mid-transaction (while DuckDB
writes whole row groups of it straight into the file), or stopped with Ctrl-C, then run
again: the store holds every result exactly once, and the run totals and counters agree."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ansiscope.store import batch as staging
from tests.conftest import ROOT
from tests.ingest.helpers import open_duckdb

sys.path.insert(0, str(ROOT / "bench"))
from jsonl_gen import generate

RESULTS = 300_000  # more than one transaction (staging.BATCH_RESULTS)


def _ingest(path: Path, db: Path, stderr: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ansiscope", "ingest", str(path), "--db", str(db)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert RESULTS > staging.BATCH_RESULTS
    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    generate(path, RESULTS)
    return path


def test_ctrl_c_mid_backfill_stores_what_was_read_and_goes_on(big: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    proc = _ingest(big, db, stderr=subprocess.PIPE)
    while not db.exists() and proc.poll() is None:  # the store is opened once Ctrl-C is caught
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"interrupted: what was read is stored" in err and b"Traceback" not in err
    store = open_duckdb(db, read_only=True)
    try:
        (stored,) = store.con.execute("SELECT count(*) FROM results").fetchone() or (0,)
        assert stored < RESULTS
    finally:
        store.close()
    _assert_exact_after_another_ingest(big, db)


def test_sigkill_mid_backfill_then_again_stores_each_result_once(big: Path, tmp_path: Path) -> None:
    path = big
    db = tmp_path / "store.duckdb"
    killed = 0
    for delay in (1.5, 2.5):  # imports take ~0.5 s; the whole file takes seconds more
        proc = _ingest(path, db)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
    assert killed, "ingest finished before it could be killed: make the file bigger"
    _assert_exact_after_another_ingest(path, db)


def _assert_exact_after_another_ingest(path: Path, db: Path) -> None:
    assert _ingest(path, db).wait() == 0
    store = open_duckdb(db, read_only=True)
    try:
        total, distinct = store.con.execute(
            "SELECT count(*), count(DISTINCT (run_id, seq)) FROM results"
        ).fetchone() or (0, 0)
        assert total == distinct == RESULTS
        runs = store.con.execute(
            "SELECT count(*), sum(results_total), "
            "count(*) FILTER (status IN ('running', 'interrupted')) FROM runs"
        ).fetchone()
        assert runs == (RESULTS // 1000, RESULTS, 0)  # every run ended, with its recap
        counted = dict(
            store.con.execute(
                "SELECT metric, sum(value) FROM counters "
                "WHERE metric IN ('runs', 'task_results') GROUP BY 1"
            ).fetchall()
        )
        assert counted == {"runs": RESULTS / 1000, "task_results": float(RESULTS)}
        (offset,) = store.con.execute("SELECT offset_bytes FROM files").fetchone() or (None,)
        assert offset == path.stat().st_size
    finally:
        store.close()
