"""One name per playbook across formats: the project roots a store learns, and the
name a run is stored under.

The parser names a playbook from what its log says (``parser.identity``): relative
to the project where the log says so (the callback's header; a ``-vv`` or CI log's
relative path), else the file name of the absolute path jsonl, json and
ansible-runner give. A playbook in a sub-folder of its project would so be stored
under two names (``playbooks/site.yml`` and ``site.yml``). The store closes the gap
with what other runs taught it:

- learning: a run whose log names its project (the header's ``project_dir``), or
  whose name is a relative path its absolute path ends with (``playbooks/site.yml``
  at ``/srv/proj/playbooks/site.yml``), teaches the root ``/srv/proj``;
- naming: a run whose name is the tail of its absolute path (the file name, or a
  relative name) and whose path lies under learned roots is stored relative to the
  longest of them. The name is then a function of (path, roots) alone, so a run
  stored before its root was learned gets the same name once it is (each backend
  renames those runs and moves their counters when it learns a root), and the
  order logs are ingested in does not matter.

Only POSIX absolute paths take part: a Windows path, a relative one, or one that a
``..`` takes out of the root is left as the parser named it. This module is pure
(names in, names out); the backends keep the roots (``project_roots``) and apply it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Iterable

from ansiscope.parser.events import RunStart


def absolute_path(path: str | None) -> str | None:
    """A POSIX absolute playbook path without its ``:line``, normalised (``..``
    resolved); ``None`` for anything else."""
    if not path:
        return None
    head, sep, tail = path.rpartition(":")
    if sep and tail.isdigit():  # a play's path: file:line
        path = head
    if not path.startswith("/") or "\\" in path:
        return None
    return posixpath.normpath(path)


def _root(path: str) -> str | None:
    """A root as stored: normalised, never ``/`` itself (that would name every path)."""
    root = absolute_path(path)
    return root if root is not None and root not in ("/", "//") else None


def taught_root(name: str | None, path: str | None, project_dir: str | None) -> str | None:
    """The project root a run teaches: its header's project folder, or the part of
    its absolute path before a relative name it ends with; ``None`` when it teaches none."""
    if project_dir:
        return _root(project_dir)
    full = absolute_path(path)
    if not name or "/" not in name or full is None or name.startswith(("/", "../")):
        return None
    if not full.endswith("/" + name):
        return None
    return _root(full[: -len(name) - 1])


def roots_taught(starts: Iterable[RunStart]) -> set[str]:
    """The roots a batch's run starts teach."""
    roots = (taught_root(e.playbook, e.playbook_path, e.project_dir) for e in starts)
    return {root for root in roots if root}


def stored_name(name: str | None, path: str | None, roots: Collection[str]) -> str | None:
    """The name a run is stored under: relative to the longest learned root its
    absolute path lies under, when its name is that path's tail; else its name."""
    full = absolute_path(path)
    if not name or full is None or not full.endswith("/" + name):
        return name
    under = [root for root in roots if full.startswith(root.rstrip("/") + "/")]
    if not under:
        return name
    longest = max(under, key=len).rstrip("/")
    return full[len(longest) + 1 :]


def under_root(path: str | None, root: str) -> bool:
    """Whether a stored ``playbook_path`` lies under ``root`` (the runs a new root may
    rename)."""
    full = absolute_path(path)
    return full is not None and full.startswith(root.rstrip("/") + "/")


def renames(
    rows: Iterable[tuple[str, str | None, str | None]], roots: Collection[str]
) -> list[tuple[str, str, str]]:
    """(run id, name, new name) of the stored runs, given as (run id, name, path), whose
    name changes under ``roots``."""
    out = []
    for run_id, name, path in rows:
        new = stored_name(name, path, roots)
        if name and new and new != name:
            out.append((run_id, name, new))
    return out
