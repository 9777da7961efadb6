"""Every page under streamlit's AppTest, on the sample store and on an empty store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from ansiscope.analytics.health import playbook_health
from ansiscope.analytics.views import current_regressions
from ansiscope.dashboards.style import missing
from ansiscope.store import open_store
from tests.analytics.history import write_run
from tests.conftest import other_samples
from tests.e2e.dashboard_pages import LEAKS, SNAKE
from tests.ingest.helpers import ingest, open_duckdb

APP = str(Path(__file__).resolve().parents[2] / "ansiscope" / "dashboards" / "app.py")
PAGES = [
    "views/runs.py",
    "views/run.py",
    "views/tasks.py",
    "views/hosts.py",
    "views/regressions.py",
]


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("dash")
    logs = folder / "history"
    logs.mkdir()
    history = [
        write_run(logs, i, slower={"Build the release": 2.0} if i >= 14 else None)
        for i in range(18)
    ]
    db = folder / "dash.duckdb"
    store = open_store(db)
    ingest(store, *other_samples(), *history)
    store.close()
    return str(db)


def app(db: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("ANSISCOPE_DASHBOARD_DB", db)
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_overview(sample_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(sample_db, monkeypatch)
    assert [t.value for t in at.title] == ["Platform health"]
    metrics = {m.label: m.value for m in at.metric}
    store = open_store(sample_db, read_only=True)
    playbooks, regressions = len(playbook_health(store)), current_regressions(store)
    store.close()
    assert metrics["Playbooks"] == str(playbooks)
    assert (
        metrics["Open regressions"]
        == str(int((regressions["verdict"] == "regression").sum()))
        != "0"
    )
    table = at.dataframe[0].value
    assert "deploy.yml" in " ".join(map(str, table["playbook"])) or "/srv/deploy.yml" in list(
        table["playbook"]
    )
    assert any(s.value == "Runs per day" for s in at.subheader)


def shown_cells(frame: Any) -> pd.DataFrame:
    """A table's cells as a reader sees them: the Styler's display values where the page
    formats a column, the stored values elsewhere."""
    data = frame.value
    styler = frame.proto.arrow_data.styler
    if not styler.display_values:
        return data.astype(object)
    shown = dataframe_util.convert_arrow_bytes_to_pandas_df(styler.display_values)
    shown.columns = data.columns
    return shown.where(shown.notna(), data.astype(object))


def leaks(at: AppTest) -> list[str]:
    """Everything on the page a reader should never see."""
    found = []
    texts = [
        e.value
        for kind in ("markdown", "caption", "text", "title", "subheader")
        for e in getattr(at, kind)
    ]
    texts += [str(m.value) for m in at.metric] + [m.label for m in at.metric]
    texts += [str(e.proto) for e in at.get("help_info")]  # st.help: magic writing an object
    for text in texts:
        for what, pattern in LEAKS.items():
            if pattern.search(str(text)):
                found.append(f"{what} in {str(text)[:80]!r}")
    for i, frame in enumerate(at.dataframe):
        config = json.loads(frame.proto.columns or "{}")
        shown = {k: (v.get("label") or k) for k, v in config.items() if isinstance(v, dict)}
        order = list(frame.proto.column_order) or list(frame.value.columns)
        for name in order:
            label = shown.get(name, name)
            if SNAKE.match(label):
                found.append(f"table {i}: snake_case header {label!r}")
        cells = shown_cells(frame)[order] if len(frame.value) else frame.value
        for name in order:
            for value in cells[name] if len(frame.value) else []:
                if missing(value) or str(value).strip() in (
                    "",
                    "nan",
                    "None",
                    "NaT",
                    "<NA>",
                    "inf",
                    "-inf",
                ):
                    found.append(f"table {i} column {name!r}: {value!r}")
    return found


@pytest.mark.parametrize("page", [None, *PAGES])
def test_each_page_renders_without_leaks(
    sample_db: str, monkeypatch: pytest.MonkeyPatch, page: str | None
) -> None:
    at = app(sample_db, monkeypatch)
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and at.title[0].value
    assert at.dataframe, "every page has a table on the samples"
    assert leaks(at) == []


def test_leaks_finds_each_fault(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The check itself, on a page with the faults the issue found."""
    page = tmp_path / "bad.py"
    page.write_text(
        "import pandas as pd\n"
        "import streamlit as st\n"
        "st.dataframe(pd.DataFrame({'p50_s': [0.8467, None], 'host': ['a', None]}))\n"
        "rows = []\n"
        "st.dataframe(rows) if rows else st.caption('No change point found.')\n"
    )
    at = AppTest.from_file(str(page)).run()
    found = "\n".join(leaks(at))
    assert "snake_case header 'p50_s'" in found
    assert "column 'p50_s': nan" in found and "column 'host': nan" in found
    assert "a docstring" in found  # DeltaGenerator's, written by magic


