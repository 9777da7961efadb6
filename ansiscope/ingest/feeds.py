"""Reading one input incrementally: a log file line by line, a JSON document once
complete, or an ansible-runner folder event file by event file.

A feed owns a live parser. Restarting replays the input up to the stored offset
through a fresh parser (deterministic: same bytes, same events) and drops those
events, which are stored already; only what follows is returned. Half-written last
lines wait for their newline unless the input is final.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson

from ansiscope.errors import ParseError
from ansiscope.ingest.records import FileRecord
from ansiscope.parser import jsondoc, jsonl, runner, text
from ansiscope.parser.base import BATCH, LineParser
from ansiscope.parser.events import Event, LogFormat, Rejected
from ansiscope.parser.lines import MAX_LINE, iter_line_batches

# A store transaction while catching up holds at most BATCH_EVENTS events, or fewer
# when their messages add up to BATCH_TEXT characters (a batch's memory is ~300 bytes
# an event plus its text, held about three times: events, Arrow, DuckDB). Measured
# (bench/ingest.py 1000000): 60k events commit ~20% faster than 30k, at ~280 MB RSS;
# with 1 KB messages on every result, 8 MB of text keeps it there too (16 MB: 335 MB).
BATCH_EVENTS = 60_000
BATCH_TEXT = 8_000_000

LINE_PARSERS: dict[LogFormat, Callable[[str], LineParser]] = {
    LogFormat.JSONL: jsonl.JsonlParser,
    LogFormat.TEXT: text.TextParser,
    LogFormat.RUNNER: runner.RunnerParser,
}


class Feed:
    """The interface every feed offers."""

    def __init__(self, record: FileRecord) -> None:
        self.record = record
        self.path = Path(record.path)
        self.skip_until = record.offset  # input before this is stored already

    def size(self) -> int:
        """How much input there is now (bytes, or the last event counter)."""
        return self.path.stat().st_size

    def poll(self, final: bool = False) -> tuple[list[Event], bool]:
        """Read what is new: (events to store, whether more input is waiting)."""
        raise NotImplementedError

    def finish(self) -> list[Event]:
        """The input is over: close what is open (interrupted runs)."""
        raise NotImplementedError


class LineFeed(Feed):
    """A jsonl, text or runner-events log, read as it grows."""

    def __init__(self, record: FileRecord) -> None:
        super().__init__(record)
        self.parser = LINE_PARSERS[LogFormat(record.format)](record.source_name)
        self.pos = 0
        self.line_no = 1
        self.text_start = 0

    def poll(self, final: bool = False) -> tuple[list[Event], bool]:
        out: list[Event] = []
        self.text_start = self.parser.emit.text_bytes
        limit = self.skip_until if self.pos < self.skip_until else None
        with self.path.open("rb", buffering=0) as f:
            f.seek(self.pos)
            for batch in iter_line_batches(f, BATCH):
                if isinstance(batch, int):  # an oversized line
                    self.parser.reject(
                        self.pos, self.line_no, f"line longer than {MAX_LINE} bytes, skipped", b""
                    )
                    end = self.pos + batch
                    out += self._keep(self.parser.emit.drain(), end)
                    self.pos, self.line_no = end, self.line_no + 1
                    continue
                half_written = not final and not batch[-1].endswith(b"\n")
                if half_written:
                    batch.pop()  # wait for its newline
                sizes = [len(line) for line in batch]
                if limit is not None:  # replaying: stop exactly at the stored offset
                    cut = _cut(sizes, limit - self.pos)
                    if cut is not None:
                        out += self._feed(batch[:cut], sum(sizes[:cut]))
                        return out, True
                out += self._feed(batch, sum(sizes))
                if half_written:
                    break
                if len(out) >= BATCH_EVENTS or self._text() >= BATCH_TEXT:
                    return out, True
        return out, False

    def _text(self) -> int:
        """Characters of messages read in this poll so far."""
        return self.parser.emit.text_bytes - self.text_start

    def _feed(self, batch: list[bytes], size: int) -> list[Event]:
        if not batch:
            return []
        events = self.parser.feed_batch(batch, self.pos, self.line_no)
        self.pos += size
        self.line_no += len(batch)
        return self._keep(events, self.pos)

    def _keep(self, events: list[Event], end: int) -> list[Event]:
        if end <= self.skip_until:
            return []
        self.record.offset, self.record.lines = end, self.line_no - 1
        return events

    def finish(self) -> list[Event]:
        return self.parser.finish(self.pos)


def _cut(sizes: list[int], budget: int) -> int | None:
    """How many lines it takes to reach ``budget`` bytes, if these lines reach it."""
    total = 0
    for n, size in enumerate(sizes, 1):
        total += size
        if total >= budget:
            return n
    return None


class DocumentFeed(Feed):
    """An ``ansible.posix.json`` document: written in one go when the playbook ends,
    so it is read whole, once it parses completely (or when final)."""

    def poll(self, final: bool = False) -> tuple[list[Event], bool]:
        size = self.size()
        if size <= self.record.offset:
            return [], False
        with self.path.open("rb") as f:
            events = list(jsondoc.iter_events(f, self.record.source_name))
        truncated = any(isinstance(e, Rejected) and "truncated" in e.reason for e in events)
        if truncated and not final:
            return [], False  # still being written
        self.record.offset, self.record.lines = size, 0
        return events, False

    def finish(self) -> list[Event]:
        return []


class RunnerDirFeed(Feed):
    """An ansible-runner artifacts folder: job event files in counter order."""

    def __init__(self, record: FileRecord) -> None:
        super().__init__(record)
        self.parser = runner.RunnerParser(record.source_name)
        self.counter = 0

    def size(self) -> int:
        files = runner.event_files(self.path)
        return files[-1][0]

    def poll(self, final: bool = False) -> tuple[list[Event], bool]:
        out: list[Event] = []
        try:
            files = runner.event_files(self.path)
        except ParseError:
            return [], False
        for counter, file in files:
            if counter <= self.counter:
                continue
            if counter != self.counter + 1 and not final:
                break  # a gap: that event file is still being written
            try:
                raw = file.read_bytes()
                data = orjson.loads(raw)
            except (OSError, orjson.JSONDecodeError) as exc:
                if not final:
                    break  # half-written: try again on the next poll
                self.parser.reject(counter, None, f"{file.name}: unreadable job event: {exc}", b"")
                events = self.parser.emit.drain()
            else:
                events = self.parser.feed_event(data, counter, None, raw)
            self.counter = counter
            if counter > self.skip_until:
                self.record.offset = counter
                out += events
        return out, False

    def finish(self) -> list[Event]:
        return self.parser.finish(-1)


def open_feed(record: FileRecord) -> Feed:
    """The feed for a file record's format."""
    if Path(record.path).is_dir():
        return RunnerDirFeed(record)
    if record.format == LogFormat.JSON:
        return DocumentFeed(record)
    return LineFeed(record)
