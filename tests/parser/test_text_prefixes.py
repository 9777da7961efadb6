"""Text with a time on every line: Ansible's own log file (``log_path``) and CI
runners' timestamps. The prefix is taken off and its time becomes the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ansiscope.parser.detect import sniff
from ansiscope.parser.events import Clock, HostResult, LogFormat, RunStatus, TaskStart
from tests.conftest import SAMPLES, runs_of
from tests.parser.test_samples import final_statuses

START = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
STYLES = {
    "github": lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%f0Z "),  # 7 digits, as Actions
    "gitlab": lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%fZ 00O "),
    "jenkins": lambda t: t.strftime("[%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z] ",
}


@pytest.mark.parametrize("version", ["2.16", "2.17", "2.18", "2.19"])
def test_ansible_log_file_gives_the_run_and_its_times(version: str) -> None:
    path = SAMPLES / f"text/site-logpath-{version}.txt"
    assert sniff(path.read_bytes()[:65536]) is LogFormat.TEXT
    assert final_statuses(path) == final_statuses(SAMPLES / f"text/site-{version}.txt")
    (run,) = runs_of(path)
    assert run.clock is Clock.SOURCE
    assert run.started_at is not None and run.duration_s is not None
    assert run.duration_s > 5  # site.yml sleeps and polls for longer than that
    timed = [r for r in run.results() if r.duration_s is not None]
    assert len(timed) == len(list(run.results()))
    assert all(r.ended_at and r.ended_at >= run.started_at for r in timed)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_ci_timestamps_give_the_run_and_its_times(style: str, tmp_path: Path) -> None:
    """The real text log with a CI runner's timestamp before every line, 0.1 s apart."""
    plain = SAMPLES / "text/site-2.19.txt"
    lines = plain.read_text().splitlines(keepends=True)
    stamp = STYLES[style]
    path = tmp_path / f"{style}.log"
    path.write_text(
        "".join(stamp(START + timedelta(seconds=n / 10)) + line for n, line in enumerate(lines))
    )
    assert final_statuses(path) == final_statuses(plain)
    (run,) = runs_of(path)
    assert run.clock is Clock.SOURCE
    first_play = next(n for n, line in enumerate(lines) if line.startswith("PLAY ["))
    assert run.started_at == START + timedelta(seconds=first_play / 10)
    last_recap_line = max(n for n, line in enumerate(lines) if " : ok=" in line)
    assert run.ended_at == START + timedelta(seconds=last_recap_line / 10)  # not a later line
    assert all(r.duration_s is not None for r in run.results())


def test_a_line_that_only_looks_like_a_prefix_stays_as_it_is() -> None:
    from ansiscope.parser.text import parse_string

    events = parse_string(
        "PLAY [p] ***\nTASK [t] ***\nok: [h1]\n2026-99-99T99:99:99Z hello\n"
        "2026-13-45 10:00:00,000 p=1 u=x n=ansible | TASK [not a time] ***\n"
        "[2026-11-29T12:00:00Z] TASK [u] ***\nok: [h1]\n"
    )
    names = [e.name for e in events if isinstance(e, TaskStart)]
    assert names == ["t", "u"]


def test_a_log_file_run_cut_off_ends_where_the_next_process_starts(tmp_path: Path) -> None:
    """A run killed mid-way has no recap; the next ansible-playbook process's first
    play (another pid) starts a run of its own instead of continuing it."""
    killed = (SAMPLES / "text/site-logpath-2.19.txt").read_text().splitlines(keepends=True)
    whole = SAMPLES / "text/site-logpath-2.18.txt"
    path = tmp_path / "ansible.log"
    path.write_text("".join(killed[:150]) + whole.read_text())
    cut, full = runs_of(path)
    assert cut.status is RunStatus.INTERRUPTED and cut.recap is None
    (alone,) = runs_of(whole)
    assert full.status is alone.status and full.stats == alone.stats
    assert [t.name for _, t in full.tasks()] == [t.name for _, t in alone.tasks()]


def test_a_result_dump_cut_off_does_not_swallow_the_banners_after_it() -> None:
    from ansiscope.parser.text import parse_string

    events = parse_string(
        'PLAY [p] ***\nTASK [t] ***\nok: [h1] => {\n    "changed": false,\n'
        "TASK [u] ***\nok: [h1]\n\nPLAY RECAP ***\nh1 : ok=2 changed=0 unreachable=0 "
        "failed=0 skipped=0 rescued=0 ignored=0\n"
    )
    assert [e.name for e in events if isinstance(e, TaskStart)] == ["t", "u"]
    assert [e.task_name for e in events if isinstance(e, HostResult)] == ["t", "u"]
