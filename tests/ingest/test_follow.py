"""Following files as they are written: half lines, renames, copytruncate, deletion,
a growing ansible-runner folder, idle runs, restarts. Driven step by step (no timing)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from ansiscope.ingest.ingester import Ingester
from ansiscope.ingest.watch import Watcher
from ansiscope.parser import runner
from ansiscope.store.duckdb.store import DuckDBStore
from tests.conftest import SAMPLES
from tests.ingest.helpers import expected_results, stored_results

JSONL = SAMPLES / "jsonl/site-2.19.jsonl"
TWO_RUNS = SAMPLES / "jsonl/two-runs-2.19.jsonl"


def watcher(store: DuckDBStore, root: Path, **kw: Any) -> Watcher:
    return Watcher(Ingester(store), [root], rescan_s=0, **kw)


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_half_written_line_waits_for_its_newline(store: DuckDBStore, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    target = logs / "run.jsonl"
    data = JSONL.read_bytes()
    w = watcher(store, logs)
    cut = data.index(b"v2_runner_on_ok")  # the middle of the first result line
    start_of_line = data.rindex(b"\n", 0, cut) + 1
    target.write_bytes(data[:cut])
    w.step()
    prefix = tmp_path / "prefix.jsonl"
    prefix.write_bytes(data[:start_of_line])
    assert stored_results(store) == expected_results(prefix)  # the half line is not read yet
    assert store.con.execute("SELECT count(*) FROM quarantine").fetchone() == (0,)
    assert store.con.execute("SELECT offset_bytes FROM files").fetchone() == (start_of_line,)
    with target.open("ab") as f:
        f.write(data[cut:])
    w.step()
    assert stored_results(store) == expected_results(JSONL, str(target))
    assert store.con.execute("SELECT count(*) FROM quarantine").fetchone() == (0,)


def test_appends_are_stored_as_they_come_and_a_restart_continues(
    store: DuckDBStore, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    target = logs / "run.jsonl"
    all_lines = lines(TWO_RUNS)
    w = watcher(store, logs)
    seen = []
    for i, line in enumerate(all_lines):
        with target.open("ab") as f:
            f.write(line)
        if i % 3 == 0:
            w.step()
            seen.append(sum(stored_results(store).values()))
        if i == len(all_lines) // 2:
            w = watcher(store, logs)  # a restart: a fresh ingester on the same store
    w.step()
    assert seen == sorted(seen) and 0 < seen[len(seen) // 2] < seen[-1]  # stored as it came
    assert stored_results(store) == expected_results(target)
    statuses = store.con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()
    assert statuses == [("successful",), ("successful",)]


def test_rename_rotation_keeps_following_both_files(store: DuckDBStore, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    current = logs / "ansible.log"
    first, second = lines(TWO_RUNS), lines(JSONL)
    half = len(first) // 2
    current.write_bytes(b"".join(first[:half]))
    w = watcher(store, logs)
    w.step()
    rotated = logs / "ansible.log.1"
    os.rename(current, rotated)
    with rotated.open("ab") as f:  # the old writer still finishes its run into the rotated file
        f.write(b"".join(first[half:]))
    current.write_bytes(b"".join(second))
    w.step()
    w.step()
    assert stored_results(store) == expected_results(rotated) + expected_results(JSONL)
    paths = sorted(p for (p,) in store.con.execute("SELECT path FROM files").fetchall())
    assert paths == [str(current), str(rotated)]


def test_copytruncate_is_detected_counted_and_new_content_stored(
    store: DuckDBStore, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    target = logs / "ansible.log"
    shutil.copy(TWO_RUNS, target)
    w = watcher(store, logs)
    w.step()
    before = stored_results(store)
    shutil.copy(target, logs / "ansible.log.1.bak")  # (copy step of copytruncate: elsewhere)
    os.truncate(target, 0)
    w.step()
    ping = lines(SAMPLES / "jsonl/two-runs-2.16.jsonl")
    target.write_bytes(b"".join(ping))
    w.step()
    w.step()
    assert store.con.execute(
        "SELECT value FROM counters WHERE metric = 'truncations'"
    ).fetchone() == (1.0,)
    assert w.ingester.truncations == 1
    after = stored_results(store)
    assert after - before == expected_results(SAMPLES / "jsonl/two-runs-2.16.jsonl")
    assert before - after == type(before)()  # nothing lost


def test_deleted_file_closes_its_open_run(store: DuckDBStore, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    target = logs / "run.jsonl"
    target.write_bytes(b"".join(lines(JSONL)[:30]))
    w = watcher(store, logs)
    w.step()
    assert store.con.execute("SELECT status FROM runs").fetchall() == [("running",)]
    stored = stored_results(store)
    target.unlink()
    w.step()
    assert store.con.execute("SELECT status FROM runs").fetchall() == [("interrupted",)]
    assert store.con.execute("SELECT state FROM files").fetchall() == [("deleted",)]
    assert stored_results(store) == stored and sum(stored.values()) > 0


def counter(store: DuckDBStore, metric: str) -> float:
    row = store.con.execute("SELECT sum(value) FROM counters WHERE metric = ?", [metric]).fetchone()
    return row[0] if row and row[0] is not None else 0.0


def test_idle_run_is_interrupted_then_resumes(store: DuckDBStore, tmp_path: Path) -> None:
    """The grown file is stored again, whole, without counting its run twice."""
    logs = tmp_path / "logs"
    logs.mkdir()
    target = logs / "run.jsonl"
    all_lines = lines(JSONL)
    target.write_bytes(b"".join(all_lines[:30]))
    w = watcher(store, logs, idle_s=0.0)
    w.step()
    w.step()  # nothing new and idle: interrupted
    assert store.con.execute("SELECT status FROM runs").fetchall() == [("interrupted",)]
    assert counter(store, "runs") == 1
    with target.open("ab") as f:
        f.write(b"".join(all_lines[30:]))
    w.step()
    assert store.con.execute("SELECT status FROM runs").fetchall() == [("failed",)]
    assert stored_results(store) == expected_results(JSONL)
    assert counter(store, "runs") == 1


def test_ansible_log_file_that_runs_append_to(store: DuckDBStore, tmp_path: Path) -> None:
    """Ansible's log_path file: a run ends at its recap (no line follows it until the
    next run), the quiet file is set aside, and the next run is read from its offset."""
    logs = tmp_path / "logs"
    logs.mkdir()
    target = logs / "ansible.log"
    first, second = SAMPLES / "text/site-logpath-2.19.txt", SAMPLES / "text/site-logpath-2.18.txt"
    target.write_bytes(first.read_bytes())
    w = watcher(store, logs, idle_s=0.0)
    w.step()
    assert store.con.execute("SELECT status FROM runs").fetchall() == [("failed",)]
    w.step()  # quiet, nothing open: set aside (not read each step), not closed
    assert store.con.execute("SELECT state FROM files").fetchall() == [("following",)]
    assert not w.ingester.feeds
    w.step()  # unchanged: stays aside
    assert not w.ingester.feeds
    with target.open("ab") as f:
        f.write(second.read_bytes())
    w.step()
    assert store.con.execute("SELECT status FROM runs").fetchall() == [("failed",), ("failed",)]
    expected = expected_results(first) + expected_results(second)
    assert sum(stored_results(store).values()) == sum(expected.values())
    assert counter(store, "runs") == 2
    assert counter(store, "task_results") == sum(expected.values())


def test_growing_runner_folder(store: DuckDBStore, tmp_path: Path) -> None:
    source = SAMPLES / "runner/site-2.19"
    logs = tmp_path / "artifacts"
    ident = logs / "abc123"
    (ident / "job_events").mkdir(parents=True)
    files = runner.event_files(source)
    w = watcher(store, logs)
    for i, (_, file) in enumerate(files):
        shutil.copy(file, ident / "job_events" / file.name)
        if i % 25 == 0:
            w.step()
            status = store.con.execute("SELECT status FROM runs").fetchall()
            assert status in ([], [("running",)])
    w.step()
    assert store.con.execute("SELECT status FROM runs").fetchall() == [("failed",)]
    assert sum(stored_results(store).values()) == sum(expected_results(source).values())


def test_unknown_files_in_a_watched_folder_are_skipped_once(
    store: DuckDBStore, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "notes.md").write_text("# not a log\n")
    shutil.copy(JSONL, logs / "run.jsonl")
    messages: list[str] = []
    w = Watcher(Ingester(store), [logs], rescan_s=0, report=messages.append)
    w.step()
    w.step()
    assert [m for m in messages if "notes.md" in m] and len(
        [m for m in messages if "notes.md" in m]
    ) == 1
    assert stored_results(store) == expected_results(JSONL)
