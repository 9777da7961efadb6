"""A real ``ansible-playbook`` writes jsonl (or its own ``log_path`` file) into a
watched folder: its results are in the store while it still runs, the run ends when
the playbook does, and the final counts equal Ansible's recap."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ansiscope.ingest.ingester import Ingester
from ansiscope.ingest.watch import Watcher
from tests.conftest import SAMPLES
from tests.ingest.helpers import open_duckdb

pytestmark = pytest.mark.e2e
ANSIBLE = Path(sys.executable).parent / "ansible-playbook"
PLAYBOOK = """
- name: Slow enough to watch
  hosts: db
  gather_facts: false
  tasks:
    - name: First
      ansible.builtin.ping:
    - name: Wait a little
      ansible.builtin.command: sleep 3
      changed_when: false
    - name: Last
      ansible.builtin.command: echo done
"""


@pytest.mark.skipif(not ANSIBLE.exists(), reason="ansible not installed")
@pytest.mark.parametrize("output", ["jsonl", "log_path"])
def test_results_appear_while_the_playbook_runs(tmp_path: Path, output: str) -> None:
    playbooks = SAMPLES / "playbooks"
    book = tmp_path / "watched.yml"
    book.write_text(PLAYBOOK)
    logs = tmp_path / "logs"
    logs.mkdir()
    store = open_duckdb(tmp_path / "store.duckdb")
    watcher = Watcher(Ingester(store), [logs], tick_s=0.1)
    thread = threading.Thread(target=watcher.run)
    thread.start()
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(playbooks / "ansible.cfg"),
        "ANSIBLE_INVENTORY": str(playbooks / "inventory.ini"),
        "PYTHONUNBUFFERED": "1",
    }
    if output == "jsonl":
        env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.jsonl"
        target = logs / "run.jsonl"
    else:  # Ansible's own log file; stdout goes nowhere
        env["ANSIBLE_LOG_PATH"] = str(logs / "ansible.log")
        target = tmp_path / "stdout.txt"
    reader = store.con.cursor()
    first_seen = 0  # results stored when the store first had any, mid-run
    try:
        with target.open("wb") as out:
            play = subprocess.Popen([str(ANSIBLE), str(book)], stdout=out, env=env, cwd=playbooks)
            deadline = time.monotonic() + 120
            while play.poll() is None and time.monotonic() < deadline:
                row = reader.execute("SELECT count(*) FROM results").fetchone()
                status = reader.execute("SELECT status FROM runs").fetchall()
                if row and row[0] and status == [("running",)] and not first_seen:
                    first_seen = row[0]
                time.sleep(0.1)
            assert play.wait(timeout=10) == 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if reader.execute("SELECT status FROM runs").fetchall() == [("successful",)]:
                break
            time.sleep(0.1)
    finally:
        watcher.stop.set()
        watcher.wake.set()
        thread.join(timeout=10)
    assert 0 < first_seen < 9  # some results, while the playbook still ran
    stats = reader.execute(
        "SELECT host, ok, changed, failures FROM host_stats ORDER BY host"
    ).fetchall()
    assert stats == [("db01", 3, 1, 0), ("db02", 3, 1, 0), ("db03", 3, 1, 0)]
    by_status = dict(
        reader.execute("SELECT status, count(*) FROM results GROUP BY status").fetchall()
    )
    assert by_status == {"ok": 6, "changed": 3}
    store.close()
