"""Host health: failure and unreachable frequency, last seen, slowest tasks per host."""

from __future__ import annotations

import streamlit as st

from ansiscope.analytics.health import host_health, host_tasks
from ansiscope.dashboards.data import cached

st.title("Hosts")
hosts = cached(host_health)()
if not len(hosts):
    st.info("No host recaps stored yet.")
    st.stop()
st.dataframe(
    hosts,
    hide_index=True,
    column_config={
        "failure_rate": st.column_config.NumberColumn("failure rate", format="percent"),
        "unreachable_rate": st.column_config.NumberColumn("unreachable rate", format="percent"),
    },
)
names = list(hosts["host"])
wanted = st.query_params.get("host")
host = st.selectbox("Slowest tasks on", names, index=names.index(wanted) if wanted in names else 0)
st.query_params["host"] = host
st.dataframe(cached(host_tasks)(host), hide_index=True)
