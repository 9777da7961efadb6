"""``ansiscope report``: a run as HTML, Markdown, JSON or JUnit XML. A run is a stored
run (RUN_ID or ``latest``, with the gate's verdict and history) or a log FILE (its last
run)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ansiscope import client
from ansiscope.cli.options import db_option
from ansiscope.errors import UsageError
from ansiscope.exporters.formats import REPORT_FORMATS, render_run
from ansiscope.exporters.report import load_run
from ansiscope.redact import HostPseudonyms


@click.command()
@click.argument("source", metavar="RUN_ID|latest|FILE")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([str(f) for f in REPORT_FORMATS]),
    default="html",
    show_default=True,
)
@click.option("--output", "-o", metavar="FILE", help="Write here instead of stdout.")
@db_option
@click.option(
    "--redact-hosts",
    is_flag=True,
    help="Replace hostnames and IP addresses with pseudonyms (for publishing).",
)
@click.option("--server", metavar="URL", help="Ask a running 'ansiscope serve' for a stored run.")
def report(
    source: str, fmt: str, output: str | None, db: str, redact_hosts: bool, server: str | None
) -> None:
    """A report of one run: a self-contained HTML page, Markdown, JSON or JUnit XML."""
    if server and not Path(source).exists():
        if redact_hosts:
            raise UsageError("--redact-hosts needs the run itself: report where the store is")
        _emit(client.report(server, source, fmt), output, f"{fmt} report of run {source}")
        return
    run, result, history = load_run(source, db)
    data = render_run(fmt, run, result, history)
    if redact_hosts:
        hosts = list(run.hosts) + [r.delegated_to for r in run.results() if r.delegated_to]
        data = HostPseudonyms(hosts).apply(data.decode()).encode()
    _emit(data, output, f"{fmt} report of run {run.run_id}")


def _emit(data: bytes, output: str | None, what: str) -> None:
    if output:
        Path(output).write_bytes(data)
        click.echo(f"{output}: {what}", err=True)
    else:
        sys.stdout.buffer.write(data)
