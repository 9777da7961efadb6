"""Assemble a run's events into its execution tree (play → task → host result) and
the numbers the summary reports. Pure: events in, ``RunTree`` out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from ansiscope.parser.events import (
    RECAP_KEYS,
    AnsibleWarning,
    Clock,
    Event,
    HostResult,
    HostStats,
    Include,
    LogFormat,
    PlayStart,
    Recap,
    Rejected,
    RunEnd,
    RunStart,
    RunStatus,
    Status,
    StatusAmended,
    TaskStart,
    TaskTiming,
)

FAILED = (Status.FAILED, Status.UNREACHABLE)
INCLUDE_ACTIONS = {"include_tasks", "include_role", "include"}
RECAP_KEY_OF = {
    Status.FAILED: "failures",
    Status.SKIPPED: "skipped",
    Status.UNREACHABLE: "unreachable",
    Status.RESCUED: "rescued",
    Status.IGNORED: "ignored",
}


@dataclass
class ResultNode:
    """One host's result, as the tree holds it (status may be amended by the recap)."""

    seq: int
    host: str
    status: Status
    changed: bool
    duration_s: float | None
    started_at: datetime | None
    ended_at: datetime | None
    items_total: int
    items_failed: int
    attempts: int
    rc: int | None
    msg: str | None
    delegated_to: str | None
    no_log: bool

    @classmethod
    def from_event(cls, e: HostResult) -> ResultNode:
        """Copy the fields the tree needs from a ``HostResult``."""
        return cls(
            e.seq,
            e.host,
            e.status,
            e.changed,
            e.duration_s,
            e.started_at,
            e.ended_at,
            e.items_total,
            e.items_failed,
            e.attempts,
            e.rc,
            e.msg,
            e.delegated_to,
            e.no_log,
        )


@dataclass
class TaskNode:
    """A task (or handler) with its per-host results and includes."""

    task_id: str
    name: str
    role: str | None
    path: str | None
    handler: bool
    action: str | None
    started_at: datetime | None = None
    timing_s: float | None = None  # from profile_tasks / the json document
    results: list[ResultNode] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)

    @property
    def duration_s(self) -> float | None:
        """Wall time: the task's own timing, else last host end − task start, else the
        longest host duration; ``None`` when the log does not tell."""
        if self.timing_s is not None:
            return self.timing_s
        ends = [r.ended_at for r in self.results if r.ended_at is not None]
        starts = [r.started_at for r in self.results if r.started_at is not None]
        if ends and (self.started_at or starts):
            start = min([*starts, *([self.started_at] if self.started_at else [])])
            return max(0.0, (max(ends) - start).total_seconds())
        durations = [r.duration_s for r in self.results if r.duration_s is not None]
        return max(durations) if durations else None

    @property
    def slowest(self) -> ResultNode | None:
        """The host result that took longest, when durations are known."""
        timed = [r for r in self.results if r.duration_s is not None]
        return max(timed, key=lambda r: r.duration_s or 0.0) if timed else None


@dataclass
class PlayNode:
    """A play with its tasks in first-seen order (``serial`` batches merged)."""

    play_id: str
    name: str
    path: str | None
    batches: int = 1
    tasks: dict[str, TaskNode] = field(default_factory=dict)


@dataclass
class RunTree:
    """A whole run: its tree, Ansible's recap, and what the summary reports."""

    run_id: str
    source: str
    format: LogFormat
    playbook: str | None
    started_at: datetime | None
    clock: Clock
    ansible_version: str | None = None
    ended_at: datetime | None = None
    duration_s: float | None = None
    status: RunStatus = RunStatus.RUNNING
    recap: dict[str, HostStats] | None = None
    plays: dict[str, PlayNode] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    by_seq: dict[int, ResultNode] = field(default_factory=dict)

    # -- derived numbers ---------------------------------------------------------
    @property
    def name(self) -> str:
        """The playbook, or (text logs without paths) the first play's name."""
        if self.playbook:
            return self.playbook
        first = next(iter(self.plays.values()), None)
        return f"play: {first.name}" if first and first.name else self.source

    def tasks(self) -> Iterator[tuple[PlayNode, TaskNode]]:
        """Every (play, task) pair in order."""
        for play in self.plays.values():
            for task in play.tasks.values():
                yield play, task

    def results(self) -> Iterator[ResultNode]:
        """Every host result in order."""
        for _, task in self.tasks():
            yield from task.results

    @property
    def stats(self) -> dict[str, HostStats]:
        """Ansible's recap when the log has one, else counted from the results."""
        return self.recap if self.recap is not None else self.counted_stats()

    @property
    def stats_source(self) -> str:
        """``recap`` or ``results`` (no recap in the log: counted by ansiscope)."""
        return "recap" if self.recap is not None else "results"

    def counted_stats(self) -> dict[str, HostStats]:
        """Recap-style counts computed from the results (Ansible's rules: an ignored
        failure is ok too; a skipped ``meta`` task is not counted; an include looped
        over items counts one ok per item)."""
        counts: dict[str, Counter[str]] = {}
        for _, task in self.tasks():
            meta = _action_name(task.action) == "meta"
            include = bool(task.includes) or _action_name(task.action) in INCLUDE_ACTIONS
            for r in task.results:
                if meta and r.status is Status.SKIPPED:
                    continue
                c = counts.setdefault(r.host, Counter())
                if r.status in (Status.OK, Status.CHANGED, Status.IGNORED):
                    c["ok"] += r.items_total if include and r.items_total else 1
                if r.status is Status.CHANGED or (r.status is Status.IGNORED and r.changed):
                    c["changed"] += 1
                key = RECAP_KEY_OF.get(r.status)
                if key:
                    c[key] += 1
        return {h: HostStats(**{k: c[k] for k in RECAP_KEYS}) for h, c in counts.items()}

    def status_counts(self) -> dict[str, int]:
        """Host results per status."""
        counts = Counter(r.status.value for r in self.results())
        return {s.value: counts.get(s.value, 0) for s in Status}

    @property
    def hosts(self) -> list[str]:
        """Every host seen, sorted."""
        return sorted(set(self.stats) | {r.host for r in self.results()})

    @property
    def failed_hosts(self) -> list[str]:
        """Hosts with a real failure (not ignored or rescued)."""
        return sorted(h for h, s in self.stats.items() if s.failures)

    @property
    def unreachable_hosts(self) -> list[str]:
        """Hosts Ansible could not reach."""
        return sorted(h for h, s in self.stats.items() if s.unreachable)

    @property
    def success_rate(self) -> float | None:
        """Share of host results that did not fail or go unreachable (0..1)."""
        results = list(self.results())
        if not results:
            return None
        bad = sum(1 for r in results if r.status in FAILED)
        return round((len(results) - bad) / len(results), 4)

    @property
    def tasks_total(self) -> int:
        """Distinct tasks (a task repeated by ``serial`` batches counts once)."""
        return sum(len(p.tasks) for p in self.plays.values())

    def slowest_tasks(self, limit: int = 10) -> list[tuple[PlayNode, TaskNode]]:
        """The tasks with the longest known wall time."""
        timed = [(p, t) for p, t in self.tasks() if t.duration_s is not None]
        timed.sort(key=lambda pt: pt[1].duration_s or 0.0, reverse=True)
        return timed[:limit]

    @property
    def has_failures(self) -> bool:
        """Any real failure or unreachable host (the summary's exit code 1)."""
        return bool(self.failed_hosts or self.unreachable_hosts)


