"""The inputs under the watched folders, listed again only where a folder changed.

``discover`` lists every folder on every call; a follower rescanning a year of logs
every few seconds cannot afford that. A folder's entries change only when its mtime
moves (a file created, removed or renamed in it; appending to a file does not), so
each folder's listing is kept with its mtime and reused while the mtime holds. A
walk then costs one ``stat`` per folder. Inputs are the same as ``discover``'s:
files (recursively, hidden and store files left out) and ansible-runner folders.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ansiscope.ingest.ingester import SKIP_SUFFIXES
from ansiscope.ingest.signals import Signal, settled
from ansiscope.parser.runner import EVENT_FILE


@dataclass
class Listing:
    """One folder as last listed: a runner folder (an input), or its files and
    subfolders in name order (``True``: a folder)."""

    signal: Signal | None
    runner: bool
    children: list[tuple[Path, bool]] = field(default_factory=list)


class Catalog:
    """The inputs under ``roots``: ``walk()`` refreshes ``inputs`` (path -> whether it is
    a runner folder), listing only folders whose mtime moved."""

    def __init__(self, roots: list[Path]) -> None:
        self.roots = roots
        self.inputs: dict[str, bool] = {}
        self._listings: dict[str, Listing] = {}
        self.listed = 0  # folders actually listed (not reused): for tests

    def walk(self) -> dict[str, bool]:
        """Walk the roots (symlinked folders followed once each); returns ``inputs``."""
        found: dict[str, bool] = {}
        visited: set[tuple[int, int]] = set()
        kept: dict[str, Listing] = {}
        for root in self.roots:
            self._walk(root, found, visited, kept)
        self._listings = kept
        self.inputs = found
        return found

    def owner(self, path: str) -> str | None:
        """The input that ``path`` is or lies in (a job event file: its runner folder)."""
        probe = path
        for _ in range(3):  # the input itself, job_events/, the event file
            if probe in self.inputs:
                return probe
            probe = os.path.dirname(probe)
        return None

    def _walk(
        self,
        path: Path,
        found: dict[str, bool],
        visited: set[tuple[int, int]],
        kept: dict[str, Listing],
    ) -> None:
        try:
            st = os.stat(path)
        except OSError:
            return
        if not stat.S_ISDIR(st.st_mode):
            if stat.S_ISREG(st.st_mode):
                found[str(path)] = False
            return
        if (st.st_dev, st.st_ino) in visited:
            return
        visited.add((st.st_dev, st.st_ino))
        key = str(path)
        sig = Signal(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        listing = self._listings.get(key)
        if listing is None or listing.signal != sig:
            listing = self._list(path, sig)
        kept[key] = listing
        if listing.runner:
            found[key] = True
            return
        for child, is_folder in listing.children:
            if is_folder:
                self._walk(child, found, visited, kept)
            else:
                found[str(child)] = False

    def _list(self, path: Path, sig: Signal) -> Listing:
        self.listed += 1
        listing = Listing(settled(sig), runner=False)
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError:  # unreadable, or gone since it was seen
            listing.signal = None
            return listing
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir()
                is_file = not is_dir and entry.is_file()
            except OSError:
                continue
            if is_dir and entry.name == "job_events":
                return Listing(listing.signal, runner=True)
            if is_dir:
                listing.children.append((Path(entry.path), True))
            elif is_file and EVENT_FILE.match(entry.name):
                return Listing(listing.signal, runner=True)  # a job_events/ folder itself
            elif is_file and not entry.name.endswith(SKIP_SUFFIXES):
                listing.children.append((Path(entry.path), False))
        return listing
