"""The ``ansiscope`` command line: a thin layer over the library.

Exit codes: 0 success (no host failed), 1 a task failed or a host was unreachable
(ignored and rescued failures do not count), 2 usage error or unreadable input.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click
import orjson
from rich.console import Console

from ansiscope import __version__
from ansiscope.analytics.runtree import RunAssembler, RunTree
from ansiscope.cli_notify import notifier_from, notify_options
from ansiscope.errors import AnsiscopeError, ParseError
from ansiscope.exporters import console as term
from ansiscope.exporters.summary import markdown, summary_document
from ansiscope.parser import Input, open_input
from ansiscope.parser.events import Event, HostResult, LogFormat, Rejected, Warning
from ansiscope.redact import redact

FORMAT_NAMES = {
    LogFormat.JSONL: "ansible.posix.jsonl",
    LogFormat.JSON: "ansible.posix.json",
    LogFormat.RUNNER: "ansible-runner job events",
    LogFormat.TEXT: "ansible-playbook text",
}
MAX_WARNINGS = 10
F = TypeVar("F", bound=Callable[..., Any])

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in LogFormat]),
    default=None,
    help="Input format; detected from the first bytes when omitted.",
)


class RejectReporter:
    """Prints rejected input as one-line warnings on stderr (the first few, then a count)."""

    def __init__(self, err: Console) -> None:
        self.err = err
        self.count = 0

    def __call__(self, event: Rejected) -> None:
        self.count += 1
        if self.count <= MAX_WARNINGS:
            click.echo(f"warning: {event.message()}", err=True)

    def close(self) -> None:
        """Say how many more were not printed."""
        if self.count > MAX_WARNINGS:
            click.echo(f"warning: … and {self.count - MAX_WARNINGS} more rejected lines", err=True)


# Commands defined in other modules, imported when first needed: `ansiscope ingest`
# does not load pandas, plotly and the service to start (and starts ~2× sooner).
LAZY_COMMANDS = {
    "gate": "ansiscope.cli_gate",
    "ingest": "ansiscope.cli_store",
    "notify": "ansiscope.cli_report",
    "prune": "ansiscope.cli_store",
    "report": "ansiscope.cli_report",
    "runs": "ansiscope.cli_store",
    "serve": "ansiscope.cli_serve",
    "watch": "ansiscope.cli_store",
}


class LazyGroup(click.Group):
    """A group whose commands in ``LAZY_COMMANDS`` register themselves on import."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            importlib.import_module(LAZY_COMMANDS[cmd_name])
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ansiscope")
def cli() -> None:
    """ansiscope: what ran, what failed, what got slower in your Ansible runs."""


@cli.command("callback-path")
def callback_path() -> None:
    """Print the folder holding ansiscope's Ansible callback plugin.

    export ANSIBLE_CALLBACK_PLUGINS=$(ansiscope callback-path)
    ANSIBLE_CALLBACKS_ENABLED=ansiscope ANSISCOPE_LOG_DIR=DIR ansible-playbook ...
    """
    click.echo(Path(__file__).resolve().parent / "ansible_plugins" / "callback")


def _open(path: str, fmt: str | None, err: Console, *, live: bool, quiet: bool) -> Input:
    source = open_input(path, LogFormat(fmt) if fmt else None, live=live)
    if not quiet:
        how = "detected" if source.detected else "reading as"
        click.echo(f"{source.name}: {how} {FORMAT_NAMES[source.format]}", err=True)
    return source


def _watch_rejects(events: Iterator[Event], report: RejectReporter) -> Iterator[Event]:
    for event in events:
        if isinstance(event, Rejected):
            report(event)
        yield event


@cli.command()
@click.argument("path")
@format_option
def parse(path: str, fmt: str | None) -> None:
    """Print the canonical events of PATH (a file, a runner folder or -) as JSON lines."""
    err = Console(stderr=True)
    report = RejectReporter(err)
    out = sys.stdout.buffer
    useful = 0
    with _open(path, fmt, err, live=False, quiet=False) as source:
        for event in _watch_rejects(source.events, report):
            useful += not isinstance(event, Rejected)
            out.write(orjson.dumps(_public(event).to_dict()) + b"\n")
    out.flush()
    report.close()
    if useful == 0:
        raise ParseError(path, "no Ansible events found")


