"""Shared fixtures: the sample logs and helpers to parse them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ansiscope.analytics.runtree import RunTree, assemble
from ansiscope.parser import open_input
from ansiscope.service.core import Service

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"
CANARY = "ANSISCOPE-CANARY-7f3a9c"


def sample_paths() -> list[Path]:
    """Every sample log: files under jsonl/json/text/callback, and runner artifact folders."""
    paths = [
        p
        for d in ("jsonl", "json", "text", "callback")
        for p in sorted((SAMPLES / d).glob("*"))
        if p.stat().st_size
    ]
    paths += sorted(p for p in (SAMPLES / "runner").iterdir() if p.is_dir())
    return paths


def other_samples(synthetic: str = "deploy.yml") -> list[Path]:
    """The samples but those of the playbook ``tests.analytics.history`` writes runs of
    (``/srv/deploy.yml``: both are named ``deploy.yml``, one name per playbook), so a
    synthetic history is that playbook's latest run."""
    return [p for p in sample_paths() if not p.name.startswith(synthetic.split(".")[0])]


def runs_of(path: Path | str) -> list[RunTree]:
    """Parse and assemble every run in a sample."""
    with open_input(str(path)) as source:
        runs, _ = assemble(source.events)
    return runs


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Service, str, Path]]:
    """A running service on a free port, over a store loaded with the sample logs,
    following an empty folder."""
    from ansiscope.store import open_store
    from tests.ingest.helpers import ingest

    db = tmp_path / "serve.duckdb"
    store = open_store(db)
    ingest(store, *sample_paths())
    watched = tmp_path / "watched"
    watched.mkdir()
    svc = Service(store, watch=[watched])
    port = svc.start("127.0.0.1", 0)
    yield svc, f"http://127.0.0.1:{port}", watched
    svc.shutdown()
