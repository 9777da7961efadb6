"""The report formats table: every format renders a run, the gate's formats render a
gate result, and each is served with its own content type."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansiscope.analytics.gate import FailOn, gate
from ansiscope.exporters import gate_report
from ansiscope.exporters.formats import (
    FORMATS,
    GATE_FORMATS,
    REPORT_FORMATS,
    ReportFormat,
    content_type,
    first,
    render_gate,
    render_run,
)
from ansiscope.exporters.report import report_html, report_json, report_junit, report_markdown
from ansiscope.store import open_store
from tests.analytics.history import write_run
from tests.conftest import SAMPLES, runs_of
from tests.ingest.helpers import ingest

SITE = SAMPLES / "jsonl/site-2.19.jsonl"


def test_the_table_covers_every_format_in_a_fixed_order() -> None:
    assert set(FORMATS) == set(ReportFormat)
    assert [str(f) for f in REPORT_FORMATS] == ["html", "markdown", "json", "junit"]
    assert [str(f) for f in GATE_FORMATS] == ["markdown", "json", "junit"]
    assert first(ReportFormat.JSON, REPORT_FORMATS) == ("json", "html", "markdown", "junit")
    assert first(ReportFormat.JSON, GATE_FORMATS) == ("json", "markdown", "junit")
    assert {f: content_type(f) for f in REPORT_FORMATS} == {
        "html": "text/html",
        "markdown": "text/markdown",
        "json": "application/json",
        "junit": "application/xml",
    }


def test_each_format_renders_a_run_as_its_exporter_does() -> None:
    run = runs_of(SITE)[-1]
    assert render_run("html", run, None, {}) == report_html(run, None, {}).encode()
    assert render_run("markdown", run, None, {}) == report_markdown(run).encode()
    assert render_run("junit", run, None, {}) == report_junit(run)
    assert json.loads(render_run("json", run, None, {})) == json.loads(report_json(run))


def test_gate_formats_render_a_gate_result(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    for i in range(3):
        write_run(logs, i)
    store = open_store(tmp_path / "g.duckdb")
    try:
        ingest(store, *sorted(logs.iterdir()))
        result = gate(store, store.resolve_run("latest"))
    finally:
        store.close()
    assert render_gate("markdown", result, FailOn.SUSPECT) == (
        gate_report.markdown(result, FailOn.SUSPECT).encode()
    )
    assert render_gate("junit", result, FailOn.NEVER) == gate_report.junit(result, FailOn.NEVER)
    assert json.loads(render_gate("json", result, FailOn.REGRESSION))["verdict"] == "pass"
    with pytest.raises(ValueError, match="the gate has no html report"):
        render_gate("html", result, FailOn.REGRESSION)
