"""Run shape and invocation in the store: the gate's partition, ``runs --format json``'s
``invocation``, and version 2's migration of playbook names."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ansiscope.analytics.gate import gate
from ansiscope.ingest.ingester import Ingester
from ansiscope.parser.events import LogFormat, RunStart
from ansiscope.store import open_store
from ansiscope.store.counters import CounterKey
from ansiscope.store.duckdb.schema import MIGRATIONS, SCHEMA_VERSION
from ansiscope.store.invocation import shape
from tests.analytics.history import write_run
from tests.ingest.helpers import open_duckdb


def start(**fields: object) -> RunStart:
    base = {"format": LogFormat.JSONL, "playbook": None, "started_at": None}
    return RunStart(run_id="r", seq=0, offset=0, source="s", **{**base, **fields})  # type: ignore[arg-type]


def test_shape_keys_only_what_narrows_a_run() -> None:
    assert shape(start()) == ""
    assert shape(start(tags=("all",), skip_tags=("never",), limit=None)) == ""
    assert shape(start(tags=("web", "db"), limit="web*")) == "tags=db,web;limit=web*"
    assert shape(start(skip_tags=("slow", "never"))) == "skip_tags=slow"


def test_gate_compares_a_tagged_run_only_with_runs_tagged_alike(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    store = open_store(tmp_path / "s.duckdb")
    ingester = Ingester(store)
    full = [write_run(logs, i, invocation={}) for i in range(12)]
    tagged = [
        write_run(logs, 12 + i, invocation={"tags": ["web"]}, slower={"Build the release": 0.1})
        for i in range(3)
    ]
    after = write_run(logs, 15, invocation={})
    for path in [*full, *tagged, after]:
        ingester.backfill(path)
    run_ids = {r["run_id"]: r for r in store.list_runs(limit=100)}
    by_index = sorted(run_ids)  # header uuids start with the run's index
    last_tagged, last_full = by_index[14], by_index[15]
    tagged_result = gate(store, last_tagged)
    assert tagged_result.shape == "tags=web"
    assert tagged_result.history_runs == 2  # the two tagged runs before it, no full run
    full_result = gate(store, last_full)
    assert full_result.shape == ""
    assert full_result.history_runs == 12  # the tagged runs are no baseline of full runs
    assert full_result.verdict() == "pass"
    assert full_result.document()["baseline"]["described"] == "all tasks and hosts"
    row = run_ids[last_tagged]
    assert row["invocation"]["tags"] == ["web"] and row["invocation"]["limit"] is None
    assert set(row["invocation"]) >= {"tags", "skip_tags", "limit", "check_mode", "forks"}
    store.close()


def test_version_2_names_playbooks_once_and_merges_their_counters(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    raw = duckdb.connect(str(db))
    raw.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    raw.execute(MIGRATIONS[0])
    raw.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    for run_id, book in (("a", "/srv/x/site.yml"), ("b", "/home/ci/site.yml"), ("c", None)):
        raw.execute(
            "INSERT INTO runs (run_id, playbook, status) VALUES (?, ?, 'successful')",
            [run_id, book],
        )
    raw.execute(
        "INSERT INTO counters VALUES ('runs', '/srv/x/site.yml', '', 2), "
        "('runs', '/home/ci/site.yml', '', 3), ('ingested_events', '', 'jsonl', 9)"
    )
    raw.close()
    store = open_duckdb(db)
    rows = store.con.execute(
        "SELECT run_id, playbook, playbook_path FROM runs ORDER BY run_id"
    ).fetchall()
    assert rows == [
        ("a", "site.yml", "/srv/x/site.yml"),
        ("b", "site.yml", "/home/ci/site.yml"),
        ("c", None, None),
    ]
    assert sorted(store.counters()) == [
        (CounterKey("ingested_events", source="jsonl"), 9.0),
        (CounterKey("runs", "site.yml"), 5.0),
    ]
    assert store.list_runs(playbook="/srv/x/site.yml")[0]["run_id"] == "a"
    (version,) = store.con.execute(
        "SELECT value FROM meta WHERE key = 'schema_version'"
    ).fetchone() or ("",)
    assert version == str(SCHEMA_VERSION) == "4"
    store.close()
