"""``ansiscope runs``: the stored runs, newest first, as a table or JSON."""

from __future__ import annotations

import sys
from typing import Any

import click
import orjson
from rich.console import Console
from rich.table import Table

from ansiscope import client
from ansiscope.cli.options import db_option
from ansiscope.exporters.summary import fmt_seconds
from ansiscope.parser.events import RunStatus
from ansiscope.store import MAX_RUNS, open_store, retention

COLUMNS = (
    "run id",
    "playbook",
    "status",
    "started (UTC)",
    "duration",
    "hosts",
    "tasks",
    "results",
    "format",
)
RIGHT = ("hosts", "tasks", "results", "duration")


@click.command()
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
    out.print(runs_table(rows))


def runs_table(rows: list[dict[str, Any]]) -> Table:
    """The rows of ``Reader.list_runs`` as the table ``ansiscope runs`` prints."""
    table = Table(box=None, pad_edge=False)
    for column in COLUMNS:
        table.add_column(column, justify="right" if column in RIGHT else "left")
    for r in rows:
        table.add_row(
            r["run_id"],
            r["playbook"] or "?",  # the stored name: relative to its project where known
            r["status"],
            (r["started_at"] or "")[:19].replace("T", " "),
            fmt_seconds(r["duration_s"]),
            str(r["hosts_total"]),
            str(r["tasks_total"]),
            str(r["results_total"]),
            r["format"],
        )
    return table
