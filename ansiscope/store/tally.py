"""Per-run totals kept while a run is being stored, so that a run's end does not
have to scan the results table (which grows without bound) to count its rows.

A run whose start this process did not see (stored before a restart) has no tally;
the writer counts it in SQL instead.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable

from ansiscope.parser.events import Status, TaskStart


@dataclasses.dataclass
class Tally:
    """What one open run has stored so far."""

    results: int = 0
    hosts: set[str] = dataclasses.field(default_factory=set)
    tasks: set[str] = dataclasses.field(default_factory=set)
    statuses: Counter[str] = dataclasses.field(default_factory=Counter)


class Tallies:
    """Tallies of the runs started in this process and not yet ended."""

    def __init__(self) -> None:
        self.open: dict[str, Tally] = {}

    def start(self, run_ids: Iterable[str]) -> None:
        """Open a tally for each run not tallied yet."""
        for run_id in run_ids:
            self.open.setdefault(run_id, Tally())

    def add_results(
        self, statuses: Counter[tuple[str, str]], hosts: Iterable[tuple[str, str]]
    ) -> None:
        """Count a batch of results: how many per (run, status), and (run, host) pairs."""
        for (run_id, status), n in statuses.items():
            tally = self.open.get(run_id)
            if tally is not None:
                tally.results += n
                tally.statuses[status] += n
        for run_id, host in hosts:
            tally = self.open.get(run_id)
            if tally is not None:
                tally.hosts.add(host)

    def add_tasks(self, tasks: list[TaskStart]) -> None:
        """Count the tasks started in tallied runs."""
        for t in tasks:
            tally = self.open.get(t.run_id)
            if tally is not None:
                tally.tasks.add(t.task_id)

    def amend(self, run_id: str, status: str, was: str = Status.FAILED) -> None:
        """A stored result re-read: a failure (or an unreachable result, ``was``) as
        ignored or rescued."""
        tally = self.open.get(run_id)
        if tally is not None:
            tally.statuses[was] -= 1
            tally.statuses[status] += 1

    def pop(self, run_id: str) -> Tally | None:
        """The tally of a run that ended, no longer kept."""
        return self.open.pop(run_id, None)
