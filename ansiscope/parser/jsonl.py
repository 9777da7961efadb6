"""The ``ansible.posix.jsonl`` callback: one JSON object per line.

There is no playbook-start event and no run id. Ansible's task and play ids share
a per-process prefix (``xxxxxxxx-xxxx-xxxx-xxxx-`` + a counter), so a change of
prefix (or a ``stats`` event) marks a new run in a file holding several runs; the
playbook comes from the first play's ``path``. Files written by ansiscope's own
callback start each run with an ``ansiscope_run_start`` header: the run's uuid, its
playbook and invocation (``identity.header_run``), which the run then keeps.

Lines that are not JSON (``-v``..``-vvvv`` output, warnings, deprecations, stderr
merged with ``2>&1``) are expected in a jsonl stream: they are counted and reported
as one ``AnsibleWarning`` per run (``[WARNING]`` lines each become their own), not
rejected. A line that starts as JSON but does not decode is rejected.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO, ClassVar

import msgspec

from ansiscope.parser.base import (
    LineParser,
    as_stream,
    iter_line_events,
    playbook_from_path,
    stable_id,
)
from ansiscope.parser.events import (
    AnsibleWarning,
    Event,
    HostStats,
    LogFormat,
    RejectReason,
    Status,
)
from ansiscope.parser.identity import HEADER_EVENT, header_run, playbook_name
from ansiscope.parser.lines import MAX_LINE
from ansiscope.parser.results import (
    fields_of,
    host_result,
    parse_time,
    parse_time_once,
    result_doc,
    text_or_none,
)
from ansiscope.parser.shapes import DurationDoc, LineDoc, TaskDoc

RESULT_EVENTS = {
    "v2_runner_on_ok": Status.OK,
    "v2_runner_on_failed": Status.FAILED,
    "v2_runner_on_skipped": Status.SKIPPED,
    "v2_runner_on_unreachable": Status.UNREACHABLE,
}
TASK_EVENTS = {
    "v2_playbook_on_task_start": False,
    "v2_playbook_on_handler_task_start": True,
    "v2_runner_on_start": False,  # strategy free: one per host and task
}


_decode = msgspec.json.Decoder(LineDoc).decode
NO_TASK = TaskDoc()
NO_DURATION = DurationDoc()


def line_doc(data: Any) -> LineDoc | None:
    """A decoded line of unusual shape (a host result that is not an object, ...)
    as a ``LineDoc``, keeping every part that makes sense; ``None`` if nothing does."""
    if not isinstance(data, dict):
        return None
    hosts = data.get("hosts")
    task = data.get("task")
    duration = task.get("duration") if isinstance(task, dict) else None
    event = data.get("_event")
    return LineDoc(
        event=event if isinstance(event, str) else None,  # compiled code checks the type
        timestamp=data.get("_timestamp"),
        hosts={str(h): result_doc(r) for h, r in hosts.items()}
        if isinstance(hosts, dict)
        else None,
        task=TaskDoc(
            id=task.get("id"),
            name=task.get("name"),
            path=task.get("path"),
            duration=DurationDoc(duration.get("start"), duration.get("end"))
            if isinstance(duration, dict)
            else None,
        )
        if isinstance(task, dict)
        else None,
        play=data.get("play"),
        stats=data.get("stats"),
    )


def id_prefix(ansible_id: str) -> str:
    """The per-process part of an Ansible uuid (everything before the counter)."""
    return ansible_id.rpartition("-")[0]


class JsonlParser(LineParser):
    """Push parser for ``ansible.posix.jsonl`` lines."""

    format: ClassVar[LogFormat] = LogFormat.JSONL

    def __init__(self, source: str = "-") -> None:
        super().__init__(source)
        self._prefix: str | None = None
        self._pretty: list[bytes] | None = None  # json_indent > 0 spreads objects
        self._pretty_start = (0, 0)
        self._handlers: set[str] = set()
        self._last: tuple[str, str, str, Any, Any] | None = None  # the task results belong to
        self._adopt = False  # a header opened the run: the next ids' prefix is its own
        self._noise = 0  # lines of other output not yet reported
        self._noise_line = 0  # ... the first of them

    def feed(self, line: bytes, offset: int, line_no: int) -> list[Event]:
        """Parse one line."""
        self._feed(line, offset, line_no)
        return self.emit.drain()

    def _feed(self, line: bytes, offset: int, line_no: int) -> None:
        if self._pretty is not None:
            self._feed_pretty(line, offset, line_no)
        elif line[:1] == b"{" and line[1:2] not in (b"\n", b"\r", b""):
            self._parse_object(line, offset, line_no)  # the common case: one object per line
        else:
            stripped = line.strip()
            if stripped == b"{":
                self._pretty, self._pretty_start = [line], (offset, line_no)
            elif stripped:
                self._parse_object(stripped, offset, line_no)

    def feed_batch(self, lines: list[bytes], offset: int, line_no: int) -> list[Event]:
        """Consume consecutive lines; host results (most lines) take a short path.

        Every line is first decoded as a whole object; anything that does not decode
        (a pretty-printed object's ``{``, noise, bad JSON) takes the full path."""
        decode = _decode
        for no, line in enumerate(lines, line_no):
            if self._pretty is None:
                try:
                    doc = decode(line)
                except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):  # full path
                    pass
                else:
                    status = RESULT_EVENTS.get(doc.event)  # type: ignore[arg-type]
                    if status is not None:
                        self._result(doc, status, offset)
                    elif doc.event is None:
                        self.reject(
                            offset,
                            no,
                            RejectReason.NOT_AN_EVENT,
                            "JSON without an '_event' key",
                            line,
                        )
                    else:
                        self._dispatch(doc, offset)
                    offset += len(line)
                    continue
            self._feed(line, offset, no)
            offset += len(line)
        return self.emit.drain()

    def _feed_pretty(self, line: bytes, offset: int, line_no: int) -> None:
        assert self._pretty is not None
        self._pretty.append(line)
        if line.rstrip() == b"}":
            data = b"".join(self._pretty)
            self._pretty = None
            self._parse_object(data, *self._pretty_start)
        elif sum(len(p) for p in self._pretty) > MAX_LINE:
            self._pretty = None
            self.reject(
                self._pretty_start[0],
                self._pretty_start[1],
                RejectReason.TOO_LONG,
                "object too large",
                line,
            )

    def finish(self, offset: int) -> list[Event]:
        """End of input; a half-written object is rejected."""
        if self._pretty is not None:
            start, line_no = self._pretty_start
            self.reject(
                start,
                line_no,
                RejectReason.TRUNCATED,
                "truncated JSON object at end of input",
                self._pretty[0],
            )
            self._pretty = None
        self._report_noise(offset)
        return super().finish(offset)

    def _parse_object(self, raw: bytes, offset: int, line_no: int) -> None:
        try:
            try:
                doc: LineDoc | None = _decode(raw)
            except msgspec.ValidationError:  # an odd shape (or bad JSON further on)
                doc = line_doc(msgspec.json.decode(raw))
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # bad UTF-8 in a key
            self._not_json(raw, offset, line_no, exc)
            return
        except RecursionError:
            self.reject(offset, line_no, RejectReason.TOO_DEEP, "JSON nested too deeply", raw)
            return
        if doc is None or doc.event.__class__ is not str:
            self.reject(
                offset, line_no, RejectReason.NOT_AN_EVENT, "JSON without an '_event' key", raw
            )
            return
        self._dispatch(doc, offset)

    def _not_json(self, raw: bytes, offset: int, line_no: int, exc: Exception) -> None:
        raw = raw.strip()
        text = raw[:40]
        if text.startswith((b"[WARNING]", b"[DEPRECATION WARNING]")) and self.emit.run:
            msg = raw.decode("utf-8", "replace").split(":", 1)[-1].strip()
            self.emit.add(AnsibleWarning, offset, message=msg)
        elif text.startswith(b"{"):
            self.reject(offset, line_no, RejectReason.MALFORMED_JSON, f"malformed JSON: {exc}", raw)
        else:  # verbose output, stderr: expected around the events
            if not self._noise:
                self._noise_line = line_no
            self._noise += 1

    def _report_noise(self, offset: int) -> None:
        """One warning for the other output seen since the last one (in the open run)."""
        if self._noise and self.emit.run is not None:
            lines = "line" if self._noise == 1 else "lines"
            self.emit.add(
                AnsibleWarning,
                offset,
                message=f"{self._noise} {lines} of other output than jsonl events "
                f"(verbose output, warnings or stderr) skipped, the first at line "
                f"{self._noise_line}",
            )
            self._noise = 0

    def _dispatch(self, doc: LineDoc, offset: int) -> None:
        event = doc.event
        status = RESULT_EVENTS.get(event)  # type: ignore[arg-type]
        if status is not None:
            self._result(doc, status, offset)
        elif event in TASK_EVENTS:
            task = doc.task or NO_TASK
            self._ensure_run(str(task.id or ""), doc.timestamp, offset)
            handler = TASK_EVENTS[event] or str(task.id) in self._handlers
            if TASK_EVENTS[event]:
                self._handlers.add(str(task.id))
            self._task(task, offset, handler)
            self._last = None
        elif event == "v2_playbook_on_play_start":
            play = _dict(doc.play)
            play_id = str(play.get("id", ""))
            self._ensure_run(play_id, doc.timestamp, offset, new_play_path=play.get("path"))
            start = parse_time(_dict(play.get("duration")).get("start"))
            path = play.get("path")
            self.emit.play(
                offset,
                play_id,
                str(play.get("name", "")),
                text_or_none(path),
                start,
            )
            self._last = None
        elif event == "v2_playbook_on_stats":
            stats = _dict(doc.stats)
            at = parse_time(doc.timestamp)
            if self.emit.run is None:
                self.emit.start_run(
                    stable_id(self.source, offset), offset, playbook=None, started_at=at
                )
            self._report_noise(offset)
            recap = {str(h): HostStats.from_mapping(_dict(s)) for h, s in stats.items()}
            self.emit.recap(offset, recap, at)
            self._prefix = None
            self._adopt = False
        elif event == HEADER_EVENT:
            self._header(doc, offset)

    def _header(self, doc: LineDoc, offset: int) -> None:
        """The header of ansiscope's callback: a new run, with what the header says about it."""
        run = header_run(_dict(doc.ansiscope))
        uuid = run["about"]["run_uuid"] or ""
        compact = uuid.replace("-", "").lower()
        valid = len(compact) >= 16 and all(c in "0123456789abcdef" for c in compact)
        self._report_noise(offset)
        self.emit.start_run(
            compact[:16] if valid else stable_id("ansiscope", uuid, doc.timestamp, offset),
            offset,
            playbook=run["playbook"],
            started_at=parse_time(doc.timestamp),
            ansible_version=run["ansible_version"],
            check_mode=run["check_mode"],
            about=run["about"],
        )
        self._prefix, self._adopt, self._handlers = None, True, set()

    def _ensure_run(
        self, ansible_id: str, timestamp: Any, offset: int, new_play_path: Any = None
    ) -> None:
        prefix = id_prefix(ansible_id)
        if self.emit.run is not None and prefix == self._prefix:
            return
        if self.emit.run is not None and self._adopt:  # the run its header opened
            self._prefix, self._adopt = prefix, False
            return
        at = parse_time(timestamp)
        self._prefix = prefix
        self._handlers.clear()
        path = playbook_from_path(text_or_none(new_play_path))
        self._report_noise(offset)
        self.emit.start_run(
            stable_id("ansible", prefix, timestamp),
            offset,
            playbook=playbook_name(path),
            started_at=at,
            about={"playbook_path": path} if path else None,
        )

    def _task(self, task: TaskDoc, offset: int, handler: bool) -> None:
        start = parse_time((task.duration or NO_DURATION).start)
        self.emit.task(
            offset,
            str(task.id or ""),
            str(task.name or ""),
            path=text_or_none(task.path),
            handler=handler,
            at=start,
        )

    def _result(self, doc: LineDoc, status: Status, offset: int) -> None:
        task = doc.task or NO_TASK
        task_fields: tuple[Any, ...] = fields_of(task)  # one C call, not four lookups
        task_id = task_fields[0]
        if task_id.__class__ is not str:
            task_id = str(task_id or "")
        timing: tuple[Any, ...] = fields_of(task_fields[3] or NO_DURATION)
        started, ended = timing[0], timing[1]
        last = self._last
        if last is None or last[0] != task_id or self.emit.run is None:
            # first result of this task: check the run, announce the task (results of
            # one task come in a row, so the rest take the short path)
            if (
                self._prefix is None
                or self.emit.run is None
                or not task_id.startswith(self._prefix)
            ):
                self._ensure_run(task_id, doc.timestamp, offset)
            self._task(task, offset, task_id in self._handlers)
            last = self._last = (
                task_id,
                str(task_fields[1] or ""),
                self.emit.current_play(),
                started,
                parse_time(started),
            )
        start = last[4] if started == last[3] else parse_time(started)
        end = parse_time_once(ended) or parse_time(doc.timestamp)
        if start is not None and end is not None:
            elapsed: float | None = (end - start).total_seconds()
            if elapsed < 0:  # type: ignore[operator]
                elapsed = 0.0
        else:
            elapsed = None
        hosts = doc.hosts
        if hosts:
            emit, play_id, name = self.emit, last[2], last[1]
            for host, res in hosts.items():
                emit.add_result(  # called directly: a native call when compiled
                    host_result(
                        res, status, offset, play_id, task_id, name, host, start, end, elapsed
                    )
                )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def iter_events(stream: BinaryIO, source: str = "-") -> Iterator[Event]:
    """Yield canonical events from an ``ansible.posix.jsonl`` stream."""
    return iter_line_events(JsonlParser(source), stream)


def parse_string(text: str | bytes, source: str = "<string>") -> list[Event]:
    """Parse a whole jsonl document held in memory (tests, small inputs)."""
    return list(iter_events(as_stream(text), source))
