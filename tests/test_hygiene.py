"""Hygiene no linter checks: one exception base, causes chained, no shadowed builtins.

Read from the source (``ast``), so ``make lint`` runs it in a second. The CLI modules
(being made the ``ansiscope/cli/`` package) and the Ansible plugin are left out.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "ansiscope"
# raised and caught inside the HTTP handler: an early answer, never shown as an error
NOT_ERRORS = {"Answer"}


def _checked(path: Path) -> bool:
    rel = path.relative_to(ROOT)
    return not (
        rel.parts[0] in ("cli", "ansible_plugins")
        or (len(rel.parts) == 1 and rel.name.startswith("cli"))
    )


MODULES = sorted(p for p in ROOT.rglob("*.py") if _checked(p))


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
    assert "cli.py" not in names


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
