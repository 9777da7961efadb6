"""The store: every sample stored as parsed, re-ingest is a no-op, schema and lock
errors are clear, bad lines are quarantined, prune gives space back."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ansiscope.analytics.runtree import RunAssembler
from ansiscope.exporters.summary import run_summary
from ansiscope.store import StoreError, StoreLocked, open_store, retention
from ansiscope.store.duckdb.schema import SCHEMA_VERSION
from ansiscope.store.duckdb.store import DuckDBStore
from tests.conftest import ROOT, SAMPLES, runs_of, sample_paths
from tests.ingest.helpers import expected_results, ingest, open_duckdb, stored_results

sys.path.insert(0, str(ROOT / "bench"))
from jsonl_gen import generate

ASSETS = Path(__file__).resolve().parent.parent / "parser" / "assets"


@pytest.mark.parametrize("path", sample_paths(), ids=lambda p: p.name)
def test_each_sample_is_stored_as_parsed(store: DuckDBStore, path: Path) -> None:
    ingest(store, path)
    assert stored_results(store) == expected_results(path)
    for run in runs_of(path):
        stored = store.con.execute(
            "SELECT host, ok, changed, unreachable, failures, skipped, rescued, ignored "
            "FROM host_stats WHERE run_id = ?",
            [run.run_id],
        ).fetchall()
        assert {h: tuple(rest) for h, *rest in stored} == {
            h: tuple(s.as_dict().values()) for h, s in (run.recap or {}).items()
        }
        # the stored run reads back exactly as the file shows it
        assembler = RunAssembler()
        back = [r for e in store.run_events(run.run_id) if (r := assembler.add(e))]
        mine = run_summary(run)
        theirs = run_summary(back[0])
        assert theirs == mine


def test_reingest_changes_nothing(store: DuckDBStore, tmp_path: Path) -> None:
    paths = sample_paths()
    ingest(store, *paths)
    counts = {
        t: store.con.execute(f"SELECT count(*) FROM {t}").fetchone()
        for t in ("runs", "results", "tasks", "counters")
    }
    counters = store.con.execute("SELECT * FROM counters ORDER BY ALL").fetchall()
    again = ingest(store, *paths)
    assert again.totals.events == 0
    assert counts == {t: store.con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in counts}
    assert counters == store.con.execute("SELECT * FROM counters ORDER BY ALL").fetchall()
    # a copy of a jsonl file under another name holds the same runs: not stored twice
    copy = tmp_path / "copy.jsonl"
    shutil.copy(SAMPLES / "jsonl/site-2.19.jsonl", copy)
    third = ingest(store, copy)
    assert third.totals.results == 0 and third.totals.runs_started == 0
    assert counts["results"] == store.con.execute("SELECT count(*) FROM results").fetchone()


def test_bad_lines_are_quarantined_and_valid_ones_kept(store: DuckDBStore) -> None:
    path = ASSETS / "malformed-line.jsonl"
    ingest(store, path)
    rows = store.con.execute("SELECT path, line, reason, snippet FROM quarantine").fetchall()
    assert rows and all(r[0] == str(path) and r[1] >= 1 and r[2] for r in rows)
    assert stored_results(store) == expected_results(path)
    assert sum(expected_results(path).values()) > 0
    errors = store.con.execute(
        "SELECT source, reason, value FROM counters WHERE metric = 'ingest_errors'"
    ).fetchall()
    assert errors == [("jsonl", "malformed_json", len(rows))]


def test_runs_listing_contract(store: DuckDBStore) -> None:
    ingest(store, SAMPLES / "jsonl/two-runs-2.19.jsonl", SAMPLES / "text/site-2.19.txt")
    rows = store.list_runs()
    assert len(rows) == 3
    keys = {
        "run_id",
        "playbook",
        "source",
        "format",
        "status",
        "started_at",
        "ended_at",
        "duration_s",
        "hosts_total",
        "tasks_total",
        "results_total",
        "labels",
        "stats",
    }
    assert all(keys <= set(r) for r in rows)
    starts = [r["started_at"] for r in rows if r["started_at"]]
    assert starts == sorted(starts, reverse=True)
    text_run = next(r for r in rows if r["format"] == "text")
    (tree,) = runs_of(SAMPLES / "text/site-2.19.txt")
    assert text_run["results_total"] == sum(
        len(t.results) for p in tree.plays.values() for t in p.tasks.values()
    )
    assert tree.recap is not None
    assert text_run["stats"] == {h: s.as_dict() for h, s in tree.recap.items()}
    assert [r["run_id"] for r in store.list_runs(playbook="ping")] == [
        r["run_id"] for r in rows if r["format"] == "jsonl"
    ]
    assert store.list_runs(status="failed") == [text_run]


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    open_store(db).close()
    raw = duckdb.connect(str(db))
    raw.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    raw.close()
    newer, known = SCHEMA_VERSION + 1, SCHEMA_VERSION
    with pytest.raises(
        StoreError, match=f"schema version {newer}, this ansiscope knows up to {known}"
    ):
        open_store(db)


def test_a_store_held_by_another_process_is_reported(tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    open_store(db).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,sys,time; c=duckdb.connect({str(db)!r}); print('ok', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout and holder.stdout.readline().strip() == b"ok"
        with pytest.raises(StoreLocked, match=r"in use by process \d+"):
            open_store(db, read_only=True)
    finally:
        holder.kill()
        holder.wait()


def test_prune_deletes_old_runs_and_shrinks_the_file(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    store = open_duckdb(db)
    bulk = tmp_path / "bulk.jsonl"  # enough results that their space shows in the file
    generate(bulk, 30_000)
    ingest(store, *sample_paths(), bulk)
    (total,) = store.con.execute("SELECT count(*) FROM runs").fetchone() or (0,)
    keep = store.con.execute("SELECT run_id FROM runs ORDER BY run_id LIMIT 3").fetchall()
    old = datetime.now(UTC) - timedelta(days=100)
    store.con.execute(
        "UPDATE runs SET started_at = ? WHERE run_id NOT IN (SELECT run_id FROM runs ORDER BY run_id LIMIT 3)",
        [old],
    )
    cutoff = datetime.now(UTC) - timedelta(days=90)
    counters = store.con.execute("SELECT * FROM counters ORDER BY ALL").fetchall()
    result = store.prune(cutoff)
    assert result.runs == total - 3
    assert result.size_after < result.size_before
    assert sorted(store.con.execute("SELECT run_id FROM runs").fetchall()) == sorted(keep)
    orphans = store.con.execute(
        "SELECT count(*) FROM results WHERE run_id NOT IN (SELECT run_id FROM runs)"
    ).fetchone()
    assert orphans == (0,)
    assert store.con.execute("SELECT * FROM counters ORDER BY ALL").fetchall() == counters
    store.close()


def test_parse_since() -> None:
    assert retention.parse_since(None) is None
    ago = retention.parse_since("7d")
    assert ago is not None and abs((datetime.now(UTC) - ago) - timedelta(days=7)) < timedelta(
        seconds=5
    )
    assert retention.parse_since("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(Exception, match="expected an age"):
        retention.parse_since("soon")
