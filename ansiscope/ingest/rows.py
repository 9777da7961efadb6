"""Events as Arrow columns, and loading Arrow tables into DuckDB tables."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from operator import attrgetter

import duckdb
import pyarrow as pa

from ansiscope.parser.events import Event

TS = pa.timestamp("us", tz="UTC")
STR, INT, FLOAT, BOOL = pa.string(), pa.int64(), pa.float64(), pa.bool_()

RESULT_COLUMNS = {
    "run_id": STR,
    "seq": INT,
    "play_id": STR,
    "task_id": STR,
    "task_name": STR,
    "host": STR,
    "status": STR,
    "changed": BOOL,
    "started_at": TS,
    "ended_at": TS,
    "duration_s": FLOAT,
    "action": STR,
    "items_total": INT,
    "items_failed": INT,
    "attempts": INT,
    "rc": INT,
    "delta_s": FLOAT,
    "msg": STR,
    "delegated_to": STR,
    "no_log": BOOL,
}
PLAY_COLUMNS = {
    "run_id": STR,
    "seq": INT,
    "play_id": STR,
    "name": STR,
    "path": STR,
    "started_at": TS,
    "batch": INT,
}
TASK_COLUMNS = {
    "run_id": STR,
    "seq": INT,
    "play_id": STR,
    "task_id": STR,
    "name": STR,
    "role": STR,
    "path": STR,
    "handler": BOOL,
    "started_at": TS,
    "action": STR,
}
TIMING_COLUMNS = {
    "run_id": STR,
    "seq": INT,
    "task_id": STR,
    "started_at": TS,
    "ended_at": TS,
    "duration_s": FLOAT,
}


def table(events: Sequence[Event], columns: dict[str, pa.DataType]) -> pa.Table:
    """One Arrow column per event attribute named in ``columns``."""
    return pa.table(
        {
            name: pa.array(list(map(attrgetter(name), events)), type=kind)
            for name, kind in columns.items()
        }
    )


@contextmanager
def scan(con: duckdb.DuckDBPyConnection, name: str, data: pa.Table) -> Iterator[None]:
    """``data`` visible to SQL as ``name`` for the duration of the block."""
    con.register(name, data)
    try:
        yield
    finally:
        con.unregister(name)


def load(con: duckdb.DuckDBPyConnection, target: str, data: pa.Table) -> None:
    """Append ``data`` to table ``target`` (columns matched by name)."""
    with scan(con, "_batch", data):
        con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM _batch")
