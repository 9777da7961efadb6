"""Task identity across runs.

A task is known by its playbook, play, role, task file and name with templated parts
stripped (``Deploy {{ version }}`` and ``Deploy 1.2`` differ only by the template, so
``{{ … }}`` is dropped from the name). A task renamed in place (same file:line) or
moved (same name, other file) keeps its history: keys are resolved over the runs in
order, following whichever of the two stayed the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from ansiscope.parser.base import stable_id

TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


def clean_name(name: str) -> str:
    """A task name without templated parts or extra spaces."""
    return " ".join(TEMPLATE.sub("", name or "").split())


def split_path(path: str | None) -> tuple[str, str | None]:
    """``/x/main.yml:12`` → (``/x/main.yml``, ``/x/main.yml:12``)."""
    if not isinstance(path, str) or not path:  # None, or NaN from a pandas column
        return "", None
    head, sep, tail = path.rpartition(":")
    if sep and tail.isdigit():
        return head, path
    return path, None


def _text(value: object) -> str:
    """A string column's value; a missing one (``None``, pandas' NaN) is ``""``."""
    return value if isinstance(value, str) else ""


class TaskKeys:
    """Assigns stable keys to tasks, run after run (feed runs oldest first)."""

    def __init__(self) -> None:
        self._by_name: dict[tuple[str, ...], str] = {}
        self._by_place: dict[str, str] = {}
        # a task seen before: its key (fixed once its name is known) and its place,
        # which is pointed at that key again (it may have been renamed in between)
        self._seen: dict[tuple[object, ...], tuple[str, str | None]] = {}

    def key(
        self, playbook: str | None, play: str | None, role: str | None, path: str | None, name: str
    ) -> str:
        """The stable key of one task: by name, else by place (a renamed task), else new."""
        seen = self._seen.get((playbook, play, role, path, name))
        if seen is not None:
            if seen[1] is not None:
                self._by_place[seen[1]] = seen[0]
            return seen[0]
        file, place = split_path(path)
        named = (_text(playbook), _text(play), _text(role), clean_name(_text(name)))
        placed = f"{playbook}\x1f{place}" if place else None
        found = self._by_name.get(named)
        if found is None and placed is not None:
            found = self._by_place.get(placed)  # renamed in place
        key = stable_id("task", *named, file) if found is None else found
        self._by_name.setdefault(named, key)
        if placed is not None:
            self._by_place[placed] = key
        self._seen[(playbook, play, role, path, name)] = (key, placed)
        return key

    def keys(
        self, rows: Iterable[tuple[str | None, str | None, str | None, str | None, str]]
    ) -> list[str]:
        """The keys of ``rows`` of (playbook, play, role, path, name), in order."""
        return [self.key(*row) for row in rows]


def key_column(frame: pd.DataFrame, playbook: str | None) -> list[str]:
    """Keys for a frame of task rows (``play``, ``role``, ``path``, ``name``) in row
    order; sort the frame oldest run first so that renames resolve forwards."""
    keys = TaskKeys()
    rows = zip(frame["play"], frame["role"], frame["path"], frame["name"], strict=True)
    return [keys.key(playbook, play, role, path, name) for play, role, path, name in rows]
