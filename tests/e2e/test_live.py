"""Real processes: ``ansiscope summary -`` prints while input is still arriving, and a
real ``ansible-playbook`` piped into it gives Ansible's own recap."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.e2e
ANSISCOPE = [sys.executable, "-m", "ansiscope"]


def _read_until(stream, needle: str, timeout: float) -> str:
    seen = ""
    fd = stream.fileno()
    while needle not in seen:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            raise AssertionError(f"{needle!r} not printed within {timeout}s; got {seen!r}")
        chunk = os.read(fd, 65536).decode()
        if not chunk:
            raise AssertionError(f"stream closed before {needle!r}; got {seen!r}")
        seen += chunk
    return seen


def test_summary_prints_while_the_playbook_runs() -> None:
    text = (SAMPLES / "text/two-runs-2.19.txt").read_bytes()
    cut = text.index(b"\n", text.index(b"TASK [Report uptime]")) + 1
    first, rest = text[:cut], text[cut:]  # up to the banner that closes the first task
    proc = subprocess.Popen(
        [*ANSISCOPE, "summary", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.stdin and proc.stdout
    proc.stdin.write(first)
    proc.stdin.flush()
    early = _read_until(proc.stdout, "db01: ok", timeout=20)  # printed before input ended
    assert "PLAY Quick ping" in early
    proc.stdin.write(rest)
    proc.stdin.close()
    out = early + proc.stdout.read().decode()
    assert proc.wait(timeout=30) == 0
    assert "durations measured from line arrival" in out


@pytest.mark.skipif(
    shutil.which("ansible-playbook") is None
    and not (Path(sys.executable).parent / "ansible-playbook").exists(),
    reason="ansible not installed",
)
def test_real_ansible_playbook_piped_into_summary(tmp_path: Path) -> None:
    playbook_dir = SAMPLES / "playbooks"
    ansible = Path(sys.executable).parent / "ansible-playbook"
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(playbook_dir / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
    }
    for callback, fmt in (("ansible.posix.jsonl", "jsonl"), ("default", "text")):
        env["ANSIBLE_STDOUT_CALLBACK"] = callback
        play = subprocess.Popen(
            [str(ansible), "ping.yml"], cwd=playbook_dir, env=env, stdout=subprocess.PIPE
        )
        summary = subprocess.run(
            [*ANSISCOPE, "summary", "-", "--json", str(tmp_path / f"{fmt}.json"), "-q"],
            stdin=play.stdout,
            capture_output=True,
            cwd=ROOT,
            timeout=120,
        )
        assert play.wait(timeout=120) == 0
        assert summary.returncode == 0, summary.stderr
        (run,) = json.loads((tmp_path / f"{fmt}.json").read_text())["runs"]
        assert run["format"] == fmt and run["status"] == "successful"
        assert run["stats_source"] == "recap"
        assert {h: s["ok"] for h, s in run["stats"].items()} == {"db01": 2, "db02": 2, "db03": 2}
