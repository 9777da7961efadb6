"""Driving the dashboard in a real Chromium: start it, find its pages from the sidebar,
wait for a page to finish drawing, and list what a reader should never see on it.
Shared by the browser test and ``docs/screenshots/take.py``."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.httpfetch import fetch

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "ansiscope" / "dashboards" / "app.py"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Text that only leaks out of Python: reprs, docstrings (the Regressions page once
# printed DeltaGenerator's), tracebacks, pandas' missing values.
LEAKS = {
    "a Python repr": re.compile(r"<[\w.]+ (object|at) (at )?0x[0-9a-f]+>?"),
    "a docstring": re.compile(r"DeltaGenerator|Parameters\s*\n\s*-{4,}|Returns\s*\n\s*-{4,}"),
    "a traceback": re.compile(r"Traceback \(most recent call last\)|File \".*\", line \d+"),
    "a missing value": re.compile(r"(?<![\w-])(nan|NaN|None|NaT|<NA>)(?![\w-])"),
    # a date axis squeezed to a millisecond (plotly, one bar): ticks like 23:59:59.9996
    "a sub-second axis tick": re.compile(r"\b\d\d:\d\d:\d\d\.\d{3,}\b"),
}
VIEWER_ITEMS = {"print", "recordScreencast"}  # what toolbarMode="viewer" leaves in the menu
SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")
# Visible labels: table headers (the grid's accessible table), metric and widget labels.
LABELS_JS = """() => [
  ...document.querySelectorAll('[data-testid="stDataFrame"] th'),
  ...document.querySelectorAll('[data-testid="stMetricLabel"]'),
  ...document.querySelectorAll('[data-testid="stWidgetLabel"]'),
].map(e => e.innerText.trim()).filter(t => t)"""
# Glide draws cells on a canvas and mirrors them in an aria table (the raw values): an
# empty cell there is a missing value, drawn as a grey "None".
CELLS_JS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"] table')].map(t =>
  [...t.querySelectorAll('tbody tr')].map(r => [...r.querySelectorAll('td')].map(c => c.innerText)))"""


def free_port() -> int:
    """A TCP port nobody listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base: str, timeout: float = 90) -> None:
    """Until Streamlit answers its health check."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if fetch(f"{base}/_stcore/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{base} did not come up in {timeout:.0f} s")


@contextmanager
def streamlit_app(db: Path, cwd: Path) -> Iterator[str]:
    """``streamlit run app.py -- --db DB`` from ``cwd`` with no flags: the app's own
    config must apply. Yields the base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(APP),
            "--server.port",
            str(port),
            "--",
            "--db",
            str(db),
        ],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=60)


@contextmanager
def served(db: Path) -> Iterator[str]:
    """``ansiscope serve`` on ``db`` (the dashboard reads its snapshot). Yields its URL."""
    api, dash = free_port(), free_port()
    proc = subprocess.Popen(
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
    try:
        wait_healthy(base)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def wait_drawn(page: Any, timeout_ms: int = 120_000) -> None:
    """Until the script run is over: a title is up, nothing runs, no spinner or skeleton."""
    page.locator("h1").first.wait_for(timeout=timeout_ms)
    page.wait_for_function(
        """() => {
          const w = document.querySelector('[data-testid="stStatusWidget"]');
          const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
          return !(w && /Running|Stop|Connecting/.test(w.innerText))
            && !document.querySelector('[data-testid="stSpinner"]')
            && !document.querySelector('[data-testid="stSkeleton"]')
            && charts.every(c => c.querySelector('.main-svg'));
        }""",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(1500)  # charts and grids draw after the last delta


def nav_links(page: Any) -> list[tuple[str, str]]:
    """(title, href) of every page the sidebar offers (the icon's name is the link's
    first line)."""
    links = page.locator('[data-testid="stSidebarNav"] a')
    return [
        (
            links.nth(i).inner_text().strip().splitlines()[-1],
            str(links.nth(i).get_attribute("href")),
        )
        for i in range(links.count())
    ]


def problems(page: Any) -> list[str]:
    """What a reader should never see on the current page, one line each."""
    found: list[str] = []
    body = page.inner_text("body")
    for what, pattern in LEAKS.items():
        for match in pattern.finditer(body):
            start = max(0, match.start() - 40)
            found.append(f"{what}: …{body[start : match.end() + 40]!r}…")
    if page.locator('[data-testid="stException"]').count():
        found.append("an exception box")
    for label in page.evaluate(LABELS_JS):
        if SNAKE.match(label):
            found.append(f"a snake_case label: {label!r}")
    for t, rows in enumerate(page.evaluate(CELLS_JS)):
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                if cell.strip() == "" or cell.strip() in ("nan", "None", "NaT", "<NA>"):
                    found.append(f"table {t} row {r} column {c}: missing value {cell!r}")
    return found


def toolbar_problems(page: Any) -> list[str]:
    """The Deploy button or developer items in the main menu (rerun, clear cache…):
    a viewer's toolbar has neither. Opens and closes the menu."""
    found = []
    if page.locator('[data-testid="stAppDeployButton"]').count():
        found.append("the Deploy button")
    button = page.locator('[data-testid="stMainMenuButton"]')
    if button.count():
        button.click()
        page.locator('[data-testid="stMainMenuList"]').wait_for(timeout=10_000)
        items = page.evaluate(
            """() => [...document.querySelectorAll('[data-testid^="stMainMenuItem-"]')]
                 .map(e => e.dataset.testid.slice('stMainMenuItem-'.length))"""
        )
        page.keyboard.press("Escape")
        developer = [i for i in items if not i.startswith("theme-") and i not in VIEWER_ITEMS]
        if developer:
            found.append(f"developer menu items: {developer}")
    return found
