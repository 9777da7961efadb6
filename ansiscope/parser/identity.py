"""Which playbook a run is, and how it was invoked, from what the log says.

One name per playbook whatever the format (``identity.playbook_name``). The rule
is pure (the same bytes give the same name on any machine: nothing is looked up on
the filesystem of the machine that reads the log):

- the ansiscope callback's header: the path relative to the project (the git
  repository holding the playbook, else its folder), as the controller computed it;
- a relative path the log shows (text ``PLAYBOOK:`` line at ``-vv``, an
  ``ansible-playbook …`` command line in a CI log, ansible-runner's ``playbook``,
  which is relative to the runner project): that path, normalised (``./`` dropped);
- an absolute path (jsonl/json/runner give only the play's path on the controller),
  or a relative one that climbs out (``../x.yml``): the file name;
- nothing (plain text without ``-vv`` or a command line): no name.

So a playbook at the top of its project, run from there, has the same name in
every format (``site.yml``); one in a sub-folder is ``playbooks/site.yml`` where
the log says so (the callback, a ``-vv`` or CI log run from the project root)
and ``site.yml`` here where it only gives the controller's absolute path. The
store closes that gap (``store.naming``): a run that names its project (the
callback's header) teaches the store the project's root (``/srv/proj``), and a run
whose absolute path lies under a learned root is stored relative to it
(``/srv/proj/playbooks/site.yml`` → ``playbooks/site.yml``), whether it was stored
before the root was learned or after; its counters merge. The parser stays pure:
what other logs said is the store's to know.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from typing import Any

import orjson

HEADER_EVENT = "ansiscope_run_start"

# ansible-playbook's options that take a value (the rest are flags), to find the
# playbooks among the arguments of a command line.
VALUE_OPTIONS = frozenset(
    [
        "-i",
        "--inventory",
        "--inventory-file",
        "-l",
        "--limit",
        "-t",
        "--tags",
        "--skip-tags",
        "-e",
        "--extra-vars",
        "-f",
        "--forks",
        "-u",
        "--user",
        "-c",
        "--connection",
        "-T",
        "--timeout",
        "-M",
        "--module-path",
        "--private-key",
        "--key-file",
        "--vault-id",
        "--vault-password-file",
        "--vault-pass-file",
        "--start-at-task",
        "--become-method",
        "--become-user",
        "--become-password-file",
        "--connection-password-file",
        "--ssh-common-args",
        "--sftp-extra-args",
        "--scp-extra-args",
        "--ssh-extra-args",
    ]
)
SHORT_FLAGS = frozenset("bCDkKv")  # single-letter flags that may be combined (-bK, -vvv)
# a playbook file, or a collection's playbook (ns.coll.name): not any other word
PLAYBOOK_ARG = re.compile(r"^(?:[^-].*\.ya?ml|[a-z_]\w*\.[a-z_]\w*\.\w+)$")
COMMAND = re.compile(r"(?:^|[\s$#>+])ansible-playbook\s+(?!\[core)(?P<args>\S.*)$")


def playbook_name(path: str | None) -> str | None:
    """The playbook's name from a path as a log gives it (see the module docstring)."""
    if not path:
        return None
    head, sep, tail = path.rpartition(":")
    if sep and tail.isdigit():  # a play's path: file:line
        path = head
    path = path.replace("\\", "/")
    if path.startswith("/") or re.match(r"^[A-Za-z]:/", path):
        return posixpath.basename(path) or None
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../"):
        return posixpath.basename(normal) or None
    return normal


def header_run(doc: dict[str, Any]) -> dict[str, Any]:
    """The ``start_run`` arguments (``run_uuid``, ``playbook``, ``about`` …) from the
    callback's ``ansiscope_run_start`` header; anything missing or odd is ``None``."""
    book = _dict(doc.get("playbook"))
    options = _dict(doc.get("invocation"))
    host = _dict(doc.get("controller"))
    git = _dict(doc.get("git"))
    ci = _dict(doc.get("ci"))
    relative = _text(book.get("relative"))
    path = _text(book.get("path")) or _text(book.get("given"))
    about: dict[str, Any] = {
        "playbook_path": path,
        "run_uuid": _text(doc.get("run_id")),
        "project_dir": _text(book.get("project")),
        "tags": _names(options.get("tags")),
        "skip_tags": _names(options.get("skip_tags")),
        "limit": _text(options.get("limit")),
        "diff": _bool(options.get("diff")),
        "forks": _int(options.get("forks")),
        "become": _bool(options.get("become")),
        "inventory": _names(options.get("inventory")),
        "extra_vars_keys": _names(options.get("extra_vars_keys")),
        "verbosity": _int(options.get("verbosity")),
        "controller": _text(host.get("hostname")),
        "user": _text(host.get("user")),
        "git_commit": _text(git.get("commit")),
        "git_dirty": _bool(git.get("dirty")),
        "ci": {str(k): str(v) for k, v in ci.items() if isinstance(v, (str, int))} or None,
    }
    return {
        "playbook": playbook_name(relative) if relative else playbook_name(path),
        "ansible_version": _text(doc.get("ansible_version")),
        "check_mode": _bool(options.get("check")),
        "about": about,
    }


