"""Runs: filter, sort, open one."""

from __future__ import annotations

import streamlit as st

from ansiscope.analytics.views import playbooks, runs_table
from ansiscope.dashboards.data import cached
from ansiscope.dashboards.tables import RUN_ID, Column, run_link, table
from ansiscope.parser.events import RunStatus
from ansiscope.store.retention import parse_since

RUN_COLUMNS = {
    "open": Column("Run", "link", help="Open the run", link_text=RUN_ID),
    "playbook": Column("Playbook"),
    "status": Column("Status"),
    "started_at": Column("Started", "when", help="Relative to when the page was drawn"),
    "duration_s": Column("Duration", "duration"),
    "hosts_total": Column("Hosts", "count"),
    "tasks_total": Column("Tasks", "count"),
    "results_total": Column("Results", "count", help="Host results"),
    "format": Column("Log format"),
}

st.title("Runs")
params = st.query_params
choices = ["all", *cached(playbooks)()]
statuses = ["all", *[s.value for s in RunStatus]]
spans = ["all", "1d", "7d", "30d", "90d"]
cols = st.columns(5)
playbook = cols[0].selectbox(
    "Playbook",
    choices,
    index=choices.index(params["playbook"]) if params.get("playbook") in choices else 0,
)
status = cols[1].selectbox(
    "Status",
    statuses,
    index=statuses.index(params["status"]) if params.get("status") in statuses else 0,
)
since = cols[2].selectbox(
    "Started within",
    spans,
    index=spans.index(params["since"]) if params.get("since") in spans else 0,
)
label = cols[3].text_input("Label (key=value)", params.get("label", ""))
host = cols[4].text_input("Host", params.get("host", ""))
for key, value, default in (
    ("playbook", playbook, "all"),
    ("status", status, "all"),
    ("since", since, "all"),
    ("label", label, ""),
    ("host", host, ""),
):
    if value != default:
        st.query_params[key] = value
    elif key in st.query_params:
        del st.query_params[key]
frame = cached(runs_table)(
    playbook=None if playbook == "all" else playbook,
    status=None if status == "all" else status,
    since=None if since == "all" else parse_since(since),
    label=label or None,
    host=host or None,
)
LIMIT = 500  # runs_table's default
st.caption(
    f"{len(frame)} runs"
    + (" (the latest; narrow the filters to see older ones)" if len(frame) >= LIMIT else "")
)
if len(frame):
    event = table(
        frame.assign(open=frame["run_id"].map(run_link)),
        RUN_COLUMNS,
        on_select="rerun",
        selection_mode="single-row",
        key="runs_table",
    )
    selected = event.selection.rows if event and hasattr(event, "selection") else []
    if selected:
        st.switch_page("views/run.py", query_params={"run": frame.iloc[selected[0]]["run_id"]})
