"""Current regressions and suspects, and the change points behind them."""

from __future__ import annotations

import streamlit as st

from ansiscope.analytics.timings import task_stats
from ansiscope.analytics.views import current_regressions, playbooks
from ansiscope.dashboards.data import cached
from ansiscope.dashboards.tables import RUN_ID, Column, run_link, table

KINDS = {"total": "playbook total", "task": "task", "task_host": "task on one host"}
FOUND_COLUMNS = {
    "playbook": Column("Playbook"),
    "task": Column("Task"),
    "host": Column("Host"),
    "what": Column("Measured", help="The whole playbook, a task, or a task on one host"),
    "verdict": Column("Verdict"),
    "gates": Column(
        "Gating",
        help="Can fail the gate: the playbook total and tasks with ≥5% of its time and "
        "≥1 s, slower by ≥1 s; the rest is reported only",
    ),
    "before_s": Column("Before", "duration", help="Median of the earlier successful runs"),
    "after_s": Column("Now", "duration", help="The latest run"),
    "delta_rel": Column("Change", "change"),
    "z": Column("z-score", "number", help="Distance from the history in robust deviations"),
    "run": Column("Run", "link", help="Open the run", link_text=RUN_ID),
}
CHANGE_COLUMNS = {
    "playbook": Column("Playbook"),
    "task": Column("Task"),
    "run": Column(
        "First run after", "link", help="The first run on the new level", link_text=RUN_ID
    ),
    "before_s": Column("Before", "duration", help="Median before the change point"),
    "after_s": Column("After", "duration", help="Median after the change point"),
    "delta_rel": Column("Change", "change"),
}

st.title("Regressions")
found = cached(current_regressions)()
verdicts = ["regression", "suspect", "acknowledged"]
shown = st.multiselect(
    "Verdicts", verdicts, default=st.query_params.get_all("verdict") or ["regression", "suspect"]
)
st.query_params["verdict"] = shown
chosen = found[found["verdict"].isin(shown)] if len(found) else found
if len(chosen):
    what = chosen["kind"].map(KINDS).fillna(chosen["kind"])
    gates = chosen["gating"].map({True: "yes", False: "no"})
    table(chosen.assign(what=what, gates=gates, run=chosen["run_id"].map(run_link)), FOUND_COLUMNS)
else:
    st.success("No current regression or suspect in any playbook's latest run.")
st.subheader("Change points (history mode)")
rows = [
    {"playbook": playbook, "task": task["task"], "run": run_link(cp["run_id"]), **cp}
    for playbook in cached(playbooks)()
    for task in cached(task_stats)(playbook).to_dict("records")
    for cp in task["change_points"]
]
if rows:
    table(rows, CHANGE_COLUMNS)
else:
    st.caption("No change point found.")
