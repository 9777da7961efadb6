"""Run the CLI in-process and capture exit code, stdout and stderr."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass

import pytest

from ansiscope.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str, stdin: bytes | None = None) -> Result:
    """``ansiscope ARGS`` in this process; ``stdin`` feeds ``-``."""
    old = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        code = 0
        try:
            main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
    finally:
        sys.stdin = old
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def run_ok(capsys: pytest.CaptureFixture[str], *args: str, stdin: bytes | None = None) -> Result:
    """``run_cli`` for a command that must succeed: exit code 0, or the test fails with
    its stderr."""
    result = run_cli(capsys, *args, stdin=stdin)
    assert result.code == 0, result.err
    return result
