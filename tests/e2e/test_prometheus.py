"""A real Prometheus scrapes ``ansiscope serve``; PromQL sees the runs per playbook,
and a run written into the watched folder shows up on a later scrape."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

from ansiscope.service.core import Service
from tests.analytics.history import write_run
from tests.httpfetch import fetch
from tests.ingest.helpers import as_duckdb

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def query(prom: str, promql: str) -> list[dict]:
    status, body, _ = fetch(f"{prom}/api/v1/query?query={urllib.parse.quote(promql)}")
    assert status == 200, body
    return json.loads(body)["data"]["result"]


def wait_for(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError("timed out")


@pytest.mark.skipif(shutil.which("prometheus") is None, reason="Debian prometheus not installed")
def test_real_prometheus_scrapes_the_service(
    service: tuple[Service, str, Path], tmp_path: Path
) -> None:
    svc, url, watched = service
    store = as_duckdb(svc.store)
    target = url.removeprefix("http://")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        f"  - job_name: ansiscope\n    static_configs: [{{targets: ['{target}']}}]\n"
    )
    port = free_port()
    prom = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(base))
        up = wait_for(lambda: query(base, 'up{job="ansiscope"} == 1'))
        assert up[0]["metric"]["instance"] == target
        # one series per stored playbook name: site.yml (text, runner) and the callback's
        # project-relative name that jsonl and json runs of it take too
        stored = dict(
            store.con.cursor()
            .execute(
                "SELECT playbook, count(*) FROM runs WHERE (playbook = 'site.yml' "
                "OR playbook LIKE '%/site.yml') AND status <> 'running' GROUP BY 1"
            )
            .fetchall()
        )
        assert len(stored) >= 1
        for name, count in stored.items():
            promql = f'ansible_playbook_runs_total{{playbook="{name}"}}'
            site = wait_for(lambda promql=promql: query(base, promql))
            assert float(site[0]["value"][1]) == count, name
        before = query(base, 'ansible_playbook_runs_total{playbook="deploy.yml"}')
        before_value = float(before[0]["value"][1]) if before else 0.0
        write_run(watched, 0)
        after = wait_for(
            lambda: [
                r
                for r in query(base, 'ansible_playbook_runs_total{playbook="deploy.yml"}')
                if float(r["value"][1]) > before_value
            ]
        )
        assert float(after[0]["value"][1]) == before_value + 1
        health = query(base, "ansiscope_up")
        assert float(health[0]["value"][1]) == 1.0
    finally:
        prom.terminate()
        prom.wait(timeout=30)


def _ready(base: str) -> bool:
    try:
        return fetch(f"{base}/-/ready")[0] == 200
    except OSError:
        return False
