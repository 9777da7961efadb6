"""Compiles the parser's hot modules with mypyc (see ansiscope/parser/native.py).

Everything else is in pyproject.toml. Set ANSISCOPE_PURE_PYTHON=1 to skip compiling;
without a working C compiler the package installs as pure Python.
"""

import ast
import hashlib
import json
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

NATIVE = Path(__file__).parent / "ansiscope" / "parser" / "native.py"
MANIFEST = "native_build.json"  # native.MANIFEST


def hot_modules() -> list[str]:
    """native.COMPILED, read without importing the package."""
    for node in ast.parse(NATIVE.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "COMPILED":
            return [f"ansiscope/parser/{m}.py" for m in ast.literal_eval(node.value)]
    raise RuntimeError(f"no COMPILED in {NATIVE}")


def extensions() -> list:
    if os.environ.get("ANSISCOPE_PURE_PYTHON", "") not in ("", "0"):
        return []
    try:
        from mypyc.build import mypycify

        return mypycify(hot_modules(), opt_level="3", group_name="ansiscope_native")
    except Exception as exc:  # no compiler, no mypyc: pure Python is correct, only slower
        print(
            f"ansiscope: not compiling the parser ({exc}); installing pure Python", file=sys.stderr
        )
        return []


class OptionalBuildExt(build_ext):
    """A failed compile leaves the package pure Python (native.py then loads the
    sources), instead of failing the install."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            print(f"ansiscope: compiling the parser failed ({exc}); pure Python", file=sys.stderr)
            return
        if self.extensions:
            self.write_manifest()

    def write_manifest(self) -> None:
        """What was compiled: each source's sha256, next to the compiled modules
        (native.py compares it with the sources it finds at import)."""
        folder = Path(self.get_ext_fullpath("ansiscope.parser.jsonl")).parent
        sources = {
            Path(path).stem: hashlib.sha256(Path(path).read_bytes()).hexdigest()
            for path in hot_modules()
        }
        (folder / MANIFEST).write_text(json.dumps(sources, indent=1, sort_keys=True) + "\n")

    def build_extension(self, ext) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            print(f"ansiscope: compiling {ext.name} failed ({exc}); pure Python", file=sys.stderr)


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
