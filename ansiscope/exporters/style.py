"""One palette for statuses in every page and report (readable on light and dark)."""

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
