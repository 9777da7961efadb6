"""``ansiscope ingest -``: store a log piped in (no offsets to resume from)."""

from __future__ import annotations

import threading
import time
from typing import BinaryIO

from ansiscope.ingest.ingester import Ingester
from ansiscope.parser import open_input
from ansiscope.parser.base import stable_id
from ansiscope.parser.events import Event, LogFormat
from ansiscope.store.records import FileRecord

FLUSH_EVENTS = 50_000
FLUSH_SECONDS = 0.5  # a live pipe's events become visible this quickly


def ingest_stdin(
    ingester: Ingester,
    stream: BinaryIO,
    fmt: LogFormat | None,
    stop: threading.Event | None = None,
) -> None:
    """Parse standard input and store its runs as they arrive (until its end, or
    ``stop``: then what was read is stored)."""
    del stream  # open_input reads sys.stdin itself (it sniffs line by line)
    source = open_input("-", fmt)
    record = FileRecord(
        file_id=stable_id("stdin", time.time_ns()),
        path="<stdin>",
        source_name="<stdin>",
        fingerprint="",
        generation=0,
        format=str(source.format),
    )
    batch: list[Event] = []
    last = time.monotonic()
    for event in source.events:
        batch.append(event)
        record.offset = max(record.offset, event.offset)
        if len(batch) >= FLUSH_EVENTS or time.monotonic() - last >= FLUSH_SECONDS:
            ingester.commit(record, batch)
            batch, last = [], time.monotonic()
        if stop is not None and stop.is_set():
            break
    record.state = "done"
    ingester.commit(record, batch)
