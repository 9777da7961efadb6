"""Reading one input incrementally: a log file line by line, a JSON document once
complete, or an ansible-runner folder event file by event file.

A feed owns a live parser. Restarting replays the input up to the stored offset
through a fresh parser (deterministic: same bytes, same events) and drops those
events, which are stored already; only what follows is returned. Half-written last
lines wait for their newline unless the input is final.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path

import orjson

from ansiscope.errors import ParseError
from ansiscope.ingest.signals import Signal, signal
from ansiscope.parser import jsondoc, jsonl, runner, text
from ansiscope.parser.base import LineParser
from ansiscope.parser.events import Event, LogFormat, Rejected, RejectReason
from ansiscope.parser.lines import MAX_LINE, iter_line_batches
from ansiscope.store.records import FileRecord

FEED_LINES = 2048  # lines parsed at a time (a 1 MiB read holds ~1000 typical lines)

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
        # the input's signal when a read last reached its end (settled): while the
        # signal holds, there is nothing new to read
        self.seen: Signal | None = None
        self.stalled = False  # the last read stopped short of what is there (retry)

    def probe(self) -> Signal | None:
        """The input's signal now (one ``stat``); ``None`` when it is gone."""
        return signal(self.path)

    def lag(self, now: float) -> float:
        """Seconds since input the store does not hold yet was written (0: none)."""
        sig = self.probe()
        if sig is None or sig == self.seen or self.size() <= self.record.offset:
            return 0.0
        return max(0.0, now - sig.mtime_ns / 1e9)

    def size(self) -> int:
        """How much input there is now (bytes, or the last event counter)."""
        return self.path.stat().st_size

    def read(self, final: bool = False) -> Generator[list[Event], None, None]:
        """What is new, a few events at a time, each with ``record.offset`` moved past
        it; the reader may stop between them (and calls ``close()``), and the next
        ``read`` continues there."""
        raise NotImplementedError

    def finish(self) -> list[Event]:
        """The input is over: close what is open (interrupted runs)."""
        raise NotImplementedError

    def ends_when_quiet(self) -> bool:
        """Whether the input is over once it goes quiet (its open runs are closed and it
        is read again only if it grows), rather than set aside until it grows."""
        return True


class LineFeed(Feed):
    """A jsonl, text or runner-events log, read as it grows."""

    def __init__(self, record: FileRecord) -> None:
        super().__init__(record)
        self.parser = LINE_PARSERS[LogFormat(record.format)](record.source_name)
        self.pos = 0
        self.line_no = 1

    def read(self, final: bool = False) -> Generator[list[Event], None, None]:
        """New lines, parsed a batch at a time; a half-written last line waits."""
        with self.path.open("rb", buffering=0) as f:
            f.seek(self.pos)
            for batch in iter_line_batches(f, FEED_LINES):
                if isinstance(batch, int):  # an oversized line
                    self.parser.reject(
                        self.pos,
                        self.line_no,
                        RejectReason.TOO_LONG,
                        f"line longer than {MAX_LINE} bytes, skipped",
                        b"",
                    )
                    end = self.pos + batch
                    self.pos, self.line_no = end, self.line_no + 1
                    yield self._keep(self.parser.emit.drain(), end)
                    continue
                half_written = not final and not batch[-1].endswith(b"\n")
                if half_written:
                    batch.pop()  # wait for its newline
                sizes = [len(line) for line in batch]
                if self.pos < self.skip_until:  # replaying: split at the stored offset
                    cut = _cut(sizes, self.skip_until - self.pos)
                    if cut is not None:
                        self._feed(batch[:cut], sum(sizes[:cut]))  # stored already
                        del batch[:cut], sizes[:cut]
                yield self._feed(batch, sum(sizes))
                if half_written:
                    return

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
        """Close the runs the log leaves open."""
        return self.parser.finish(self.pos)

    def ends_when_quiet(self) -> bool:
        """Whether every run the log started has ended."""
        return self.parser.emit.run is not None  # with every run ended, more may follow


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

    def read(self, final: bool = False) -> Generator[list[Event], None, None]:
        """The whole document once it parses (or when final), if it changed."""
        size = self.size()
        if size <= self.record.offset:
            return
        with self.path.open("rb") as f:
            events = list(jsondoc.iter_events(f, self.record.source_name))
        truncated = any(
            isinstance(e, Rejected) and e.code == RejectReason.TRUNCATED for e in events
        )
        if truncated and not final:
            return  # still being written
        self.record.offset, self.record.lines = size, 0
        yield events

    def finish(self) -> list[Event]:
        """Nothing: a document closes its own runs."""
        return []


class RunnerDirFeed(Feed):
    """An ansible-runner artifacts folder: job event files in counter order."""

    def __init__(self, record: FileRecord) -> None:
        super().__init__(record)
        self.parser = runner.RunnerParser(record.source_name)
        self.counter = 0

    def probe(self) -> Signal | None:
        """The folder's signal (its newest event file)."""
        return signal(self.path, folder=True)

    def size(self) -> int:
        """The counter of the last job event file."""
        files = runner.event_files(self.path)
        return files[-1][0]

    def read(self, final: bool = False) -> Generator[list[Event], None, None]:
        """The job event files past the stored counter, in counter order."""
        self.stalled = False
        try:
            files = runner.event_files(self.path)
        except ParseError:
            return
        for counter, file in files:
            if counter <= self.counter:
                continue
            if counter != self.counter + 1 and not final:
                self.stalled = True
                break  # a gap: that event file is still being written
            try:
                raw = file.read_bytes()
                data = orjson.loads(raw)
            except (OSError, orjson.JSONDecodeError) as exc:
                if not final:
                    self.stalled = True  # writing it does not move the folder's mtime
                    break  # half-written: try again on the next poll
                runner.reject_event_file(self.parser, counter, file, exc)
                events = self.parser.emit.drain()
            else:
                events = self.parser.feed_event(data, counter, None, raw)
            self.counter = counter
            if counter > self.skip_until:
                self.record.offset = counter
                yield events

    def finish(self) -> list[Event]:
        """Close the run the event files leave open."""
        return self.parser.finish(-1)


def open_feed(record: FileRecord) -> Feed:
    """The feed for a file record's format."""
    if Path(record.path).is_dir():
        return RunnerDirFeed(record)
    if record.format == LogFormat.JSON:
        return DocumentFeed(record)
    return LineFeed(record)
