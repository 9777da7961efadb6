"""The canonical event model every parser emits (ARA's vocabulary).

A run is a sequence of events: ``RunStart``, then ``PlayStart`` / ``TaskStart`` /
``HostResult`` (and ``Include``, ``AnsibleWarning``, ``TaskTiming``), then ``Recap`` and
``RunEnd``. Every event carries the run it belongs to, its position in that run
(``seq``) and where it came from in the source (``offset``: a byte offset for line
formats, the event counter for ansible-runner, ``-1`` where nothing finer exists).

Timestamps are timezone-aware UTC datetimes; durations are seconds as floats, or
``None`` when the input does not say (never invented from parse time).

Events are treated as immutable (use ``dataclasses.replace``) but are not declared
``frozen``: a frozen 22-field dataclass costs 2.5 µs to build against 0.7 µs for a
plain slotted one (measured here), and one is built per host result.

This module is compiled with mypyc (``native.py``): the events become native classes
(a ``HostResult`` then costs ~0.1 µs to build) whose fields are type-checked when set.
Two mypyc limits shape it: ``kind`` is a property (mypyc takes ``ClassVar``s of a
dataclass for fields) and fields are not ``kw_only`` (unsupported): the common fields
come first, then each event's own, and events are built with keywords, except the
hot ``HostResult``.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime
from typing import Any, Final


class LogFormat(enum.StrEnum):
    """The input formats ansiscope reads."""

    JSONL = "jsonl"
    JSON = "json"
    RUNNER = "runner"
    TEXT = "text"


class Status(enum.StrEnum):
    """The status of one host's result for one task."""

    OK = "ok"
    CHANGED = "changed"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNREACHABLE = "unreachable"
    IGNORED = "ignored"  # failed, with ignore_errors
    RESCUED = "rescued"  # failed inside a block whose rescue section ran


class RunStatus(enum.StrEnum):
    """The outcome of a whole run."""

    SUCCESSFUL = "successful"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    INTERRUPTED = "interrupted"
    RUNNING = "running"


class Clock(enum.StrEnum):
    """Where a run's timestamps come from."""

    SOURCE = "source"  # written by Ansible (or profile_tasks) into the log
    ARRIVAL = "arrival"  # live stdin text without timestamps: when lines arrived
    NONE = "none"  # the log has no clock at all: durations are unknown


class RejectReason(enum.StrEnum):
    """Why input was rejected: the quarantine's code and the ``reason`` label of
    ``ansiscope_ingest_errors`` (set where the input is rejected, never read from the
    message, so rewording a message changes no metric)."""

    MALFORMED_JSON = "malformed_json"  # starts as JSON (or is a JSON file) but does not decode
    TRUNCATED = "truncated"  # JSON cut off by the end of the input
    TOO_LONG = "too_long"  # a line, or a pretty-printed object, over the size limit
    TOO_DEEP = "too_deep"  # JSON nested deeper than the parser follows
    NOT_AN_EVENT = "not_an_event"  # valid JSON that is no event of its format
    BINARY = "binary"  # NUL bytes in text output
    UNREADABLE = "unreadable"  # an event file that cannot be read


RECAP_KEYS = ("ok", "changed", "unreachable", "failures", "skipped", "rescued", "ignored")


@dataclasses.dataclass(slots=True)
class HostStats:
    """One host's line of ``PLAY RECAP`` / the ``stats`` event, with Ansible's keys.

    Treated as immutable, not declared ``frozen``: compiled (mypyc), a frozen class
    cannot be unpickled (the dashboard's cache pickles run trees)."""

    ok: int = 0
    changed: int = 0
    unreachable: int = 0
    failures: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> HostStats:
        """Build from a stats mapping, tolerating missing keys and ``failed`` for ``failures``."""
        values = {k: _as_int(data.get(k)) for k in RECAP_KEYS}
        if "failures" not in data and "failed" in data:
            values["failures"] = _as_int(data["failed"])
        return cls(**values)

    def as_dict(self) -> dict[str, int]:
        """The recap as a plain dict with Ansible's keys, in Ansible's order."""
        return {k: getattr(self, k) for k in RECAP_KEYS}


# The store's BIGINT: a larger number in the input is no count. Final, so compiled code
# inlines it rather than looking it up for every result.
INT_MAX: Final = 2**63 - 1


