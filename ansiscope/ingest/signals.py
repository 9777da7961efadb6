"""Cheap signals that an input may have changed: one ``stat`` instead of a read.

A file's signal is (device, inode, size, mtime); an ansible-runner folder's is that of
its ``job_events/`` folder, whose mtime moves whenever an event file is created,
renamed or removed. An input whose signal has not moved since it was last read to
its end has nothing new, so a follower at rest costs a ``stat`` per input, not a
listing and a 64 KiB read.

Timestamps are coarse (a jiffy on ext4, seconds elsewhere): a change in the same
tick as the last look leaves mtime as it was. A signal is therefore trusted as
"unchanged" only once its mtime is ``SETTLE_NS`` old; until then the input is read
again, which is cheap and brief.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import NamedTuple

SETTLE_NS = 2_000_000_000


class Signal(NamedTuple):
    """What a ``stat`` says of an input."""

    device: int
    inode: int
    size: int
    mtime_ns: int


def signal(path: str | Path, folder: bool = False) -> Signal | None:
    """The signal of the file at ``path``, or of runner folder ``path`` (``folder``);
    ``None`` when it is gone or unreadable."""
    try:
        if folder:
            try:
                st = os.stat(os.path.join(path, "job_events"))
            except (FileNotFoundError, NotADirectoryError):
                st = os.stat(path)  # a job_events/ folder followed as such
        else:
            st = os.stat(path)
    except OSError:
        return None
    return Signal(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def settled(sig: Signal | None, now_ns: int | None = None) -> Signal | None:
    """``sig`` if its mtime is old enough to be trusted as "unchanged" later, else
    ``None`` (which matches no signal: the input is looked at again)."""
    if sig is None:
        return None
    now = time.time_ns() if now_ns is None else now_ns
    return sig if now - sig.mtime_ns >= SETTLE_NS else None
