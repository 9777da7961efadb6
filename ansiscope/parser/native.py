"""The parser's hot modules, compiled with mypyc when the package is installed.

``setup.py`` compiles ``COMPILED`` (the event classes, the ``Emitter``, line
reading, the jsonl fast path, result reading and the column reader) into one group:
same code, same behaviour, parsing ~1.6× faster. Without a C compiler, or with
``ANSISCOPE_PURE_PYTHON=1`` at install, the package stays pure Python.

The compiled modules share one library and call into each other directly, so they
are used all together or not at all. At import, if any source differs from what was
compiled (an editable install edited since: ``MANIFEST`` holds the compiled
sources' hashes), all of them load from source, with a warning: stale code never
runs. ``ANSISCOPE_PURE_PYTHON=1`` at run time loads them from source too.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from importlib.abc import MetaPathFinder
from pathlib import Path
from types import ModuleType

PACKAGE = "ansiscope.parser"
COMPILED = ("base", "columns", "events", "jsonl", "lines", "results")
GROUP_LIBRARY = "ansiscope_native__mypyc"  # setup.py's group_name + mypyc's suffix
MANIFEST = "native_build.json"  # written by setup.py next to the compiled modules
HERE = Path(__file__).resolve().parent


def _extension(directory: Path, name: str) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = directory / f"{name}{suffix}"
        if path.exists():
            return path
    return None


def group_library() -> Path | None:
    """The library holding the compiled code (the per-module files only load it)."""
    spec = importlib.util.find_spec(GROUP_LIBRARY)
    return Path(spec.origin) if spec is not None and spec.origin else None


def pure_python_requested() -> bool:
    """Whether ``ANSISCOPE_PURE_PYTHON`` asks to run the source."""
    return os.environ.get("ANSISCOPE_PURE_PYTHON", "") not in ("", "0")


def source_hashes(directory: Path = HERE) -> dict[str, str]:
    """The sha256 of each compiled module's source as it is now."""
    return {m: hashlib.sha256((directory / f"{m}.py").read_bytes()).hexdigest() for m in COMPILED}


def stale(directory: Path = HERE) -> bool:
    """Whether the sources differ from what was compiled (``MANIFEST``, written by
    ``setup.py`` at build time; file times are no guide: installers reset them)."""
    try:
        built = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return True
    return bool(built != source_hashes(directory))


class _SourceFirst(MetaPathFinder):
    """Load the compiled modules from their ``.py`` files instead."""

    def __init__(self) -> None:
        self.sources = {f"{PACKAGE}.{m}": HERE / f"{m}.py" for m in COMPILED}

    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        source = self.sources.get(fullname)
        return None if source is None else importlib.util.spec_from_file_location(fullname, source)


def install_guard() -> None:
    """Called once by ``ansiscope.parser``, before any compiled module is imported."""
    present = [m for m in COMPILED if _extension(HERE, m) is not None]
    if not present:
        return  # a pure-Python install
    if pure_python_requested():
        problem = None
    elif len(present) < len(COMPILED) or group_library() is None:
        problem = "the compiled parser is incomplete"
    elif stale():
        problem = "the compiled parser does not match its source (edited since it was built)"
    else:
        return
    if problem:
        warnings.warn(
            f"ansiscope: {problem}; using the source. "
            "Reinstall (`pip install -e .` or `make install`) to compile it again.",
            stacklevel=2,
        )
    sys.meta_path.insert(0, _SourceFirst())


def is_compiled() -> bool:
    """Whether the parser runs compiled code."""
    module = sys.modules.get(f"{PACKAGE}.jsonl")
    return module is not None and not str(getattr(module, "__file__", "")).endswith(".py")
