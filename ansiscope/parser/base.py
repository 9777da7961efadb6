"""What every format parser shares: the line parser, line reading, and the
``Emitter`` that turns format-specific facts into canonical events.

A line format (jsonl, text, runner event stream) is a ``LineParser``: ``feed()``
takes one line and its byte offset, ``finish()`` flushes at end of input, and both
return events. That push shape lets the file follower feed lines as they arrive;
``iter_events()`` is the pull wrapper that reads a whole stream.
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO, ClassVar, Final

from mypy_extensions import mypyc_attr

from ansiscope.parser.events import (
    Clock,
    Event,
    HostResult,
    HostStats,
    LogFormat,
    PlayStart,
    Recap,
    Rejected,
    RejectReason,
    RunEnd,
    RunStart,
    RunStatus,
    Status,
    StatusAmended,
    TaskStart,
    run_status_from_stats,
)
from ansiscope.parser.lines import MAX_LINE, iter_line_batches

# Statuses the per-result path compares with, held where compiled code reads them
# directly (``Status.FAILED`` is a class attribute lookup each time).
FAILED: Final = Status.FAILED
IGNORED: Final = Status.IGNORED
RESCUED: Final = Status.RESCUED
UNREACHABLE: Final = Status.UNREACHABLE

BATCH = 256  # lines per parser call when reading a file
SNIPPET = 120  # bytes of a rejected line kept for the quarantine


@mypyc_attr(allow_interpreted_subclasses=True)  # text and runner parsers are not compiled
class LineParser:
    """Base for line-oriented formats: subclasses implement ``feed`` (and maybe ``finish``)."""

    format: ClassVar[LogFormat]

    def __init__(self, source: str = "-") -> None:
        self.source = source
        self.emit = Emitter(source, self.format)

    def feed(self, line: bytes, offset: int, line_no: int) -> list[Event]:
        """Consume one line (with its newline, if any) that starts at ``offset``."""
        raise NotImplementedError

    def feed_batch(self, lines: list[bytes], offset: int, line_no: int) -> list[Event]:
        """Consume consecutive lines, the first at ``offset``/``line_no``."""
        out: list[Event] = []
        feed = self.feed
        for line in lines:
            out += feed(line, offset, line_no)
            offset += len(line)
            line_no += 1
        return out

    def finish(self, offset: int) -> list[Event]:
        """End of input at ``offset``: close whatever is still open."""
        return self.emit.finish(offset)

    def reject(
        self, offset: int, line_no: int | None, code: RejectReason, reason: str, raw: bytes
    ) -> None:
        """Record input that cannot be used, and go on."""
        self.emit.reject(offset, line_no, code, reason, raw)


def iter_line_events(parser: LineParser, stream: BinaryIO) -> Iterator[Event]:
    """Drive a ``LineParser`` over a whole stream, a batch of lines per call (a pipe's
    lines as they arrive, so a live reader sees each event as it is written)."""
    offset, line_no = 0, 1
    for batch in iter_line_batches(stream, BATCH):
        if isinstance(batch, int):  # an oversized line: skipped, reported
            parser.reject(
                offset,
                line_no,
                RejectReason.TOO_LONG,
                f"line longer than {MAX_LINE} bytes, skipped",
                b"",
            )
            offset += batch
            line_no += 1
            yield from parser.emit.drain()
            continue
        yield from parser.feed_batch(batch, offset, line_no)
        offset += sum([len(line) for line in batch])
        line_no += len(batch)
    yield from parser.finish(offset)


def snippet(raw: bytes) -> str:
    """The first bytes of bad input, printable, for error messages and the quarantine."""
    text = raw[:SNIPPET].decode("utf-8", "replace")
    return "".join(ch if ch.isprintable() else "\\x%02x" % (ord(ch) & 0xFF) for ch in text)


def stable_id(*parts: object) -> str:
    """A short deterministic id from the parts (run identities, synthetic task ids)."""
    digest = hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8", "replace"))
    return digest.hexdigest()[:16]


def playbook_from_path(path: str | None) -> str | None:
    """``/x/site.yml:12`` → ``/x/site.yml`` (the play path names the playbook)."""
    if not path:
        return None
    head, sep, tail = path.rpartition(":")
    return head if sep and tail.isdigit() else path


def role_from_name(name: str) -> tuple[str | None, str]:
    """Split Ansible's ``role : task`` display name."""
    role, sep, task = name.partition(" : ")
    if sep and role and " " not in role.strip():
        return role.strip(), task
    return None, name


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """``end - start`` in seconds, never negative; ``None`` when either is unknown."""
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


