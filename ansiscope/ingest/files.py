"""Backfilling the paths named on a command line (``ansiscope ingest``, ``ansiscope gate
--file``): which of them can be read, each file stored once, and what could not be read."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ansiscope.errors import ParseError
from ansiscope.ingest.ingester import Ingester, discover
from ansiscope.parser.events import LogFormat
from ansiscope.store.base import Store


@dataclass
class Backfill:
    """What a backfill of named paths did, beside the ingester's own totals."""

    inputs: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # named inputs that could not be read
    unchanged: int = 0  # files stored whole already
    finished: int = 0  # inputs read to their end now (a followed one may add no event)
    not_logs: int = 0  # files found in folders that are no Ansible log


def collect_inputs(paths: Iterable[str], backfill: Backfill) -> None:
    """The files and runner folders under ``paths``, into ``backfill.inputs``; a path that
    is missing, no file or folder, or an empty folder is a problem."""
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            backfill.problems.append(str(ParseError(raw, "no such file or folder")))
            continue
        if not (path.is_file() or path.is_dir()):
            reason = "not a file or folder (a pipe is read with -: ... | ansiscope ingest -)"
            backfill.problems.append(str(ParseError(raw, reason)))
            continue
        found = list(discover([path]))
        if not found:
            backfill.problems.append(str(ParseError(raw, "no files in this folder")))
        backfill.inputs.extend(found)


def input_size(path: Path) -> int:
    """Bytes of a log file for a progress bar (0: a runner folder, or unreadable)."""
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0


def backfill_inputs(
    ingester: Ingester,
    backfill: Backfill,
    named: Sequence[str],
    fmt: LogFormat | None = None,
    stop: threading.Event | None = None,
    done: Callable[[int, Path], None] | None = None,
) -> None:
    """Store each of ``backfill.inputs`` until ``stop`` is set; ``done(n, path)`` after the
    n-th. A file named in ``named`` that is no log is a problem; one found in a folder
    (a playbook, a README, ...) is only counted."""
    explicit = {Path(p) for p in named}
    for n, path in enumerate(backfill.inputs, 1):
        if stop is not None and stop.is_set():
            break
        try:
            if ingester.backfill(path, fmt, stop):
                backfill.finished += 1
            else:
                backfill.unchanged += 1
        except ParseError as exc:
            if path in explicit:
                backfill.problems.append(str(exc))
            else:
                backfill.not_logs += 1
        if done is not None:
            done(n, path)


def ingest_last_run(store: Store, log: str, labels: dict[str, str]) -> str:
    """Store the log file ``log`` (``ansiscope gate --file``) and return its last run's id."""
    path = Path(log)
    if not path.exists():
        raise ParseError(log, "no such file")
    Ingester(store, labels).backfill(path)
    run_id = store.last_run_from(str(path))
    if run_id is None:
        raise ParseError(log, "no Ansible run found in it")
    return run_id
