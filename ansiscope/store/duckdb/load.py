"""Arrow tables into DuckDB: registered as views for SQL, or appended to a table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pyarrow as pa


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
