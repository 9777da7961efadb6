"""A running service on a free port, over a store loaded with the sample logs."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ansiscope.exporters.server import Service
from ansiscope.ingest.schema import connect
from tests.conftest import sample_paths
from tests.ingest.helpers import ingest


def fetch(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(
        url, data=data, headers=headers or {}, method="POST" if data is not None else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), dict(response.headers.items())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers.items())


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Service, str, Path]]:
    db = tmp_path / "serve.duckdb"
    con = connect(db)
    ingest(con, *sample_paths())
    watched = tmp_path / "watched"
    watched.mkdir()
    svc = Service(con, db=str(db), watch=[watched])
    port = svc.start("127.0.0.1", 0)
    yield svc, f"http://127.0.0.1:{port}", watched
    svc.shutdown()
