"""The dashboard's access to the store: opened read-only (the snapshot ``serve``
publishes for DuckDB, or the shared ClickHouse store itself), reopened when a
snapshot file changes, and cached calls of analytics functions. No SQL here either."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import streamlit as st

from ansiscope.store import Reader, Store, default_db, duckdb_path, is_file_store, open_store

T = TypeVar("T")
TTL_S = 10


def db_path() -> str:
    """``-- --db URL`` after ``streamlit run``, else $ANSISCOPE_DASHBOARD_DB or $ANSISCOPE_DB,
    else ./ansiscope.duckdb."""
    args = sys.argv[1:]
    if "--db" in args and args.index("--db") + 1 < len(args):
        return args[args.index("--db") + 1]
    return os.environ.get("ANSISCOPE_DASHBOARD_DB") or default_db()


def version(url: str) -> float:
    """What changes when the data does: a DuckDB file's modification time (a shared
    server has no such thing: 0, and the cache's TTL bounds staleness)."""
    if not is_file_store(url):
        return 0.0
    try:
        return duckdb_path(url).stat().st_mtime
    except OSError:
        return 0.0


@st.cache_resource(max_entries=2)
def _store(url: str, mtime: float) -> Store:
    del mtime  # part of the cache key: a new snapshot gets a new store
    return open_store(url, read_only=True)


@contextmanager
def reader() -> Iterator[Reader]:
    """A reader on the current version of the store."""
    url = db_path()
    with _store(url, version(url)).reader() as store:
        yield store


@st.cache_data(ttl=TTL_S, show_spinner=False, max_entries=200)
def _cached(
    name: str, url: str, mtime: float, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]
) -> Any:
    function = _REGISTRY[name]
    with _store(url, mtime).reader() as store:
        return function(store, *args, **dict(kwargs))


_REGISTRY: dict[str, Callable[..., Any]] = {}


def cached(function: Callable[..., T]) -> Callable[..., T]:
    """Call ``function(reader, *args)`` through the cache (keyed by the store's version)."""
    name = f"{function.__module__}.{function.__qualname__}"
    _REGISTRY[name] = function

    def call(*args: Any, **kwargs: Any) -> T:
        url = db_path()
        return _cached(name, url, version(url), args, tuple(sorted(kwargs.items())))  # type: ignore[no-any-return]

    return call
