"""Tasks of a playbook: duration history with change points, share, slowest hosts; compare two runs."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from ansiscope.analytics.timings import compare_runs, task_series, task_stats
from ansiscope.analytics.views import playbooks, run_tree, runs_table
from ansiscope.dashboards.data import cached
from ansiscope.dashboards.style import STATUS_COLORS, fmt_duration
from ansiscope.dashboards.tables import Column, table

STAT_COLUMNS = {
    "task": Column("Task"),
    "runs": Column("Runs", "count"),
    "p50_s": Column("Median", "duration", help="Median wall time over its runs (p50)"),
    "p90_s": Column("p90", "duration", help="90th percentile wall time"),
    "p95_s": Column("p95", "duration", help="95th percentile wall time"),
    "max_s": Column("Slowest", "duration"),
    "share": Column("Share of run", "progress", help="Its median as a share of the run's median"),
    "slowest_host": Column("Slowest host"),
    "failure_rate": Column("Failure rate", "share"),
    "retry_lost_s": Column(
        "Lost to retries", "duration", help="Per run, the mean time spent in failed attempts"
    ),
}
COMPARE_COLUMNS = {
    "task": Column("Task"),
    "a_s": Column("Run A", "duration"),
    "b_s": Column("Run B", "duration"),
    "delta_s": Column("B − A", "number", help="Seconds; negative: B was faster"),
    "change": Column("Change"),
}

st.title("Tasks")
choices = cached(playbooks)()
if not choices:
    st.info("No playbook with finished runs yet.")
    st.stop()
wanted = st.query_params.get("playbook")
playbook = st.selectbox(
    "Playbook", choices, index=choices.index(wanted) if wanted in choices else 0
)
st.query_params["playbook"] = playbook
stats = cached(task_stats)(playbook)
table(stats, STAT_COLUMNS)
if len(stats):
    names = list(stats["task"])
    pick = st.query_params.get("task")
    task = st.selectbox("History of", names, index=names.index(pick) if pick in names else 0)
    st.query_params["task"] = task
    row = stats[stats["task"] == task].iloc[0]
    series = cached(task_series)(playbook, row["key"])
    figure = go.Figure()
    if len(series):
        band = series["wall_s"].rolling(10, min_periods=1).median()
        figure.add_trace(
            go.Scatter(
                x=series["at"],
                y=band,
                name="rolling median",
                line={"color": "#888", "width": 6},
                opacity=0.35,
            )
        )
        figure.add_trace(
            go.Scatter(
                x=series["at"],
                y=series["wall_s"],
                mode="markers",
                name="runs",
                marker={"color": [STATUS_COLORS.get(s, "#888") for s in series["status"]]},
            )
        )
        for cp in row["change_points"]:
            at = series.loc[series["run_id"] == cp["run_id"], "at"]
            if len(at):
                figure.add_vline(x=at.iloc[0], line_dash="dash", line_color="#d64545")
                figure.add_annotation(
                    x=at.iloc[0],
                    y=cp["after_s"],
                    text=f"{fmt_duration(cp['before_s'])} → {fmt_duration(cp['after_s'])}",
                    showarrow=False,
                    yshift=12,
                )
    figure.update_layout(
        height=320,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        yaxis_title="Wall time (s)",
        xaxis_title="Run started",
    )
    st.plotly_chart(figure)
    st.caption(
        f"{len(row['change_points'])} change points; "
        f"slowest host usually {row['slowest_host'] or '–'}."
    )

st.subheader("Compare two runs")
runs = cached(runs_table)(playbook=playbook, limit=100)
ids = list(runs["run_id"])
if len(ids) >= 2:
    cols = st.columns(2)
    a = cols[0].selectbox("Run A", ids, index=1)
    b = cols[1].selectbox("Run B", ids, index=0)
    table(compare_runs(cached(run_tree)(a), cached(run_tree)(b)), COMPARE_COLUMNS)
else:
    st.caption("Needs two runs of this playbook.")
