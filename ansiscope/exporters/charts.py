"""Charts shared by the dashboard and the HTML report (plotly; one status palette)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from ansiscope.exporters.style import STATUS_COLORS


def timeline_figure(frame: pd.DataFrame) -> go.Figure:
    """The per-host Gantt chart of a run: one row per host, one bar per task, by status
    (``frame`` from ``analytics.views.timeline``)."""
    figure = px.timeline(
        frame,
        x_start="start",
        x_end="end",
        y="host",
        color="status",
        hover_data=["task", "play", "duration_s"],
        color_discrete_map=STATUS_COLORS,
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(
        height=max(260, 26 * frame["host"].nunique()), margin={"l": 0, "r": 0, "t": 10, "b": 0}
    )
    return figure
