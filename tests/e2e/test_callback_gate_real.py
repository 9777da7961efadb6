"""Real ansible-playbook runs through ansiscope's callback into a watched folder: each
run is stored as it happens with its playbook and invocation, and the gate never takes
a run narrowed by ``--tags`` (or ``--limit … --check``) as the baseline of full runs,
nor full runs as the baseline of a narrowed one."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from ansiscope.analytics.gate import gate
from ansiscope.ingest.ingester import Ingester
from ansiscope.ingest.watch import Watcher
from ansiscope.store import open_store
from tests.e2e.test_callback_real import BIN_219, PLAYBOOK, play

pytestmark = pytest.mark.e2e
# (arguments, what the stored invocation must say)
RUNS: list[tuple[list[str], dict[str, object]]] = [
    ([], {"tags": [], "limit": None, "check_mode": False}),
    ([], {"tags": [], "limit": None, "check_mode": False}),
    (["--tags", "ping"], {"tags": ["ping"], "check_mode": False}),
    ([], {"tags": [], "limit": None, "check_mode": False}),
    (["--limit", "db01", "--check"], {"limit": "db01", "check_mode": True}),
    (["--tags", "ping"], {"tags": ["ping"], "check_mode": False}),
]


def test_callback_runs_watched_stored_and_gated_by_shape(tmp_path: Path) -> None:
    book = tmp_path / "project" / "recorded.yml"
    book.parent.mkdir()
    book.write_text(PLAYBOOK)
    logs = tmp_path / "logs"
    logs.mkdir()
    store = open_store(tmp_path / "store.duckdb")
    watcher = Watcher(Ingester(store), [logs], rescan_s=0.5, idle_s=3600)
    follower = threading.Thread(target=watcher.run, daemon=True)
    follower.start()
    try:
        for args, _ in RUNS:
            done = play(book, BIN_219, args, logs)
            assert done.returncode == 0, done.stderr.decode()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with store.reader() as reader:
                runs = reader.list_runs(limit=50)
            if len(runs) == len(RUNS) and all(r["status"] != "running" for r in runs):
                break
            time.sleep(0.5)
    finally:
        watcher.stop.set()
        watcher.wake.set()
        follower.join(timeout=30)
    runs = sorted(store.list_runs(limit=50), key=lambda r: r["started_at"])
    assert len(runs) == len(RUNS) and {r["status"] for r in runs} == {"successful"}
    for run, (_, expect) in zip(runs, RUNS, strict=True):
        assert run["playbook"] == "recorded.yml" and run["playbook_path"] == str(book)
        assert run["invocation"]["extra_vars_keys"] == ["token"]
        for key, value in expect.items():
            assert run["invocation"][key] == value, (key, run["invocation"])
    ids = [r["run_id"] for r in runs]
    # the last --tags run: only the --tags run before it is its baseline (today's rule,
    # playbook + check mode + hosts, would have taken the three full runs too)
    tagged = gate(store, ids[5])
    assert tagged.shape == "tags=ping" and tagged.history_runs == 1
    # the last full run: the two full runs before it, not the --tags run between them
    full = gate(store, ids[3])
    assert full.shape == "" and full.history_runs == 2
    # --limit --check: a partition of its own (check mode and hosts differ too)
    assert gate(store, ids[4]).history_runs == 0
    store.close()
