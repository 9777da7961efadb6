"""``ansiscope watch``: follow folders and store what appears in them as it appears.

watchdog (inotify, or polling for NFS) only wakes the loop; every wake polls the
followed files from their offsets, and a periodic rescan of the folders is the
safety net for missed events. A file quiet for ``idle_s`` with a run still open has
its runs closed (``interrupted`` without a recap); should it grow again it is stored
again, whole. A quiet log whose runs have all ended (one that many runs append to,
such as Ansible's ``log_path``) is set aside instead: when it grows it is followed
again from its offset. A deleted file's open runs are closed the same way.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirModifiedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from ansiscope.errors import ParseError
from ansiscope.ingest.catalog import Catalog
from ansiscope.ingest.feeds import Feed
from ansiscope.ingest.ingester import Ingester
from ansiscope.ingest.signals import Signal, settled, signal
from ansiscope.store.records import Written

Report = Callable[[str], None]
# what inotify reports; opening and reading (ours included) is left out
EVENT_TYPES: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileDeletedEvent,
    FileClosedEvent,
    DirCreatedEvent,
    DirModifiedEvent,
    DirMovedEvent,
    DirDeletedEvent,
]


# The safety-net rescan may take at most this share of one core (Watcher._rescan_every).
RESCAN_BUDGET = 0.005
IGNORED_EVENTS = ("opened", "closed_no_write")  # our own reads: news to no one


class _Wake(FileSystemEventHandler):
    """Notes which paths changed (the step looks at those inputs) and wakes the loop."""

    def __init__(self, wake: threading.Event) -> None:
        self.wake = wake
        self.lock = threading.Lock()
        self.dirty: set[str] = set()
        self.relist = False  # something was created, moved or deleted: walk the folders

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in IGNORED_EVENTS:
            return
        with self.lock:
            self.dirty.add(os.fsdecode(event.src_path))
            if event.dest_path:
                self.dirty.add(os.fsdecode(event.dest_path))
            if event.event_type in ("created", "moved", "deleted"):
                self.relist = True
        self.wake.set()

    def take(self) -> tuple[set[str], bool]:
        """The paths changed since the last call, and whether folders changed."""
        with self.lock:
            dirty, relist = self.dirty, self.relist
            self.dirty, self.relist = set(), False
        return dirty, relist


class Watcher:
    """Follows ``roots`` into the ingester's store until stopped.

    At rest it costs next to nothing however much is stored: an input is looked at
    when inotify names it or, on the periodic safety-net rescan (``rescan_s``), when
    its ``stat`` signal moved; a followed feed is read when its signal moved."""

    def __init__(
        self,
        ingester: Ingester,
        roots: list[Path],
        *,
        poll: bool = False,
        rescan_s: float = 10.0,
        idle_s: float = 600.0,
        tick_s: float = 0.25,
        report: Report | None = None,
    ) -> None:
        self.ingester = ingester
        self.roots = roots
        self.poll = poll
        self.rescan_s = rescan_s
        self.idle_s = idle_s
        self.tick_s = tick_s
        self.report = report or (lambda _msg: None)
        self.wake = threading.Event()
        self.events = _Wake(self.wake)
        self.stop = threading.Event()
        self.catalog = Catalog(roots)
        self._last_scan = -float("inf")
        self._scan_cost = 0.0  # seconds the last full rescan took
        # path -> its settled signal when it was last looked at and nothing was left to
        # do (stored whole, followed, unrecognised, or a quiet log set aside): the
        # rescan passes it by until the signal moves
        self._unchanged: dict[str, Signal] = {}
        self.last_ingest = time.time()

    def run(
        self,
        lock: threading.Lock | None = None,
        after_step: Callable[[Written], None] | None = None,
    ) -> None:
        """Follow until ``stop`` is set (SIGTERM/SIGINT in the CLI). ``lock`` is held
        around each step (a service shares the store with other writers)."""
        observer = PollingObserver(timeout=1) if self.poll else Observer()
        for root in self.roots:
            observer.schedule(self.events, str(root), recursive=True, event_filter=EVENT_TYPES)
        observer.start()
        try:
            while not self.stop.is_set():
                if lock is None:
                    written = self.step()
                else:
                    with lock:
                        written = self.step()
                if after_step is not None:
                    after_step(written)
                self.wake.wait(self.tick_s)
                self.wake.clear()
        finally:
            observer.stop()
            observer.join(timeout=5)

    def _rescan_every(self) -> float:
        """Seconds between safety-net rescans: ``rescan_s``, or longer when a rescan
        costs more than ``RESCAN_BUDGET`` of a core at that pace (it grows with the
        inputs followed: ~60 ms for 10,000 here, so 12 s; inotify still names every
        change at once). ``rescan_s=0`` rescans on every step."""
        if not self.rescan_s:
            return 0.0
        return max(self.rescan_s, self._scan_cost / RESCAN_BUDGET)

    def step(self) -> Written:
        """One pass: look at what changed (everything, when the rescan is due), store
        what is new, close what went quiet."""
        now = time.monotonic()
        dirty, relist = self.events.take()
        full = now - self._last_scan >= self._rescan_every()
        if full:
            self._last_scan = now
        if full or dirty or relist:
            self._scan(full, relist, dirty)
            if full:
                self._scan_cost = time.monotonic() - now
        touched = {self.catalog.owner(path) for path in dirty}
        total = Written()
        for feed in list(self.ingester.feeds.values()):
            if not (full or feed.seen is None or str(feed.path) in touched):
                continue  # settled, and nothing said it changed
            if feed.probe() is None and not feed.path.exists():
                self.report(f"{feed.path}: deleted; its open runs are closed as interrupted")
                self.ingester.finalize(feed, state="deleted")
                continue
            written = self.ingester.pump(feed, stop=self.stop)
            if self.stop.is_set():
                break
            if written.events:
                self.last_ingest = time.time()
                total.events += written.events
                total.results += written.results
            elif now - self.ingester.last_growth.get(feed.record.file_id, now) > self.idle_s:
                if feed.ends_when_quiet():
                    self._close_idle(feed)
                else:
                    self._set_aside(feed)
        return total

    def _scan(self, full: bool, relist: bool, dirty: set[str]) -> None:
        """Track the inputs whose signal moved: all of them on a full rescan, else those
        inotify named (and any that appeared)."""
        known = self.catalog.inputs
        walked = full or relist or not known
        inputs = self.catalog.walk() if walked else known
        if full:
            candidates = list(inputs)
        else:
            named = {self.catalog.owner(path) for path in dirty}
            if walked:  # in walk order: a rename is seen before what replaced it
                candidates = [p for p in inputs if p in named or p not in known]
            else:
                candidates = [p for p in named if p is not None]
        skipped: list[str] = []
        for key in candidates:
            sig = signal(key, folder=inputs[key])  # (a str: a Path per input costs as much)
            if sig is None or self._unchanged.get(key) == sig:
                continue
            self._unchanged.pop(key, None)
            try:
                self.ingester.track(Path(key))
                stable = settled(sig)
            except ParseError as exc:
                skipped.append(str(exc))
                stable = sig  # reported once; looked at again when it is written to
            if stable is not None:
                self._unchanged[key] = stable
        if walked:
            for key in [k for k in self._unchanged if k not in inputs]:
                del self._unchanged[key]  # gone: should it come back, it is looked at afresh
        if len(skipped) == 1:
            self.report(f"skipped: {skipped[0]}")
        elif skipped:
            names = ", ".join(s.split(" (byte", 1)[0].split(": ", 1)[0] for s in skipped[:3])
            self.report(f"skipped {len(skipped)} files that are not Ansible logs ({names}, …)")

    def _set_aside(self, feed: Feed) -> None:
        """A quiet log whose runs have all ended (Ansible's ``log_path``, a file that
        runs are appended to): no longer read on every step, but not over either.
        When it grows, it is followed again from its offset (nothing stored again)."""
        sig = feed.probe()
        if sig is None:
            return
        self.ingester.feeds.pop(feed.record.file_id, None)
        self._unchanged[str(feed.path)] = sig

    def _close_idle(self, feed: Feed) -> None:
        """A quiet file is over for now: close its runs (a recap still buffered by the
        text parser is used; a run without one is ``interrupted``). Should it grow
        again, it is stored again, whole."""
        written = self.ingester.finalize(feed)
        if written.runs_ended:
            self.report(f"{feed.path}: quiet for {self.idle_s:.0f}s; its open runs are closed")
