"""Retention in DuckDB: old runs deleted, then the file rewritten to give the space back.

DuckDB reuses deleted space but never shrinks the file, so a prune rewrites the
store into a fresh file (``COPY FROM DATABASE``) and swaps it in atomically.
Counters live in their own table and are untouched: they stay monotonic.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import duckdb

from ansiscope.store.duckdb.schema import connect, transaction
from ansiscope.store.retention import Pruned

RUN_TABLES = ("results", "plays", "tasks", "host_stats", "task_timings", "notes")


def delete_before(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> int:
    """Delete runs that started before ``cutoff`` (and everything of theirs)."""
    old = "(SELECT run_id FROM runs WHERE coalesce(started_at, ingested_at) < ?)"
    with transaction(con):
        for table in RUN_TABLES:
            con.execute(f"DELETE FROM {table} WHERE run_id IN {old}", [cutoff])
        rows = con.execute(
            "DELETE FROM runs WHERE coalesce(started_at, ingested_at) < ? RETURNING run_id",
            [cutoff],
        ).fetchall()
    return len(rows)


def prune(db: Path, cutoff: datetime, *, compact: bool = True) -> Pruned:
    """Delete old runs from the store file ``db``; rewrite it to reclaim the space."""
    before = _size(db)
    con = connect(db)
    try:
        deleted = delete_before(con, cutoff)
        con.execute("CHECKPOINT")
        if compact and deleted:
            fresh = db.with_name(db.name + ".compact")
            for leftover in (fresh, Path(str(fresh) + ".wal")):
                leftover.unlink(missing_ok=True)
            con.execute(f"ATTACH '{_quote(fresh)}' AS compact")
            (name,) = con.execute("SELECT current_database()").fetchone() or ("",)
            con.execute(f'COPY FROM DATABASE "{name}" TO compact')
            con.execute("DETACH compact")
            con.close()  # before the swap (closing twice is harmless)
            os.replace(fresh, db)
            Path(str(db) + ".wal").unlink(missing_ok=True)
    finally:
        con.close()
    return Pruned(deleted, before, _size(db))


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def _size(db: Path) -> int:
    wal = Path(str(db) + ".wal")
    return db.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
