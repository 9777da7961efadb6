"""Run reports: one self-contained HTML file, Markdown, JSON and JUnit XML.

Everything comes from the run tree (file or store) and, when the store has history,
the gate's verdict and the slowest tasks' recent durations. Messages are redacted on
the way out; ``no_log`` results never show content.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import orjson

from ansiscope.analytics.gate import GateResult, gate
from ansiscope.analytics.runtree import ResultNode, RunTree, assemble
from ansiscope.analytics.timings import critical_path, task_series_of, task_stats_of
from ansiscope.analytics.views import run_tree, timeline
from ansiscope.errors import ParseError, UsageError
from ansiscope.exporters import gate_report
from ansiscope.exporters.charts import timeline_figure
from ansiscope.exporters.summary import fmt_rate, fmt_seconds, markdown, run_summary
from ansiscope.parser import open_input
from ansiscope.redact import redact
from ansiscope.store import duckdb_path, is_file_store, open_store
from ansiscope.store.base import Reader

SCHEMA_VERSION = 1
History = dict[str, list[float]]  # task name -> recent durations, oldest first


def report_json(
    run: RunTree, gate: GateResult | None = None, history: History | None = None
) -> bytes:
    """Everything: the summary contract plus critical path, gate and history."""
    path = critical_path(run)
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "run": run_summary(run),
        "critical_path": path.where(path.notna(), None).to_dict("records"),
        "gate": gate.document() if gate else None,
        "history": history or {},
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY) + b"\n"


def report_markdown(run: RunTree, gate: GateResult | None = None) -> str:
    """The summary's Markdown with the gate's verdict line (≤64 KB, truncation noted)."""
    text = markdown([run])
    if gate is not None:
        text = f"**Gate:** {gate_report.headline(gate)}\n\n" + text
    return text


def report_junit(run: RunTree) -> bytes:
    """One testsuite per play, one testcase per task × host; failures and skips mapped."""
    suites = ET.Element("testsuites", name=f"ansible: {run.name}")
    for play in run.plays.values():
        cases = [(task, r) for task in play.tasks.values() for r in task.results]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=play.name or "play",
            tests=str(len(cases)),
            failures=str(sum(1 for _, r in cases if r.status.value in ("failed", "unreachable"))),
            errors="0",
            skipped=str(sum(1 for _, r in cases if r.status.value == "skipped")),
            time=f"{sum(r.duration_s or 0 for _, r in cases):.3f}",
        )
        for task, r in cases:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=(play.name or "play").replace(".", "_"),
                name=f"{task.name} [{r.host}]",
                time=f"{r.duration_s or 0:.3f}",
            )
            message = _message(r)
            if r.status.value in ("failed", "unreachable"):
                failure = ET.SubElement(
                    case, "failure", message=message[:500] or r.status.value, type=r.status.value
                )
                failure.text = message
            elif r.status.value == "skipped":
                ET.SubElement(case, "skipped", message=message[:500])
            elif r.status.value in ("ignored", "rescued"):
                ET.SubElement(case, "system-out").text = f"{r.status.value}: {message}"
    xml: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return xml + b"\n"


def report_html(
    run: RunTree, gate: GateResult | None = None, history: History | None = None
) -> str:
    """One self-contained page (plotly embedded, no network needed), readable printed."""
    doc = run_summary(run, tree=False)
    parts = [
        *_html_header(doc),
        *([] if gate is None else [_html_gate(gate)]),
        *_html_slowest(doc["slowest_tasks"], history or {}),
        *_html_timeline(run),
        *_html_failures(run),
        *_html_tree(run),
        "</section><footer>ansiscope report</footer>",
        "<script>window.addEventListener('beforeprint',()=>document.querySelectorAll('details').forEach(d=>d.open=true));</script>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _html_header(doc: dict[str, Any]) -> list[str]:
    """The page's head, title, run line and the cards of its headline numbers."""
    e = html.escape
    counts = doc["counts"]
    cards = [
        ("Status", doc["status"]),
        ("Duration", fmt_seconds(doc["duration_s"])),
        ("Success rate", fmt_rate(doc["success_rate"])),
        ("Hosts", str(doc["hosts_total"])),
        ("Failed", str(counts.get("failed", 0))),
        ("Changed", str(counts.get("changed", 0))),
        ("Unreachable", str(counts.get("unreachable", 0))),
    ]
    return [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>ansiscope: {e(doc['playbook'])}</title><style>{CSS}</style></head><body>",
        f"<h1>{e(doc['playbook'])}</h1>",
        f"<p class='meta'>run <code>{e(doc['run_id'])}</code> · {e(doc['format'])} · {e(doc['source'])} · started {e(doc['started_at'] or 'unknown')}</p>",
        "<section class='cards'>",
        *(
            f"<div class='card' data-card='{e(k.lower())}'><div class='k'>{e(k)}</div><div class='v status-{e(v)}'>{e(v)}</div></div>"
            for k, v in cards
        ),
        "</section>",
    ]


def _html_gate(gate: GateResult) -> str:
    verdict = html.escape(gate_report.headline(gate))
    return f"<section id='gate'><h2>Against history</h2><p class='verdict'>{verdict}</p></section>"


def _html_slowest(slowest: list[dict[str, Any]], history: History) -> list[str]:
    """The slowest tasks' table, each with a sparkline of its recent durations."""
    e = html.escape
    rows = [
        f"<tr><td>{e(t['name'])}</td><td>{e(t['play'] or '')}</td><td>{fmt_seconds(t['duration_s'])}</td><td>{e(t['slowest_host'] or '—')}</td><td>{_sparkline(history.get(t['name'], []))}</td></tr>"
        for t in slowest
    ]
    return [
        "<section id='slowest'><h2>Slowest tasks</h2><table><tr><th>task</th><th>play</th><th>duration</th><th>slowest host</th><th>recent runs</th></tr>",
        *rows,
        "</table></section>",
    ]


