"""Property tests: any bytes into any parser give events or a ParseError, nothing else."""

from __future__ import annotations

import contextlib

import orjson
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


# Every field the jsonl parser reads, with values of any JSON type (the compiled
# parser checks types at run time: an odd value must be tolerated, never crash).
ODD = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**63), 2**63),
        st.floats(allow_nan=False),
        st.text(max_size=8),
        st.sampled_from(["2026-01-01T00:00:01.5Z", "2026-01-01 00:00:02", "0:00:01.5", "x:y:z"]),
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
EVENTS = st.sampled_from(
    [
        "v2_playbook_on_play_start",
        "v2_playbook_on_task_start",
        "v2_playbook_on_handler_task_start",
        "v2_runner_on_start",
        "v2_runner_on_ok",
        "v2_runner_on_failed",
        "v2_runner_on_skipped",
        "v2_runner_on_unreachable",
        "v2_playbook_on_stats",
    ]
)
RESULT = st.fixed_dictionaries(
    {},
    optional={
        k: ODD | st.lists(st.fixed_dictionaries({}, optional={"failed": ODD, "changed": ODD}))
        for k in [
            "changed",
            "action",
            "rc",
            "attempts",
            "delta",
            "msg",
            "stderr",
            "reason",
            "skip_reason",
            "results",
            "censored",
            "_ansible_no_log",
            "_ansible_delegated_vars",
        ]
    },
)
TASK = st.fixed_dictionaries(
    {},
    optional={
        "id": ODD | st.sampled_from(["0242ac11-0002-aaaa-bbbb-000000000008"]),
        "name": ODD,
        "path": ODD,
        "duration": ODD | st.fixed_dictionaries({}, optional={"start": ODD, "end": ODD}),
    },
)
LINE = st.fixed_dictionaries(
    {"_event": EVENTS},
    optional={
        "_timestamp": ODD,
        "hosts": ODD | st.dictionaries(st.text(max_size=4), RESULT | ODD, max_size=3),
        "task": TASK | ODD,
        "play": ODD | TASK,
        "stats": ODD | st.dictionaries(st.text(max_size=4), ODD, max_size=2),
    },
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, min_size=1, max_size=12))
def test_jsonl_lines_with_fields_of_any_type(lines: list[dict]) -> None:
    data = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    events = jsonl.parse_string(data)
    assert all(isinstance(e, Event) for e in events)
    durations = [getattr(e, "duration_s", None) for e in events]
    assert all(d is None or d >= 0 for d in durations)


RUNNER_EVENT = st.fixed_dictionaries(
    {
        "event": st.sampled_from(
            [
                "playbook_on_start",
                "playbook_on_play_start",
                "playbook_on_task_start",
                "playbook_on_handler_task_start",
                "playbook_on_include",
                "runner_on_ok",
                "runner_on_failed",
                "runner_on_skipped",
                "runner_on_unreachable",
                "playbook_on_stats",
            ]
        ),
        "counter": st.integers(1, 50),
    },
    optional={
        "uuid": ODD,
        "created": ODD,
        "stdout": ODD,
        "event_data": ODD
        | st.fixed_dictionaries(
            {},
            optional={
                k: ODD
                for k in [
                    "playbook",
                    "playbook_uuid",
                    "play",
                    "play_uuid",
                    "task",
                    "task_uuid",
                    "task_path",
                    "task_action",
                    "role",
                    "host",
                    "res",
                    "start",
                    "end",
                    "duration",
                    "ignore_errors",
                    "included_file",
                    "hosts",
                    "processed",
                    "failures",
                    "ok",
                    "changed",
                    "skipped",
                ]
            }
            | {"res": RESULT | ODD},
        ),
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(RUNNER_EVENT, min_size=1, max_size=10))
def test_runner_events_with_fields_of_any_type(events: list[dict]) -> None:
    data = b"".join(orjson.dumps(e) + b"\n" for e in events)
    for parse in (runner.parse_string, jsonl.parse_string, text.parse_string):
        try:
            out = parse(data)
        except ParseError:
            continue
        assert all(isinstance(e, Event) for e in out)


JSON_DOC = st.fixed_dictionaries(
    {},
    optional={
        "plays": ODD
        | st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "play": TASK | ODD,
                    "tasks": ODD
                    | st.lists(
                        st.fixed_dictionaries(
                            {},
                            optional={
                                "task": TASK | ODD,
                                "hosts": ODD
                                | st.dictionaries(st.text(max_size=4), RESULT | ODD, max_size=3),
                            },
                        ),
                        max_size=3,
                    ),
                },
            ),
            max_size=3,
        ),
        "stats": ODD | st.dictionaries(st.text(max_size=4), ODD, max_size=2),
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON_DOC)
def test_json_documents_with_fields_of_any_type(doc: dict) -> None:
    try:
        out = jsondoc.parse_string(orjson.dumps(doc))
    except ParseError:
        return
    assert all(isinstance(e, Event) for e in out)
