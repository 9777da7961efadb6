"""The naming rule (``store.naming``): which root a run teaches, and the name a run is
stored under given the learned roots."""

from __future__ import annotations

import pytest

from ansiscope.store.naming import absolute_path, renames, stored_name, taught_root

ROOTS = {"/srv/proj", "/srv/proj/sub", "/home/ci/work"}


@pytest.mark.parametrize(
    ("name", "path", "expected"),
    [
        # the file name of a path under a root: relative to it
        ("site.yml", "/srv/proj/playbooks/site.yml", "playbooks/site.yml"),
        ("site.yml", "/srv/proj/playbooks/site.yml:3", "playbooks/site.yml"),  # a play's path
        ("site.yml", "/srv/proj/site.yml", "site.yml"),  # at the root already
        # the longest root wins, whatever order the roots come in
        ("site.yml", "/srv/proj/sub/playbooks/site.yml", "playbooks/site.yml"),
        ("x.yml", "/home/ci/work/a/b/x.yml", "a/b/x.yml"),
        # a relative name the path ends with is a tail too: one name per path
        ("sub/playbooks/site.yml", "/srv/proj/sub/playbooks/site.yml", "playbooks/site.yml"),
        # not under any root (a root is a whole folder, not a prefix of a name)
        ("site.yml", "/srv/project/site.yml", "site.yml"),
        ("site.yml", "/opt/site.yml", "site.yml"),
        # ``..`` resolved before the root is looked for
        ("site.yml", "/srv/proj/../other/site.yml", "site.yml"),
        ("site.yml", "/srv/other/../proj/playbooks/site.yml", "playbooks/site.yml"),
        # untouched: Windows and relative paths, a name that is not the path's tail, none
        ("site.yml", "C:\\srv\\proj\\playbooks\\site.yml", "site.yml"),
        ("site.yml", "C:/srv/proj/playbooks/site.yml", "site.yml"),
        ("playbooks/site.yml", "playbooks/site.yml", "playbooks/site.yml"),
        ("site.yml", "../proj/site.yml", "site.yml"),
        ("site.yml", "/srv/proj/playbooks/other.yml", "site.yml"),
        ("ite.yml", "/srv/proj/playbooks/site.yml", "ite.yml"),
        ("site.yml", None, "site.yml"),
        (None, "/srv/proj/playbooks/site.yml", None),
    ],
)
def test_stored_name(name: str | None, path: str | None, expected: str | None) -> None:
    assert stored_name(name, path, ROOTS) == expected
    assert stored_name(name, path, sorted(ROOTS, reverse=True)) == expected


def test_no_roots_no_change() -> None:
    assert stored_name("site.yml", "/srv/proj/playbooks/site.yml", ()) == "site.yml"


@pytest.mark.parametrize(
    ("name", "path", "project", "expected"),
    [
        # the header names the project: taken as it is
        ("playbooks/site.yml", "/srv/proj/playbooks/site.yml", "/srv/proj", "/srv/proj"),
        ("site.yml", "/srv/proj/site.yml", "/srv/proj/", "/srv/proj"),
        ("site.yml", "/srv/proj/site.yml", "relative/dir", None),
        ("site.yml", "/site.yml", "/", None),  # never the whole filesystem
        # a relative name the absolute path ends with
        ("playbooks/site.yml", "/srv/proj/playbooks/site.yml:2", None, "/srv/proj"),
        ("playbooks/site.yml", "/srv/proj/other/site.yml", None, None),
        ("site.yml", "/srv/proj/playbooks/site.yml", None, None),  # a file name teaches nothing
        ("playbooks/site.yml", "playbooks/site.yml", None, None),  # no absolute path
        ("playbooks/site.yml", "/playbooks/site.yml", None, None),
        ("playbooks/site.yml", "C:\\proj\\playbooks\\site.yml", None, None),
        (None, None, None, None),
    ],
)
def test_taught_root(
    name: str | None, path: str | None, project: str | None, expected: str | None
) -> None:
    assert taught_root(name, path, project) == expected


def test_absolute_path() -> None:
    assert absolute_path("/a/b/../c/site.yml:12") == "/a/c/site.yml"
    assert absolute_path("site.yml") is None
    assert absolute_path(None) is None


def test_renames_only_the_runs_whose_name_changes() -> None:
    rows = [
        ("r1", "site.yml", "/srv/proj/playbooks/site.yml"),
        ("r2", "playbooks/site.yml", "/srv/proj/playbooks/site.yml"),
        ("r3", "site.yml", "/elsewhere/site.yml"),
        ("r4", None, "/srv/proj/playbooks/site.yml"),
    ]
    assert renames(rows, {"/srv/proj"}) == [("r1", "site.yml", "playbooks/site.yml")]
