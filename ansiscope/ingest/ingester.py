"""Moving inputs into the store, exactly once: which file is which (identity across
renames, truncations and restarts), and pumping each one's feed into the writer.

Exactly-once: a file's stored offset and the events read up to it are committed
together (``BatchWriter.commit``: one transaction in DuckDB; a ledger row after
the data, with deterministic row keys, in ClickHouse). After a crash or restart the file's feed replays
the input up to that offset through a fresh, deterministic parser and drops what it
produces; storing resumes with the first event after it. Nothing is stored twice,
nothing is skipped.
"""

from __future__ import annotations

import dataclasses
import gc
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from ansiscope.errors import ParseError
from ansiscope.ingest.feeds import Feed, open_feed
from ansiscope.ingest.identity import (
    FIRST_LINE_MAX,
    first_line,
    grow_head,
    head_matches,
    inode,
    sha1,
)
from ansiscope.ingest.signals import settled
from ansiscope.parser import runner
from ansiscope.parser.base import stable_id
from ansiscope.parser.detect import Unknown, sniff
from ansiscope.parser.events import Event, LogFormat
from ansiscope.store.base import Store
from ansiscope.store.batch import Batch
from ansiscope.store.counters import CounterKey
from ansiscope.store.records import FileRecord, Written

# Commits of writers that overlap (``BatchWriter.overlaps``), one at a time per pump:
# a pump waits for its commit before it submits the next, so one thread serves all.
_COMMITS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ansiscope-commit")

SKIP_SUFFIXES = (".duckdb", ".wal", ".tmp", ".swp", ".gz", ".zip", ".db", ".parquet")


def discover(roots: Iterable[Path], _seen: set[tuple[int, int]] | None = None) -> Iterator[Path]:
    """Inputs under ``roots``: files (recursively) and ansible-runner artifact folders.

    Symlinked folders are followed once each (a link back up the tree is no loop)."""
    seen = set() if _seen is None else _seen
    for root in roots:
        if root.is_dir():
            try:
                st = root.stat()
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            if runner.is_runner_dir(root):
                yield root
                continue
            try:
                children = sorted(root.iterdir())
            except OSError:  # unreadable, or gone since it was listed
                continue
            for child in children:
                if child.name.startswith("."):
                    continue
                if child.is_dir():
                    yield from discover([child], seen)
                elif child.is_file() and not child.name.endswith(SKIP_SUFFIXES):
                    yield child
        elif root.is_file():
            yield root


