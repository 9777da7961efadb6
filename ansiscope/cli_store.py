"""CLI commands on the store: ``ingest``, ``watch``, ``runs``, ``prune``."""

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
import orjson
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ansiscope import client
from ansiscope.cli import cli, format_option
from ansiscope.errors import ParseError, UsageError
from ansiscope.exporters.summary import fmt_seconds
from ansiscope.ingest.ingester import Ingester, discover
from ansiscope.ingest.labels import run_labels
from ansiscope.ingest.stdin import ingest_stdin
from ansiscope.ingest.watch import Watcher
from ansiscope.parser.events import LogFormat, RunStatus
from ansiscope.store import MAX_RUNS, default_db, open_store, retention

db_option = click.option(
    "--db",
    default=default_db,
    show_default="$ANSISCOPE_DB or ./ansiscope.duckdb",
    help="The store: a DuckDB file (or duckdb:///PATH), clickhouse://USER@HOST:8123/DB, "
    "or chdb:///PATH.",
)
node_option = click.option(
    "--node",
    envvar="ANSISCOPE_NODE",
    default=None,
    metavar="NAME",
    help="This ingest node's stable name where many nodes write one ClickHouse store "
    "[default: $ANSISCOPE_NODE or the hostname].",
)
label_option = click.option(
    "--label", "labels", multiple=True, metavar="KEY=VALUE", help="Label the runs (repeatable)."
)


@cli.command()
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
        _ingest(paths, db, fmt, labels, quiet, stop, node)


def _ingest(
    paths: tuple[str, ...],
    db: str,
    fmt: str | None,
    labels: tuple[str, ...],
    quiet: bool,
    stop: threading.Event,
    node: str | None = None,
) -> None:
    err = Console(stderr=True, highlight=False)
    store = open_store(db, ingest=True, node=node)
    ingester = Ingester(store, run_labels(labels))
    forced = LogFormat(fmt) if fmt else None
    problems: list[str] = []
    unchanged = not_logs = 0
    started = time.perf_counter()
    if paths == ("-",):
        ingest_stdin(ingester, sys.stdin.buffer, forced, stop)
        inputs: list[Path] = []
    else:
        inputs = _inputs(paths, problems)
    named = {Path(p) for p in paths}
    sizes = [_size(path) for path in inputs]
    with Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        DownloadColumn(),
        TextColumn(
            "· {task.fields[files]} files · {task.fields[rate]} events/s"
            " · {task.fields[errors]} errors"
        ),
        TimeElapsedColumn(),
        console=err,
        disable=quiet or not inputs,
        transient=True,
    ) as progress:
        task = progress.add_task(
            "ingest", total=sum(sizes), files=f"0/{len(inputs)}", rate="0", errors=0
        )
        done = 0  # bytes of the inputs finished

        def show(position: int = 0) -> None:
            elapsed = max(time.perf_counter() - started, 1e-9)
            progress.update(
                task,
                completed=done + position,
                rate=f"{ingester.totals.events / elapsed:,.0f}",
                errors=len(problems) + ingester.totals.quarantined,
            )

        for n, (path, size) in enumerate(zip(inputs, sizes, strict=True), 1):
            # within a file as it is read (runner folders count no bytes)
            if stop.is_set():
                break
            ingester.on_progress = lambda record, size=size: show(min(record.offset, size))
            try:
                if not ingester.backfill(path, forced, stop):
                    unchanged += 1
            except ParseError as exc:
                if path in named:
                    problems.append(str(exc))
                else:
                    not_logs += 1  # found in a folder: a playbook, a README, ...
            done += size
            progress.update(task, files=f"{n}/{len(inputs)}")
            show()
    store.close()
    for problem in problems[:20]:
        click.echo(f"warning: {problem}", err=True)
    if len(problems) > 20:
        click.echo(f"warning: … and {len(problems) - 20} more", err=True)
    t = ingester.totals
    click.echo(
        f"{db}: {t.runs_started} runs, {t.results:,} host results stored"
        f"{f', {unchanged} files unchanged' if unchanged else ''}"
        f"{f', {t.skipped_duplicate} runs already stored from another file' if t.skipped_duplicate else ''}; "
        f"{t.quarantined} lines quarantined"
        f"{f'; {len(problems)} inputs unreadable' if problems else ''}"
        f"{f'; {not_logs} files in folders are not Ansible logs' if not_logs else ''}"
        f" ({time.perf_counter() - started:.1f}s)"
    )
    if stop.is_set():
        resume = "" if paths == ("-",) else "; the same command goes on from there"
        click.echo(f"interrupted: what was read is stored{resume}", err=True)
        sys.exit(130)
    if t.events == 0 and unchanged == 0 and t.skipped_duplicate == 0:
        sys.exit(2)


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


def _size(path: Path) -> int:
    """Bytes of a log file for the progress bar (0: a runner folder, or unreadable)."""
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0


