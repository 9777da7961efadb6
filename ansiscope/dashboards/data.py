"""The dashboard's access to the store: a read-only connection (to the snapshot the
service publishes, or any store no writer holds), reopened when the file changes,
and cached calls of analytics functions. No SQL here either."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import streamlit as st

from ansiscope.ingest.schema import connect, default_db

T = TypeVar("T")
TTL_S = 10


def db_path() -> str:
    """``-- --db FILE`` after ``streamlit run``, else $ANSISCOPE_DB, else ./ansiscope.duckdb."""
    args = sys.argv[1:]
    if "--db" in args and args.index("--db") + 1 < len(args):
        return args[args.index("--db") + 1]
    return os.environ.get("ANSISCOPE_DASHBOARD_DB") or default_db()


def version(path: str) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0


@st.cache_resource(max_entries=2)
def _connection(path: str, mtime: float) -> duckdb.DuckDBPyConnection:
    del mtime  # part of the cache key: a new snapshot gets a new connection
    return connect(path, read_only=True)


def con() -> duckdb.DuckDBPyConnection:
    """A cursor on the current version of the store."""
    path = db_path()
    return _connection(path, version(path)).cursor()


@st.cache_data(ttl=TTL_S, show_spinner=False, max_entries=200)
def _cached(
    name: str, path: str, mtime: float, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]
) -> Any:
    function = _REGISTRY[name]
    cursor = _connection(path, mtime).cursor()
    try:
        return function(cursor, *args, **dict(kwargs))
    finally:
        cursor.close()


_REGISTRY: dict[str, Callable[..., Any]] = {}


def cached(function: Callable[..., T]) -> Callable[..., T]:
    """Call ``function(con, *args)`` through the cache (keyed by the store's version)."""
    name = f"{function.__module__}.{function.__qualname__}"
    _REGISTRY[name] = function

    def call(*args: Any, **kwargs: Any) -> T:
        path = db_path()
        return _cached(name, path, version(path), args, tuple(sorted(kwargs.items())))  # type: ignore[no-any-return]

    return call
