"""The compiled parser (mypyc, see ansiscope/parser/native.py): it is what runs, it
gives exactly the events of the pure-Python source, and stale builds are refused."""

from __future__ import annotations

import importlib.machinery
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from ansiscope.parser import native, open_input
from tests.conftest import ROOT, sample_paths


def _events(path: Path) -> list[dict]:
    with open_input(str(path)) as source:
        return [e.to_dict() for e in source.events]


def test_this_install_runs_the_compiled_parser() -> None:
    # `pip install -e .` compiles it (setup.py); a silent fallback would lose the speed
    assert not native.pure_python_requested(), "run the suite without ANSISCOPE_PURE_PYTHON"
    assert native.is_compiled(), "the parser was not compiled at install (see setup.py)"
    assert not native.stale(native.HERE, native.group_library())


def test_compiled_and_pure_python_parsers_emit_the_same_events() -> None:
    paths = sample_paths()
    script = (
        "import sys, orjson\n"
        "from ansiscope.parser import native, open_input\n"
        "out = []\n"
        "for p in sys.argv[1:]:\n"
        "    with open_input(p) as s:\n"
        "        out.append([e.to_dict() for e in s.events])\n"
        "assert not native.is_compiled()\n"
        "sys.stdout.buffer.write(orjson.dumps(out))\n"
    )
    env = {**os.environ, "ANSISCOPE_PURE_PYTHON": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script, *map(str, paths)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
    )
    pure = orjson.loads(done.stdout)
    compiled = [orjson.loads(orjson.dumps(_events(p))) for p in paths]
    assert len(pure) == len(paths) and sum(map(len, compiled)) > 5000
    for path, a, b in zip(paths, compiled, pure, strict=True):
        assert a == b, path


def _fake_build(directory: Path, source_age: float, binary_age: float) -> None:
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    for module in native.COMPILED:
        for name, age in ((f"{module}.py", source_age), (f"{module}{suffix}", binary_age)):
            (directory / name).write_bytes(b"")
            os.utime(directory / name, (age, age))


@pytest.mark.parametrize(
    ("source_age", "binary_age", "stale"),
    [(1_000, 2_000, False), (3_000, 2_000, True)],
)
def test_a_source_newer_than_its_build_is_stale(
    tmp_path: Path, source_age: float, binary_age: float, stale: bool
) -> None:
    _fake_build(tmp_path, source_age, binary_age)
    assert native.stale(tmp_path) is stale
    os.utime(tmp_path / "jsonl.py", (5_000, 5_000))  # one edited module is enough
    assert native.stale(tmp_path) is True


def test_no_build_is_never_stale(tmp_path: Path) -> None:
    for module in native.COMPILED:
        (tmp_path / f"{module}.py").write_bytes(b"")
    assert native.compiled_at(tmp_path) is None and not native.stale(tmp_path)
