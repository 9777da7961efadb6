"""A feed's batches are bounded by events and by message text, and lose nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansiscope.ingest import feeds
from ansiscope.ingest.records import FileRecord
from ansiscope.parser import open_input
from ansiscope.parser.events import HostResult
from tests.conftest import SAMPLES

SAMPLE = SAMPLES / "jsonl" / "site-2.19.jsonl"  # failures and skips: results with messages


def _polls(path: Path) -> list[list[str]]:
    feed = feeds.LineFeed(FileRecord("f", str(path), path.name, "x", 0, "jsonl"))
    batches = []
    while True:
        events, more = feed.poll(final=True)
        batches.append([e.kind + str(e.seq) + e.run_id for e in events])
        if not more:
            batches.append([e.kind + str(e.seq) + e.run_id for e in feed.finish()])
            return batches


def _whole(path: Path) -> list[str]:
    with open_input(str(path)) as source:
        return [e.kind + str(e.seq) + e.run_id for e in source.events]


@pytest.mark.parametrize("limit", ["BATCH_TEXT", "BATCH_EVENTS"])
def test_small_budgets_split_the_input_and_lose_nothing(
    monkeypatch: pytest.MonkeyPatch, limit: str
) -> None:
    with open_input(str(SAMPLE)) as source:
        assert any(isinstance(e, HostResult) and e.msg for e in source.events)
    whole = _whole(SAMPLE)
    assert len(_polls(SAMPLE)) == 2  # one batch (and the end) by default
    monkeypatch.setattr(feeds, limit, 1)
    polls = _polls(SAMPLE)
    assert len(polls) > 3
    assert [e for batch in polls for e in batch] == whole
