"""``ansiscope summary``: a run's tree, counts, slowest tasks and failed hosts, from a log
(read live from ``-``) or from the store; optionally as JSON, Markdown, HTML or JUnit."""

from __future__ import annotations

import sys

import click
import orjson
from rich.console import Console

from ansiscope.analytics.runtree import RunAssembler, RunTree
from ansiscope.cli.inputs import RejectReporter, open_log, write_output
from ansiscope.cli.options import NotifyOptions, format_option, notify_options
from ansiscope.errors import ParseError
from ansiscope.exporters import console as term
from ansiscope.exporters.summary import markdown, summary_document


@click.command()
@click.argument("path")
@format_option
@click.option("--json", "json_out", metavar="FILE", help="Write the JSON summary (- for stdout).")
@click.option(
    "--markdown", "md_out", metavar="FILE", help="Write a Markdown report (- for stdout)."
)
@click.option("--html", "html_out", metavar="FILE", help="Write an HTML report of the last run.")
@click.option("--junit", "junit_out", metavar="FILE", help="Write JUnit XML of the last run.")
@click.option("--performance", is_flag=True, help="Add per-host time and the 25 slowest tasks.")
@click.option("--no-tree", is_flag=True, help="Leave out the execution tree.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the one-line verdict per run.")
@click.option(
    "--db", metavar="FILE", help="Read PATH as a stored run id (or 'latest') from this store."
)
@notify_options(envvars=False)
def summary(
    path: str,
    fmt: str | None,
    db: str | None,
    json_out: str | None,
    md_out: str | None,
    html_out: str | None,
    junit_out: str | None,
    performance: bool,
    no_tree: bool,
    quiet: bool,
    notify: NotifyOptions,
) -> None:
    """Summarise the run(s) in PATH: tree, counts, slowest tasks, failed hosts.

    PATH may be - to read a playbook's output live (ansible-playbook … | ansiscope summary -).
    With --db, PATH is a stored run's id (a unique prefix, or 'latest').
    Exit status: 0 no host failed, 1 a task failed or a host was unreachable, 2 bad input.
    """
    to_stdout = json_out == "-" or md_out == "-"
    out = Console(stderr=to_stdout, highlight=False)
    runs = [stored_run(db, path)] if db is not None else _read_runs(path, fmt, out, quiet)
    for run in runs:
        if quiet:
            click.echo(verdict_line(run), err=to_stdout)
            continue
        if not no_tree:
            term.render_tree(out, run)
        term.render_summary(out, run)
        if performance:
            term.render_performance(out, run)
    _write_documents(runs, json_out, md_out, html_out, junit_out)
    target = notify.notifier()
    if target:
        for line in target.notify(runs[-1], None):
            click.echo(line, err=True)
    sys.exit(1 if any(r.has_failures for r in runs) else 0)


def _read_runs(path: str, fmt: str | None, out: Console, quiet: bool) -> list[RunTree]:
    """The runs in the log at PATH; a live read (``-``) prints events to ``out`` as they come."""
    live = path == "-"
    report = RejectReporter()
    assembler = RunAssembler()
    runs: list[RunTree] = []
    with open_log(path, fmt, live=live, quiet=quiet) as source:
        for event in report.watch(source.events):
            if live and not quiet:
                term.render_event(out, event)
            run = assembler.add(event)
            if run is not None:
                runs.append(run)
    report.close()
    if not runs:
        rejected = f" ({report.count} lines rejected)" if report.count else ""
        raise ParseError(path, "no Ansible run found" + rejected)
    return runs


def _write_documents(
    runs: list[RunTree],
    json_out: str | None,
    md_out: str | None,
    html_out: str | None,
    junit_out: str | None,
) -> None:
    if json_out:
        document = orjson.dumps(summary_document(runs), option=orjson.OPT_INDENT_2) + b"\n"
        write_output(json_out, document)
    if md_out:
        write_output(md_out, markdown(runs).encode())
    if html_out or junit_out:
        from ansiscope.exporters.report import report_html, report_junit

        if html_out:
            write_output(html_out, report_html(runs[-1]).encode())
        if junit_out:
            write_output(junit_out, report_junit(runs[-1]))


def stored_run(db: str, ref: str) -> RunTree:
    """A stored run (an id, a unique prefix or ``latest``) as a run tree."""
    from ansiscope.analytics.views import run_tree
    from ansiscope.store import open_store

    store = open_store(db, read_only=True)
    try:
        return run_tree(store, store.resolve_run(ref))
    finally:
        store.close()


def verdict_line(run: RunTree) -> str:
    """The one-line verdict ``--quiet`` prints."""
    failed = ",".join(run.failed_hosts) or "-"
    unreachable = ",".join(run.unreachable_hosts) or "-"
    return f"{run.name}: {run.status.value}; failed hosts: {failed}; unreachable: {unreachable}"
