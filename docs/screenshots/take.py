"""Screenshots of every dashboard page for the README, on the sample store.

    .venv/bin/python docs/screenshots/take.py     # writes docs/screenshots/<page>.png

Builds the same store as the browser test (the sample logs plus 18 runs of a playbook
that slowed down), starts the dashboard with a bare ``streamlit run``, opens every page
the sidebar offers in Debian's chromium and captures each page at its full height."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from ansiscope.store import open_store  # noqa: E402
from tests.analytics.history import write_run  # noqa: E402
from tests.conftest import other_samples  # noqa: E402
from tests.e2e.dashboard_pages import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    nav_links,
    problems,
    streamlit_app,
    wait_drawn,
)
from tests.ingest.helpers import ingest  # noqa: E402

WIDTH = 1440


def sample_store(folder: Path) -> Path:
    """The browser test's store."""
    logs = folder / "history"
    logs.mkdir()
    db = folder / "samples.duckdb"
    store = open_store(db)
    slower = {"Build the release": 2.0}
    runs = [write_run(logs, i, slower=slower if i >= 14 else None) for i in range(18)]
    ingest(store, *other_samples(), *runs)
    store.close()
    return db


def main() -> None:
    """One PNG per page; stops on a page that shows something it should not."""
    with tempfile.TemporaryDirectory() as tmp:
        db = sample_store(Path(tmp))
        with streamlit_app(db, cwd=Path(tmp)) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": WIDTH, "height": 900})
            page.goto(base)
            wait_drawn(page)
            for title, href in nav_links(page):
                page.set_viewport_size({"width": WIDTH, "height": 900})
                page.goto(href)
                wait_drawn(page)
                if found := problems(page):
                    raise SystemExit(f"{title}: {found}")
                # Streamlit scrolls inside its main block: grow the window to fit it
                height = page.evaluate(
                    "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight"
                )
                page.set_viewport_size({"width": WIDTH, "height": min(int(height) + 40, 4000)})
                wait_drawn(page)
                out = HERE / f"{title.lower()}.png"
                page.screenshot(path=str(out))
                print(out.relative_to(HERE.parents[1]))
            browser.close()


if __name__ == "__main__":
    main()
