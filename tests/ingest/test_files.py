"""Backfilling the paths of a command line: which can be read, what each one did."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from ansiscope.errors import ParseError
from ansiscope.ingest.files import (
    Backfill,
    backfill_inputs,
    collect_inputs,
    ingest_last_run,
    input_size,
)
from ansiscope.ingest.ingester import Ingester
from ansiscope.store.duckdb.store import DuckDBStore
from tests.conftest import SAMPLES

SITE = SAMPLES / "jsonl/site-2.19.jsonl"
TWO_RUNS = SAMPLES / "jsonl/two-runs-2.19.jsonl"


def test_collect_inputs_names_each_unreadable_path(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    backfill = Backfill()
    collect_inputs([str(SITE), str(tmp_path / "gone.jsonl"), str(empty), str(fifo)], backfill)
    assert backfill.inputs == [SITE]
    assert backfill.problems == [
        f"{tmp_path / 'gone.jsonl'}: no such file or folder",
        f"{empty}: no files in this folder",
        f"{fifo}: not a file or folder (a pipe is read with -: ... | ansiscope ingest -)",
    ]


def test_backfill_counts_unchanged_files_and_folder_files_that_are_no_logs(
    store: DuckDBStore, tmp_path: Path
) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "README.md").write_text("# not a log\n")
    (folder / "site.jsonl").write_bytes(SITE.read_bytes())
    named = [str(folder), str(TWO_RUNS)]
    ingester = Ingester(store)
    first = Backfill()
    collect_inputs(named, first)
    seen: list[tuple[int, Path]] = []
    backfill_inputs(ingester, first, named, done=lambda n, path: seen.append((n, path)))
    assert [n for n, _ in seen] == [1, 2, 3] and {p for _, p in seen} == set(first.inputs)
    assert (first.unchanged, first.not_logs, first.problems) == (0, 1, [])
    assert ingester.totals.runs_started == 3
    again = Backfill()
    collect_inputs(named, again)
    backfill_inputs(Ingester(store), again, named)
    assert (again.unchanged, again.not_logs) == (2, 1)


def test_a_named_file_that_is_no_log_is_a_problem(store: DuckDBStore, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    backfill = Backfill(inputs=[notes])
    backfill_inputs(Ingester(store), backfill, [str(notes)])
    assert len(backfill.problems) == 1 and backfill.problems[0].startswith(str(notes))
    assert backfill.not_logs == 0


def test_a_set_stop_reads_nothing_more(store: DuckDBStore) -> None:
    stop = threading.Event()
    stop.set()
    backfill = Backfill(inputs=[SITE])
    ingester = Ingester(store)
    backfill_inputs(ingester, backfill, [str(SITE)], stop=stop)
    assert ingester.totals.events == 0 and backfill.unchanged == 0


def test_input_size(tmp_path: Path) -> None:
    assert input_size(SITE) == SITE.stat().st_size
    assert input_size(tmp_path) == 0
    assert input_size(tmp_path / "gone") == 0


def test_ingest_last_run_returns_the_files_last_run(store: DuckDBStore, tmp_path: Path) -> None:
    run_id = ingest_last_run(store, str(TWO_RUNS), {"ci": "yes"})
    assert run_id == store.last_run_from(str(TWO_RUNS))
    assert store.resolve_run("latest") == run_id
    with pytest.raises(ParseError, match="no such file"):
        ingest_last_run(store, str(tmp_path / "gone.jsonl"), {})
    notes = tmp_path / "notes.jsonl"
    notes.write_text("")
    with pytest.raises(ParseError):
        ingest_last_run(store, str(notes), {})
