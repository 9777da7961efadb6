"""Fixtures for the ClickHouse backend: chDB stores isolated by database name.

chDB allows one data path per process, so every test of this process shares one folder
and gets its own database in it (``chdb:///DIR?database=NAME``).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests.store.conftest import _chdb_root

SERVER_ENV = "ANSISCOPE_TEST_CLICKHOUSE_URL"


@pytest.fixture(scope="session")
def chdb_root() -> Path:
    """The one chDB folder of this process (the contract suite's too)."""
    return Path(_chdb_root())


@pytest.fixture
def chdb_url(chdb_root: Path) -> str:
    """A fresh, empty store in this process's chDB engine."""
    return f"chdb://{chdb_root}?database=t_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def server_url() -> str:
    """A fresh database on the ClickHouse server of ``$ANSISCOPE_TEST_CLICKHOUSE_URL``."""
    base = os.environ.get(SERVER_ENV)
    if not base:
        pytest.skip(f"set {SERVER_ENV}=clickhouse://default@HOST:PORT/DB to run against a server")
    return f"{base.split('?')[0].rstrip('/').rsplit('/', 1)[0]}/t_{uuid.uuid4().hex[:12]}"