class _Failure:
    """A failed result whose kind (fatal, ignored, rescued) the recap may still change."""

    __slots__ = ("host", "next_task", "seq", "task_id")

    def __init__(self, seq: int, task_id: str, host: str) -> None:
        self.seq = seq
        self.task_id = task_id
        self.host = host
        self.next_task: str | None = None


class _Run:
    """Bookkeeping for the run being emitted."""

    def __init__(self, run_id: str, started_at: datetime | None) -> None:
        self.run_id = run_id
        self.seq = 0
        self.started_at = started_at
        self.last_time = started_at
        self.play_id: str | None = None
        self.play_batches: Counter[str] = Counter()
        self.tasks_seen: set[tuple[str, int, str]] = set()
        self.failures: list[_Failure] = []
        self.unreachable: list[_Failure] = []
        self.awaiting_next: dict[str, _Failure] = {}
        self.task_results: dict[str, int] = {}  # a plain dict: updated once per result
        self.task_failures: Counter[str] = Counter()
        self.explicit: Counter[tuple[str, Status]] = Counter()


class Emitter:
    """Numbers events, opens and closes runs, and reconciles failures with the recap.

    Ansible's json/jsonl/text outputs do not say whether a failure was ignored or
    rescued (only the recap counts them). Failures are emitted as ``failed`` at
    once; when the recap arrives, ``StatusAmended`` events re-read the non-fatal
    ones as ``ignored`` / ``rescued`` (and unreachable results the recap does not
    count as such, under ``ignore_unreachable``, as ``ignored``) so the results agree
    with Ansible's counts.
    """

    def __init__(self, source: str, fmt: LogFormat) -> None:
        self.source = source
        self.format = fmt
        self.run: _Run | None = None
        self.out: list[Event] = []
        self.rejected = 0
        self.text_bytes = 0  # characters of messages emitted: what a batch of events weighs

    # -- plumbing -------------------------------------------------------------
    def drain(self) -> list[Event]:
        """Hand over the events produced so far."""
        out, self.out = self.out, []
        return out

    def _next_seq(self) -> int:
        assert self.run is not None
        seq = self.run.seq
        self.run.seq += 1
        return seq

    def touch(self, when: datetime | None) -> None:
        """Note the latest timestamp seen, for the end of an interrupted run."""
        if when is not None and self.run is not None:
            if self.run.last_time is None or when > self.run.last_time:
                self.run.last_time = when

    def reject(
        self, offset: int, line_no: int | None, code: RejectReason, reason: str, raw: bytes
    ) -> None:
        """Emit a ``Rejected`` event for unusable input."""
        self.rejected += 1
        run_id = self.run.run_id if self.run else ""
        seq = self._next_seq() if self.run else -1
        self.out.append(
            Rejected(
                run_id=run_id,
                seq=seq,
                offset=offset,
                source=self.source,
                line=line_no,
                code=code,
                reason=reason,
                snippet=snippet(raw),
            )
        )

    # -- structure --------------------------------------------------------------
    def start_run(
        self,
        run_id: str,
        offset: int,
        *,
        playbook: str | None,
        started_at: datetime | None,
        clock: Clock = Clock.SOURCE,
        ansible_version: str | None = None,
        check_mode: bool | None = None,
        about: dict[str, Any] | None = None,
    ) -> None:
        """Open a new run, closing an open one as interrupted.

        ``about``: more ``RunStart`` fields (``playbook_path``, ``tags``, ...) by name."""
        if self.run is not None:
            self.end_run(offset, None, None)
        self.run = _Run(run_id, started_at)
        self.out.append(
            RunStart(
                run_id=run_id,
                seq=self._next_seq(),
                offset=offset,
                source=self.source,
                format=self.format,
                playbook=playbook,
                started_at=started_at,
                clock=clock,
                ansible_version=ansible_version,
                check_mode=check_mode,
                **(about or {}),
            )
        )

    def play(
        self, offset: int, play_id: str, name: str, path: str | None, at: datetime | None
    ) -> None:
        """A play, or one more ``serial`` batch of the same play, begins."""
        run = self._require_run()
        run.play_batches[play_id] += 1
        run.play_id = play_id
        run.awaiting_next.clear()
        self.touch(at)
        self.out.append(
            PlayStart(
                run_id=run.run_id,
                seq=self._next_seq(),
                offset=offset,
                play_id=play_id,
                name=name,
                path=path,
                started_at=at,
                batch=run.play_batches[play_id],
            )
        )

    def current_play(self) -> str:
        """The id of the play results belong to (a synthetic one if none was announced)."""
        run = self._require_run()
        if run.play_id is None:
            self.play(-1, stable_id(run.run_id, "implicit-play"), "", None, None)
        assert run.play_id is not None
        return run.play_id

    def task(
        self,
        offset: int,
        task_id: str,
        name: str,
        *,
        path: str | None,
        handler: bool,
        at: datetime | None,
        action: str | None = None,
    ) -> bool:
        """Announce a task once per play batch; returns whether it was new."""
        run = self._require_run()
        play_id = self.current_play()
        key = (play_id, run.play_batches[play_id], task_id)
        if key in run.tasks_seen:
            return False
        run.tasks_seen.add(key)
        self.touch(at)
        role, _ = role_from_name(name)
        self.out.append(
            TaskStart(
                run_id=run.run_id,
                seq=self._next_seq(),
                offset=offset,
                play_id=play_id,
                task_id=task_id,
                name=name,
                role=role,
                path=path,
                handler=handler,
                started_at=at,
                action=action,
            )
        )
        return True

    def add_result(self, event: HostResult) -> HostResult:
        """Emit one host result (built by ``results.host_result``) in the current run."""
        run = self.run or self._require_run()
        event.run_id = run.run_id
        if event.msg is not None:
            self.text_bytes += len(event.msg)
        event.seq = seq = run.seq
        run.seq += 1
        task_id, host = event.task_id, event.host
        if run.awaiting_next:
            waiting = run.awaiting_next.pop(host, None)
            if waiting is not None and waiting.next_task is None:
                waiting.next_task = task_id
        run.task_results[task_id] = run.task_results.get(task_id, 0) + 1
        status = event.status
        if status is FAILED:
            failure = _Failure(seq, task_id, host)
            run.failures.append(failure)
            run.awaiting_next[host] = failure
            run.task_failures[task_id] += 1
        elif status is IGNORED or status is RESCUED:
            run.explicit[(host, status)] += 1
        elif status is UNREACHABLE:
            run.unreachable.append(_Failure(seq, task_id, host))
        when = event.ended_at or event.started_at  # touch(), inlined: once per host result
        if when is not None and (run.last_time is None or when > run.last_time):
            run.last_time = when
        self.out.append(event)
        return event

    def add(self, event_type: type[Event], offset: int, **fields: object) -> None:
        """Emit any other event type in the current run."""
        run = self._require_run()
        self.out.append(
            event_type(run_id=run.run_id, seq=self._next_seq(), offset=offset, **fields)
        )

    def recap(
        self, offset: int, stats: dict[str, HostStats], at: datetime | None, *, end: bool = True
    ) -> None:
        """Ansible's recap: emit it, reconcile failures with it, and (by default) end the run."""
        run = self._require_run()
        self.touch(at)
        self.out.append(
            Recap(run_id=run.run_id, seq=self._next_seq(), offset=offset, stats=stats, at=at)
        )
        self._reconcile(offset, stats)
        if end:
            self.end_run(offset, at, run_status_from_stats(stats))

    def end_run(
        self,
        offset: int,
        at: datetime | None,
        status: RunStatus | None,
        duration_s: float | None = None,
    ) -> None:
        """Close the open run; without a status it was cut off (``interrupted``)."""
        run = self.run
        if run is None:
            return
        ended = at or run.last_time
        if duration_s is None:
            duration_s = seconds_between(run.started_at, ended)
        self.out.append(
            RunEnd(
                run_id=run.run_id,
                seq=self._next_seq(),
                offset=offset,
                started_at=run.started_at,
                ended_at=ended,
                status=status or RunStatus.INTERRUPTED,
                duration_s=duration_s,
            )
        )
        self.run = None

    def finish(self, offset: int) -> list[Event]:
        """End of input: an open run was interrupted."""
        self.end_run(offset, None, None)
        return self.drain()

    def _require_run(self) -> _Run:
        if self.run is None:
            self.start_run(
                stable_id(self.source, "implicit-run", self.rejected),
                -1,
                playbook=None,
                started_at=None,
            )
        assert self.run is not None
        return self.run

    # -- failures vs recap ------------------------------------------------------
    def _reconcile(self, offset: int, stats: dict[str, HostStats]) -> None:
        run = self._require_run()
        failed: dict[str, list[_Failure]] = {}
        unreachable: dict[str, list[_Failure]] = {}
        for failure in run.failures:
            failed.setdefault(failure.host, []).append(failure)
        for failure in run.unreachable:
            unreachable.setdefault(failure.host, []).append(failure)
        for host in [*failed, *(h for h in unreachable if h not in failed)]:
            recap = stats.get(host)
            if recap is None:
                continue
            ignored = max(0, recap.ignored - run.explicit[(host, Status.IGNORED)])
            # ignore_unreachable: the recap counts those as ignored, not unreachable;
            # a host's last unreachable result is the one that ended its play
            down = unreachable.get(host, [])
            for failure in down[: min(max(0, len(down) - recap.unreachable), ignored)]:
                ignored -= 1
                self._amend(offset, failure, Status.IGNORED, was=Status.UNREACHABLE)
            failures = failed.get(host, [])
            if len(failures) <= recap.failures:
                continue
            nonfatal = failures[: len(failures) - recap.failures]
            rescued = max(0, recap.rescued - run.explicit[(host, Status.RESCUED)])
            # Rescue tasks run only for the hosts that failed; the task after an
            # ignored failure runs for everyone. Most rescue-like first.
            ranked = sorted(nonfatal, key=lambda f: -self._rescue_likeness(f))
            for failure in ranked:
                if rescued and (not ignored or self._rescue_likeness(failure) > 0):
                    status, rescued = Status.RESCUED, rescued - 1
                elif ignored:
                    status, ignored = Status.IGNORED, ignored - 1
                elif rescued:
                    status, rescued = Status.RESCUED, rescued - 1
                else:
                    continue
                self._amend(offset, failure, status)

    def _amend(
        self, offset: int, failure: _Failure, status: Status, was: Status = Status.FAILED
    ) -> None:
        self.add(
            StatusAmended,
            offset,
            result_seq=failure.seq,
            host=failure.host,
            task_id=failure.task_id,
            status=status,
            was=was,
        )

    def _rescue_likeness(self, failure: _Failure) -> int:
        run = self.run
        if run is None or failure.next_task is None:
            return 0
        after = run.task_results.get(failure.next_task, 0)
        failed_here = run.task_failures[failure.task_id]
        return 1 if after <= failed_here else 0


def as_stream(text: str | bytes) -> BinaryIO:
    """An in-memory binary stream over ``text`` (for the ``parse_string`` wrappers)."""
    return io.BytesIO(text.encode("utf-8") if isinstance(text, str) else text)
