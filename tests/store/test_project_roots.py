"""One name per playbook across formats, on every backend (``store.naming``): a run
that names its project teaches the store the project's root, and jsonl runs of a
playbook in a sub-folder, stored before or after, take the name relative to it, their
counters merged. The logs are real samples moved to a project at ``/P``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from ansiscope.store import Store, open_store
from ansiscope.store.clickhouse import roots as clickhouse_roots
from ansiscope.store.clickhouse import schema as clickhouse_schema
from ansiscope.store.clickhouse import store as clickhouse_store
from ansiscope.store.counters import CounterKey, run_increments
from ansiscope.store.duckdb import roots as duckdb_roots
from ansiscope.store.duckdb import schema as duckdb_schema
from tests.conftest import SAMPLES, runs_of
from tests.ingest.helpers import expected_results
from tests.store.conftest import BACKENDS
from tests.store.test_contract import ingest

NewStore = Callable[..., Store]
NAME = "playbooks/site.yml"


def moved(src: Path, dst: Path, replacements: dict[str, str]) -> Path:
    """A copy of a sample with its paths rewritten."""
    text = src.read_text()
    for old, new in replacements.items():
        assert old in text, (src, old)
        text = text.replace(old, new)
    dst.write_text(text)
    return dst


def jsonl_log(tmp_path: Path, version: str) -> Path:
    """A plain jsonl run of ``/P/playbooks/site.yml``: named ``site.yml`` by the parser."""
    return moved(
        SAMPLES / "jsonl" / f"site-{version}.jsonl",
        tmp_path / f"jsonl-{version}.jsonl",
        {"/work/main/sample_logs/playbooks/": "/P/playbooks/"},
    )


def callback_log(tmp_path: Path, *, say_check: bool = True) -> Path:
    """A callback run of the same playbook, whose header names the project ``/P``
    (without ``say_check``, it does not say whether it ran in check mode, as jsonl
    does not: the gate then compares it with jsonl runs)."""
    replacements = {
        "/work/wt-callback/sample_logs/playbooks/": "/P/playbooks/",
        '"project":"/work/wt-callback"': '"project":"/P"',
        '"relative":"sample_logs/playbooks/site.yml"': f'"relative":"{NAME}"',
    }
    if not say_check:
        replacements['"check":false,'] = ""
    return moved(
        SAMPLES / "callback" / "site-2.19.jsonl", tmp_path / "callback.jsonl", replacements
    )


def expected_counters(*paths: Path) -> Counter[CounterKey]:
    """The run counters of every run in ``paths``, all under ``NAME`` (from the parser)."""
    total: Counter[CounterKey] = Counter()
    for path in paths:
        statuses: dict[str, Counter[str]] = {}
        for run_id, _, _, status in expected_results(path).elements():
            statuses.setdefault(run_id, Counter())[status] += 1
        rows = [(r.run_id, NAME, r.status, r.duration_s) for r in runs_of(path)]
        total.update(dict(run_increments(rows, statuses)))
    return total


def playbook_counters(store: Store) -> dict[CounterKey, float]:
    return {key: value for key, value in store.counters() if key.playbook}


@pytest.mark.parametrize("order", ["learned_last", "learned_between"])
def test_jsonl_runs_before_and_after_the_root_share_its_name(
    new_store: NewStore, tmp_path: Path, order: str
) -> None:
    before, after = jsonl_log(tmp_path, "2.18"), jsonl_log(tmp_path, "2.19")
    teacher = callback_log(tmp_path)
    paths = [before, after, teacher] if order == "learned_last" else [before, teacher, after]
    store = new_store()
    ingest(store, *paths)
    runs = store.list_runs(limit=100)
    assert len(runs) == 3
    assert {r["playbook"] for r in runs} == {NAME}
    expected = expected_counters(*paths)
    counters = playbook_counters(store)
    assert {key.playbook for key in counters} == {NAME}
    assert set(counters) == set(expected)
    for key, value in expected.items():
        assert counters[key] == pytest.approx(value, abs=1e-6), key
    assert counters[CounterKey("runs", NAME)] == 3


def test_the_gate_compares_a_run_with_those_stored_before_its_root(
    new_store: NewStore, tmp_path: Path
) -> None:
    (earlier,) = runs_of(before := jsonl_log(tmp_path, "2.18"))
    (later,) = runs_of(teacher := callback_log(tmp_path, say_check=False))
    assert earlier.playbook == "site.yml" and later.playbook == NAME  # as the parser names them
    assert earlier.started_at and later.started_at and earlier.started_at < later.started_at
    store = new_store()
    ingest(store, before, teacher)
    part = store.run_partition(later.run_id)
    assert part["playbook"] == NAME
    assert list(store.partition_runs(part, 50)["run_id"]) == [earlier.run_id, later.run_id]
    assert store.run_partition(earlier.run_id)["playbook"] == NAME


def test_storing_the_old_input_again_keeps_the_merged_name_and_counts(
    new_store: NewStore, tmp_path: Path
) -> None:
    before, teacher = jsonl_log(tmp_path, "2.18"), callback_log(tmp_path)
    store = new_store()
    ingest(store, before, teacher)
    counted = playbook_counters(store)
    assert {r["playbook"] for r in store.list_runs()} == {NAME}
    # the old input stored again whole (a new pass on ClickHouse, whose run rows are
    # versions written after the rename's)
    writer = store.writer()
    (record,) = [r for r in writer.file_records() if r.path == str(before)]
    writer.forget_file(record.file_id)
    record.offset, record.lines, record.state = 0, 0, "following"
    writer.save_file(record)
    again = ingest(store, before)
    assert again.totals.events > 0
    assert {r["playbook"] for r in store.list_runs()} == {NAME}
    assert playbook_counters(store) == counted  # the runs' counters: not counted again


@pytest.mark.parametrize("backend", sorted(b for b in BACKENDS if b in ("duckdb", "chdb")))
def test_version_4_merges_the_names_a_store_holds(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, teacher = jsonl_log(tmp_path, "2.18"), callback_log(tmp_path)
    url = BACKENDS[backend](tmp_path, "old")
    with monkeypatch.context() as patch:  # a store of version 3: no roots learned
        patch.setattr(duckdb_schema, "MIGRATIONS", duckdb_schema.MIGRATIONS[:3])
        patch.setattr(duckdb_schema, "SCHEMA_VERSION", 3)
        patch.setattr(clickhouse_store, "MIGRATIONS", clickhouse_schema.MIGRATIONS[:3])
        patch.setattr(clickhouse_store, "SCHEMA_VERSION", 3)
        patch.setattr(duckdb_roots, "learn", lambda *_: set())
        patch.setattr(clickhouse_roots, "learn", lambda *_: set())
        old = open_store(url)
        ingest(old, before, teacher)
        assert {r["playbook"] for r in old.list_runs()} == {"site.yml", NAME}
        assert {key.playbook for key in playbook_counters(old)} == {"site.yml", NAME}
        old.close()
    store = open_store(url)
    try:
        assert {r["playbook"] for r in store.list_runs()} == {NAME}
        expected = expected_counters(before, teacher)
        counters = playbook_counters(store)
        assert set(counters) == set(expected)
        for key, value in expected.items():
            assert counters[key] == pytest.approx(value, abs=1e-6), key
    finally:
        store.close()
