"""The ``ansiscope`` command line: a thin layer over the library.

One module per command (``ansiscope.cli.<command>``), loaded when the command is first
used, so ``ansiscope --help`` or ``ansiscope summary`` does not import pandas, the store
or the service. Options shared by several commands live in ``options``.

Exit codes: 0 success (no host failed), 1 a task failed or a host was unreachable
(ignored and rescued failures do not count), 2 usage error or unreadable input.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, NamedTuple

import click

from ansiscope import __version__
from ansiscope.errors import AnsiscopeError


class Lazy(NamedTuple):
    """Where a command lives ("module:attribute") and its one-line help for ``--help``
    (kept here so that listing the commands imports none of them)."""

    path: str
    help: str


LAZY_COMMANDS = {
    "callback-path": Lazy(
        "ansiscope.cli.callback_path:callback_path",
        "Print the folder holding ansiscope's Ansible callback plugin.",
    ),
    "gate": Lazy(
        "ansiscope.cli.gate:gate",
        "Judge a run against its playbook's history; exit 1 on a regression.",
    ),
    "ingest": Lazy(
        "ansiscope.cli.ingest:ingest",
        "Store Ansible logs: files, folders (recursively), runner artifacts, - for stdin.",
    ),
    "notify": Lazy(
        "ansiscope.cli.notify:notify",
        "Post a run to Slack and/or Teams. Delivery problems are warnings, not failures.",
    ),
    "parse": Lazy(
        "ansiscope.cli.parse:parse",
        "Print the canonical events of PATH (a file, a runner folder or -) as JSON lines.",
    ),
    "prune": Lazy("ansiscope.cli.prune:prune", "Delete old runs and reclaim their space."),
    "report": Lazy(
        "ansiscope.cli.report:report",
        "A report of one run: a self-contained HTML page, Markdown, JSON or JUnit XML.",
    ),
    "runs": Lazy("ansiscope.cli.runs:runs", "List stored runs, newest first."),
    "serve": Lazy(
        "ansiscope.cli.serve:serve",
        "Own the store, follow folders, serve /metrics, /healthz and the JSON API.",
    ),
    "summary": Lazy(
        "ansiscope.cli.summary:summary",
        "Summarise the run(s) in PATH: tree, counts, slowest tasks, failed hosts.",
    ),
    "watch": Lazy(
        "ansiscope.cli.watch:watch",
        "Follow FOLDERS and store new files, appended lines and runner events as they appear.",
    ),
}


class LazyGroup(click.Group):
    """click's lazily loading group: a command's module is imported the first time the
    command is asked for; ``--help`` lists the commands from the table, importing none."""

    def __init__(self, *args: Any, lazy_subcommands: dict[str, Lazy], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, loaded or not."""
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, its module imported now if this is its first use."""
        if cmd_name in self.lazy_subcommands and cmd_name not in self.commands:
            self.add_command(self._lazy_load(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The ``Commands:`` section of ``--help``, as click writes it, from the table."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, self._short_help(ctx, name, limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def _short_help(self, ctx: click.Context, name: str, limit: int) -> str:
        lazy = self.lazy_subcommands.get(name)
        if lazy is not None and name not in self.commands:
            return click.Command(name, help=lazy.help).get_short_help_str(limit)
        command = self.get_command(ctx, name)
        return command.get_short_help_str(limit) if command else ""

    def _lazy_load(self, cmd_name: str) -> click.Command:
        module_name, attribute = self.lazy_subcommands[cmd_name].path.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}:{attribute} is not a click command")
        return command


@click.group(
    cls=LazyGroup,
    lazy_subcommands=LAZY_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="ansiscope")
def cli() -> None:
    """ansiscope: what ran, what failed, what got slower in your Ansible runs."""


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
        _store_error(exc)


def _store_error(exc: Exception) -> None:
    """A store problem we did not foresee: one line and exit 2, not a traceback."""
    from ansiscope.store import backend_errors

    if not isinstance(exc, backend_errors()):
        raise exc
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    click.echo(f"error: the store: {first}", err=True)
    sys.exit(2)
