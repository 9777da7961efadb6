"""The CLI loads each command's module only when the command is used."""

from __future__ import annotations

import ast
import subprocess
import sys

import click
import pytest

from ansiscope.cli import LAZY_COMMANDS, cli
from tests.conftest import ROOT

HEAVY = ("pandas", "plotly", "streamlit", "duckdb", "ansiscope.service.core")


def test_every_lazy_command_resolves_to_itself_with_the_listed_help() -> None:
    ctx = click.Context(cli)
    for name, lazy in LAZY_COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name
        # --help lists the table's line; it must be what the command itself says
        for limit in (45, 200):
            listed = click.Command(name, help=lazy.help).get_short_help_str(limit)
            assert listed == command.get_short_help_str(limit)
    assert cli.list_commands(ctx) == sorted(LAZY_COMMANDS)
    assert {"parse", "summary", "callback-path"} <= set(cli.list_commands(ctx))


def _loaded_after(code: str) -> list[str]:
    """The modules of interest that a fresh interpreter has loaded after ``code``."""
    script = (
        "import sys, click\n"
        "from ansiscope.cli import cli\n"
        f"{code}\n"
        "print(sorted(m for m in sys.modules if m.startswith('ansiscope.cli.')"
        " or m.startswith(('ansiscope.store', 'ansiscope.analytics', 'ansiscope.service'))"
        " or m in " + repr(HEAVY) + "))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return list(ast.literal_eval(out.strip()))


def test_help_loads_no_command_and_nothing_heavy() -> None:
    code = (
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()) as help_text:\n"
        "    cli.main(['--help'], standalone_mode=False)\n"
        "assert 'summary        Summarise the run(s) in PATH' in help_text.getvalue()"
    )
    assert _loaded_after(code) == []


def test_summary_loads_only_its_own_command_and_no_store() -> None:
    loaded = _loaded_after("cli.get_command(click.Context(cli), 'summary')")
    assert [m for m in loaded if m.startswith("ansiscope.cli.")] == [
        "ansiscope.cli.inputs",
        "ansiscope.cli.options",
        "ansiscope.cli.summary",
    ]
    assert not [m for m in loaded if m in HEAVY or m.startswith("ansiscope.store")]


@pytest.mark.parametrize("command", ["ingest", "parse", "summary", "runs", "prune", "watch"])
def test_light_commands_do_not_load_pandas_plotly_or_the_service(command: str) -> None:
    loaded = _loaded_after(f"cli.get_command(click.Context(cli), {command!r})")
    assert f"ansiscope.cli.{command}" in loaded
    assert not {"pandas", "plotly", "streamlit", "ansiscope.service.core"} & set(loaded)
