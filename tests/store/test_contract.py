"""The store contract: every backend answers every named read, write, re-ingest,
forget, prune and counter the same way. Expectations come from the parser (what the
files say), never from one backend's answers."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ansiscope.analytics.runtree import RunAssembler
from ansiscope.exporters.summary import run_summary
from ansiscope.ingest.ingester import Ingester
from ansiscope.parser.events import HostResult, RunStatus
from ansiscope.store import RunNotFound, Store
from ansiscope.store.counters import CounterKey
from ansiscope.store.records import FileRecord
from tests.conftest import SAMPLES, runs_of, sample_paths
from tests.ingest.helpers import expected_results

NewStore = Callable[..., Store]
# a small cross-section: jsonl, json, text with profile_tasks, runner, a killed run
SOME = [
    SAMPLES / "jsonl" / "site-2.19.jsonl",
    SAMPLES / "jsonl" / "two-runs-2.19.jsonl",
    SAMPLES / "json" / "site-2.16.json",
    SAMPLES / "text" / "site-profile-2.19.txt",
    SAMPLES / "jsonl" / "killed-2.19.jsonl",
]


def ingest(store: Store, *paths: Path) -> Ingester:
    ingester = Ingester(store)
    for path in paths:
        ingester.backfill(path)
    return ingester


def stored_results(store: Store) -> Counter[tuple[str, int, str, str]]:
    """(run, seq, host, status) of every stored host result, read back through run_events."""
    out: Counter[tuple[str, int, str, str]] = Counter()
    for run in store.list_runs(limit=1_000_000):
        for e in store.run_events(run["run_id"]):
            if isinstance(e, HostResult):
                out[(e.run_id, e.seq, e.host, str(e.status))] += 1
    return out


def counter(store: Store, metric: str) -> dict[CounterKey, float]:
    return {key: v for key, v in store.counters() if key.metric == metric}


def test_every_read_on_an_empty_store(new_store: NewStore) -> None:
    store = new_store()
    assert store.run_count() == 0
    assert store.list_runs() == []
    with pytest.raises(RunNotFound, match="no runs yet"):
        store.resolve_run("latest")
    with pytest.raises(RunNotFound, match="no stored run"):
        store.resolve_run("abc")
    with pytest.raises(RunNotFound):
        store.run_events("abc")
    with pytest.raises(RunNotFound):
        store.run_partition("abc")
    assert store.latest_run_of("site") is None
    assert store.last_run_from("/nowhere.jsonl") is None
    assert store.latest_runs() == []
    for frame in (
        store.runs_frame(),
        store.host_frame(),
        store.task_history_frame("site"),
        store.run_hosts([]),
        store.host_task_durations("h1"),
        store.task_rows([]),
        store.host_rows([]),
    ):
        assert frame.empty
    assert set(store.runs_frame().columns) >= {"run_id", "playbook", "status", "started_at"}
    assert store.ingest_state() == {
        "quarantined": 0,
        "files": 0,
        "following": 0,
        "last_update": None,
    }
    assert store.counters() == []
    assert store.running() == []
    assert store.last_runs() == []
    assert store.last_durations() == []
    assert store.size_bytes() >= 0
    name, version = store.backend()
    assert name and version


def test_stored_samples_read_back_as_parsed(new_store: NewStore) -> None:
    store = new_store()
    ingest(store, *SOME)
    expected: Counter[tuple[str, int, str, str]] = Counter()
    for path in SOME:
        expected += expected_results(path)
    assert stored_results(store) == expected
    runs = [run for path in SOME for run in runs_of(path)]
    assert store.run_count() == len(runs)
    listed = {r["run_id"]: r for r in store.list_runs(limit=100)}
    assert set(listed) == {r.run_id for r in runs}
    for run in runs:
        row = listed[run.run_id]
        assert row["status"] == str(run.status)
        assert row["stats"] == {h: s.as_dict() for h, s in sorted((run.recap or {}).items())}
        assembler = RunAssembler()
        back = [t for e in store.run_events(run.run_id) if (t := assembler.add(e))]
        assert run_summary(back[0]) == run_summary(run)
        assert store.resolve_run(run.run_id[:10]) == run.run_id
        part = store.run_partition(run.run_id)
        assert part["run_id"] == run.run_id and part["playbook"] == run.playbook
        if run.status != RunStatus.RUNNING:
            assert run.run_id in list(store.partition_runs(part, 50)["run_id"])
        tasks = store.task_rows([run.run_id])
        with_results = {
            t.task_id for p in run.plays.values() for t in p.tasks.values() if t.results
        }
        assert set(tasks["task_id"]) == with_results
        hosts = store.run_hosts([run.run_id])
        assert set(hosts["host"]) == {
            r.host for p in run.plays.values() for t in p.tasks.values() for r in t.results
        }
    state = store.ingest_state()
    assert state["files"] == len(SOME) and state["following"] == 0
    assert state["last_update"] is not None


def test_counters_count_each_finished_run_and_result_once(new_store: NewStore) -> None:
    store = new_store()
    ingest(store, *SOME)
    runs = [run for path in SOME for run in runs_of(path)]
    assert sum(counter(store, "runs").values()) == len(runs)
    failed = sum(1 for r in runs if r.status in (RunStatus.FAILED, RunStatus.UNREACHABLE))
    assert sum(counter(store, "runs_failed").values()) == failed
    statuses: Counter[str] = Counter()
    for path in SOME:
        statuses.update(status for *_, status in expected_results(path).elements())
    per_status: Counter[str] = Counter()
    for key, value in counter(store, "task_results").items():
        per_status[key.status] += int(value)
    assert per_status == statuses
    assert sum(counter(store, "ingested_events").values()) > 0


def test_reingest_is_a_no_op(new_store: NewStore) -> None:
    store = new_store()
    ingest(store, *SOME)
    before = (sorted(store.counters()), stored_results(store), store.run_count())
    again = ingest(store, *SOME)
    assert again.totals.events == 0
    assert (sorted(store.counters()), stored_results(store), store.run_count()) == before


def test_writer_records_checkpoints_and_counts(new_store: NewStore, tmp_path: Path) -> None:
    store = new_store()
    path = SOME[0]
    ingest(store, path)
    writer = store.writer()
    (record,) = [r for r in writer.file_records() if r.path == str(path)]
    assert record.state == "done" and record.offset == path.stat().st_size
    assert store.last_run_from(str(path)) == runs_of(path)[-1].run_id
    moved = FileRecord(**{**record.__dict__, "path": str(tmp_path / "moved.jsonl")})
    writer.save_file(moved)
    assert [r.path for r in store.writer().file_records()] == [moved.path]
    # a count outside a batch follows the record it is about (ingester: a truncation)
    writer.count(CounterKey("truncations", source="jsonl"), 1)
    other = FileRecord(**{**record.__dict__, "file_id": "other", "path": "/elsewhere.jsonl"})
    writer.save_file(other)
    writer.count(CounterKey("truncations", source="jsonl"), 2)
    assert counter(store, "truncations") == {CounterKey("truncations", source="jsonl"): 3.0}


def test_forget_keeps_runs_counted_once(new_store: NewStore) -> None:
    store = new_store()
    path = SOME[0]
    ingester = ingest(store, path)
    runs_before = counter(store, "runs")
    (record,) = ingester.records
    store.writer().forget_file(record.file_id)
    assert store.run_count() == len(runs_of(path))  # the run rows stay
    # stored again whole (what a finished file that grew gets): counted once still
    record.offset, record.lines, record.state = 0, 0, "following"
    store.writer().save_file(record)
    ingest(store, path)
    assert stored_results(store) == expected_results(path)
    assert counter(store, "runs") == runs_before


def test_delete_before_and_prune_keep_counters(new_store: NewStore) -> None:
    store = new_store()
    ingest(store, *SOME)
    counters = sorted(store.counters())
    assert store.delete_before(datetime(2000, 1, 1, tzinfo=UTC)) == 0
    deleted = store.delete_before(datetime.now(UTC) + timedelta(days=1))
    assert deleted == len([r for p in SOME for r in runs_of(p)])
    assert store.run_count() == 0 and stored_results(store) == Counter()
    assert sorted(store.counters()) == counters
    ingest(store, SOME[0])  # still a working store; nothing stored again (checkpoints)
    assert store.run_count() == 0
    pruned = store.prune(datetime.now(UTC) + timedelta(days=1))
    assert pruned.runs == 0
    assert sorted(store.counters()) == counters


def test_a_reader_per_thread_sees_what_was_committed(new_store: NewStore) -> None:
    store = new_store()
    ingest(store, SOME[0])
    with store.reader() as reader:
        assert reader.run_count() == store.run_count() > 0
        assert reader.list_runs() == store.list_runs()


def test_every_sample_round_trips(new_store: NewStore) -> None:
    """All of sample_logs/ (every format and version) stored, and read back as parsed."""
    store = new_store()
    paths = sample_paths()
    ingest(store, *paths)
    expected: Counter[tuple[str, int, str, str]] = Counter()
    for path in paths:
        expected += expected_results(path)
    assert stored_results(store) == expected
    latest = dict(store.latest_runs())
    assert latest and all(store.resolve_run(run_id) == run_id for run_id in latest.values())
    for playbook in latest:
        history = store.task_history_frame(playbook)
        assert not history.empty and history["wall_s"].notna().any()


def test_a_batch_of_many_result_chunks(new_store: NewStore, tmp_path: Path) -> None:
    """Results arrive as Arrow chunks of 4,096 with dictionaries of their own; a batch
    holds many of them (a 10,000-result file is one batch)."""
    from tests.conftest import ROOT

    sys.path.insert(0, str(ROOT / "bench"))
    from jsonl_gen import generate

    big = tmp_path / "big.jsonl"
    generate(big, 10_000)
    store = new_store()
    ingest(store, big)
    assert stored_results(store) == expected_results(big)
    assert sum(counter(store, "task_results").values()) == 10_000


def test_counters_follow_results_re_read_by_the_recap(new_store: NewStore) -> None:
    """Under ignore_unreachable the recap re-reads unreachable results as ignored (and
    failures as ignored or rescued): the result counters follow what was re-read."""
    store = new_store()
    loops = SAMPLES / "jsonl" / "loops-2.19.jsonl"
    ingest(store, loops)
    want: Counter[str] = Counter(status for *_, status in expected_results(loops).elements())
    assert want["ignored"] and want["unreachable"] < want["ignored"] + want["unreachable"]
    got = {key.status: int(v) for key, v in counter(store, "task_results").items() if v}
    assert got == dict(want)
