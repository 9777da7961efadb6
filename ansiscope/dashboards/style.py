"""One palette for statuses on every page (readable on light and dark themes)."""

from __future__ import annotations

from ansiscope.exporters.style import STATUS_COLORS  # noqa: F401 (one palette)

EMOJI = {"successful": "●", "failed": "✖", "unreachable": "◆", "running": "▶", "interrupted": "■"}


def fmt_age(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} ago"
    return f"{seconds:.0f} s ago"


def pct(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value * 100:.1f}%"
