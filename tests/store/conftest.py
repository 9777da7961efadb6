"""Backends the store contract runs against, by name: each makes the URL of a new,
empty store. DuckDB always; chDB when it is installed; a ClickHouse server when
``ANSISCOPE_TEST_CLICKHOUSE_URL`` names one (e.g. ``tools/chdb_http.py``)."""

from __future__ import annotations

import importlib.util
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest

from ansiscope.store import Store, open_store

NewUrl = Callable[[Path, str], str]
SERVER_ENV = "ANSISCOPE_TEST_CLICKHOUSE_URL"


@cache
def _chdb_root() -> str:
    """One data folder per process is all chDB allows: every chDB store of this process lives
    in it, each in a database of its own."""
    return tempfile.mkdtemp(prefix="ansiscope-chdb-")


def _database() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


def _server(_tmp: Path, _name: str) -> str:
    base = os.environ[SERVER_ENV].split("?")[0].rstrip("/").rsplit("/", 1)[0]
    return f"{base}/{_database()}"


BACKENDS: dict[str, NewUrl] = {
    "duckdb": lambda tmp, name: str(tmp / f"{name}.duckdb"),
}
if importlib.util.find_spec("chdb") is not None:
    BACKENDS["chdb"] = lambda _tmp, _name: f"chdb://{_chdb_root()}?database={_database()}"
if os.environ.get(SERVER_ENV):
    BACKENDS["server"] = _server


@pytest.fixture(params=sorted(BACKENDS))
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], Store]]:
    """Opens new, empty stores of one backend (closed after the test)."""
    opened: list[Store] = []
    make = BACKENDS[request.param]

    def new(name: str = "store") -> Store:
        store = open_store(make(tmp_path, f"{name}_{len(opened)}"))
        opened.append(store)
        return store

    yield new
    for store in opened:
        store.close()
