"""Host health: failure and unreachable frequency, last seen, slowest tasks per host."""

from __future__ import annotations

import streamlit as st

from ansiscope.analytics.health import host_health, host_tasks
from ansiscope.dashboards.data import cached
from ansiscope.dashboards.tables import Column, table

HOST_COLUMNS = {
    "host": Column("Host"),
    "runs": Column("Runs", "count", help="Recaps that name this host"),
    "failure_rate": Column("Failure rate", "share", help="Share of its recaps with a failure"),
    "unreachable_rate": Column("Unreachable rate", "share"),
    "last_seen": Column("Last seen", "when", help="When its latest recap was stored"),
}
TASK_COLUMNS = {
    "task": Column("Task"),
    "playbook": Column("Playbook"),
    "results": Column("Results", "count"),
    "p50_s": Column("Median", "duration", help="Median wall time on this host"),
    "max_s": Column("Slowest", "duration"),
    "failed": Column("Failed", "count"),
}

st.title("Hosts")
hosts = cached(host_health)()
if not len(hosts):
    st.info("No host recaps stored yet.")
    st.stop()
table(hosts, HOST_COLUMNS)
names = list(hosts["host"])
wanted = st.query_params.get("host")
host = st.selectbox("Slowest tasks on", names, index=names.index(wanted) if wanted in names else 0)
st.query_params["host"] = host
table(cached(host_tasks)(host), TASK_COLUMNS)
