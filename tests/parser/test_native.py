"""The compiled parser (mypyc, see ansiscope/parser/native.py): it is what runs, it
gives exactly the events of the pure-Python source, and stale builds are refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import orjson

from ansiscope.parser import native, open_input
from tests.conftest import ROOT, sample_paths


def _events(path: Path) -> list[dict]:
    with open_input(str(path)) as source:
        return [e.to_dict() for e in source.events]


def test_this_install_runs_the_compiled_parser() -> None:
    # `pip install -e .` compiles it (setup.py); a silent fallback would lose the speed
    assert not native.pure_python_requested(), "run the suite without ANSISCOPE_PURE_PYTHON"
    assert native.is_compiled(), "the parser was not compiled at install (see setup.py)"
    assert not native.stale()


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


def _fake_build(directory: Path) -> None:
    for module in native.COMPILED:
        (directory / f"{module}.py").write_text(f"# {module}\n")
    (directory / native.MANIFEST).write_text(json.dumps(native.source_hashes(directory)))


def test_a_source_edited_since_the_build_is_stale(tmp_path: Path) -> None:
    _fake_build(tmp_path)
    assert native.stale(tmp_path) is False
    os.utime(tmp_path / "jsonl.py", (9e9, 9e9))  # a newer time alone is no edit
    assert native.stale(tmp_path) is False
    (tmp_path / "jsonl.py").write_text("# jsonl, edited\n")
    assert native.stale(tmp_path) is True


def test_a_build_without_its_manifest_is_stale(tmp_path: Path) -> None:
    _fake_build(tmp_path)
    (tmp_path / native.MANIFEST).unlink()
    assert native.stale(tmp_path) is True


def test_the_manifest_is_written_at_build_time() -> None:
    # `pip install -e .` (setup.py's build_ext) wrote it next to the compiled modules
    built = json.loads((native.HERE / native.MANIFEST).read_text())
    assert built == native.source_hashes()


def test_task_fields_are_read_by_their_positions() -> None:
    from ansiscope.parser.shapes import DurationDoc, TaskDoc

    # the jsonl parser reads a task as (id, name, path, duration), a duration as (start, end)
    assert TaskDoc.__struct_fields__[:4] == ("id", "name", "path", "duration")
    assert DurationDoc.__struct_fields__[:2] == ("start", "end")
