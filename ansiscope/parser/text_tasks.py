"""Which task a text banner names, within one play.

Text carries no task ids. A task name met again in a play is the same task (a serial
batch, the free strategy, a meta task per host) unless a host reports under it again
(a file included once per loop item): then it is the name's next task, with an id of
its own.
"""

from __future__ import annotations

from typing import Any

from ansiscope.parser.text_lines import HostRecord, occurrence_id


class TaskIds:
    """The ids of a play's tasks, by name and occurrence."""

    def __init__(self) -> None:
        self._occurrences: dict[str, int] = {}  # task name -> its latest occurrence
        self._reported: dict[str, dict[str, bool]] = {}  # task id -> host -> items only

    def new_play(self) -> None:
        """A new play: its names start again at their first occurrence."""
        self._occurrences, self._reported = {}, {}

    def banner(self, play_id: str, handler: bool, name: str) -> str:
        """The id of the task a banner names: its name's latest occurrence (a handler's
        is always its first)."""
        n = 1 if handler else self._occurrences.setdefault(name, 1)
        return occurrence_id(play_id, handler, name, n)

    def place(self, play_id: str, task: dict[str, Any], hosts: dict[str, HostRecord]) -> None:
        """Give ``task`` the next id of its name if one of these hosts reported under its
        id already (a loop's items shown under two banners of the free strategy do not
        count); then record its hosts under its id."""
        reported = self._reported.setdefault(task["id"], {})
        if not task["handler"] and any(
            host in reported and not (reported[host] and record.items)
            for host, record in hosts.items()
        ):
            name = task["name"]
            n = self._occurrences[name] = self._occurrences.get(name, 1) + 1
            task["id"] = occurrence_id(play_id, False, name, n)
            task["announced"] = False
            reported = self._reported.setdefault(task["id"], {})
        for host, record in hosts.items():
            reported[host] = reported.get(host, True) and record.items > 0
