"""Rejected input through ingest: ``ansiscope_ingest_errors_total{source,reason}``
counts each format's rejections by their ``RejectReason``, whatever the message says."""

from __future__ import annotations

import shutil
from pathlib import Path

from prometheus_client import CollectorRegistry

from ansiscope.exporters.metrics import StoreCollector
from ansiscope.parser.events import Rejected, RejectReason
from ansiscope.store.base import Store
from ansiscope.store.records import FileRecord
from tests.conftest import SAMPLES
from tests.ingest.helpers import ingest

ASSETS = Path(__file__).resolve().parent.parent / "parser" / "assets"


def _errors(store: Store) -> dict[tuple[str, str], float]:
    registry = CollectorRegistry()
    registry.register(StoreCollector(store.reader))
    return {
        (s.labels["source"], s.labels["reason"]): s.value
        for family in registry.collect()
        if family.name == "ansiscope_ingest_errors"
        for s in family.samples
        if s.name == "ansiscope_ingest_errors_total"
    }


def test_ingest_errors_metric_by_source_and_reason(store: Store, tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    shutil.copy(SAMPLES / "text/site-2.19.txt", junk)
    with junk.open("ab") as f:
        f.write(b"\x00\x01\x02 not text\n")
    ingest(store, ASSETS / "malformed-line.jsonl", ASSETS / "truncated.json", junk)
    assert _errors(store) == {
        ("jsonl", "malformed_json"): 1.0,
        ("json", "truncated"): 1.0,
        ("text", "binary"): 1.0,
    }


def test_the_reason_label_is_the_code_never_the_message(store: Store) -> None:
    """A message that reads like other causes changes nothing: the label is the code."""
    record = FileRecord("f", "/x.txt", "/x.txt", "fp", 0, "text")
    writer = store.writer()
    writer.save_file(record)
    misleading = "truncated, malformed JSON, longer than the limit, not an ansible-runner event"
    event = Rejected(
        run_id="", seq=-1, offset=0, source="/x.txt", line=1,
        code=RejectReason.BINARY, reason=misleading, snippet="",
    )  # fmt: skip
    writer.commit(record, [event])
    assert _errors(store) == {("text", "binary"): 1.0}
    assert {str(code) for code in RejectReason} >= {r for _, r in _errors(store)}
