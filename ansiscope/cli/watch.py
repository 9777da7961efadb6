"""``ansiscope watch``: follow folders and store new runs as they are written."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import click

from ansiscope.cli.options import db_option, label_option, node_option
from ansiscope.errors import UsageError
from ansiscope.ingest.ingester import Ingester
from ansiscope.ingest.labels import run_labels
from ansiscope.ingest.watch import Watcher
from ansiscope.store import open_store


@click.command()
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