class Ingester:
    """Tracks inputs and stores their events; shared by ``ingest`` and ``watch``."""

    def __init__(
        self,
        store: Store,
        labels: dict[str, str] | None = None,
        on_run_end: Callable[[list[str]], None] | None = None,
    ):
        self.on_run_end = on_run_end  # called after the commit that ended runs
        # called as input is read (a progress bar): the record's offset has moved
        self.on_progress: Callable[[FileRecord], None] | None = None
        self.writer = store.writer(labels)
        self.records = self.writer.file_records()
        # path -> records that were there (checked against ``record.path`` on use): a
        # lookup per input, not a pass over every record ever stored
        self._by_path: dict[str, list[FileRecord]] = {}
        for record in self.records:
            self._by_path.setdefault(record.path, []).append(record)
        self.feeds: dict[str, Feed] = {}  # file_id -> live feed
        self.last_growth: dict[str, float] = {}
        self.totals = Written()
        self.truncations = 0

    # -- identity ---------------------------------------------------------------
    def track(
        self, path: Path, fmt: LogFormat | None = None, *, final: bool = False
    ) -> Feed | None:
        """The feed for ``path``: resumed, followed after a rename, or new.

        ``None`` while the file has no complete first line yet, or when it is stored
        whole already. Raises ``ParseError`` for unreadable or unrecognisable input.
        """
        try:
            line = first_line(path, final=final)
        except OSError as exc:
            raise ParseError(str(path), f"cannot read: {exc.strerror or exc}") from exc
        if line is None:
            return None
        fp = sha1(line)
        record = self._at_path(path)
        if record is None:
            record = self._moved_or_copied(path, fp) or self._new_record(path, line, fmt)
        if record.inode is None:
            record.inode = inode(path)
        feed = self.feeds.get(record.file_id)
        if feed is None:
            feed = open_feed(record)
            if record.state in ("done", "deleted"):
                if feed.size() <= record.offset:
                    return None  # stored whole already: nothing to do
                # a finished input grew after all: store it again, whole
                self.writer.forget_file(record.file_id)
                record.offset, record.lines, record.state = 0, 0, "following"
                feed = open_feed(record)
            self.feeds[record.file_id] = feed
            self.last_growth[record.file_id] = time.monotonic()
        return feed

    def _at_path(self, path: Path) -> FileRecord | None:
        """The record of the file at ``path``, if the file there is still that one."""
        key = str(path)
        here = [r for r in self._by_path.get(key, ()) if r.path == key and r.state != "truncated"]
        if not here:
            return None
        record = max(here, key=lambda r: r.generation)
        if head_matches(path, record):
            return record
        if record.file_id in self.feeds:
            return None  # replaced under a live feed: pump() sees the truncation
        self._truncated_record(record)  # replaced (copytruncate, or a new file) while away
        return None

    def _moved_or_copied(self, path: Path, fp: str) -> FileRecord | None:
        """Known content at a new path: a rename (follow it, keep its offset), or a
        copy (e.g. logrotate's ``.1``; it resumes where the original was, and runs
        the original owns are never stored twice)."""
        key, ino = str(path), inode(path)
        for record in self.records:
            if record.fingerprint != fp or record.path == key or record.state == "truncated":
                continue
            if not head_matches(path, record):
                continue
            old = Path(record.path)
            if record.inode is not None:
                moved = record.inode == ino  # a rename keeps the inode; a copy does not
            else:
                moved = not (old.exists() and head_matches(old, record))
            if moved:
                record.path, record.inode = key, ino
                self._by_path.setdefault(key, []).append(record)
                feed = self.feeds.get(record.file_id)
                if feed is not None:
                    feed.path = path
                self.writer.save_file(record)
                return record
            clone = dataclasses.replace(
                record, file_id=stable_id("copy", key, record.file_id), path=key, inode=ino
            )
            self._remember(clone)
            return clone
        return None

    def _new_record(self, path: Path, line: bytes, fmt: LogFormat | None) -> FileRecord:
        key = str(path)
        if fmt is None:
            fmt = detect(path)
        generation = 1 + max(
            (r.generation for r in self._by_path.get(key, ()) if r.path == key), default=-1
        )
        source_name = key if generation == 0 else f"{key}#{generation}"
        fp = sha1(line)
        record = FileRecord(
            file_id=stable_id("file", key, fp, generation),
            path=key,
            source_name=source_name,
            fingerprint=fp,
            generation=generation,
            format=str(fmt),
            inode=inode(path),
            head_len=0 if path.is_dir() else len(line),
            head_hash=fp,
        )
        self._remember(record)
        return record

    def _remember(self, record: FileRecord) -> None:
        self.records.append(record)
        self._by_path.setdefault(record.path, []).append(record)

    # -- moving data ------------------------------------------------------------
    def pump(
        self, feed: Feed, *, final: bool = False, stop: threading.Event | None = None
    ) -> Written:
        """Store everything new in ``feed`` (in batches, each with its checkpoint);
        ``stop`` ends it promptly: what was read so far is stored with its offset, and
        the rest waits for the next start (a clean shutdown)."""
        total = Written()
        record = feed.record
        sig = feed.probe()
        if sig is not None and sig == feed.seen:
            return total  # not touched since it was read to its end
        if self._truncated(feed):
            return total
        with self._committer() as commit:
            while True:
                before = (record.offset, record.state)
                with collector_paused():
                    batch = Batch()
                    more = _fill(batch, feed, final, self.on_progress, stop)
                    if batch or (record.offset, record.state) != before:
                        grow_head(feed.path, record)
                        commit(total, record, batch)
                        self.last_growth[record.file_id] = time.monotonic()
                    del batch  # not kept alive while the next one is read
                if not more or (stop is not None and stop.is_set()):
                    break
        # read to its end as of ``sig`` (taken before reading): settled, unless the
        # read stopped short or the signal is too fresh to trust
        feed.seen = None if more or feed.stalled else settled(sig)
        return total

    @contextmanager
    def _committer(self) -> Iterator[Callable[[Written, FileRecord, Batch], None]]:
        """``commit(total, record, batch)`` for one pump: on the reading thread, or for
        a writer that ``overlaps``, on a thread of its own while the next batch is read
        (one commit in flight, in order, with a copy of the record as it was). The
        block ends once every commit has: a failed one raises there or at the next."""
        if not self.writer.overlaps:
            yield lambda total, record, batch: self._add(total, self.writer.commit(record, batch))
            return
        pending: list[tuple[Written, Future[Written]]] = []

        def commit(total: Written, record: FileRecord, batch: Batch) -> None:
            batch.seal()  # the Python part here, so the commit thread mostly waits
            if pending:
                done, future = pending.pop()
                self._add(done, future.result())
            snapshot = dataclasses.replace(record)
            pending.append((total, _COMMITS.submit(self.writer.commit, snapshot, batch)))

        try:
            yield commit
        except BaseException:
            futures.wait([f for _, f in pending])  # the writer idle before anyone goes on
            raise
        if pending:
            done, future = pending.pop()
            self._add(done, future.result())

    def backfill(
        self, path: Path, fmt: LogFormat | None = None, stop: threading.Event | None = None
    ) -> bool:
        """Store a whole input as it is now (``ansiscope ingest``): its end is the end of
        its runs. ``False`` when it was stored whole already. ``stop`` (Ctrl-C) ends it
        with what was read stored; the next backfill of ``path`` goes on from there."""
        feed = self.track(path, fmt, final=True)
        if feed is None:
            return False
        self.pump(feed, final=True, stop=stop)
        if stop is None or not stop.is_set():
            self.finalize(feed)
        return True

    def commit(self, record: FileRecord, events: list[Event]) -> Written:
        """Store events read by other means (standard input) under ``record``."""
        total = Written()
        self._add(total, self.writer.commit(record, events))
        return total

    def finalize(self, feed: Feed, state: str = "done") -> Written:
        """The input is over (end of a backfilled file, idle, deleted): close its runs."""
        record = feed.record
        record.state = state
        written = self.writer.commit(record, feed.finish())
        self._add(Written(), written)
        self.feeds.pop(record.file_id, None)
        return written

    def _truncated(self, feed: Feed) -> bool:
        """copytruncate: the file is shorter than what was read. Lines written between
        the copy and the truncation are gone for every tailer; count it and start over."""
        try:
            size = feed.size()
        except (OSError, ParseError):
            return False
        if size >= feed.record.offset and head_matches(feed.path, feed.record):
            return False
        self._truncated_record(feed.record)
        return True

    def _truncated_record(self, record: FileRecord) -> None:
        record.state = "truncated"
        self.writer.save_file(record)
        self.writer.count(CounterKey("truncations", source=record.format), 1)
        self.truncations += 1
        self.feeds.pop(record.file_id, None)

    def _add(self, total: Written, written: Written) -> None:
        if written.ended_run_ids and self.on_run_end is not None:
            self.on_run_end(written.ended_run_ids)
        for target in (total, self.totals):
            target.events += written.events
            target.results += written.results
            target.runs_started += written.runs_started
            target.runs_ended += written.runs_ended
            target.quarantined += written.quarantined
            target.skipped_duplicate += written.skipped_duplicate


def _fill(
    batch: Batch,
    feed: Feed,
    final: bool,
    progress: Callable[[FileRecord], None] | None = None,
    stop: threading.Event | None = None,
) -> bool:
    """Read from ``feed`` into ``batch`` until it is full or ``stop`` is set (``True``:
    more is waiting) or the input has nothing new (``False``)."""
    reader = feed.read(final)
    try:
        for events in reader:
            batch.add(events)
            if progress is not None:
                progress(feed.record)
            if batch.full() or (stop is not None and stop.is_set()):
                return True
        return False
    finally:
        reader.close()


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a batch is parsed and stored: events hold
    no cycles, and the collector's passes over tens of thousands of young events cost
    ~10% of parsing (measured here). Collection resumes after; nothing is leaked."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def detect(path: Path) -> LogFormat:
    """An input's format, from its first bytes (folders: ansible-runner)."""
    if path.is_dir():
        return LogFormat.RUNNER
    with path.open("rb") as f:
        head = f.read(FIRST_LINE_MAX * 16)
    try:
        return sniff(head)
    except Unknown as exc:
        raise ParseError(str(path), str(exc), offset=0) from exc