def test_runs_filter_changes_the_table(sample_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(sample_db, monkeypatch)
    at.switch_page("views/runs.py")
    at.run()
    everything = len(at.dataframe[0].value)
    at.selectbox[1].select("failed").run()
    failed = at.dataframe[0].value
    assert 0 < len(failed) < everything and set(failed["status"]) == {"failed"}
    assert at.query_params["status"] in ("failed", ["failed"])  # (the URL carries the filter)
    at.text_input[1].input("app04").run()
    assert 0 < len(at.dataframe[0].value) <= len(failed)


def test_run_page_shows_a_failed_run(sample_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_duckdb(sample_db, read_only=True)
    (run_id,) = store.con.execute(
        "SELECT run_id FROM runs WHERE status = 'failed' AND format = 'jsonl' LIMIT 1"
    ).fetchone() or ("",)
    store.close()
    monkeypatch.setenv("ANSISCOPE_DASHBOARD_DB", sample_db)
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("views/run.py")
    at.query_params["run"] = run_id[:8]
    at.run()
    assert not at.exception
    assert at.title[0].value == f"Run {run_id}"
    statuses = {m.label: m.value for m in at.metric}
    assert "failed" in statuses["Status"]
    headers = [s.value for s in at.subheader]
    assert {"Timeline per host", "Failed and unreachable", "Recap", "Execution tree"} <= set(
        headers
    )
    failures = at.dataframe[0].value if not at.error else at.dataframe[1].value
    assert "app04" in set(failures["host"]) or len(at.dataframe) >= 2


def test_tasks_page_history_and_change_point(
    sample_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(sample_db, monkeypatch)
    at.switch_page("views/tasks.py")
    at.query_params["playbook"] = "/srv/deploy.yml"
    at.run()
    assert not at.exception
    stats = at.dataframe[0].value
    assert stats["task"].iloc[0] == "Build the release"
    assert any("change points" in c.value for c in at.caption)


def test_empty_store_explains_how_to_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "empty.duckdb"
    open_store(db).close()
    at = app(str(db), monkeypatch)
    assert [i.value for i in at.info] == ["The store holds no runs yet."]
    assert "ansiscope ingest" in at.markdown[0].value
    missing = app(str(tmp_path / "nope.duckdb"), monkeypatch)
    assert "no such store" in missing.warning[0].value


def test_a_running_run_follows_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ansiscope.ingest.ingester import Ingester

    logs = tmp_path / "logs"
    logs.mkdir()
    full = write_run(logs, 0).read_bytes().splitlines(keepends=True)
    partial = logs / "partial.jsonl"
    partial.write_bytes(b"".join(full[:-1]))  # no stats yet: still running
    db = tmp_path / "live.duckdb"
    store = open_store(db)
    ingester = Ingester(store)
    feed = ingester.track(partial)
    assert feed is not None
    ingester.pump(feed)
    store.close()
    monkeypatch.setenv("ANSISCOPE_DASHBOARD_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("views/run.py")
    at.run()
    assert not at.exception
    assert "running" in {m.label: m.value for m in at.metric}["Status"]
    assert any("still running" in c.value for c in at.caption)


def _stepped_store(folder: Path, slower: dict[str, float]) -> str:
    logs = folder / "logs"
    logs.mkdir()
    runs = [write_run(logs, i, slower=slower if i >= 14 else None) for i in range(18)]
    db = folder / "stepped.duckdb"
    store = open_store(db)
    ingest(store, *runs)
    store.close()
    return str(db)


def test_regressions_page_says_which_can_fail_the_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gated task's step and a sub-second task's step are both regressions; the
    regressions page and the run page say only the first can fail the gate."""
    db = _stepped_store(tmp_path, {"Build the release": 2.0, "Check the banner": 3.0})
    at = app(db, monkeypatch)
    at.switch_page("views/regressions.py")
    at.run()
    assert not at.exception
    shown = at.dataframe[0].value
    tasks = shown[shown["what"] == "task"].set_index("task")
    assert tasks.loc["Build the release", "verdict"] == "regression"
    assert tasks.loc["Check the banner", "verdict"] == "regression"
    assert tasks.loc["Build the release", "gates"] == "yes"
    assert tasks.loc["Check the banner", "gates"] == "no"
    assert set(shown["gates"]) == {"yes", "no"}  # not raw booleans
    at.switch_page("views/run.py")
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["7 regressions (5 not gated), 0 suspects"]
    gate_rows = at.dataframe[0].value.set_index(["task", "host"])
    assert gate_rows.loc[("Check the banner", "all"), "gates"] == "no"
    assert gate_rows.loc[("playbook total", "all"), "gates"] == "yes"


def test_run_page_warns_without_failing_on_steps_that_cannot_fail_the_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(_stepped_store(tmp_path, {"Check the banner": 3.0}), monkeypatch)
    at.switch_page("views/run.py")
    at.run()
    assert not at.exception
    assert not at.error  # nothing fails the gate: no red box
    assert [w.value for w in at.warning] == ["3 regressions (3 not gated), 0 suspects"]
