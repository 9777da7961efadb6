"""Compiles the parser's hot modules with mypyc (see ansiscope/parser/native.py).

Everything else is in pyproject.toml. Set ANSISCOPE_PURE_PYTHON=1 to skip compiling;
without a working C compiler the package installs as pure Python.
"""

import os
import sys

from setuptools import setup

HOT = [
    f"ansiscope/parser/{m}.py" for m in ("base", "events", "jsonl", "results")
]  # native.COMPILED


def extensions() -> list:
    if os.environ.get("ANSISCOPE_PURE_PYTHON", "") not in ("", "0"):
        return []
    try:
        from mypyc.build import mypycify

        return mypycify(HOT, opt_level="3", group_name="ansiscope_native")
    except Exception as exc:  # no compiler, no mypyc: pure Python is correct, only slower
        print(
            f"ansiscope: not compiling the parser ({exc}); installing pure Python", file=sys.stderr
        )
        return []


setup(ext_modules=extensions())
