"""The dashboard in a real headless Chromium, served by ``ansiscope serve``: each page
renders text from the sample data; a screenshot per page lands in test-artifacts/
(and, with ANSISCOPE_UPDATE_SCREENSHOTS=1, in docs/screenshots/ for the README)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ansiscope.store import open_store
from tests.analytics.history import write_run
from tests.conftest import ROOT, sample_paths
from tests.httpfetch import fetch
from tests.ingest.helpers import ingest

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_every_page_in_chromium(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    logs = tmp_path / "history"
    logs.mkdir()
    db = tmp_path / "browser.duckdb"
    store = open_store(db)
    ingest(
        store,
        *sample_paths(),
        *(
            write_run(logs, i, slower={"Build the release": 2.0} if i >= 14 else None)
            for i in range(16)
        ),
    )
    failed_run = store.con.execute(
        "SELECT run_id FROM runs WHERE status = 'failed' AND format = 'jsonl' ORDER BY started_at DESC LIMIT 1"
    ).fetchone()[0]
    store.close()
    api, dash = free_port(), free_port()
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ansiscope",
            "serve",
            "--db",
            str(db),
            "--port",
            str(api),
            "--dashboard-port",
            str(dash),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{dash}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages = [
        ("overview", "/", ["Platform health", "Playbooks", "Runs per day", "site.yml"]),
        ("runs", "/runs?status=failed", ["Runs", "failed"]),
        (
            "run",
            f"/run?run={failed_run}",
            [f"Run {failed_run}", "Timeline per host", "app04", "Execution tree"],
        ),
        (
            "tasks",
            "/tasks?playbook=%2Fsrv%2Fdeploy.yml",
            ["Tasks", "Build the release", "change points"],
        ),
        ("hosts", "/hosts", ["Hosts", "edge-down"]),
        ("regressions", "/regressions", ["Regressions", "Build the release"]),
    ]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if fetch(f"{base}/_stcore/health")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for name, path, texts in pages:
                page.goto(base + path)
                page.get_by_text(texts[0], exact=False).first.wait_for(timeout=60_000)  # visible
                for text in texts[1:]:  # table cells live in the data grid's DOM, drawn on canvas
                    page.get_by_text(text, exact=False).first.wait_for(
                        state="attached", timeout=60_000
                    )
                page.wait_for_function(
                    "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
                    " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
                    timeout=60_000,
                )
                page.wait_for_timeout(1500)  # charts draw after the last delta
                assert "Traceback" not in page.inner_text("body")
                shot = ARTIFACTS / f"{name}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 20_000
                if os.environ.get("ANSISCOPE_UPDATE_SCREENSHOTS") == "1" and name in (
                    "overview",
                    "run",
                ):
                    (ROOT / "docs" / "screenshots").mkdir(parents=True, exist_ok=True)
                    shutil.copy(shot, ROOT / "docs" / "screenshots" / f"{name}.png")
            browser.close()
    finally:
        serve.terminate()
        serve.wait(timeout=60)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_html_report_renders_its_chart_offline(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from ansiscope.exporters.report import report_html
    from tests.conftest import SAMPLES, runs_of

    (run,) = runs_of(SAMPLES / "jsonl/site-2.19.jsonl")
    page_file = tmp_path / "report.html"
    page_file.write_text(report_html(run))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        context = browser.new_context(offline=True)  # self-contained: nothing may be fetched
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_file.as_uri())
        page.locator("#timeline-chart .main-svg").first.wait_for(timeout=30_000)
        bars = page.locator("#timeline-chart g.point").count()
        assert bars > 100  # one bar per host result with times
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
        browser.close()
    assert all(url.startswith(("file:", "data:", "blob:")) for url in requests), requests
