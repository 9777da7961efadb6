"""One palette for statuses on every page (readable on light and dark themes)."""

from __future__ import annotations

STATUS_COLORS = {
    "ok": "#2e9e5b",
    "successful": "#2e9e5b",
    "changed": "#d4a017",
    "failed": "#d64545",
    "unreachable": "#8e44ad",
    "skipped": "#8c8c8c",
    "ignored": "#e08a8a",
    "rescued": "#3b82c4",
    "running": "#3b82c4",
    "interrupted": "#b0b0b0",
}
EMOJI = {
    "successful": "🟢",
    "failed": "🔴",
    "unreachable": "🟣",
    "running": "🔵",
    "interrupted": "⚪",
}


def fmt_age(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} ago"
    return f"{seconds:.0f} s ago"


def pct(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value * 100:.1f}%"
