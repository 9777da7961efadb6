"""Benchmark the dashboard: each page's render time under AppTest with SIZE host results
stored (after a warm-up render, as a user sees it once caches are warm).

    python bench/dashboard.py SIZE [--db URL]   # default 1000000

``--db chdb:///PATH`` (or ``clickhouse://…``) renders from ClickHouse; a store there
that already holds SIZE results is reused (``bench/history.py``).

Target: every page ≤1 s after warm-up.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from history import build
from jsonl_gen import TASKS
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "ansiscope" / "dashboards" / "app.py")
PAGES = [
    None,
    "views/runs.py",
    "views/run.py",
    "views/tasks.py",
    "views/hosts.py",
    "views/regressions.py",
]


def render(page: str | None) -> float:
    at = AppTest.from_file(APP, default_timeout=300)
    if page:
        at.switch_page(page)
    start = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - start
    assert not at.exception, [e.value for e in at.exception]
    return elapsed


def main() -> None:
    db = sys.argv[sys.argv.index("--db") + 1] if "--db" in sys.argv else None
    args = [a for a in sys.argv[1:] if a not in ("--db", db)]
    size = int(args[0]) if args else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        url = db or str(Path(tmp) / "dash.duckdb")
        stored = build(url, size, TASKS)
        os.environ["ANSISCOPE_DASHBOARD_DB"] = url
        print(f"{stored:,} host results in {url}")
        for page in PAGES:
            cold = render(page)
            warm = min(render(page) for _ in range(3))
            print(
                f"{page or 'views/overview.py':24} cold {cold * 1000:6.0f} ms · "
                f"warm {warm * 1000:5.0f} ms (target ≤1000 ms)"
            )


if __name__ == "__main__":
    main()
