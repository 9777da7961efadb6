"""Platform health: per playbook, last run, success against target, recovery, regressions."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from ansiscope.analytics.health import (
    MTTR_TARGET_S,
    SUCCESS_TARGET,
    flaky_tasks,
    host_health,
    playbook_health,
)
from ansiscope.analytics.views import current_regressions, ingest_state, runs_per_day
from ansiscope.dashboards.data import cached
from ansiscope.dashboards.style import EMOJI, STATUS_COLORS, fmt_duration, pct, when_html
from ansiscope.dashboards.tables import Column, table

DAY_MS = 86_400_000  # a date axis counts in milliseconds
PLAYBOOK_COLUMNS = {
    "playbook": Column("Playbook", width="medium"),
    "last_run": Column("Last run", help="Status of the latest finished run"),
    "last_run_at": Column("Age", "when", help="When the latest run started"),
    "success_rate_1d": Column("Success 1 d", "share", help="Share of runs that succeeded"),
    "success_rate_7d": Column("Success 7 d", "share"),
    "success_rate_30d": Column("Success 30 d", "share"),
    "meets_target": Column("Meets target", help="7-day success rate against the target"),
    "runs_per_day": Column("Runs per day", "number"),
    "change_failure_rate": Column(
        "Change failure", "share", help="Of the runs that changed something, the share that failed"
    ),
    "mttr_s": Column(
        "Time to restore", "duration", help="Mean time from a failure to the next success"
    ),
    "meets_mttr": Column("Restore in target"),
    "regressions": Column("Regressions", "count"),
    "flaky": Column("Flaky tasks", "count"),
}


def _yes_no(value: object) -> str:
    return "yes" if value is True else ("no" if value is False else "–")


def _playbook_rows(health: pd.DataFrame, regressions: pd.DataFrame) -> list[dict[str, object]]:
    """One row per playbook, values kept as numbers and times (the table formats them)."""
    rows = []
    for row in health.to_dict("records"):
        mine = (
            regressions[regressions["playbook"] == row["playbook"]]
            if len(regressions)
            else regressions
        )
        rows.append(
            {
                **row,
                "playbook": row["playbook"] or "(unnamed)",
                "last_run": f"{EMOJI.get(row['last_status'], '')} {row['last_status']}",
                "meets_target": _yes_no(row["meets_success_target"]),
                "meets_mttr": _yes_no(row["meets_mttr_target"]),
                "regressions": int((mine["verdict"] == "regression").sum()) if len(mine) else 0,
                "flaky": len(cached(flaky_tasks)(row["playbook"])) if row["playbook"] else 0,
            }
        )
    return rows


st.title("Platform health")
target = float(st.query_params.get("target", SUCCESS_TARGET))
mttr_target = float(st.query_params.get("mttr_target", MTTR_TARGET_S))


@st.fragment(run_every=30)
def overview() -> None:
    """The overview page: health tiles and tables, refreshed every 30 s."""
    health = cached(playbook_health)(success_target=target, mttr_target_s=mttr_target)
    regressions = cached(current_regressions)()
    hosts = cached(host_health)()
    state = cached(ingest_state)()
    open_regressions = (
        regressions[regressions["verdict"] == "regression"] if len(regressions) else regressions
    )
    cols = st.columns(5)
    cols[0].metric("Playbooks", len(health))
    cols[1].metric("Runs (1 day)", int(health["runs_1d"].sum()) if len(health) else 0)
    rate = (
        (health["success_rate_7d"] * health["runs_7d"]).sum() / max(1, health["runs_7d"].sum())
        if len(health)
        else None
    )
    cols[2].metric("Success (7 days)", pct(rate), help=f"target {pct(target)}")
    cols[3].metric("Open regressions", len(open_regressions))
    cols[4].metric(
        "Unreachable hosts", int((hosts["unreachable_rate"] > 0).sum()) if len(hosts) else 0
    )
    st.subheader("Playbooks")
    table(_playbook_rows(health, regressions), PLAYBOOK_COLUMNS)
    per_day = cached(runs_per_day)()
    st.subheader("Runs per day")
    if len(per_day):
        chart = px.bar(
            per_day,
            x="day",
            y="runs",
            color="status",
            color_discrete_map=STATUS_COLORS,
            labels={"day": "Day", "runs": "Runs", "status": "Status"},
        )
        chart.update_layout(height=300, margin={"l": 0, "r": 0, "t": 10, "b": 0})
        # bars a day wide over the 30 days shown: with one day only, plotly would make
        # the bar (and the axis) a millisecond wide, ticked in fractions of a second
        chart.update_traces(width=0.8 * DAY_MS)
        end = pd.Timestamp.now(tz="UTC").floor("D") + pd.Timedelta(hours=12)
        chart.update_xaxes(tickformat="%b %d", range=[end - pd.Timedelta(days=30), end])
        st.plotly_chart(chart)
    else:
        st.caption("No runs in the last 30 days.")
    st.caption(
        f"Ingest: {state['files']} inputs ({state['following']} followed), "
        f"{state['quarantined']} quarantined lines; last update "
        f"{when_html(state['last_update'])}. "
        f"Targets: success ≥ {pct(target)}, time to restore ≤ {fmt_duration(mttr_target)}.",
        unsafe_allow_html=True,
    )


overview()
