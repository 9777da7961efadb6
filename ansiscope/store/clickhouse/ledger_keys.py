"""The keys of a ledger row's ``counts`` map: a ``CounterKey`` as one string.

ClickHouse map keys cannot be tuples, so an input's own counters (events stored, lines
rejected) are keyed by their ``CounterKey``'s fields joined with ``SEP``. This module is
the one place that encodes and decodes them (schema version 3 rewrote the keys of
older stores, which held three fields, the format packed into the metric's name).
"""

from __future__ import annotations

from collections.abc import Mapping

from ansiscope.store.counters import CounterKey

SEP = "\x1f"  # joins the fields of a key (no name, format or label holds it)


def encode(counts: Mapping[CounterKey, float]) -> list[tuple[str, float]]:
    """A counts map as the ledger stores it, in a stable order."""
    return sorted((SEP.join(key), value) for key, value in counts.items())


def decode(counts: Mapping[str, float]) -> dict[CounterKey, float]:
    """A ledger row's counts map, keyed by counter."""
    return {decode_key(key): float(value) for key, value in counts.items()}


def decode_key(text: str) -> CounterKey:
    """One key of a ledger row's counts map."""
    return CounterKey(*text.split(SEP))