def _apply_run_level(run: RunTree, event: Event) -> None:
    """An event about the run as a whole: a warning, a rejected line, the recap, its end."""
    if isinstance(event, AnsibleWarning):
        run.warnings.append(event.message)
    elif isinstance(event, Rejected):
        run.rejected.append(event)
    elif isinstance(event, Recap):
        run.recap = event.stats
    elif isinstance(event, RunEnd):
        run.started_at = event.started_at or run.started_at
        run.ended_at, run.duration_s, run.status = (
            event.ended_at,
            event.duration_s,
            event.status,
        )


class RunAssembler:
    """Feeds events in; hands back each run when its ``RunEnd`` arrives."""

    def __init__(self) -> None:
        self.current: RunTree | None = None
        self.orphans: list[Rejected] = []
        self._task: dict[str, TaskNode] = {}

    def add(self, event: Event) -> RunTree | None:
        """Apply one event; returns the finished run on ``RunEnd``."""
        if isinstance(event, RunStart):
            self.current = RunTree(
                run_id=event.run_id,
                source=event.source,
                format=event.format,
                playbook=event.playbook,
                started_at=event.started_at,
                clock=event.clock,
                ansible_version=event.ansible_version,
            )
            self._task = {}
            return None
        run = self.current
        if run is None:
            if isinstance(event, Rejected):
                self.orphans.append(event)
            return None
        self._apply(run, event)
        if isinstance(event, RunEnd):
            self.current = None
            return run
        return None

    def _apply(self, run: RunTree, event: Event) -> None:
        if isinstance(event, PlayStart):
            play = run.plays.get(event.play_id)
            if play is None:
                run.plays[event.play_id] = PlayNode(event.play_id, event.name, event.path)
            else:
                play.batches = max(play.batches, event.batch)
        elif isinstance(event, TaskStart):
            self._apply_task_start(run, event)
        elif isinstance(event, HostResult):
            self._apply_result(run, event)
        elif isinstance(event, StatusAmended):
            node = run.by_seq.get(event.result_seq)
            if node is not None:
                node.status = event.status
        elif isinstance(event, TaskTiming):
            task = self._task.get(event.task_id)
            if task is not None:
                task.timing_s = (task.timing_s or 0.0) + event.duration_s
        elif isinstance(event, Include):
            task = self._task.get(event.task_id or "")
            if task is not None:
                task.includes.append(event)
        else:
            _apply_run_level(run, event)

    def _apply_task_start(self, run: RunTree, event: TaskStart) -> None:
        play = run.plays.setdefault(event.play_id, PlayNode(event.play_id, "", None))
        task = play.tasks.get(event.task_id)
        if task is None:
            task = TaskNode(
                event.task_id,
                event.name,
                event.role,
                event.path,
                event.handler,
                event.action,
                event.started_at,
            )
            play.tasks[event.task_id] = task
        self._task[event.task_id] = task

    def _apply_result(self, run: RunTree, event: HostResult) -> None:
        task = self._task.get(event.task_id)
        if task is None:
            play = run.plays.setdefault(event.play_id, PlayNode(event.play_id, "", None))
            task = play.tasks.setdefault(
                event.task_id,
                TaskNode(event.task_id, event.task_name, None, None, False, event.action),
            )
            self._task[event.task_id] = task
        if task.action is None:
            task.action = event.action
        node = ResultNode.from_event(event)
        task.results.append(node)
        run.by_seq[event.seq] = node


def _action_name(action: str | None) -> str | None:
    """``ansible.builtin.meta`` -> ``meta``."""
    return None if action is None else action.rpartition(".")[2]


def assemble(events: Iterable[Event]) -> tuple[list[RunTree], list[Rejected]]:
    """All runs in an event stream, and rejected input that came before any run."""
    assembler = RunAssembler()
    runs = [run for event in events if (run := assembler.add(event)) is not None]
    return runs, assembler.orphans


__all__ = ["PlayNode", "ResultNode", "RunAssembler", "RunTree", "TaskNode", "assemble"]
