"""Schema version 3: counters stored by older versions (a ``label`` meaning a status, a
format or a bucket by metric, the format of ``ingest_errors:<format>`` in the metric's
name) are rewritten to a column per label, and ``/metrics`` publishes the same samples."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from ansiscope.exporters.metrics import StoreCollector
from ansiscope.store import open_store
from ansiscope.store.base import Store
from ansiscope.store.clickhouse import schema as clickhouse_schema
from ansiscope.store.clickhouse import store as clickhouse_store
from ansiscope.store.counters import CounterKey
from ansiscope.store.duckdb.schema import MIGRATIONS
from tests.store.conftest import BACKENDS

# (metric, playbook, label, value) as version 2 stored them
OLD = [
    ("runs", "site.yml", "", 3.0),
    ("runs_failed", "site.yml", "", 1.0),
    ("task_results", "site.yml", "ok", 7.0),
    ("task_results", "site.yml", "failed", 2.0),
    ("run_duration_bucket", "site.yml", "5", 2.0),
    ("run_duration_bucket", "site.yml", "+Inf", 3.0),
    ("run_duration_sum", "site.yml", "", 40.0),
    ("ingested_events", "", "jsonl", 90.0),
    ("ingest_errors:jsonl", "", "malformed_json", 2.0),
    ("ingest_errors:text", "", "other", 1.0),
    ("truncations", "", "text", 1.0),
]
NEW = [
    (CounterKey("runs", "site.yml"), 3.0),
    (CounterKey("runs_failed", "site.yml"), 1.0),
    (CounterKey("task_results", "site.yml", status="ok"), 7.0),
    (CounterKey("task_results", "site.yml", status="failed"), 2.0),
    (CounterKey("run_duration_bucket", "site.yml", le="5"), 2.0),
    (CounterKey("run_duration_bucket", "site.yml", le="+Inf"), 3.0),
    (CounterKey("run_duration_sum", "site.yml"), 40.0),
    (CounterKey("ingested_events", source="jsonl"), 90.0),
    (CounterKey("ingest_errors", source="jsonl", reason="malformed_json"), 2.0),
    (CounterKey("ingest_errors", source="text", reason="other"), 1.0),
    (CounterKey("truncations", source="text"), 1.0),
]
# The counter samples version 2 published for OLD (its exposition, as it printed them).
SAMPLES = """\
ansible_playbook_runs_total{playbook="site.yml"} 3.0
ansible_playbook_runs_failed_total{playbook="site.yml"} 1.0
ansible_task_results_total{playbook="site.yml",status="failed"} 2.0
ansible_task_results_total{playbook="site.yml",status="ok"} 7.0
ansible_playbook_run_duration_seconds_bucket{le="1.0",playbook="site.yml"} 0.0
ansible_playbook_run_duration_seconds_bucket{le="5.0",playbook="site.yml"} 2.0
ansible_playbook_run_duration_seconds_bucket{le="+Inf",playbook="site.yml"} 3.0
ansible_playbook_run_duration_seconds_count{playbook="site.yml"} 3.0
ansible_playbook_run_duration_seconds_sum{playbook="site.yml"} 40.0
ansiscope_ingested_events_total{source="jsonl"} 90.0
ansiscope_ingest_errors_total{reason="malformed_json",source="jsonl"} 2.0
ansiscope_ingest_errors_total{reason="other",source="text"} 1.0
ansiscope_truncations_total{source="text"} 1.0
"""


def _old_duckdb(path: Path) -> str:
    raw = duckdb.connect(str(path))
    raw.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    for ddl in MIGRATIONS[:2]:
        raw.execute(ddl)
    raw.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    raw.executemany("INSERT INTO counters VALUES (?, ?, ?, ?)", [list(r) for r in OLD])
    raw.close()
    return str(path)


def _old_chdb(url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    with monkeypatch.context() as patch:
        patch.setattr(clickhouse_store, "MIGRATIONS", clickhouse_schema.MIGRATIONS[:2])
        patch.setattr(clickhouse_store, "SCHEMA_VERSION", 2)
        store = open_store(url)
        assert isinstance(store, clickhouse_store.ClickHouseStore)
        sep = "\x1f"
        ledger = {
            f"{m}{sep}{p}{sep}{label}": v for m, p, label, v in OLD if not p and m != "truncations"
        }
        store.db.command(
            "INSERT INTO ledger (node, file_id, pass, counts, ver) "
            "VALUES ('n', 'f', 0, mapFromArrays({k:Array(String)}, {v:Array(Float64)}), 5)",
            {"k": list(ledger), "v": list(ledger.values())},
        )
        for m, p, label, v in OLD:
            if p or m == "truncations":
                store.db.command(
                    "INSERT INTO counts VALUES ({s:String}, {m:String}, {p:String}, "
                    "{l:String}, {v:Float64}, 'f', 0, 1)",
                    {"s": "file:f:0" if not p else "run:r", "m": m, "p": p, "l": label, "v": v},
                )
        store.close()
    return url


def _exposition(store: Store) -> list[str]:
    registry = CollectorRegistry()
    registry.register(StoreCollector(store.reader))
    text = generate_latest(registry).decode()
    wanted: tuple[str, ...] = ("ansible_playbook_run", "ansible_task_results")
    wanted += ("ansiscope_ingest_errors_total",)
    wanted += ("ansiscope_ingested_events_total", "ansiscope_truncations_total")
    return [
        line
        for line in text.splitlines()
        if line.startswith(wanted)
        and not line.startswith(("#", "ansible_playbook_runs_in"))
        and "_created" not in line
    ]


@pytest.mark.parametrize("backend", sorted(b for b in BACKENDS if b in ("duckdb", "chdb")))
def test_version_3_moves_labels_to_columns(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old: dict[str, Callable[[], str]] = {
        "duckdb": lambda: _old_duckdb(tmp_path / "old.duckdb"),
        "chdb": lambda: _old_chdb(BACKENDS["chdb"](tmp_path, "old"), monkeypatch),
    }
    url = old[backend]()
    store = open_store(url)
    try:
        assert sorted(store.counters()) == sorted(NEW)
        want = SAMPLES.splitlines()
        got = [line for line in _exposition(store) if line in want or "seconds_bucket" not in line]
        assert got == want
    finally:
        store.close()
    again = open_store(url)  # migrated once: opening again changes nothing
    try:
        assert sorted(again.counters()) == sorted(NEW)
    finally:
        again.close()
