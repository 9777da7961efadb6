"""Fixtures shared by the ingest tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ansiscope.store.duckdb.store import DuckDBStore
from tests.ingest.helpers import open_duckdb


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    """A fresh DuckDB store in the test's folder, closed after it."""
    opened = open_duckdb(tmp_path / "store.duckdb")
    yield opened
    opened.close()