def command_line(text: str) -> dict[str, Any] | None:
    """What an ``ansible-playbook …`` command line in a log says (a CI log echoes the
    command: ``$ ansible-playbook -i inv site.yml --tags x``): ``playbook``,
    ``check_mode`` and ``about`` as ``header_run`` gives them, or ``None`` when the
    line is not such a command. Extra vars give their names only, never values."""
    match = COMMAND.search(text)
    if match is None:
        return None
    try:
        words = shlex.split(match.group("args"))
    except ValueError:  # an unbalanced quote
        words = match.group("args").split()
    found = _Options()
    for word in _split_options(words):
        found.take(word)
    if not found.playbooks:
        return None
    about: dict[str, Any] = {
        "playbook_path": found.playbooks[0],
        "tags": found.listed("tags"),
        "skip_tags": found.listed("skip_tags"),
        "limit": ",".join(found.values["limit"]) or None,
        "diff": found.flags["diff"],
        "forks": _int(found.values["forks"][-1]) if found.values["forks"] else None,
        "become": found.flags["become"],
        "inventory": tuple(found.values["inventory"]) or None,
        "extra_vars_keys": tuple(sorted(found.extra_keys)) if found.extra_known else None,
        "verbosity": found.verbosity,
    }
    return {
        "playbook": playbook_name(found.playbooks[0]),
        "check_mode": found.flags["check"],
        "about": about,
    }


OPTION_KEYS = {
    "-i": "inventory",
    "--inventory": "inventory",
    "--inventory-file": "inventory",
    "-l": "limit",
    "--limit": "limit",
    "-t": "tags",
    "--tags": "tags",
    "--skip-tags": "skip_tags",
    "-e": "extra_vars",
    "--extra-vars": "extra_vars",
    "-f": "forks",
    "--forks": "forks",
}
FLAG_KEYS = {"-C": "check", "--check": "check", "-D": "diff", "--diff": "diff"}
FLAG_KEYS |= {"-b": "become", "--become": "become"}


def _split_options(words: list[str]) -> list[tuple[str, str | None]]:
    """``[("-i", "inv"), ("site.yml", None), ("-C", None), …]``: options with their values."""
    out: list[tuple[str, str | None]] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word in ("|", "&&", ";", "||", ">", "2>&1", "|&") or word.startswith((">", "2>")):
            break  # the rest is another command or a redirection
        if word.startswith("--") and "=" in word:
            name, _, value = word.partition("=")
            out.append((name, value))
        elif word in VALUE_OPTIONS:
            out.append((word, words[i] if i < len(words) else ""))
            i += 1
        elif len(word) > 2 and word[0] == "-" and word[1] != "-" and f"-{word[1]}" in VALUE_OPTIONS:
            out.append((word[:2], word[2:]))  # -iinv, -lweb
        elif len(word) > 2 and word[0] == "-" and set(word[1:]) <= SHORT_FLAGS:
            out.extend((f"-{letter}", None) for letter in word[1:])  # -bK, -vvv
        else:
            out.append((word, None))
    return out


class _Options:
    """The options of one command line, gathered."""

    def __init__(self) -> None:
        self.values: dict[str, list[str]] = {
            "inventory": [],
            "limit": [],
            "tags": [],
            "skip_tags": [],
            "forks": [],
        }
        self.flags = {"check": False, "diff": False, "become": False}
        self.extra_keys: set[str] = set()
        self.extra_known = True  # False once an @file's keys are unknown
        self.verbosity = 0
        self.playbooks: list[str] = []

    def take(self, word: tuple[str, str | None]) -> None:
        name, value = word
        key = OPTION_KEYS.get(name)
        if key == "extra_vars":
            self._extra(value or "")
        elif key is not None:
            self.values[key].append(value or "")
        elif name in FLAG_KEYS:
            self.flags[FLAG_KEYS[name]] = True
        elif name in ("-v", "--verbose"):
            self.verbosity += 1
        elif value is None and PLAYBOOK_ARG.match(name):
            self.playbooks.append(name)

    def listed(self, key: str) -> tuple[str, ...] | None:
        names = sorted({n.strip() for v in self.values[key] for n in v.split(",") if n.strip()})
        return tuple(names)

    def _extra(self, value: str) -> None:
        if value.startswith("@"):
            self.extra_known = False  # a vars file: its keys are not in the log
        elif value.lstrip().startswith("{"):
            try:
                data = orjson.loads(value)
            except orjson.JSONDecodeError:
                self.extra_known = False
                return
            if isinstance(data, dict):
                self.extra_keys.update(str(k) for k in data)
        else:
            self.extra_keys.update(p.split("=", 1)[0] for p in value.split() if "=" in p)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and 0 <= value < 2**31 else None


def _names(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        return None
    return tuple(str(v) for v in value if isinstance(v, (str, int)))