def _public(event: Event) -> Event:
    """The event as it may leave the process: messages redacted, no_log kept censored."""
    if isinstance(event, HostResult) and (event.msg or event.no_log):
        return dataclasses.replace(event, msg=None if event.no_log else redact(event.msg))
    if isinstance(event, Warning):
        return dataclasses.replace(event, message=redact(event.message) or "")
    return event


@cli.command()
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
    slack_webhook: str | None,
    teams_webhook: str | None,
    channel: str | None,
    only_on: str,
    dashboard_url: str | None,
) -> None:
    """Summarise the run(s) in PATH: tree, counts, slowest tasks, failed hosts.

    PATH may be - to read a playbook's output live (ansible-playbook … | ansiscope summary -).
    With --db, PATH is a stored run's id (a unique prefix, or 'latest').
    Exit status: 0 no host failed, 1 a task failed or a host was unreachable, 2 bad input.
    """
    to_stdout = json_out == "-" or md_out == "-"
    out = Console(stderr=to_stdout, highlight=False)
    err = Console(stderr=True, highlight=False)
    live = path == "-"
    report = RejectReporter(err)
    assembler = RunAssembler()
    runs: list[RunTree] = []
    if db is not None:
        runs = [_stored_run(db, path)]
    else:
        with _open(path, fmt, err, live=live, quiet=quiet) as source:
            for event in _watch_rejects(source.events, report):
                if live and not quiet:
                    term.render_event(out, event)
                run = assembler.add(event)
                if run is not None:
                    runs.append(run)
    report.close()
    if not runs:
        raise ParseError(
            path,
            "no Ansible run found" + (f" ({report.count} lines rejected)" if report.count else ""),
        )
    for run in runs:
        if quiet:
            click.echo(_verdict(run), err=to_stdout)
            continue
        if not no_tree:
            term.render_tree(out, run)
        term.render_summary(out, run)
        if performance:
            term.render_performance(out, run)
    if json_out:
        _write(json_out, orjson.dumps(summary_document(runs), option=orjson.OPT_INDENT_2) + b"\n")
    if md_out:
        _write(md_out, markdown(runs).encode())
    if html_out or junit_out:
        from ansiscope.exporters.report import report_html, report_junit

        if html_out:
            _write(html_out, report_html(runs[-1]).encode())
        if junit_out:
            _write(junit_out, report_junit(runs[-1]))
    target = notifier_from(slack_webhook, teams_webhook, channel, only_on, dashboard_url)
    if target:
        for line in target.notify(runs[-1], None):
            click.echo(line, err=True)
    sys.exit(1 if any(r.has_failures for r in runs) else 0)


def _stored_run(db: str, ref: str) -> RunTree:
    from ansiscope.analytics.views import run_tree
    from ansiscope.store import open_store

    store = open_store(db, read_only=True)
    try:
        return run_tree(store, store.resolve_run(ref))
    finally:
        store.close()


def _verdict(run: RunTree) -> str:
    failed = ",".join(run.failed_hosts) or "-"
    unreachable = ",".join(run.unreachable_hosts) or "-"
    return f"{run.name}: {run.status.value}; failed hosts: {failed}; unreachable: {unreachable}"


def _write(target: str, data: bytes) -> None:
    if target == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        Path(target).write_bytes(data)
    except OSError as exc:
        raise AnsiscopeError(f"{target}: cannot write: {exc.strerror or exc}") from exc


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning every ansiscope error into one line and exit 2."""
    try:
        cli.main(args=argv, prog_name="ansiscope", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except AnsiscopeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:
        from ansiscope.store import backend_errors

        if not isinstance(exc, backend_errors()):
            raise
        # a store problem we did not foresee: one line, not a traceback
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        click.echo(f"error: the store: {first}", err=True)
        sys.exit(2)
