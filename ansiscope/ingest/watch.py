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

import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from ansiscope.errors import ParseError
from ansiscope.ingest.feeds import Feed
from ansiscope.ingest.ingester import Ingester, discover
from ansiscope.store.records import Written

Report = Callable[[str], None]


class _Wake(FileSystemEventHandler):
    def __init__(self, wake: threading.Event, rescan: threading.Event) -> None:
        self.wake = wake
        self.rescan = rescan

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("created", "moved", "deleted"):
            self.rescan.set()
        self.wake.set()


class Watcher:
    """Follows ``roots`` into the ingester's store until stopped."""

    def __init__(
        self,
        ingester: Ingester,
        roots: list[Path],
        *,
        poll: bool = False,
        rescan_s: float = 2.0,
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
        self.rescan = threading.Event()
        self.stop = threading.Event()
        self._last_scan = 0.0
        # path -> its size when it was last left alone: unrecognised, or a quiet log
        # with every run ended; the rescan looks at it again once the size changes
        self._unchanged: dict[str, int] = {}
        self.last_ingest = time.time()

    def run(
        self,
        lock: threading.Lock | None = None,
        after_step: Callable[[Written], None] | None = None,
    ) -> None:
        """Follow until ``stop`` is set (SIGTERM/SIGINT in the CLI). ``lock`` is held
        around each step (a service shares the store with other writers)."""
        observer = PollingObserver(timeout=1) if self.poll else Observer()
        handler = _Wake(self.wake, self.rescan)
        for root in self.roots:
            observer.schedule(handler, str(root), recursive=True)
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

    def step(self) -> Written:
        """One pass: rescan if due, store what is new, close what went quiet."""
        now = time.monotonic()
        if self.rescan.is_set() or now - self._last_scan >= self.rescan_s:
            self.rescan.clear()
            self._last_scan = now
            self._scan()
        total = Written()
        for feed in list(self.ingester.feeds.values()):
            if not feed.path.exists():
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

    def _scan(self) -> None:
        skipped: list[str] = []
        for path in discover(self.roots):
            key = str(path)
            try:
                size = path.stat().st_size
            except OSError:
                continue
            if self._unchanged.get(key, -1) == size:
                continue
            self._unchanged.pop(key, None)
            try:
                self.ingester.track(path)
            except ParseError as exc:
                self._unchanged[key] = size
                skipped.append(str(exc))
        if len(skipped) == 1:
            self.report(f"skipped: {skipped[0]}")
        elif skipped:
            names = ", ".join(s.split(" (byte", 1)[0].split(": ", 1)[0] for s in skipped[:3])
            self.report(f"skipped {len(skipped)} files that are not Ansible logs ({names}, …)")

    def _set_aside(self, feed: Feed) -> None:
        """A quiet log whose runs have all ended (Ansible's ``log_path``, a file that
        runs are appended to): no longer read on every step, but not over either.
        When it grows, it is followed again from its offset (nothing stored again)."""
        try:
            size = feed.path.stat().st_size
        except OSError:
            return
        self.ingester.feeds.pop(feed.record.file_id, None)
        self._unchanged[str(feed.path)] = size

    def _close_idle(self, feed: Feed) -> None:
        """A quiet file is over for now: close its runs (a recap still buffered by the
        text parser is used; a run without one is ``interrupted``). Should it grow
        again, it is stored again, whole."""
        written = self.ingester.finalize(feed)
        if written.runs_ended:
            self.report(f"{feed.path}: quiet for {self.idle_s:.0f}s; its open runs are closed")
