"""Plain ``ansible-playbook`` output (the default callback), with or without
``profile_tasks``/``timer`` lines, ``-v`` result dumps and colour codes.

Text carries no ids: plays and tasks get synthetic ids from the run, the play
name and the task name. A task name met again in a play is the same task (``serial``
batches, ``strategy: free`` and meta tasks repeat banners) unless a host reports
under it again (a file included once per loop item): then it is a task of its own.
A host's result is final only once the task is over (loop items, ``...ignoring``
and ``FAILED - RETRYING`` lines come around it), so results are emitted when the
next banner arrives.

Timing: ``profile_tasks`` lines give each task's start and wall time. Lines with a
time prefix (Ansible's own ``log_path`` file, CI runners' timestamps) give every
banner and result its time (``clock=source``). Without either, durations are
unknown (``None``), except in live mode (``arrival_clock``), where the time each
line arrived is the only clock and the run says ``clock=arrival``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, ClassVar

import orjson

from ansiscope.parser.base import (
    LineParser,
    as_stream,
    iter_line_events,
    seconds_between,
    stable_id,
)
from ansiscope.parser.events import (
    AnsibleWarning,
    Clock,
    Event,
    HostStats,
    Include,
    LogFormat,
    RejectReason,
    RunStatus,
    Status,
    TaskTiming,
    run_status_from_stats,
)
from ansiscope.parser.identity import command_line, playbook_name
from ansiscope.parser.results import (
    host_result,
    parse_time_once,
    result_doc,
    short_text,
)
from ansiscope.parser.text_lines import (
    ANSI,
    BANNER,
    CENSORED_ITEM,
    IGNORING,
    INCLUDED,
    PLAYBOOK,
    PREFIX,
    PROFILE,
    RECAP,
    RESULT,
    RETRY,
    STATS,
    STATUS_WORDS,
    TASK_PATH,
    TIMER,
    VERSION,
    WARNING,
    HostRecord,
    banner_line,
    hms,
    merge_item,
    profile_stamp,
    stats_of,
)
from ansiscope.parser.text_tasks import TaskIds


class TextParser(LineParser):
    """Push parser for default-callback text."""

    format: ClassVar[LogFormat] = LogFormat.TEXT

    def __init__(
        self, source: str = "-", arrival_clock: Callable[[], datetime] | None = None
    ) -> None:
        super().__init__(source)
        self.clock = arrival_clock
        self._play: tuple[str, str] | None = None  # (id, name)
        self._task: dict[str, Any] | None = None
        self._hosts: dict[str, HostRecord] = {}
        self._last_host: str | None = None
        self._dump: list[str] | None = None  # a multi-line "=> {" result dump
        self._recap: dict[str, HostStats] | None = None
        self._recap_done = False
        self._plays_seen: dict[str, int] = {}
        self._pending_banner: dict[str, Any] | None = None  # the task a profile line times
        self._timed: dict[str, Any] | None = None
        self._base: datetime | None = None  # profile_tasks: playbook start
        self._version: str | None = None
        self._playbook: str | None = None
        self._command: dict[str, Any] | None = None  # an ansible-playbook command line
        self._timed_total: float | None = None
        self._timer_total: float | None = None
        self._dump_target: tuple[HostRecord, bool] | None = None
        self._stamp: datetime | None = None  # the last line's time, from its prefix
        self._run_hosts: set[str] = set()  # hosts with results in the run
        self._pid: str | None = None  # the ansible-playbook process of a log file line
        self._run_pid: str | None = None  # ... and of the open run
        self._task_ids = TaskIds()  # a name met again in a play: the same task or not

    # -- line dispatch -------------------------------------------------------------
    def feed(self, line: bytes, offset: int, line_no: int) -> list[Event]:
        """Parse one line of text output."""
        if b"\x1b" in line:
            line = ANSI.sub(b"", line)
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        if "\x00" in text:
            self.reject(offset, line_no, RejectReason.BINARY, "binary data in text output", line)
            return self.emit.drain()
        record_start = False  # a log file line that begins a new record
        if text[:1].isdigit() or text[:1] == "[":
            stripped = self._strip_prefix(text)
            record_start = stripped is not text and self._pid is not None
            text = stripped
        if self._dump is not None:
            if not (record_start or banner_line(text)):
                self._continue_dump(text)
                return self.emit.drain()
            self._dump = None  # cut off (a killed run): what follows is not part of it
        self._dispatch(text, offset, line_no)
        return self.emit.drain()

    def _strip_prefix(self, text: str) -> str:
        """Ansible's log file prefix or a CI timestamp off the line; its time kept."""
        match = PREFIX.match(text)
        if match is None:
            return text
        logtime, citime, pid = match.group("logtime", "citime", "pid")
        stamp: datetime | None
        if logtime is not None:  # the controller's local time
            try:
                stamp = datetime.fromisoformat(logtime).astimezone(UTC)
            except ValueError:  # 2026-13-45: not a time after all
                return text
        else:
            stamp = parse_time_once(citime)
        if stamp is None:
            return text
        self._stamp, self._pid = stamp, pid
        return text[match.end() :]

    def _emit_recap(self, offset: int, at: datetime | None) -> None:
        """The recap is over: emit it (the run ends later: lines may follow it)."""
        assert self._recap is not None
        self._recap_done = True
        self.emit.recap(offset, self._recap, at, end=False)

    def _recap_complete(self, host: str) -> bool:
        """Whether the recap (sorted by host) has reached the last host with results
        and covers them all: in a log file no blank line or next banner may come soon
        to say it is over. A host with no results shown sorting after them all is lost."""
        seen, recap = self._run_hosts, self._recap or {}
        return bool(seen) and host >= max(seen) and seen <= recap.keys()

    def _now(self) -> datetime | None:
        if self._stamp is not None:
            return self._stamp
        return self.clock() if self.clock else None

    def _dispatch(self, text: str, offset: int, line_no: int) -> None:
        now = self._now()
        if self._recap is not None and not self._recap_done:
            match = STATS.match(text)
            if match:
                self._recap[match.group(1)] = stats_of(match.group(2))
                if self._stamp is not None and self._recap_complete(match.group(1)):
                    # a log file: nothing follows a run's recap until the next run
                    self._emit_recap(offset, now)
                    self._end_run(offset)
                return
            self._emit_recap(offset, now)
        if text.startswith(("PLAY", "TASK", "RUNNING HANDLER")):
            if RECAP.match(text):
                self._flush(offset)
                self._recap, self._recap_done = {}, False
                return
            banner = BANNER.match(text)
            if banner:
                self._banner(banner.group(1), banner.group(2), offset, now)
                return
        result = RESULT.match(text)
        if result:
            self._result(result, now)
            return
        if text == IGNORING:
            record = self._hosts.get(self._last_host or "")
            if record is not None and record.status in (Status.FAILED, Status.UNREACHABLE):
                record.status = Status.IGNORED  # ignore_errors, or ignore_unreachable
            return
        self._other(text, offset, now)

    def _other(self, text: str, offset: int, now: datetime | None) -> None:  # noqa: C901 -- ordered
        if match := PROFILE.match(text):
            self._profile(match, text, offset)
        elif match := RETRY.match(text):
            host = match.group(1).split(" -> ")[0]
            self._record(host).attempts += 1
        elif match := INCLUDED.match(text):
            self._included(match.group(1), match.group(2), match.group(3), offset, now)
        elif match := WARNING.match(text):
            if self.emit.run is not None:
                self.emit.add(AnsibleWarning, offset, message=match.group(2))
        elif match := TIMER.match(text):
            self._timer(match)
        elif match := VERSION.match(text):
            self._version = match.group(1)
        elif match := PLAYBOOK.match(text):
            self._playbook = match.group(1)
        elif "ansible-playbook " in text and (command := command_line(text)) is not None:
            if self.emit.run is None or self._recap is not None:
                self._command = command  # the next run's
        elif match := TASK_PATH.match(text):
            if self._task is not None and not self._task.get("path"):
                self._task["path"] = match.group(1)

    # -- structure -------------------------------------------------------------------
    def _banner(self, word: str, name: str, offset: int, now: datetime | None) -> None:
        self._flush(offset)
        if word == "PLAY":
            if self.emit.run is None or self._recap is not None or self._pid != self._run_pid:
                self._new_run(name, offset, now)  # a new process: the last run was cut off
            prev = self._play
            if prev is not None and prev[1] == name:
                play_id = prev[0]  # a serial batch repeats the play
            else:
                n = self._plays_seen.get(name, 0) + 1
                self._plays_seen[name] = n
                play_id = stable_id(self._run_id(), "play", name, n)
                self._task_ids.new_play()
            self._play = (play_id, name)
            self.emit.play(offset, play_id, name, None, now)
            self._pending_banner = None
            return
        if self.emit.run is None or self._recap is not None:
            self._new_run("", offset, now)
        handler = word == "RUNNING HANDLER"
        play_id = self.emit.current_play()
        task_id = self._task_ids.banner(play_id, handler, name)
        self._task = {"id": task_id, "name": name, "handler": handler, "start": now, "path": None}
        self._pending_banner = self._task  # announced once a profile line may have timed it

    def _announce_task(self, offset: int) -> None:
        task = self._task
        if task is None or task.get("announced"):
            return
        task["announced"] = True
        self.emit.task(
            offset,
            task["id"],
            task["name"],
            path=task["path"],
            handler=task["handler"],
            at=task["start"],
        )

    def _new_run(self, play_name: str, offset: int, now: datetime | None) -> None:
        if self.emit.run is not None:
            self._end_run(offset)
        self._recap, self._recap_done = None, False
        self._play, self._plays_seen, self._base, self._timed = None, {}, None, None
        self._run_hosts = set()
        self._run_pid = self._pid
        command = self._command or {}
        about: dict[str, Any] = dict(command.get("about") or {})
        if self._playbook and not about.get("playbook_path"):
            about["playbook_path"] = self._playbook
        self.emit.start_run(
            stable_id(self.source, offset, play_name, now),
            offset,
            playbook=command.get("playbook") or playbook_name(self._playbook),
            started_at=now,
            clock=Clock.SOURCE if self._stamp else Clock.ARRIVAL if self.clock else Clock.NONE,
            ansible_version=self._version,
            check_mode=command.get("check_mode"),
            about=about or None,
        )

    def _run_id(self) -> str:
        assert self.emit.run is not None
        return self.emit.run.run_id

    def _end_run(self, offset: int) -> None:
        self._flush(offset)
        recap = self._recap
        status = run_status_from_stats(recap) if recap is not None else None
        at = self._now()
        if self._base is not None and self._timed_total is not None:
            at = self._base + timedelta(seconds=self._timed_total)
        self.emit.end_run(offset, at, status, self._timer_total)
        self._recap = None
        self._playbook = self._version = None
        self._command = None
        self._timed_total = self._timer_total = None

    def finish(self, offset: int) -> list[Event]:
        """End of input: flush the last task and close the run."""
        if self._dump is not None:
            self._dump = None
        if self._recap is not None and not self._recap_done:
            self._emit_recap(offset, None)
        if self.emit.run is not None:
            self._end_run(offset)
        return self.emit.drain()

    # -- results ---------------------------------------------------------------------
    def _record(self, host: str) -> HostRecord:
        record = self._hosts.get(host)
        if record is None:
            record = self._hosts[host] = HostRecord()
        return record

    def _result(self, match: re.Match[str], now: datetime | None) -> None:
        word, host, delegated, bang, item, item2, dump = match.groups()
        if self._task is None or self.emit.run is None:
            return  # e.g. "skipping: no hosts matched" has no brackets; stray lines
        status = Status.UNREACHABLE if bang == "UNREACHABLE!" else STATUS_WORDS[word]
        record = self._record(host)
        self._last_host = host
        record.delegated = delegated or record.delegated
        record.ended = now
        is_item = item is not None or item2 is not None
        if is_item:
            record.no_log = record.no_log or CENSORED_ITEM in (item, item2)
            record.items += 1
            record.failed_items += status is Status.FAILED
            record.changed = record.changed or status is Status.CHANGED
            record.status = merge_item(record.status, status)
        else:
            record.status = status
            record.changed = record.changed or status is Status.CHANGED
        if dump:
            self._start_dump(record, dump.strip(), is_item)

    def _start_dump(self, record: HostRecord, dump: str, is_item: bool) -> None:
        if dump == "{":
            self._dump = ["{"]
            self._dump_target = (record, is_item)
            return
        self._apply_dump(record, dump, is_item)

    def _continue_dump(self, text: str) -> None:
        assert self._dump is not None
        self._dump.append(text)
        if text == "}":
            assert self._dump_target is not None
            record, is_item = self._dump_target
            self._apply_dump(record, "\n".join(self._dump), is_item)
            self._dump = None
        elif len(self._dump) > 200_000:
            self._dump = None

    def _apply_dump(self, record: HostRecord, dump: str, is_item: bool) -> None:
        try:
            data = orjson.loads(dump)
        except orjson.JSONDecodeError:
            return
        if isinstance(data, dict) and not is_item:
            record.data = data

    def _included(
        self, path: str, hosts: str, item: str | None, offset: int, now: datetime | None
    ) -> None:
        if self._task is None or self.emit.run is None:
            return
        names = tuple(h.strip() for h in hosts.split(","))
        for host in names:
            record = self._record(host)
            record.status = record.status or Status.OK
            record.ended = now
            record.items += item is not None
        self._announce_task(offset)
        self.emit.add(
            Include,
            offset,
            play_id=self.emit.current_play(),
            task_id=self._task["id"],
            path=path,
            hosts=names,
        )

    def _flush(self, offset: int) -> None:
        """The current task is over: emit its host results."""
        task, hosts = self._task, self._hosts
        self._hosts, self._last_host = {}, None
        if task is None or not hosts:
            return
        self._task_ids.place(self.emit.current_play(), task, hosts)
        self._run_hosts.update(hosts)
        self._announce_task(offset)
        start = task["start"]
        for host, record in hosts.items():
            status = record.status or Status.OK
            data = record.data
            result = host_result(
                result_doc(data),
                status,
                offset,
                self.emit.current_play(),
                task["id"],
                task["name"],
                host,
                start,
                record.ended,
                seconds_between(start, record.ended),
            )
            result.changed = result.changed or record.changed
            if result.status is Status.OK and result.changed:
                result.status = Status.CHANGED
            if record.items:
                result.items_total, result.items_failed = record.items, record.failed_items
            result.attempts = max(record.attempts, result.attempts)
            result.delegated_to = record.delegated
            result.no_log = result.no_log or record.no_log
            if result.msg is None and status in (Status.FAILED, Status.UNREACHABLE):
                result.msg = short_text(data.get("msg"))
            self.emit.add_result(result)

    # -- timing ----------------------------------------------------------------------
    def _profile(self, match: re.Match[str], text: str, offset: int) -> None:
        prev = hms(match.group(3), match.group(4), match.group(5))
        total = hms(match.group(6), match.group(7), match.group(8))
        if self._base is None:
            stamp = profile_stamp(text)
            if stamp is not None:
                self._base = stamp - timedelta(seconds=total)
        timed, self._timed = self._timed, self._pending_banner
        if timed is not None and self.emit.run is not None and self._base is not None:
            start = timed["start"]
            self.emit.add(
                TaskTiming,
                offset,
                task_id=timed["id"],
                started_at=start,
                ended_at=start + timedelta(seconds=prev) if start else None,
                duration_s=prev,
            )
        self._timed_total = total
        if self._pending_banner is not None and self._base is not None:
            self._pending_banner["start"] = self._base + timedelta(seconds=total)
            if self.emit.run is not None and self.emit.run.started_at is None:
                self.emit.run.started_at = self._base
            self._announce_task(offset)
        self._pending_banner = None

    def _timer(self, match: re.Match[str]) -> None:
        if self._base is not None:
            return
        days, hours, minutes, seconds = (int(g) for g in match.groups())
        self._timer_total = float(((days * 24 + hours) * 60 + minutes) * 60 + seconds)


def iter_events(
    stream: BinaryIO, source: str = "-", arrival_clock: Callable[[], datetime] | None = None
) -> Iterator[Event]:
    """Yield canonical events from default-callback text output."""
    return iter_line_events(TextParser(source, arrival_clock), stream)


def parse_string(text: str | bytes, source: str = "<string>") -> list[Event]:
    """Parse text output held in memory."""
    return list(iter_events(as_stream(text), source))


__all__ = ["RunStatus", "TextParser", "iter_events", "parse_string"]
