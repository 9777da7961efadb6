"""Backends the store contract runs against, by name: each makes the URL of a new,
empty store. DuckDB always; chDB when it is installed; a ClickHouse server when
``ANSISCOPE_TEST_CLICKHOUSE_URL`` names one (e.g. ``tools/chdb_http.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ansiscope.store import Store, open_store

NewUrl = Callable[[Path, str], str]

BACKENDS: dict[str, NewUrl] = {
    "duckdb": lambda tmp, name: str(tmp / f"{name}.duckdb"),
}


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
