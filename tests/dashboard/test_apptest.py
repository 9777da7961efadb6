"""Every page under streamlit's AppTest, on the sample store and on an empty store."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ansiscope.analytics.health import playbook_health
from ansiscope.analytics.views import current_regressions
from ansiscope.store import open_store
from tests.analytics.history import write_run
from tests.conftest import sample_paths
from tests.ingest.helpers import ingest

APP = str(Path(__file__).resolve().parents[2] / "ansiscope" / "dashboards" / "app.py")
PAGES = [
    "pages/runs.py",
    "pages/run.py",
    "pages/tasks.py",
    "pages/hosts.py",
    "pages/regressions.py",
]


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("dash")
    logs = folder / "history"
    logs.mkdir()
    history = [
        write_run(logs, i, slower={"Build the release": 2.0} if i >= 14 else None)
        for i in range(16)
    ]
    db = folder / "dash.duckdb"
    store = open_store(db)
    ingest(store, *sample_paths(), *history)
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


@pytest.mark.parametrize("page", PAGES)
def test_each_page_renders(sample_db: str, monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    at = app(sample_db, monkeypatch)
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and at.title[0].value


def test_runs_filter_changes_the_table(sample_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(sample_db, monkeypatch)
    at.switch_page("pages/runs.py")
    at.run()
    everything = len(at.dataframe[0].value)
    at.selectbox[1].select("failed").run()
    failed = at.dataframe[0].value
    assert 0 < len(failed) < everything and set(failed["status"]) == {"failed"}
    assert at.query_params["status"] in ("failed", ["failed"])  # (the URL carries the filter)
    at.text_input[1].input("app04").run()
    assert 0 < len(at.dataframe[0].value) <= len(failed)


def test_run_page_shows_a_failed_run(sample_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(sample_db, read_only=True)
    (run_id,) = store.con.execute(
        "SELECT run_id FROM runs WHERE status = 'failed' AND format = 'jsonl' LIMIT 1"
    ).fetchone() or ("",)
    store.close()
    monkeypatch.setenv("ANSISCOPE_DASHBOARD_DB", sample_db)
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("pages/run.py")
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
    at.switch_page("pages/tasks.py")
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
    at.switch_page("pages/run.py")
    at.run()
    assert not at.exception
    assert "running" in {m.label: m.value for m in at.metric}["Status"]
    assert any("still running" in c.value for c in at.caption)
