"""One run: headline, gate verdict, per-host timeline, tree, recap, failures."""

from __future__ import annotations

import streamlit as st

from ansiscope.analytics.gate import gate
from ansiscope.analytics.views import failed_results, run_tree, timeline
from ansiscope.dashboards.data import cached, db_path, reader, version
from ansiscope.dashboards.style import EMOJI, fmt_duration, pct, when_html
from ansiscope.dashboards.tables import Column, table
from ansiscope.exporters.charts import timeline_figure
from ansiscope.store import RunNotFound

GATE_COLUMNS = {
    "task": Column("Task"),
    "host": Column("Host"),
    "verdict": Column("Verdict"),
    "gates": Column(
        "Gating", help="Can fail the gate: the total or a task with a real share, slower by ≥1 s"
    ),
    "baseline": Column("Usual", "duration", help="Median of the earlier successful runs"),
    "value": Column("This run", "duration"),
    "delta_rel": Column("Change", "change"),
}
FAILURE_COLUMNS = {
    "play": Column("Play"),
    "task": Column("Task"),
    "host": Column("Host"),
    "status": Column("Status"),
    "msg": Column("Message", help="Redacted"),
}
RECAP_COLUMNS = {
    "host": Column("Host"),
    **{
        name: Column(name.capitalize(), "count")
        for name in ("ok", "changed", "unreachable", "failures", "skipped", "rescued", "ignored")
    },
}

ref = st.query_params.get("run", "latest")
try:
    with reader() as store:
        run_id = store.resolve_run(ref)
except RunNotFound as exc:
    st.title("Run")
    st.warning(str(exc))
    st.stop()
st.query_params["run"] = run_id
tree = cached(run_tree)(run_id)
st.title(f"Run {run_id}")
started = tree.started_at
st.caption(
    f"{tree.name or '(unnamed playbook)'} · {tree.format} · {tree.source}"
    + (f" · started {when_html(started)}" if started else ""),
    unsafe_allow_html=True,
)
counts = tree.status_counts()
cols = st.columns(6)
cols[0].metric("Status", f"{EMOJI.get(str(tree.status), '')} {tree.status}")
cols[1].metric("Duration", fmt_duration(tree.duration_s))
cols[2].metric("Success rate", pct(tree.success_rate))
cols[3].metric("Hosts", len(tree.hosts))
cols[4].metric(
    "Failed / unreachable", f"{counts.get('failed', 0)} / {counts.get('unreachable', 0)}"
)
cols[5].metric("Changed", counts.get("changed", 0))

result = cached(gate)(run_id)
regressions = [f for f in result.findings if f.verdict.value in ("regression", "suspect")]
st.subheader("Against history")
if result.history_runs < result.params.min_history:
    st.info(
        f"Too little history to judge ({result.history_runs} earlier successful runs; 10 needed)."
    )
elif regressions:
    slower = [f for f in regressions if f.verdict.value == "regression"]
    not_gated = sum(not f.can_fail for f in slower)
    (st.error if result.failing() else st.warning)(
        f"{len(slower)} regressions"
        + (f" ({not_gated} not gated)" if not_gated else "")
        + f", {len(regressions) - len(slower)} suspects"
    )
    table(
        [
            {
                "task": f.task or "playbook total",
                "host": f.host or "all",
                "verdict": f.verdict.value,
                "gates": "yes" if f.can_fail else "no",
                "baseline": f.baseline.median if f.baseline else None,
                "value": f.value,
                "delta_rel": f.delta_rel,
            }
            for f in regressions
        ],
        GATE_COLUMNS,
    )
else:
    st.success(f"No regression against {result.history_runs} earlier successful runs.")

st.subheader("Timeline per host")
frame = timeline(tree)
if len(frame):
    st.plotly_chart(timeline_figure(frame))
else:
    st.caption("This log has no per-host times (plain text without profile_tasks).")

failures = failed_results(tree)
if len(failures):
    st.subheader("Failed and unreachable")
    table(failures, FAILURE_COLUMNS)

st.subheader("Recap")
stats = tree.stats
table([{"host": h, **s.as_dict()} for h, s in sorted(stats.items())], RECAP_COLUMNS)

st.subheader("Execution tree")
for play in tree.plays.values():
    with st.expander(f"PLAY {play.name or '(unnamed)'}", expanded=False):
        for task in play.tasks.values():
            statuses = ", ".join(f"{r.host}: {r.status}" for r in task.results)
            kind = "HANDLER" if task.handler else "TASK"
            st.markdown(f"**{kind} {task.name}** — {statuses or 'no results'}")

if str(tree.status) == "running":
    seen = version(db_path())

    @st.fragment(run_every=10)
    def follow() -> None:
        """A running run: redraw the page whenever the store has moved on."""
        st.caption("This run is still running; the page follows it.")
        if version(db_path()) != seen or not seen:  # a shared server: no version to watch
            st.rerun()

    follow()
