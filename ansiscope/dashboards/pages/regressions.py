"""Current regressions and suspects, and the change points behind them."""

from __future__ import annotations

import streamlit as st

from ansiscope.analytics.timings import task_stats
from ansiscope.analytics.views import current_regressions, playbooks
from ansiscope.dashboards.data import cached

st.title("Regressions")
found = cached(current_regressions)()
verdicts = ["regression", "suspect", "acknowledged"]
shown = st.multiselect(
    "Verdicts", verdicts, default=st.query_params.get_all("verdict") or ["regression", "suspect"]
)
st.query_params["verdict"] = shown
table = found[found["verdict"].isin(shown)] if len(found) else found
if len(table):
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "delta_rel": st.column_config.NumberColumn("Δ", format="percent"),
            "before_s": st.column_config.NumberColumn("before (s)", format="%.2f"),
            "after_s": st.column_config.NumberColumn("after (s)", format="%.2f"),
        },
    )
else:
    st.success("No current regression or suspect in any playbook's latest run.")
st.subheader("Change points (history mode)")
rows = []
for playbook in cached(playbooks)():
    for task in cached(task_stats)(playbook).to_dict("records"):
        for cp in task["change_points"]:
            rows.append(
                {
                    "playbook": playbook,
                    "task": task["task"],
                    "first run after": cp["run_id"],
                    "before (s)": round(cp["before_s"], 2),
                    "after (s)": round(cp["after_s"], 2),
                    "Δ": f"{cp['delta_rel'] * 100:+.0f}%",
                }
            )
st.dataframe(rows, hide_index=True) if rows else st.caption("No change point found.")
