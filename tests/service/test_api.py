"""The service over real HTTP: health, metrics, runs, uploads, gate, auth, watch, SIGTERM."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ansiscope.service.core import Service
from ansiscope.service.webconfig import plain_checker
from ansiscope.store import open_store
from tests.analytics.history import write_run
from tests.clirun import Result
from tests.conftest import ROOT
from tests.httpfetch import fetch
from tests.ingest.helpers import as_duckdb, expected_results, open_duckdb, stored_results


def test_health_metrics_runs(service: tuple[Service, str, Path]) -> None:
    _, url, _ = service
    status, body, _ = fetch(f"{url}/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, body, headers = fetch(f"{url}/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert b'ansible_playbook_runs_total{playbook="site.yml"}' in body
    status, body, headers = fetch(
        f"{url}/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert headers["Content-Type"].startswith("application/openmetrics-text") and body.endswith(
        b"# EOF\n"
    )
    status, body, _ = fetch(f"{url}/api/runs?limit=3&status=failed")
    runs = json.loads(body)
    assert status == 200 and len(runs) == 3 and all(r["status"] == "failed" for r in runs)
    status, body, _ = fetch(f"{url}/api/runs/{runs[0]['run_id']}")
    assert status == 200 and json.loads(body)["run_id"] == runs[0]["run_id"]
    assert fetch(f"{url}/api/runs/feedfacecafe")[0] == 404
    assert fetch(f"{url}/nope")[0] == 404


def test_bad_query_values_get_a_400_and_a_bug_a_500(
    service: tuple[Service, str, Path], monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    svc, url, _ = service
    for bad in ("abc", "-1", "0", "99999999999999999999"):
        status, body, _ = fetch(f"{url}/api/runs?limit={bad}")
        assert status == 400 and "expected a whole number from 1 to" in json.loads(body)["error"]
    assert fetch(f"{url}/api/runs?limit=2")[0] == 200
    for query, message in (
        ("fail_on=bogus", "expected one of regression, suspect, never"),
        ("format=pdf", "expected one of json, markdown, junit"),
        ("min_delta=-1", "min_delta='-1': expected seconds"),
        ("min_delta=soon", "min_delta='soon': expected seconds"),
        ("min_delta=inf", "min_delta='inf': expected seconds"),
        ("window=0", "window='0': expected a whole number from 1 to 1000"),
    ):
        status, body, _ = fetch(f"{url}/api/gate?{query}")
        assert status == 400 and message in json.loads(body)["error"]
    import urllib.request

    with urllib.request.urlopen(urllib.request.Request(f"{url}/metrics", method="HEAD")) as r:
        assert r.status == 200 and int(r.headers["Content-Length"]) > 0 and r.read() == b""

    def broken(query: object) -> None:
        raise KeyError("no such column")

    monkeypatch.setattr(svc, "runs", broken)  # a bug: answered, logged, connection kept
    status, body, _ = fetch(f"{url}/api/runs")
    assert status == 500 and json.loads(body)["error"].startswith("internal error (KeyError")
    assert "error: GET /api/runs: KeyError" in capsys.readouterr().out
    assert fetch(f"{url}/healthz")[0] == 200


def test_upload_then_gate(service: tuple[Service, str, Path], tmp_path: Path) -> None:
    _, url, _ = service
    logs = tmp_path / "hist"
    logs.mkdir()
    for i in range(12):
        status, body, _ = fetch(
            f"{url}/api/runs?name=run-{i}.jsonl", write_run(logs, i).read_bytes()
        )
        assert status == 201, body
    doc = json.loads(body)
    assert len(doc["run_ids"]) == 1 and doc["runs"][0]["status"] == "successful"
    svc = service[0]
    assert list(svc.uploads.iterdir()) == []  # stored, then the copy is removed
    status, _, _ = fetch(f"{url}/api/runs?name=again.jsonl", write_run(logs, 0).read_bytes())
    assert status == 201 and list(svc.uploads.iterdir()) == []
    status, body, headers = fetch(f"{url}/api/gate?run={doc['run_ids'][0]}")
    assert status == 200 and headers["X-Ansiscope-Verdict"] == "pass"
    assert json.loads(body)["history_runs"] == 11
    for i in (12, 13):  # one slow run is only a suspect; the third in a row confirms it
        slow = write_run(logs, i, slower={"Restart the service": 3.0})
        status, body, _ = fetch(f"{url}/api/runs?name=slow-{i}.jsonl", slow.read_bytes())
        assert status == 201, body
    slow = write_run(logs, 14, slower={"Restart the service": 3.0})
    result = run_cli_server(url, "--file", str(slow), "--format", "json")
    assert result.code == 1 and json.loads(result.out)["verdict"] == "regression"
    slow_run = json.loads(result.out)["run_id"]
    # the baseline window and the floor travel with the question
    doc = json.loads(run_cli_server(url, "--run", "latest", "--format", "json").out)
    assert doc["params"]["window"] == 30 and doc["params"]["min_abs_s"] == pytest.approx(0.1)
    asked = run_cli_server(
        url, "--run", "latest", "--format", "json", "--window", "12", "--min-delta", "20"
    )
    doc = json.loads(asked.out)
    assert doc["params"]["window"] == 12 and doc["params"]["min_abs_s"] == 20.0
    assert asked.code == 0 and doc["verdict"] == "pass"  # +10 s is under a 20 s floor
    # so do the CI's acks file and --playbook (they were once silently dropped)
    acks = tmp_path / "acks.yml"
    acks.write_text(
        '- task: "Restart the*"\n  expires: 2999-01-01\n  reason: "bigger restart, PR #7"\n'
        '- task: total\n  expires: 2999-01-01\n  reason: "the same"\n'
    )
    acked = run_cli_server(url, "--run", slow_run, "--format", "json", "--ack", str(acks))
    doc = json.loads(acked.out)
    assert acked.code == 0 and doc["verdict"] == "pass", acked.err
    assert any(
        f["verdict"] == "acknowledged" and "PR #7" in (f.get("reason") or "")
        for f in doc["findings"]
    ), doc["findings"]
    picked = {}
    for playbook in ("site.yml", "deploy.yml"):
        asked = run_cli_server(url, "--run", "latest", "--playbook", playbook, "--format", "json")
        picked[playbook] = json.loads(asked.out)
        assert picked[playbook]["playbook"].endswith(playbook), asked
    assert picked["site.yml"]["run_id"] != picked["deploy.yml"]["run_id"]
    missing = run_cli_server(url, "--run", "latest", "--playbook", "nope.yml")
    assert missing.code == 2 and "no stored run of playbook 'nope.yml'" in missing.err


def test_gate_post_takes_acks_and_refuses_bad_ones(service: tuple[Service, str, Path]) -> None:
    _, url, _ = service
    good = json.dumps({"acks": [{"task": "x", "reason": "r", "expires": "2999-01-01"}]})
    status, body, headers = fetch(f"{url}/api/gate?run=latest", good.encode())
    assert status == 200 and headers["X-Ansiscope-Verdict"] in ("pass", "regression")
    for bad, message in (
        (b"{not json", "request body: not valid JSON"),
        (b'{"acks": {"task": "x"}}', 'expected {"acks": [...]}'),
        (b'{"acks": [{"task": "x"}]}', "request body: ack #1: needs at least"),
        (b'{"acks": [{"task": "x", "reason": "r", "expires": "soon"}]}', "bad or missing date"),
    ):
        status, body, _ = fetch(f"{url}/api/gate?run=latest", bad)
        assert status == 400 and message in json.loads(body)["error"], body


def test_gate_server_refuses_what_it_cannot_send(service: tuple[Service, str, Path]) -> None:
    _, url, _ = service
    for extra, message in (
        (("--slack-webhook", "http://127.0.0.1:9/hook"), "cannot be used with --server"),
        (("--label", "env=prod"), "--label cannot be used with --server"),
    ):
        result = run_cli_server(url, "--run", "latest", *extra)
        assert result.code == 2 and message in result.err and "Traceback" not in result.err


def run_cli_server(url: str, *args: str) -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", "ansiscope", "gate", "--server", url, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def test_bad_uploads_leave_the_store_untouched(service: tuple[Service, str, Path]) -> None:
    svc, url, _ = service
    store = as_duckdb(svc.store)
    before = store.con.cursor().execute("SELECT count(*) FROM runs").fetchone()
    status, body, _ = fetch(f"{url}/api/runs?name=junk.bin", b"\x00\x01" * 100)
    assert status == 400 and "junk.bin (byte 0): binary data" in json.loads(body)["error"]
    status, body, _ = fetch(f"{url}/api/runs?name=empty.jsonl", b"# nothing\n")
    assert status == 400
    svc.max_upload = 10
    status, body, _ = fetch(f"{url}/api/runs", b"x" * 11)
    assert status == 413 and "over the limit" in json.loads(body)["error"]
    assert store.con.cursor().execute("SELECT count(*) FROM runs").fetchone() == before


def test_basic_auth(tmp_path: Path) -> None:
    store = open_store(tmp_path / "a.duckdb")
    svc = Service(store, auth=plain_checker("ops", "s3cret"))
    url = f"http://127.0.0.1:{svc.start('127.0.0.1', 0)}"
    try:
        assert fetch(f"{url}/metrics")[0] == 401
        wrong = base64.b64encode(b"ops:nope").decode()
        assert fetch(f"{url}/metrics", headers={"Authorization": f"Basic {wrong}"})[0] == 401
        good = base64.b64encode(b"ops:s3cret").decode()
        assert fetch(f"{url}/metrics", headers={"Authorization": f"Basic {good}"})[0] == 200
        assert fetch(f"{url}/healthz")[0] == 200  # probes need no credentials
    finally:
        svc.shutdown()


def test_watched_folder_reaches_metrics(service: tuple[Service, str, Path]) -> None:
    _, url, watched = service
    before = _runs_metric(url)
    write_run(watched, 0)  # a new run of /srv/deploy.yml
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _runs_metric(url) <= before:
        time.sleep(0.5)
    assert _runs_metric(url) == before + 1


def _runs_metric(url: str) -> float:
    _, body, _ = fetch(f"{url}/metrics")
    for line in body.decode().splitlines():
        if line.startswith('ansible_playbook_runs_total{playbook="deploy.yml"}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _stored_something(db: Path) -> bool:
    """A commit shows in DuckDB's log, or (once checkpointed) in the file's size."""
    wal = Path(f"{db}.wal")
    return (wal.exists() and wal.stat().st_size > 0) or (
        db.exists() and db.stat().st_size > 4_000_000
    )


def test_sigterm_mid_ingest_loses_nothing(tmp_path: Path) -> None:
    watched = tmp_path / "logs"
    watched.mkdir()
    big = watched / "big.jsonl"
    sys.path.insert(0, str(ROOT / "bench"))
    from jsonl_gen import generate

    generate(tmp_path / "big.jsonl", 300_000)  # takes seconds to store
    db = tmp_path / "t.duckdb"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ansiscope",
            "serve",
            "--db",
            str(db),
            "--watch",
            str(watched),
            "--port",
            "0",
        ],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    while "watching" not in proc.stderr.readline():
        pass
    os.replace(tmp_path / "big.jsonl", big)  # complete, and only now seen by the service
    deadline = time.monotonic() + 60
    while not _stored_something(db) and time.monotonic() < deadline:
        time.sleep(0.005)  # until a batch is stored: then stop it mid-ingest
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    store = open_duckdb(db)
    try:
        stored = stored_results(store)
        (offset,) = store.con.execute("SELECT offset_bytes FROM files").fetchone() or (0,)
        assert 0 < offset <= big.stat().st_size
        prefix = tmp_path / "prefix.jsonl"
        with big.open("rb") as f:
            prefix.write_bytes(f.read(offset))
        assert offset < big.stat().st_size  # it was stopped mid-way
        assert stored == expected_results(prefix)  # everything up to the offset, exactly
        assert (
            stored - expected_results(big) == type(stored)()
        )  # nothing stored that is not in the file
    finally:
        store.close()
    os.environ.pop("ANSISCOPE_DB", None)


def test_runs_and_report_through_the_server(service: tuple[Service, str, Path]) -> None:
    _, url, _ = service
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "ansiscope",
            "runs",
            "--server",
            url,
            "--format",
            "json",
            "--status",
            "failed",
            "--limit",
            "2",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == 2 and {r["status"] for r in rows} == {"failed"}
    report = subprocess.run(
        [
            sys.executable,
            "-m",
            "ansiscope",
            "report",
            rows[0]["run_id"],
            "--server",
            url,
            "--format",
            "markdown",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert report.returncode == 0 and "### Failures" in report.stdout
    status, body, _ = fetch(f"{url}/api/report?run=latest&format=pdf")
    assert status == 400 and b"format='pdf': expected one of json, html" in body
    down = subprocess.run(
        [sys.executable, "-m", "ansiscope", "runs", "--server", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert down.returncode == 2 and "cannot reach the service" in down.stderr


def test_openmetrics_carries_a_run_id_exemplar(service: tuple[Service, str, Path]) -> None:
    _, url, _ = service
    _, body, _ = fetch(
        f"{url}/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    lines = [
        line
        for line in body.decode().splitlines()
        if line.startswith("ansible_playbook_run_duration_seconds_bucket") and " # {" in line
    ]
    assert lines and all('run_id="' in line for line in lines)
    _, plain, _ = fetch(f"{url}/metrics")
    assert b"# {run_id" not in plain  # the classic text format has no exemplars


def test_web_config_tls_and_bcrypt_users(tmp_path: Path) -> None:
    import socket
    import ssl
    import urllib.request

    import bcrypt

    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(tmp_path / "key.pem"),
            "-out",
            str(tmp_path / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode().replace("$2b$", "$2y$")
    config = tmp_path / "web.yml"
    config.write_text(
        f"tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\nbasic_auth_users:\n  ops: '{hashed}'\n"
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ansiscope",
            "serve",
            "--db",
            str(tmp_path / "w.duckdb"),
            "--port",
            str(port),
            "--dashboard-port",
            "0",
            "--web-config",
            str(config),
        ],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert (
            proc.stderr is not None
            and "https://" in proc.stderr.readline() + proc.stderr.readline()
        )
        context = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
        context.check_hostname = False

        def get(auth: str | None) -> int:
            request = urllib.request.Request(f"https://127.0.0.1:{port}/metrics")
            if auth:
                request.add_header(
                    "Authorization", "Basic " + base64.b64encode(auth.encode()).decode()
                )
            try:
                with urllib.request.urlopen(request, context=context, timeout=20) as response:
                    return response.status
            except urllib.error.HTTPError as exc:
                return exc.code

        assert get(None) == 401 and get("ops:wrong") == 401 and get("ops:s3cret") == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    bad = tmp_path / "bad.yml"
    bad.write_text("basic_auth_users:\n  ops: plaintext\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ansiscope",
            "serve",
            "--db",
            str(tmp_path / "b.duckdb"),
            "--web-config",
            str(bad),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert (
        result.returncode == 2 and "basic_auth_users.ops: expected a bcrypt hash" in result.stderr
    )


def test_shutdown_removes_the_upload_folder(tmp_path: Path) -> None:
    from ansiscope.store import open_store

    svc = Service(open_store(tmp_path / "s.duckdb"), watch=[])
    svc.start("127.0.0.1", 0)
    uploads = svc.uploads
    assert uploads.is_dir()
    svc.shutdown()
    assert not uploads.exists()
