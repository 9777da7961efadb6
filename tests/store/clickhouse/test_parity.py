"""Parity: ``sample_logs/`` stored in DuckDB and in chDB read back the same through the
CLI (``runs``, ``summary --json`` of every run, ``gate --format json``) and ``/metrics``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from ansiscope.exporters.metrics import StoreCollector
from ansiscope.store import open_store
from tests.clirun import run_cli
from tests.conftest import runs_of, sample_paths
from tests.ingest.helpers import ingest


def _runs(capsys: pytest.CaptureFixture[str], db: str) -> list[dict[str, Any]]:
    result = run_cli(capsys, "runs", "--db", db, "--format", "json", "--limit", "100000")
    assert result.code == 0, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def _exposition(db: str) -> list[str]:
    store = open_store(db, read_only=True)
    try:
        registry = CollectorRegistry()
        registry.register(StoreCollector(store.reader, cache_s=0))
        text = generate_latest(registry).decode()
    finally:
        store.close()
    lines = [
        line
        for line in text.splitlines()
        if not line.startswith(("ansiscope_build", "ansiscope_store_bytes", "# "))
        and "scrape" not in line
    ]
    return sorted(lines)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory, chdb_root: Path) -> tuple[str, str]:
    duck = str(tmp_path_factory.mktemp("parity") / "store.duckdb")
    ch = f"chdb://{chdb_root}?database=parity"
    for url in (duck, ch):
        store = open_store(url)
        try:
            ingest(store, *sample_paths())
        finally:
            store.close()
    return duck, ch


def test_runs_are_identical(capsys: pytest.CaptureFixture[str], stores: tuple[str, str]) -> None:
    duck, ch = stores
    expected = _runs(capsys, duck)
    assert len(expected) == sum(len(runs_of(p)) for p in sample_paths()) > 0
    assert _runs(capsys, ch) == expected


def test_summaries_are_identical(
    capsys: pytest.CaptureFixture[str], stores: tuple[str, str]
) -> None:
    duck, _ = stores
    for run in _runs(capsys, duck):
        outputs = [
            run_cli(capsys, "summary", run["run_id"], "--db", db, "--json", "-") for db in stores
        ]
        assert (outputs[1].code, outputs[1].out) == (outputs[0].code, outputs[0].out)


def test_gates_are_identical(capsys: pytest.CaptureFixture[str], stores: tuple[str, str]) -> None:
    """The gate of each playbook's latest run (its whole history is the baseline)."""
    duck, _ = stores
    latest: dict[str, str] = {}
    for run in _runs(capsys, duck):  # newest first
        latest.setdefault(run["playbook"] or "", run["run_id"])
    assert len(latest) >= 4
    for run_id in latest.values():
        outputs = []
        for db in stores:
            gate = run_cli(capsys, "gate", "--db", db, "--run", run_id, "--format", "json",
                           "--fail-on", "never")  # fmt: skip
            assert gate.code == 0, gate.err
            outputs.append(json.loads(gate.out))
        assert outputs[1] == outputs[0], run_id


# Runs with no start time (a stats-only log) are dated by when they were stored: these
# differ between two stores filled at different times, whatever the backend; so do the
# collector's own timing and the bytes on disk.
INGEST_TIME = (
    "timestamp_seconds",
    "recovery_duration_seconds",
    "collect_duration",
    "db_size_bytes",
)


def _samples(lines: list[str]) -> dict[str, float]:
    return {
        name: float(value)
        for name, value in (line.rsplit(" ", 1) for line in lines)
        if not any(key in name for key in INGEST_TIME)
    }


def test_metrics_are_identical(stores: tuple[str, str]) -> None:
    """Same series, same values; sums of float durations may differ in the last bits
    (DuckDB adds them per batch, ClickHouse per run)."""
    duck, ch = stores
    expected = _samples(_exposition(duck))
    assert expected['ansible_playbook_runs_total{playbook="site.yml"}'] > 0
    got = _samples(_exposition(ch))
    assert sorted(got) == sorted(expected)
    assert got == pytest.approx(expected, rel=1e-12)
