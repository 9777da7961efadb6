"""Retention: ``prune --older-than 90d`` deletes old runs and gives the space back.

DuckDB reuses deleted space but never shrinks the file, so a prune rewrites the
store into a fresh file (``COPY FROM DATABASE``) and swaps it in atomically.
Counters live in their own table and are untouched: they stay monotonic.
"""

from __future__ import annotations

import dataclasses
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from ansiscope.errors import UsageError
from ansiscope.ingest.schema import connect, transaction

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
RUN_TABLES = ("results", "plays", "tasks", "host_stats", "task_timings", "notes")


def parse_age(text: str) -> timedelta:
    """``90d``, ``12h``, ``30m``, ``2w`` as a duration."""
    match = AGE.match(text)
    if not match:
        raise UsageError(f"{text!r}: expected an age such as 90d, 12h, 30m or 2w")
    return timedelta(seconds=float(match.group(1)) * UNITS[match.group(2)])


def parse_since(text: str | None) -> datetime | None:
    """An age (``7d``: that long ago) or an ISO date/time, as an aware UTC datetime."""
    if not text:
        return None
    if AGE.match(text):
        return datetime.now(UTC) - parse_age(text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text!r}: expected an age (7d, 12h) or a date (2026-11-01)") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@dataclasses.dataclass
class Pruned:
    runs: int
    size_before: int
    size_after: int


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
