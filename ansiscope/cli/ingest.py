"""``ansiscope ingest``: store logs (files, folders, runner artifacts, stdin) with a
progress bar; Ctrl-C stores what was read."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from ansiscope.cli.options import db_option, format_option, label_option, node_option
from ansiscope.ingest.files import Backfill, backfill_inputs, collect_inputs, input_size
from ansiscope.ingest.ingester import Ingester
from ansiscope.ingest.labels import run_labels
from ansiscope.ingest.stdin import ingest_stdin
from ansiscope.parser.events import LogFormat
from ansiscope.store import open_store

MAX_PROBLEMS = 20


@click.command()
@click.argument("paths", nargs=-1, required=True)
@db_option
@format_option
@label_option
@node_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def ingest(
    paths: tuple[str, ...],
    db: str,
    fmt: str | None,
    labels: tuple[str, ...],
    node: str | None,
    quiet: bool,
) -> None:
    """Store Ansible logs: files, folders (recursively), runner artifacts, - for stdin.

    Re-ingesting changes nothing; a file that grew is continued where it stopped.
    Ctrl-C stores what was read; the same command then goes on from there (files).
    Exit status: 0 stored (or already stored), 2 nothing could be read, 130 interrupted.
    """
    with _stop_on_signals() as stop:
        store = open_store(db, ingest=True, node=node)
        ingester = Ingester(store, run_labels(labels))
        started = time.perf_counter()
        forced = LogFormat(fmt) if fmt else None
        backfill = Backfill()
        if paths == ("-",):
            ingest_stdin(ingester, sys.stdin.buffer, forced, stop)
        else:
            collect_inputs(paths, backfill)
        with _progress_bar(ingester, backfill, started, quiet) as done:
            backfill_inputs(ingester, backfill, paths, forced, stop, done)
        store.close()
        _report(db, ingester, backfill, started)
        if stop.is_set():
            resume = "" if paths == ("-",) else "; the same command goes on from there"
            click.echo(f"interrupted: what was read is stored{resume}", err=True)
            sys.exit(130)
        t = ingester.totals
        if not (t.events or backfill.unchanged or backfill.finished or t.skipped_duplicate):
            sys.exit(2)  # nothing could be read


@contextmanager
def _progress_bar(
    ingester: Ingester, backfill: Backfill, started: float, quiet: bool
) -> Iterator[Any]:
    """A rich progress bar over the inputs' bytes; yields the ``done(n, path)`` callback."""
    inputs = backfill.inputs
    sizes = {path: input_size(path) for path in inputs}
    with Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        DownloadColumn(),
        TextColumn(
            "· {task.fields[files]} files · {task.fields[rate]} events/s"
            " · {task.fields[errors]} errors"
        ),
        TimeElapsedColumn(),
        console=Console(stderr=True, highlight=False),
        disable=quiet or not inputs,
        transient=True,
    ) as progress:
        task = progress.add_task(
            "ingest", total=sum(sizes.values()), files=f"0/{len(inputs)}", rate="0", errors=0
        )
        finished = 0  # bytes of the inputs finished

        def show(position: int = 0) -> None:
            elapsed = max(time.perf_counter() - started, 1e-9)
            progress.update(
                task,
                completed=finished + position,
                rate=f"{ingester.totals.events / elapsed:,.0f}",
                errors=len(backfill.problems) + ingester.totals.quarantined,
            )

        def done(n: int, path: Path) -> None:
            nonlocal finished
            finished += sizes[path]
            progress.update(task, files=f"{n}/{len(inputs)}")
            show()
            if n < len(inputs):  # within the next file as it is read (runner folders: 0)
                size = sizes[inputs[n]]
                ingester.on_progress = lambda record: show(min(record.offset, size))

        if inputs:
            first = sizes[inputs[0]]
            ingester.on_progress = lambda record: show(min(record.offset, first))
        yield done


def _report(db: str, ingester: Ingester, backfill: Backfill, started: float) -> None:
    """The problems (the first few) and the one-line account of what was stored."""
    problems = backfill.problems
    for problem in problems[:MAX_PROBLEMS]:
        click.echo(f"warning: {problem}", err=True)
    if len(problems) > MAX_PROBLEMS:
        click.echo(f"warning: … and {len(problems) - MAX_PROBLEMS} more", err=True)
    t = ingester.totals
    unchanged, not_logs = backfill.unchanged, backfill.not_logs
    click.echo(
        f"{db}: {t.runs_started} runs, {t.results:,} host results stored"
        f"{f', {unchanged} files unchanged' if unchanged else ''}"
        f"{f', {t.skipped_duplicate} runs already stored from another file' if t.skipped_duplicate else ''}; "
        f"{t.quarantined} lines quarantined"
        f"{f'; {len(problems)} inputs unreadable' if problems else ''}"
        f"{f'; {not_logs} files in folders are not Ansible logs' if not_logs else ''}"
        f" ({time.perf_counter() - started:.1f}s)"
    )


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """Ctrl-C or SIGTERM while inside: the event is set (finish the chunk being read,
    store it, stop); a second Ctrl-C interrupts at once. The old handlers come back."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signals reach the main thread only
        return

    def _stop(signum: int, _frame: Any) -> None:
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    old = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
