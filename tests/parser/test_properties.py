"""Property tests: any bytes into any parser give events or a ParseError, nothing else."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansiscope.errors import ParseError
from ansiscope.parser import jsondoc, jsonl, runner, text
from ansiscope.parser.detect import Unknown, sniff
from ansiscope.parser.events import Event
from tests.conftest import SAMPLES

PARSERS = [jsonl.parse_string, jsondoc.parse_string, runner.parse_string, text.parse_string]
SAMPLE_LINES = (SAMPLES / "jsonl/two-runs-2.19.jsonl").read_bytes().splitlines(keepends=True)[:12]
TEXT_LINES = (SAMPLES / "text/site-2.19.txt").read_bytes().splitlines(keepends=True)[:80]


def _check(data: bytes) -> None:
    for parse in PARSERS:
        try:
            events = parse(data)
        except ParseError:
            continue
        assert all(isinstance(e, Event) for e in events)
        for e in events:
            duration = getattr(e, "duration_s", None)
            assert duration is None or duration >= 0
    with contextlib.suppress(Unknown):
        sniff(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    _check(data)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(SAMPLE_LINES + TEXT_LINES), max_size=40),
    st.integers(min_value=0, max_value=5000),
    st.binary(max_size=30),
)
def test_real_lines_shuffled_cut_and_spliced(lines: list[bytes], cut: int, junk: bytes) -> None:
    data = b"".join(lines)
    _check(data[:cut] + junk + data[cut:])