def _as_int(value: Any) -> int:
    """A recap count; anything that is not one (text, a float beyond range, a negative
    or out-of-range number) counts 0."""
    try:
        number = int(value or 0)
    except (TypeError, ValueError, OverflowError):
        return 0
    return number if 0 <= number <= INT_MAX else 0


@dataclasses.dataclass(slots=True)
class Event:
    """Fields every event has."""

    @property
    def kind(self) -> str:
        """The event type's name in ``parse`` output."""
        return "event"

    run_id: str
    seq: int
    offset: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``kind`` first, datetimes as ISO 8601 UTC strings."""
        out: dict[str, Any] = {"kind": self.kind}
        for field in dataclasses.fields(self):
            out[field.name] = _jsonable(getattr(self, field.name))
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, HostStats):
        return value.as_dict()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


@dataclasses.dataclass(slots=True)
class RunStart(Event):
    """A playbook run begins."""

    @property
    def kind(self) -> str:
        """The event type's name in ``parse`` output."""
        return "run_start"

    source: str
    format: LogFormat
    playbook: str | None
    started_at: datetime | None
    clock: Clock = Clock.SOURCE
    ansible_version: str | None = None
    check_mode: bool | None = None
    # What the log says about the run beyond its events: the ansiscope callback's
    # header says all of it; text logs say some (``PLAYBOOK:``, an ``ansible-playbook``
    # command line); ``None`` where the log does not say. ``playbook`` is the name
    # (see ``identity.playbook_name``), ``playbook_path`` the path as the log gives it.
    playbook_path: str | None = None
    run_uuid: str | None = None
    project_dir: str | None = None
    tags: tuple[str, ...] | None = None
    skip_tags: tuple[str, ...] | None = None
    limit: str | None = None
    diff: bool | None = None
    forks: int | None = None
    become: bool | None = None
    inventory: tuple[str, ...] | None = None
    extra_vars_keys: tuple[str, ...] | None = None
    verbosity: int | None = None
    controller: str | None = None
    user: str | None = None
    git_commit: str | None = None
    git_dirty: bool | None = None
    ci: dict[str, str] | None = None


@dataclasses.dataclass(slots=True)
class PlayStart(Event):
    """A play (or one ``serial`` batch of it) begins."""

    @property
    def kind(self) -> str:
        """The event type's name in ``parse`` output."""
        return "play_start"

    play_id: str
    name: str
    path: str | None
    started_at: datetime | None
    batch: int = 1


@dataclasses.dataclass(slots=True, init=False)
class TaskStart(Event):
    """A task (or handler) begins; emitted once per task and play batch."""

    @property
    def kind(self) -> str:
        """The event type's name in ``parse`` output."""
        return "task_start"

    play_id: str
    task_id: str
    name: str
    role: str | None
    path: str | None
    handler: bool
    started_at: datetime | None
    action: str | None = None

    def __init__(
        self,
        run_id: str,
        seq: int,
        offset: int,
        play_id: str,
        task_id: str,
        name: str,
        role: str | None,
        path: str | None,
        handler: bool,
        started_at: datetime | None,
        action: str | None = None,
    ) -> None:  # written out to be compiled, as HostResult's
        self.run_id = run_id
        self.seq = seq
        self.offset = offset
        self.play_id = play_id
        self.task_id = task_id
        self.name = name
        self.role = role
        self.path = path
        self.handler = handler
        self.started_at = started_at
        self.action = action


