"""Exactly-once on chDB without transactions: crashes between a batch's data and its
ledger row, a retried ledger insert, one log ingested by two nodes, and four writers
with crashes and restarts. Every check counts rows without FINAL where duplicates would
show, and reads counters the way ``/metrics`` does."""

from __future__ import annotations

import random
import shutil
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from ansiscope.ingest import feeds
from ansiscope.ingest.ingester import Ingester
from ansiscope.store import batch, open_store
from ansiscope.store.clickhouse.store import ClickHouseStore
from tests.conftest import SAMPLES
from tests.store.clickhouse.helpers import assert_exact, expected, snapshot

FILES = ["site-2.19.jsonl", "two-runs-2.16.jsonl", "killed-2.19.jsonl", "loops-2.19.jsonl"]


class Crash(Exception):
    """A node dying: what it wrote stays, what it had in memory is gone."""


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many commits per file, so crashes land between many batches."""
    monkeypatch.setattr(batch, "BATCH_RESULTS", 40)
    monkeypatch.setattr(batch, "BATCH_EVENTS", 15)
    monkeypatch.setattr(feeds, "FEED_LINES", 8)


def _runs(paths: list[Path]) -> int:
    from tests.conftest import runs_of

    return sum(len(runs_of(p)) for p in paths)


def _ingest_crashing(url: str, node: str, path: Path, rng: random.Random) -> int:
    """Backfill ``path`` as ``node``, dying before ledger rows now and then; returns the
    number of crashes it survived."""
    crashes = 0
    while True:
        store = open_store(url, node=node)
        try:
            ingester = Ingester(store)

            def fault(point: str) -> None:
                if rng.random() < 0.4:
                    raise Crash(point)

            ingester.writer.fault = fault  # type: ignore[attr-defined]
            ingester.backfill(path)
            return crashes
        except Crash:
            crashes += 1
        finally:
            store.close()


def test_crash_before_the_ledger_row_loses_and_doubles_nothing(chdb_url: str) -> None:
    paths = [SAMPLES / "jsonl" / FILES[0], SAMPLES / "jsonl" / FILES[1]]
    rng = random.Random(3)
    crashes = sum(_ingest_crashing(chdb_url, "n1", p, rng) for p in paths)
    assert crashes >= 5
    assert_exact(snapshot(chdb_url), expected(paths), _runs(paths))


def test_a_retried_ledger_insert_is_dropped(chdb_url: str) -> None:
    """Each ledger insert is sent again with its token, as a client does when the reply
    was lost; the copy is marked (another node name) so that, were it stored, no
    collapsing could hide it."""
    path = SAMPLES / "jsonl" / FILES[0]
    store = open_store(chdb_url, node="n1")
    assert isinstance(store, ClickHouseStore)
    insert = store.db.insert
    resent = 0

    def twice(table: str, data: pa.Table, token: str | None = None) -> None:
        nonlocal resent
        insert(table, data, token)
        if table == "ledger":
            assert token is not None
            marked = data.set_column(0, "node", pa.array(["ghost"] * data.num_rows))
            insert(table, marked, token)
            resent += 1

    try:
        store.db.insert = twice  # type: ignore[method-assign]
        Ingester(store).backfill(path)
        assert resent >= 3
        ghosts = store.db.rows("SELECT count() FROM ledger WHERE node = 'ghost'")[0][0]
        assert ghosts == 0
    finally:
        store.close()
    assert_exact(snapshot(chdb_url), expected([path]), _runs([path]))


def test_one_log_ingested_by_two_nodes_counts_once(chdb_url: str, tmp_path: Path) -> None:
    shared = tmp_path / "nfs" / "site.jsonl"  # the same path on both nodes (a shared mount)
    shared.parent.mkdir()
    shutil.copy(SAMPLES / "jsonl" / FILES[1], shared)
    errors: list[BaseException] = []

    def node(name: str) -> None:
        try:
            _ingest_crashing(chdb_url, name, shared, random.Random(name))
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=node, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert_exact(snapshot(chdb_url), expected([shared]), _runs([shared]))


def test_four_writers_with_crashes_and_restarts(chdb_url: str) -> None:
    paths = [SAMPLES / "jsonl" / name for name in FILES]
    errors: list[BaseException] = []
    crashes: list[int] = []

    def writer(n: int, path: Path) -> None:
        try:
            crashes.append(_ingest_crashing(chdb_url, f"ci-runner-{n}", path, random.Random(n)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n, p)) for n, p in enumerate(paths)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(crashes) >= 4
    assert_exact(snapshot(chdb_url), expected(paths), _runs(paths))


def test_the_gate_reads_collapse_copies_as_a_clean_store(chdb_url: str, tmp_path: Path) -> None:
    """The gate's reads skip ``FINAL`` where they can (``task_rows`` on tasks, plays and
    timings; ``host_rows`` collapses in pandas): after crashes left copies of batches
    unmerged, they give what one clean DuckDB ingest of the same logs gives."""
    paths = [SAMPLES / "jsonl" / FILES[0], SAMPLES / "jsonl" / FILES[3]]
    rng = random.Random(5)
    assert sum(_ingest_crashing(chdb_url, "n1", p, rng) for p in paths) >= 3
    clean = open_store(str(tmp_path / "clean.duckdb"), ingest=True)
    for path in paths:
        Ingester(clean).backfill(path)
    chdb = open_store(chdb_url, read_only=True)
    assert isinstance(chdb, ClickHouseStore)
    try:
        raw, final = (
            chdb.db.rows(f"SELECT count() FROM {t} SETTINGS final = {f}")[0][0]
            for t, f in (("results", 0), ("results", 1))
        )
        assert raw > final  # copies are there to collapse
        ids = sorted(clean.runs_frame()["run_id"])
        assert len(ids) >= 2
        for read, keys in ((_host_rows, ["run_id", "task_id", "host"]), (_task_rows, None)):
            got, want = read(chdb, ids), read(clean, ids)
            order = keys or ["run_id", "task_id"]
            got = got.sort_values(order, kind="stable").reset_index(drop=True)
            want = want.sort_values(order, kind="stable").reset_index(drop=True)
            pd.testing.assert_frame_equal(got, want, check_dtype=False)
    finally:
        chdb.close()
        clean.close()


def _host_rows(store: Any, ids: list[str]) -> pd.DataFrame:
    rows: pd.DataFrame = store.host_rows(ids)
    return rows.sort_values(["run_id", "task_id", "host", "duration_s"], kind="stable")


def _task_rows(store: Any, ids: list[str]) -> pd.DataFrame:
    rows: pd.DataFrame = store.task_rows(ids)
    return rows
