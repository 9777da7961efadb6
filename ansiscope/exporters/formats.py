"""Report formats: one table from a format to its content type and its renderers (a run
report, a gate report), used by ``ansiscope report``, ``ansiscope gate --format`` and the
service's ``/api/report`` and ``/api/gate``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from ansiscope.analytics.gate import FailOn, GateResult
from ansiscope.analytics.runtree import RunTree
from ansiscope.exporters import gate_report
from ansiscope.exporters.report import (
    History,
    report_html,
    report_json,
    report_junit,
    report_markdown,
)


class ReportFormat(StrEnum):
    """A report format, as named on the command line and in the API's ``format=``."""

    HTML = "html"
    MARKDOWN = "markdown"
    JSON = "json"
    JUNIT = "junit"


RunRenderer = Callable[[RunTree, GateResult | None, History], bytes]
GateRenderer = Callable[[GateResult, FailOn], bytes]


@dataclass(frozen=True)
class Renderers:
    """What a format is served as, and how a run (and, where it has one, a gate result)
    is rendered in it."""

    content_type: str
    run: RunRenderer
    gate: GateRenderer | None = None  # None: the gate has no report in this format


FORMATS: dict[ReportFormat, Renderers] = {
    ReportFormat.HTML: Renderers(
        "text/html", lambda run, result, history: report_html(run, result, history).encode()
    ),
    ReportFormat.MARKDOWN: Renderers(
        "text/markdown",
        lambda run, result, _history: report_markdown(run, result).encode(),
        lambda result, fail_on: gate_report.markdown(result, fail_on).encode(),
    ),
    ReportFormat.JSON: Renderers("application/json", report_json, gate_report.json_bytes),
    ReportFormat.JUNIT: Renderers(
        "application/xml", lambda run, _result, _history: report_junit(run), gate_report.junit
    ),
}
REPORT_FORMATS = tuple(FORMATS)
GATE_FORMATS = tuple(f for f, renderers in FORMATS.items() if renderers.gate is not None)


def first(default: ReportFormat, formats: Iterable[ReportFormat]) -> tuple[str, ...]:
    """``formats``' names with ``default`` first (the API's choice when none is asked)."""
    names = [str(f) for f in formats]
    return (str(default), *(name for name in names if name != default))


def render_run(fmt: str, run: RunTree, result: GateResult | None, history: History) -> bytes:
    """A run's report in format ``fmt``."""
    return FORMATS[ReportFormat(fmt)].run(run, result, history)


def render_gate(fmt: str, result: GateResult, fail_on: FailOn) -> bytes:
    """A gate result's report in format ``fmt`` (one of ``GATE_FORMATS``)."""
    renderer = FORMATS[ReportFormat(fmt)].gate
    if renderer is None:
        raise ValueError(f"the gate has no {fmt} report")
    return renderer(result, fail_on)


def content_type(fmt: str) -> str:
    """The HTTP content type of format ``fmt``."""
    return FORMATS[ReportFormat(fmt)].content_type
