"""Answers computed once per change to the store, not once per request.

Thirty-two clients polling ``/api/runs?limit=20`` ask the same question many times a
second; the answer moves only when something is stored. An ``Answers`` cache keeps
each answer with the store version it was computed at: while that version holds (the
service is the store's only writer, as with a DuckDB file it holds the lock on) it is
served again, for at most ``stale_s``; on a store others write to (ClickHouse), the
version says nothing about their writes, so an answer lives ``fresh_s`` only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Answers(Generic[T]):
    """A bounded cache of answers by question, each valid for one store version."""

    def __init__(
        self,
        version: Callable[[], Hashable],
        *,
        sole_writer: bool,
        fresh_s: float = 1.0,
        stale_s: float = 60.0,
        size: int = 256,
    ) -> None:
        self.version = version
        self.sole_writer = sole_writer
        self.fresh_s, self.stale_s, self.size = fresh_s, stale_s, size
        self._kept: dict[Hashable, tuple[float, Hashable, T]] = {}
        self._lock = threading.Lock()

    def get(self, question: Hashable, compute: Callable[[], T]) -> T:
        """The answer to ``question``: kept, or ``compute()``d now and kept."""
        now = time.monotonic()
        version = self.version()  # before computing: a write meanwhile makes it stale
        kept = self._kept.get(question)
        if kept is not None and self._valid(kept, now, version):
            return kept[2]
        answer = compute()
        with self._lock:
            if len(self._kept) >= self.size:
                self._kept.clear()
            self._kept[question] = (now, version, answer)
        return answer

    def _valid(self, kept: tuple[float, Hashable, T], now: float, version: Hashable) -> bool:
        age = now - kept[0]
        if self.sole_writer:  # the version says exactly whether it still holds
            return age <= self.stale_s and kept[1] == version
        return age <= self.fresh_s