def _inputs(paths: tuple[str, ...], problems: list[str]) -> list[Path]:
    inputs: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            problems.append(str(ParseError(raw, "no such file or folder")))
            continue
        if not (path.is_file() or path.is_dir()):
            reason = "not a file or folder (a pipe is read with -: ... | ansiscope ingest -)"
            problems.append(str(ParseError(raw, reason)))
            continue
        found = list(discover([path]))
        if not found:
            problems.append(str(ParseError(raw, "no files in this folder")))
        inputs.extend(found)
    return inputs


@cli.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(file_okay=False))
@db_option
@label_option
@node_option
@click.option(
    "--poll", is_flag=True, help="Poll instead of inotify (NFS and other network mounts)."
)
@click.option(
    "--idle",
    default=600.0,
    show_default=True,
    help="Seconds of silence after which a file's open runs are closed (interrupted).",
)
@click.option(
    "--rescan", default=2.0, show_default=True, help="Seconds between full folder rescans."
)
def watch(
    folders: tuple[str, ...],
    db: str,
    labels: tuple[str, ...],
    node: str | None,
    poll: bool,
    idle: float,
    rescan: float,
) -> None:
    """Follow FOLDERS and store new files, appended lines and runner events as they appear."""
    roots = [Path(f) for f in folders]
    missing = [str(r) for r in roots if not r.is_dir()]
    if missing:
        raise UsageError(f"not a folder: {', '.join(missing)}")
    store = open_store(db, ingest=True, node=node)
    ingester = Ingester(store, run_labels(labels))
    watcher = Watcher(
        ingester,
        roots,
        poll=poll,
        idle_s=idle,
        rescan_s=rescan,
        report=lambda msg: click.echo(msg, err=True),
    )

    def _stop(signum: int, _frame: Any) -> None:
        watcher.stop.set()
        watcher.wake.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"watching {', '.join(map(str, roots))} into {db} (Ctrl-C to stop)", err=True)
    watcher.run()
    store.close()
    t = ingester.totals
    click.echo(f"stopped: {t.runs_started} runs, {t.results:,} host results stored", err=True)


@cli.command()
@db_option
@click.option("--playbook", help="Only this playbook (path, file name or stem).")
@click.option("--status", type=click.Choice([s.value for s in RunStatus]))
@click.option("--since", metavar="WHEN", help="Only runs started since: 2026-11-01, 7d, 12h.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, MAX_RUNS))
@click.option("--format", "out_fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--server", metavar="URL", help="Ask a running 'ansiscope serve' instead.")
def runs(
    db: str,
    playbook: str | None,
    status: str | None,
    since: str | None,
    limit: int,
    out_fmt: str,
    server: str | None,
) -> None:
    """List stored runs, newest first."""
    if server:
        query = {"playbook": playbook, "status": status, "since": since, "limit": limit}
        rows = client.runs(server, query)
    else:
        store = open_store(db, read_only=True)
        try:
            rows = store.list_runs(
                playbook=playbook,
                status=status,
                since=retention.parse_since(since),
                limit=limit,
            )
        finally:
            store.close()
    if out_fmt == "json":
        sys.stdout.buffer.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2) + b"\n")
        return
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    if not rows:
        out.print("no runs stored yet — try: ansiscope ingest sample_logs/")
        return
    table = Table(box=None, pad_edge=False)
    for column in (
        "run id",
        "playbook",
        "status",
        "started (UTC)",
        "duration",
        "hosts",
        "tasks",
        "results",
        "format",
    ):
        table.add_column(
            column,
            justify="right" if column in ("hosts", "tasks", "results", "duration") else "left",
        )
    for r in rows:
        table.add_row(
            r["run_id"],
            Path(r["playbook"] or "?").name,
            r["status"],
            (r["started_at"] or "")[:19].replace("T", " "),
            fmt_seconds(r["duration_s"]),
            str(r["hosts_total"]),
            str(r["tasks_total"]),
            str(r["results_total"]),
            r["format"],
        )
    out.print(table)


@cli.command()
@db_option
@click.option(
    "--older-than",
    required=True,
    metavar="AGE",
    help="Delete runs started before now minus AGE: 90d, 12h.",
)
@click.option("--no-compact", is_flag=True, help="Do not rewrite the file to give the space back.")
def prune(db: str, older_than: str, no_compact: bool) -> None:
    """Delete old runs and reclaim their space."""
    cutoff = retention.parse_since(older_than)
    assert cutoff is not None
    store = open_store(db, create=False)
    try:
        result = store.prune(cutoff, compact=not no_compact)
    finally:
        store.close()
    click.echo(
        f"{db}: {result.runs} runs older than {cutoff:%Y-%m-%d %H:%M} UTC deleted; "
        f"{result.size_before / 1e6:.1f} MB → {result.size_after / 1e6:.1f} MB"
    )
