"""Hygiene no linter checks: one exception base, causes chained, no shadowed builtins,
no function over 60 lines.

Read from the source (``ast``), so ``make lint`` runs it in a second. The Ansible plugin
(Ansible's code, run by Ansible) is left out.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "ansiscope"
# raised and caught inside the HTTP handler: an early answer, never shown as an error
NOT_ERRORS = {"Answer"}


MODULES = sorted(p for p in ROOT.rglob("*.py") if "ansible_plugins" not in p.parts)
MAX_FUNCTION_LINES = 60
# Owned by the quarantine/counter-columns work on exporters/metrics.py, split there.
LONG_FUNCTIONS: set[str] = set()


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def _exception_classes() -> dict[str, list[str]]:
    """Every class defined under ``ansiscope/``, by name: the names of its bases."""
    classes: dict[str, list[str]] = {}
    for path in MODULES:
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ClassDef):
                classes[node.name] = [ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases]
    return classes


def _derives_from_base(name: str, classes: dict[str, list[str]], seen: set[str]) -> bool:
    if name == "AnsiscopeError":
        return True
    if name in seen or name not in classes:
        return False
    seen.add(name)
    return any(_derives_from_base(base, classes, seen) for base in classes[name])


def _is_exception(name: str, classes: dict[str, list[str]], seen: set[str]) -> bool:
    builtin = getattr(builtins, name, None)
    if isinstance(builtin, type) and issubclass(builtin, BaseException):
        return True
    if name in seen or name not in classes:
        return False
    seen.add(name)
    return any(_is_exception(base, classes, seen) for base in classes[name])


def test_the_modules_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in MODULES}
    assert "errors.py" in names
    assert "parser/base.py" in names
    assert "cli/__init__.py" in names
    assert not any(name.startswith("ansible_plugins/") for name in names)


def test_every_exception_derives_from_the_one_base() -> None:
    classes = _exception_classes()
    errors = {n for n in classes if _is_exception(n, classes, set())}
    assert "ParseError" in errors  # the walk sees the hierarchy
    strays = sorted(n for n in errors - NOT_ERRORS if not _derives_from_base(n, classes, set()))
    assert strays == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_causes_are_chained(path: Path) -> None:
    unchained = [
        node.lineno
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Raise)
        and isinstance(node.cause, ast.Constant)
        and node.cause.value is None
    ]
    assert unchained == [], f"{path}: `raise … from None` drops the cause; chain it"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_class_shadows_a_builtin(path: Path) -> None:
    shadowing = [
        node.name
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.ClassDef) and hasattr(builtins, node.name)
    ]
    assert shadowing == []


def _long_functions(path: Path) -> list[tuple[str, int, int]]:
    """(name, line, length) of every function or method of ``path`` over the limit; the
    length runs from ``def`` to the last line of the body, docstring included."""
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append((node.name, node.lineno, length))
    return found


def test_no_function_is_over_60_lines() -> None:
    too_long = []
    excepted = set()
    for path in MODULES:
        rel = path.relative_to(ROOT).as_posix()
        for name, line, length in _long_functions(path):
            if f"{rel}::{name}" in LONG_FUNCTIONS:
                excepted.add(f"{rel}::{name}")
            else:
                too_long.append(f"ansiscope/{rel}:{line} {name}() is {length} lines")
    assert not too_long, f"over {MAX_FUNCTION_LINES} lines, split:\n" + "\n".join(too_long)
    assert excepted == LONG_FUNCTIONS, "an exception no longer needed: drop it from the list"


def test_the_length_check_sees_a_long_function(tmp_path: Path) -> None:
    body = "".join(f"        x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    path = tmp_path / "long.py"
    path.write_text(f"def short() -> None:\n    pass\n\n\nclass C:\n    def long(self):\n{body}")
    assert _long_functions(path) == [("long", 6, MAX_FUNCTION_LINES + 1)]
