"""The dashboard reading a ClickHouse server directly (what several ``serve`` replicas
and their dashboards do): every page renders, with nothing leaked, on the same runs as
the DuckDB page tests."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ansiscope.store import open_store
from tests.conftest import SAMPLES
from tests.dashboard.test_apptest import APP, PAGES, leaks
from tests.store.test_contract import SOME, ingest


@pytest.mark.parametrize("page", [None, *PAGES])
def test_every_page_on_a_server(
    server_url: str, monkeypatch: pytest.MonkeyPatch, page: str | None
) -> None:
    store = open_store(server_url)
    ingest(store, *SOME, SAMPLES / "jsonl" / "site-2.16.jsonl")
    store.close()
    monkeypatch.setenv("ANSISCOPE_DASHBOARD_DB", server_url)
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and at.title[0].value
    if page != "views/regressions.py":  # these few runs hold no regression to list
        assert at.dataframe, "the page has a table on these runs"
    assert leaks(at) == []
