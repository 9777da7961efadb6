"""Platform health: per playbook, last run, success against target, recovery, regressions."""

from __future__ import annotations

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
from ansiscope.dashboards.style import EMOJI, STATUS_COLORS, fmt_age, pct

st.title("Platform health")
target = float(st.query_params.get("target", SUCCESS_TARGET))
mttr_target = float(st.query_params.get("mttr_target", MTTR_TARGET_S))


@st.fragment(run_every=30)
def overview() -> None:
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
    rows = []
    for row in health.to_dict("records"):
        playbook = row["playbook"] or "(unnamed)"
        mine = (
            regressions[regressions["playbook"] == row["playbook"]]
            if len(regressions)
            else regressions
        )
        rows.append(
            {
                "playbook": playbook,
                "last run": f"{EMOJI.get(row['last_status'], '')} {row['last_status']}",
                "age": fmt_age(row["last_run_age_s"]),
                "success 1d": pct(row["success_rate_1d"]),
                "success 7d": pct(row["success_rate_7d"]),
                "success 30d": pct(row["success_rate_30d"]),
                "meets target": "yes"
                if row["meets_success_target"]
                else ("no" if row["meets_success_target"] is False else "–"),
                "runs/day": round(row["runs_per_day"], 1),
                "change failure": pct(row["change_failure_rate"]),
                "MTTR": fmt_age(row["mttr_s"]).replace(" ago", "")
                if row["mttr_s"] is not None
                else "–",
                "MTTR ok": "yes"
                if row["meets_mttr_target"]
                else ("no" if row["meets_mttr_target"] is False else "–"),
                "regressions": int((mine["verdict"] == "regression").sum()) if len(mine) else 0,
                "flaky tasks": len(cached(flaky_tasks)(row["playbook"])) if row["playbook"] else 0,
            }
        )
    st.subheader("Playbooks")
    st.dataframe(rows, hide_index=True)
    per_day = cached(runs_per_day)()
    st.subheader("Runs per day")
    if len(per_day):
        chart = px.bar(per_day, x="day", y="runs", color="status", color_discrete_map=STATUS_COLORS)
        chart.update_layout(height=300, margin={"l": 0, "r": 0, "t": 10, "b": 0})
        st.plotly_chart(chart)
    else:
        st.caption("No runs in the last 30 days.")
    st.caption(
        f"Ingest: {state['files']} inputs ({state['following']} followed), "
        f"{state['quarantined']} quarantined lines; last update {state['last_update'] or '–'}. "
        f"Targets: success ≥ {pct(target)}, MTTR ≤ {mttr_target / 3600:g} h."
    )


overview()