def _html_timeline(run: RunTree) -> list[str]:
    """The per-host timeline chart (plotly.js inlined), or a note that there are no times."""
    frame = timeline(run)
    if not len(frame):
        chart = "<p>This log has no per-host times.</p>"
    else:
        chart = timeline_figure(frame).to_html(
            full_html=False,
            include_plotlyjs=True,
            div_id="timeline-chart",
            config={"displaylogo": False},
        )
    return ["<section id='timeline'><h2>Timeline per host</h2>", chart, "</section>"]


def _html_failures(run: RunTree) -> list[str]:
    """The failed and unreachable results with their (redacted) messages; none: nothing."""
    e = html.escape
    rows = [
        f"<tr><td>{e(p.name)}</td><td>{e(t.name)}</td><td>{e(r.host)}</td><td class='status-{e(r.status.value)}'>{e(r.status.value)}</td><td><pre>{e(_message(r))}</pre></td></tr>"
        for p in run.plays.values()
        for t in p.tasks.values()
        for r in t.results
        if r.status.value in ("failed", "unreachable")
    ]
    if not rows:
        return []
    return [
        "<section id='failures'><h2>Failed results</h2><table><tr><th>play</th><th>task</th><th>host</th><th>status</th><th>message</th></tr>",
        *rows,
        "</table></section>",
    ]


def _html_tree(run: RunTree) -> list[str]:
    """Plays, tasks and results as nested ``<details>`` (opened for printing)."""
    e = html.escape
    parts = ["<section id='tree'><h2>Execution tree</h2>"]
    for play in run.plays.values():
        parts.append(f"<details class='play'><summary>PLAY {e(play.name or '(unnamed)')}</summary>")
        for task in play.tasks.values():
            kind = "HANDLER" if task.handler else "TASK"
            parts.append(
                f"<details class='task'><summary>{kind} {e(task.name)} <span class='d'>{fmt_seconds(task.duration_s)}</span></summary><ul>"
            )
            parts.extend(
                f"<li class='status-{e(r.status.value)}'>{e(r.host)}: {e(r.status.value)} {fmt_seconds(r.duration_s)}</li>"
                for r in task.results
            )
            parts.append("</ul></details>")
        parts.append("</details>")
    return parts


def _message(result: ResultNode) -> str:
    """A result's message as a report shows it: redacted, never a ``no_log`` one's."""
    return "(no_log)" if result.no_log else (redact(result.msg) or "")


def _sparkline(values: list[float], width: int = 120, height: int = 24) -> str:
    """A tiny inline SVG of recent durations (no script: prints fine)."""
    if len(values) < 2:
        return ""
    top = max(values) or 1.0
    step = width / (len(values) - 1)
    points = " ".join(
        f"{i * step:.1f},{height - v / top * (height - 2) - 1:.1f}" for i, v in enumerate(values)
    )
    return (
        f"<svg class='spark' width='{width}' height='{height}' viewBox='0 0 {width} {height}'>"
        f"<polyline fill='none' stroke='#3b82c4' stroke-width='1.5' points='{points}'/></svg>"
    )


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem} .meta{color:#666;font-size:.9rem}
.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}
.card{border:1px solid #ddd;border-radius:8px;padding:.6rem 1rem;min-width:8rem}
.card .k{color:#666;font-size:.8rem} .card .v{font-size:1.4rem;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:.9rem} th,td{border-bottom:1px solid #eee;padding:.3rem .5rem;text-align:left;vertical-align:top}
pre{white-space:pre-wrap;margin:0;font-size:.8rem}
details{margin:.2rem 0 .2rem 1rem} summary{cursor:pointer} .d{color:#888}
.status-failed,.status-unreachable{color:#d64545} .status-successful,.status-ok{color:#2e9e5b} .status-changed{color:#b8860b}
@media print{body{margin:0;max-width:none} details{page-break-inside:avoid} .card{border-color:#999}}
"""


def load_stored(store: Reader, ref: str) -> tuple[RunTree, GateResult, History]:
    """A stored run, its gate verdict and its slowest tasks' recent durations."""
    run_id = store.resolve_run(ref)
    tree = run_tree(store, run_id)
    result = gate(store, run_id)
    history: History = {}
    if tree.playbook:
        frame = store.task_history_frame(tree.playbook, limit=30)  # once, not once per task
        stats = task_stats_of(frame, tree.playbook)
        wanted = {t.name for _, t in tree.slowest_tasks(10)}
        for row in stats.to_dict("records"):
            if row["task"] in wanted:
                series = task_series_of(frame, tree.playbook, row["key"])
                history[row["task"]] = [float(v) for v in series["wall_s"].dropna()]
    return tree, result, history


def load_run(source: str, db: str) -> tuple[RunTree, GateResult | None, History]:
    """The run ``ansiscope report``/``notify`` is about: a log FILE's last run (no verdict,
    no history), or a stored run in the store ``db`` with its verdict and history."""
    if Path(source).exists():
        with open_input(source) as inp:
            runs, _ = assemble(inp.events)
        if not runs:
            raise ParseError(source, "no Ansible run found")
        return runs[-1], None, {}
    if is_file_store(db) and not duckdb_path(db).exists():
        raise UsageError(f"{source}: no such file, and no store at {db} to look it up in")
    store = open_store(db, read_only=True)
    try:
        return load_stored(store, source)
    finally:
        store.close()
