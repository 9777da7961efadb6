"""The parser's hot modules, compiled with mypyc when the package is installed.

``setup.py`` compiles ``COMPILED`` (the event classes, the jsonl fast path, result
reading and the ``Emitter``) into one group: same code, same behaviour, parsing
about 1.5× faster. Without a C compiler, or with ``ANSISCOPE_PURE_PYTHON=1`` at
install, the package stays pure Python.

The compiled modules share one library and call into each other directly, so they
are used all together or not at all. At import, if any source is newer than the
compiled code (an editable install edited since), all of them load from source,
with a warning: stale code never runs. ``ANSISCOPE_PURE_PYTHON=1`` at run time
loads them from source too.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import warnings
from importlib.abc import MetaPathFinder
from pathlib import Path
from types import ModuleType

PACKAGE = "ansiscope.parser"
COMPILED = ("base", "columns", "events", "jsonl", "lines", "results")
GROUP_LIBRARY = "ansiscope_native__mypyc"  # setup.py's group_name + mypyc's suffix
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


def compiled_at(directory: Path = HERE, library: Path | None = None) -> float | None:
    """When the compiled code was built (its newest file), or ``None`` if it is absent."""
    shims = [_extension(directory, m) for m in COMPILED]
    if not all(shims):
        return None
    files = [p for p in [*shims, library] if p is not None]
    return max(p.stat().st_mtime for p in files)


def pure_python_requested() -> bool:
    return os.environ.get("ANSISCOPE_PURE_PYTHON", "") not in ("", "0")


def stale(directory: Path = HERE, library: Path | None = None) -> bool:
    """Whether compiled modules exist but some source is newer than them."""
    built = compiled_at(directory, library)
    if built is None:
        return False
    return any((directory / f"{m}.py").stat().st_mtime > built for m in COMPILED)


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
    library = group_library()
    if pure_python_requested():
        problem = None
    elif len(present) < len(COMPILED) or library is None:
        problem = "the compiled parser is incomplete"
    elif stale(HERE, library):
        problem = "the compiled parser is older than its source"
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
