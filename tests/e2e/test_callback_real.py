"""ansiscope's callback plugin in real ``ansible-playbook`` runs: the user's stdout is
unchanged, one file per run lands in the log folder, ansiscope's parser reads the
playbook and invocation from it, no_log output and extra-var values never reach it,
and a finished run is uploaded to a server (a failed upload only warns)."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from ansiscope.parser import open_input
from ansiscope.parser.events import HostResult, RunEnd, RunStart, RunStatus
from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.e2e
PLUGINS = ROOT / "ansiscope/ansible_plugins/callback"
BIN_219 = Path(sys.executable).parent
BIN_216 = (
    Path(os.environ.get("ANSISCOPE_ANSIBLE216", Path.home() / ".cache/ansiscope/ansible216"))
    / "bin"
)
NO_LOG_CANARY = "NOLOG-CANARY-51c0"
EXTRA_CANARY = "EXTRA-CANARY-9e2d"
PLAYBOOK = f"""
- name: Recorded play
  hosts: db
  gather_facts: false
  tasks:
    - name: Ping
      ansible.builtin.ping:
      tags: [ping]
    - name: Secret
      ansible.builtin.command: echo {NO_LOG_CANARY}
      no_log: true
      changed_when: false
      tags: [secret]
    - name: Uses the extra var
      ansible.builtin.set_fact:
        seen: "{{{{ token | length }}}}"
    - name: Skipped in check mode
      ansible.builtin.command: echo hi
      when: not ansible_check_mode
"""
VERSIONS = [BIN_219] + ([BIN_216] if (BIN_216 / "ansible-playbook").exists() else [])


def play(book: Path, bin_dir: Path, args: list[str], log_dir: Path | None, **env: str):
    """Run ansible-playbook in the playbook's folder (forks 1: output in a stable order)."""
    environ = {
        **os.environ,
        "ANSIBLE_CONFIG": str(SAMPLES / "playbooks/ansible.cfg"),
        "ANSIBLE_INVENTORY": str(SAMPLES / "playbooks/inventory.ini"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORKS": "1",
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        **env,
    }
    if log_dir is not None:
        environ |= {
            "ANSIBLE_CALLBACK_PLUGINS": str(PLUGINS),
            "ANSIBLE_CALLBACKS_ENABLED": "ansiscope",
            "ANSISCOPE_LOG_DIR": str(log_dir),
        }
    cmd = [str(bin_dir / "ansible-playbook"), book.name, "-e", f"token={EXTRA_CANARY}", *args]
    return subprocess.run(cmd, cwd=book.parent, env=environ, capture_output=True, timeout=180)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "project" / "recorded.yml"  # not in a git repository
    path.parent.mkdir()
    path.write_text(PLAYBOOK)
    return path


@pytest.mark.parametrize("bin_dir", VERSIONS, ids=lambda b: "2.16" if b == BIN_216 else "2.19")
@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--tags", "ping,secret"], {"tags": ("ping", "secret"), "check_mode": False}),
        (["--limit", "db01", "--check"], {"limit": "db01", "check_mode": True}),
        ([], {"tags": (), "limit": None, "check_mode": False}),
    ],
    ids=["tags", "limit-check", "plain"],
)
def test_callback_records_the_run_and_leaves_stdout_alone(
    book: Path, tmp_path: Path, bin_dir: Path, args: list[str], expect: dict[str, object]
) -> None:
    logs = tmp_path / "logs"
    plain = play(book, bin_dir, args, None)
    recorded = play(book, bin_dir, args, logs)
    assert plain.returncode == recorded.returncode == 0, recorded.stderr.decode()
    # the default callback prints no times: with forks 1 the two outputs are equal
    assert recorded.stdout == plain.stdout
    assert recorded.stderr == plain.stderr
    (log,) = logs.iterdir()
    assert log.name.endswith(".jsonl") and log.name[:8].isdigit()
    data = log.read_bytes()
    assert NO_LOG_CANARY.encode() not in data and EXTRA_CANARY.encode() not in data
    assert b"the output has been hidden" in data  # the no_log result, censored by ansible-core
    with open_input(str(log)) as source:
        assert source.format.value == "jsonl"
        events = list(source.events)
    (start,) = [e for e in events if isinstance(e, RunStart)]
    (end,) = [e for e in events if isinstance(e, RunEnd)]
    assert start.playbook == "recorded.yml" and start.playbook_path == str(book)
    assert start.project_dir == str(book.parent.resolve())
    assert start.extra_vars_keys == ("token",) and start.git_commit is None
    assert start.run_uuid and start.run_uuid[:8] in log.name
    for field, value in expect.items():
        assert getattr(start, field) == value, field
    assert end.status is RunStatus.SUCCESSFUL
    hosts = {e.host for e in events if isinstance(e, HostResult)}
    assert hosts == ({"db01"} if "--limit" in args else {"db01", "db02", "db03"})
    assert not [e for e in events if e.kind in ("rejected", "warning")]


class _Receiver(http.server.BaseHTTPRequestHandler):
    uploads: ClassVar[list[tuple[str, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.uploads.append((self.path, body))
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"run_ids": []}')

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 -- http.server's
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.uploads = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_finished_run_is_uploaded(book: Path, tmp_path: Path, receiver: str) -> None:
    logs = tmp_path / "logs"
    done = play(book, BIN_219, [], logs, ANSISCOPE_SERVER=receiver)
    assert done.returncode == 0, done.stderr.decode()
    (log,) = logs.iterdir()
    assert _Receiver.uploads == [(f"/api/runs?name={log.name}", log.read_bytes())]
    assert b"ansiscope" not in done.stderr


def test_failed_upload_warns_and_keeps_the_file(book: Path, tmp_path: Path) -> None:
    with socket_closed() as url:
        logs = tmp_path / "logs"
        done = play(book, BIN_219, [], logs, ANSISCOPE_SERVER=url, ANSISCOPE_UPLOAD_TIMEOUT="3")
    assert done.returncode == 0
    (log,) = logs.iterdir()
    err = done.stderr.decode()
    assert f"ansiscope: upload of {log} to {url}/api/runs failed" in err, err
    assert "Traceback" not in err


class socket_closed:
    """A URL on a port nothing listens on."""

    def __enter__(self) -> str:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        pass


def test_ansiscope_callback_path_names_the_plugin_folder() -> None:
    out = subprocess.run(
        [str(BIN_219 / "ansiscope"), "callback-path"], capture_output=True, text=True, check=True
    )
    assert Path(out.stdout.strip()) == PLUGINS.resolve()
    assert (Path(out.stdout.strip()) / "ansiscope.py").is_file()
