"""Tables as the dashboard shows them: only the columns a reader needs, headers in words,
values written like the rest of the page (``2 min 03 s``, ``99.2%``, ``3 h ago``) while
the cells keep their numbers and times, so clicking a header sorts by value.

Streamlit draws a missing cell as a grey ``None`` whatever the formatting says, so a
missing number is stored as -inf and a missing time as the epoch (both sort first) and
shown as a dash through the pandas Styler's display values. Column formats given in
``column_config`` would override those display values, so formatted kinds set none."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import streamlit as st

from ansiscope.dashboards.style import (
    NONE,
    fmt_duration,
    fmt_utc,
    fmt_when,
    missing,
    pct,
    signed_pct,
)

Kind = Literal[
    "text", "count", "number", "duration", "share", "change", "when", "at", "progress", "link"
]
RUN_ID = r"run=(\w+)"  # a run link shows the run's id (LinkColumn: first capture group)
MISSING_NUMBER = float("-inf")
MISSING_TIME = pd.Timestamp(0, tz="UTC")


@dataclass(frozen=True)
class Column:
    """How one column is shown: its header, the kind of value, a header tooltip."""

    label: str
    kind: Kind = "text"
    help: str | None = None
    link_text: str = "open ›"
    width: Literal["small", "medium", "large"] | None = None


def run_link(run_id: str) -> str:
    """The run page's address for one run (relative: works behind any prefix)."""
    return f"./run?run={run_id}"


def _number(value: float) -> str:
    return f"{value:,.1f}" if value % 1 else f"{value:,.0f}"


_NUMBER_TEXT: dict[str, Callable[[Any], str]] = {
    "number": _number,
    "duration": fmt_duration,
    "share": pct,
    "change": signed_pct,
}
_TIME_TEXT: dict[str, Callable[[Any], str]] = {"when": fmt_when, "at": fmt_utc}


def _shown(text: Callable[[Any], str], is_missing: Callable[[Any], bool]) -> Callable[[Any], str]:
    def show(value: Any) -> str:
        return NONE if is_missing(value) else text(value)

    return show


def _no_number(value: Any) -> bool:
    return missing(value) or value == MISSING_NUMBER


def _no_time(value: Any) -> bool:
    return missing(value) or value == MISSING_TIME


def _text(values: pd.Series) -> pd.Series:
    return values.map(lambda v: NONE if missing(v) or v == "" else str(v)).astype(object)


def _config(column: Column) -> Any:
    """The ``column_config`` entry: label, width and the formats Styler cannot give."""
    entry = _kind_config(column)
    if column.width:
        entry["width"] = column.width
    return entry


def _kind_config(column: Column) -> Any:
    cc = st.column_config
    if column.kind == "count":
        return cc.NumberColumn(column.label, help=column.help, format="localized")
    if column.kind == "progress":
        return cc.ProgressColumn(
            column.label, help=column.help, min_value=0.0, max_value=1.0, format="percent"
        )
    if column.kind == "link":
        return cc.LinkColumn(column.label, help=column.help, display_text=column.link_text)
    if column.kind in _NUMBER_TEXT:
        return cc.NumberColumn(column.label, help=column.help)
    if column.kind in _TIME_TEXT:
        return cc.DatetimeColumn(column.label, help=column.help)
    return cc.TextColumn(column.label, help=column.help)


def prepare(
    rows: pd.DataFrame | Sequence[Mapping[str, Any]], columns: Mapping[str, Column]
) -> tuple[pd.DataFrame, dict[str, Callable[[Any], str]], dict[str, Any]]:
    """The listed columns of ``rows`` cleaned for display, the Styler formatters and the
    ``column_config`` (split out so tests can check what a reader would see)."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    data = pd.DataFrame(index=range(len(frame)))
    formatters: dict[str, Callable[[Any], str]] = {}
    for name, column in columns.items():
        values = (
            frame[name].reset_index(drop=True)
            if name in frame
            else pd.Series([None] * len(frame), dtype=object)
        )
        if column.kind in _NUMBER_TEXT:
            data[name] = pd.to_numeric(values, errors="coerce").astype(float).fillna(MISSING_NUMBER)
            formatters[name] = _shown(_NUMBER_TEXT[column.kind], _no_number)
        elif column.kind in _TIME_TEXT:
            data[name] = pd.to_datetime(values, utc=True, errors="coerce").fillna(MISSING_TIME)
            formatters[name] = _shown(_TIME_TEXT[column.kind], _no_time)
        elif column.kind == "count":
            data[name] = pd.to_numeric(values, errors="coerce").fillna(0).astype("int64")
        elif column.kind == "progress":
            data[name] = pd.to_numeric(values, errors="coerce").astype(float).fillna(0.0)
        else:
            data[name] = _text(values)
    config = {name: _config(column) for name, column in columns.items()}
    return data, formatters, config


def display_text(
    data: pd.DataFrame, formatters: Mapping[str, Callable[[Any], str]]
) -> pd.DataFrame:
    """What each cell reads as (the formatted kinds; other cells as stored)."""
    shown = data.astype(object).copy()
    for name, text in formatters.items():
        shown[name] = data[name].map(text)
    return shown


def table(
    rows: pd.DataFrame | Sequence[Mapping[str, Any]],
    columns: Mapping[str, Column],
    **kwargs: Any,
) -> Any:
    """``st.dataframe`` of the listed columns, in that order, formatted and sortable."""
    data, formatters, config = prepare(rows, columns)
    shown: Any = data.style.format(formatters) if formatters and len(data) else data
    return st.dataframe(
        shown,
        hide_index=True,
        column_order=list(columns),
        column_config=config,
        width="stretch",
        **kwargs,
    )