@dataclasses.dataclass(slots=True, init=False)
class HostResult(Event):
    """One host's final result for one task (loop items rolled up).

    The hot path (``results.host_result``) gives every field by position, in order.
    ``__init__`` is written out because mypyc compiles it (the one dataclasses
    generates stays interpreted: 4× slower, and one is built per host result).
    """

    @property
    def kind(self) -> str:
        """The event type's name in ``parse`` output."""
        return "host_result"

    play_id: str
    task_id: str
    task_name: str
    host: str
    status: Status
    changed: bool
    started_at: datetime | None
    ended_at: datetime | None
    duration_s: float | None
    action: str | None = None
    items_total: int = 0
    items_failed: int = 0
    attempts: int = 1
    rc: int | None = None
    delta_s: float | None = None
    msg: str | None = None
    delegated_to: str | None = None
    no_log: bool = False

    def __init__(
        self,
        run_id: str,
        seq: int,
        offset: int,
        play_id: str,
        task_id: str,
        task_name: str,
        host: str,
        status: Status,
        changed: bool,
        started_at: datetime | None,
        ended_at: datetime | None,
        duration_s: float | None,
        action: str | None = None,
        items_total: int = 0,
        items_failed: int = 0,
        attempts: int = 1,
        rc: int | None = None,
        delta_s: float | None = None,
        msg: str | None = None,
        delegated_to: str | None = None,
        no_log: bool = False,
    ) -> None:
        self.run_id = run_id
        self.seq = seq
        self.offset = offset
        self.play_id = play_id
        self.task_id = task_id
        self.task_name = task_name
        self.host = host
        self.status = status
        self.changed = changed
        self.started_at = started_at
        self.ended_at = ended_at
        self.duration_s = duration_s
        self.action = action
        self.items_total = items_total
        self.items_failed = items_failed
        self.attempts = attempts
        self.rc = rc
        self.delta_s = delta_s
        self.msg = msg
        self.delegated_to = delegated_to
        self.no_log = no_log


@dataclasses.dataclass(slots=True)
class StatusAmended(Event):
    """A failure (or, under ``ignore_unreachable``, an unreachable result: ``was``)
    re-read as ignored or rescued once the recap told us so."""

    @property
    def kind(self) -> str:
        """The event type's name in ``parse`` output."""
        return "status_amended"

    result_seq: int
    host: str
    task_id: str
    status: Status
    was: Status = Status.FAILED


@dataclasses.dataclass(slots=True)
class TaskTiming(Event):
    """A task's wall time when only the task, not each host, is timed (profile_tasks, json)."""

    @property
    def kind(self) -> str:
        """The event type's name in ``parse`` output."""
        return "task_timing"

    task_id: str
    started_at: datetime | None
    ended_at: datetime | None
    duration_s: float


@dataclasses.dataclass(slots=True)
class Include(Event):
    """``included: FILE for HOSTS``: tasks pulled in dynamically."""

    @property
    def kind(self) -> str:
        """The event type's name in ``parse`` output."""
        return "include"

    play_id: str
    task_id: str | None
    path: str
    hosts: tuple[str, ...]


@dataclasses.dataclass(slots=True)
class AnsibleWarning(Event):
    """A ``[WARNING]`` (or ``[DEPRECATION WARNING]``) printed by Ansible."""

    @property
    def kind(self) -> str:
        """The event type's name in ``parse`` output."""
        return "warning"

    message: str


@dataclasses.dataclass(slots=True)
class Recap(Event):
    """``PLAY RECAP`` / the ``stats`` event: Ansible's own per-host counts."""

    @property
    def kind(self) -> str:
        """The event type's name in ``parse`` output."""
        return "recap"

    stats: dict[str, HostStats]
    at: datetime | None


@dataclasses.dataclass(slots=True)
class RunEnd(Event):
    """A run is over: finished with a recap, or cut off (``interrupted``)."""

    @property
    def kind(self) -> str:
        """The event type's name in ``parse`` output."""
        return "run_end"

    started_at: datetime | None  # as finally known (text learns it after RunStart)
    ended_at: datetime | None
    status: RunStatus
    duration_s: float | None


@dataclasses.dataclass(slots=True)
class Rejected(Event):
    """Input that could not be used; parsing went on past it."""

    @property
    def kind(self) -> str:
        """The event type's name in ``parse`` output."""
        return "rejected"

    source: str
    line: int | None
    code: RejectReason  # the cause, as a fixed set: metrics and queries use this
    reason: str  # the cause, in words, for people
    snippet: str

    def message(self) -> str:
        """The one-line, user-facing description, naming file and position."""
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where} (byte {self.offset}): {self.reason}"


def run_status_from_stats(stats: dict[str, HostStats]) -> RunStatus:
    """Ansible's own verdict from its recap: any failure beats any unreachable host."""
    if any(s.failures for s in stats.values()):
        return RunStatus.FAILED
    if any(s.unreachable for s in stats.values()):
        return RunStatus.UNREACHABLE
    return RunStatus.SUCCESSFUL
