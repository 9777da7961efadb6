"""The store: where runs live. ``open_store(URL)`` picks the backend from the URL.

- a path, or ``duckdb:///PATH``: the embedded DuckDB file (the default,
  ``./ansiscope.duckdb``); one process owns it.
- ``clickhouse://USER@HOST:8123/DATABASE`` (``clickhouses://`` for TLS): a ClickHouse
  server many ingest nodes and readers share; the password comes from
  ``$ANSISCOPE_CLICKHOUSE_PASSWORD`` or ``$ANSISCOPE_CLICKHOUSE_PASSWORD_FILE``.
- ``chdb:///PATH``: the ClickHouse engine in this process (chDB).

Only ``ansiscope.store`` imports a database driver (import-linter holds that).
"""

from __future__ import annotations

import os
from pathlib import Path

from ansiscope.store.base import (
    MAX_RUNS,
    BatchWriter,
    Reader,
    RunNotFound,
    Store,
    StoreError,
    StoreLocked,
)

DEFAULT_DB = "ansiscope.duckdb"
ENV_DB = "ANSISCOPE_DB"
CLICKHOUSE_SCHEMES = ("clickhouse://", "clickhouses://", "chdb://")


def default_db() -> str:
    """``--db`` default: ``$ANSISCOPE_DB`` or ``./ansiscope.duckdb``."""
    return os.environ.get(ENV_DB) or DEFAULT_DB


def is_file_store(url: str) -> bool:
    """Whether ``url`` names a DuckDB file (a path or ``duckdb:///PATH``)."""
    return not url.startswith(CLICKHOUSE_SCHEMES)


def duckdb_path(url: str) -> Path:
    """The file of a DuckDB store URL."""
    return Path(url.removeprefix("duckdb://")) if url.startswith("duckdb://") else Path(url)


def open_store(
    url: str | Path,
    *,
    read_only: bool = False,
    create: bool = True,
    ingest: bool = False,
    node: str | None = None,
) -> Store:
    """Open (creating or migrating) the store at ``url``.

    ``read_only``: only reads will follow; ``create``: a missing store may be made;
    ``ingest``: this process mostly writes (backends tune memory for it); ``node``:
    this ingest node's stable name where many nodes write one store.
    """
    text = str(url)
    if is_file_store(text):
        from ansiscope.store.duckdb.store import DuckDBStore

        return DuckDBStore(duckdb_path(text), read_only=read_only, create=create, ingest=ingest)
    from ansiscope.store.clickhouse.store import ClickHouseStore

    return ClickHouseStore.open(text, read_only=read_only, create=create, node=node)


def backend_errors() -> tuple[type[Exception], ...]:
    """The drivers' own exception types (a store problem nobody foresaw), for the one
    place that turns them into a one-line message."""
    import sys

    found: list[type[Exception]] = []
    duck = sys.modules.get("duckdb")
    if duck is not None:
        found.append(duck.Error)
    ch = sys.modules.get("clickhouse_connect.driver.exceptions")
    if ch is not None:
        found.append(ch.ClickHouseError)
    return tuple(found)


__all__ = [
    "MAX_RUNS",
    "BatchWriter",
    "Reader",
    "RunNotFound",
    "Store",
    "StoreError",
    "StoreLocked",
    "backend_errors",
    "default_db",
    "open_store",
]
