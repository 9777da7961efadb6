"""Helpers for store tests: ingest into a fresh store, and what a file should give."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ansiscope.ingest.ingester import Ingester
from ansiscope.parser import open_input
from ansiscope.parser.events import HostResult, StatusAmended
from ansiscope.store import Store, open_store
from ansiscope.store.duckdb.store import DuckDBStore


def open_duckdb(path: str | Path, *, read_only: bool = False) -> DuckDBStore:
    """``open_store(path)`` as the DuckDB store it is, for tests that read its tables."""
    return as_duckdb(open_store(path, read_only=read_only))


def as_duckdb(store: Store) -> DuckDBStore:
    """A store a test made on a DuckDB file, as the ``DuckDBStore`` whose tables it reads."""
    assert isinstance(store, DuckDBStore), type(store)
    return store


def ingest(store: Store, *paths: Path) -> Ingester:
    """Backfill ``paths`` the way ``ansiscope ingest`` does."""
    ingester = Ingester(store)
    for path in paths:
        ingester.backfill(path)
    return ingester


def expected_results(path: Path, source: str | None = None) -> Counter[tuple[str, int, str, str]]:
    """(run_id, seq, host, final status) of every host result the parser finds in ``path``."""
    results: dict[tuple[str, int], HostResult] = {}
    with open_input(str(path)) as inp:
        for event in inp.events:
            if isinstance(event, HostResult):
                results[(event.run_id, event.seq)] = event
            elif isinstance(event, StatusAmended):
                results[(event.run_id, event.result_seq)].status = event.status
    return Counter((r.run_id, r.seq, r.host, str(r.status)) for r in results.values())


def stored_results(store: DuckDBStore) -> Counter[tuple[str, int, str, str]]:
    """The same, from the store (a Counter, so duplicates show)."""
    rows = store.con.execute("SELECT run_id, seq, host, status FROM results").fetchall()
    return Counter((r[0], int(r[1]), r[2], r[3]) for r in rows)
