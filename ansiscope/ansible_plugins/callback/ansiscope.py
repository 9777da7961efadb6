# Copyright ansiscope contributors; Apache-2.0.
"""ansiscope's Ansible callback: every run recorded in a jsonl file, stdout untouched.

An aggregate callback (it runs beside the user's stdout callback and prints nothing
on success). Each ``ansible-playbook`` invocation writes one file into ``log_dir``,
named ``<UTC start>-<uuid8>.jsonl`` so that names sort by start time and never
collide. The first line is ansiscope's own header (``_event: ansiscope_run_start``:
run uuid, playbook identity, the options that shape the run, controller, git state,
CI variables); every other line has exactly the shape ``ansible.posix.jsonl`` writes,
so any jsonl reader reads the file. Lines are written whole, one ``write`` each, so
a watcher tailing the file never sees half an event.

This file is loaded by Ansible, in Ansible's interpreter (which need not have
ansiscope installed): it imports nothing from ansiscope and only the standard
library and ansible-core. It supports ansible-core 2.16 to 2.19 (Python >= 3.10).
"""

from __future__ import annotations

import atexit
import base64
import datetime
import getpass
import json
import os
import socket
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
import uuid

from ansible import constants as C
from ansible import context
from ansible.parsing.ajson import AnsibleJSONEncoder
from ansible.plugins.callback import CallbackBase
from ansible.release import __version__ as ANSIBLE_VERSION

DOCUMENTATION = """
    name: ansiscope
    type: aggregate
    short_description: records each playbook run as a jsonl file for ansiscope
    description:
      - Writes one file per run into C(log_dir), each line shaped as the ansible.posix.jsonl
        callback writes it, after one C(ansiscope_run_start) header line (run uuid, playbook,
        tags, limit, check mode, extra-var names (never values), ansible-core version,
        controller, git commit, CI variables).
      - Does not change what the stdout callback prints.
      - With C(server) set, uploads the file to C(ansiscope serve) when the run ends.
    requirements:
      - enable it in callbacks_enabled (ANSIBLE_CALLBACKS_ENABLED=ansiscope)
    options:
      log_dir:
        description: Folder that receives one jsonl file per run (created if missing).
        env:
          - name: ANSISCOPE_LOG_DIR
        ini:
          - section: callback_ansiscope
            key: log_dir
        type: path
      server:
        description: Base URL of an C(ansiscope serve) to upload each finished run to.
        env:
          - name: ANSISCOPE_SERVER
        ini:
          - section: callback_ansiscope
            key: server
        type: str
      upload_timeout:
        description: Seconds the upload may take before the run's process stops waiting.
        default: 10
        env:
          - name: ANSISCOPE_UPLOAD_TIMEOUT
        ini:
          - section: callback_ansiscope
            key: upload_timeout
        type: float
"""

HEADER_EVENT = "ansiscope_run_start"
HEADER_VERSION = 1
LOCKSTEP = frozenset(("linear", "debug"))  # strategies that announce each task once
GIT_TIMEOUT_S = 2.0
# The CI variables ansiscope records as run labels (ansiscope/ingest/labels.py's
# CI_VARIABLES; a test keeps the two lists equal). Copied, not imported: this file
# runs in Ansible's interpreter, where ansiscope may not be installed.
CI_VARIABLES = (
    "GITHUB_RUN_ID",
    "GITHUB_SHA",
    "GITHUB_REPOSITORY",
    "GITHUB_REF_NAME",
    "GITHUB_WORKFLOW",
    "CI_JOB_ID",
    "CI_PIPELINE_ID",
    "CI_COMMIT_SHA",
    "CI_PROJECT_PATH",
    "CI_COMMIT_REF_NAME",
    "CI_JOB_NAME",
    "BUILD_URL",
    "BUILD_NUMBER",
    "JOB_NAME",
    "GIT_COMMIT",
    "BUILDKITE_BUILD_ID",
)


# datetime.UTC is Python 3.11+; ansible-core 2.16 controllers may run 3.10
UTC = datetime.timezone.utc  # noqa: UP017


def now() -> str:
    """UTC now as ansible.posix.jsonl writes it (naive ISO 8601 + ``Z``)."""
    utc = datetime.datetime.now(UTC).replace(tzinfo=None)
    return utc.isoformat() + "Z"


def _git(folder, *args):
    """One git command's stdout in ``folder``, or None (no git, not a repo, too slow)."""
    try:
        done = subprocess.run(
            ["git", "-C", folder, *args],
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None


def git_state(folder):
    """``{root, commit, dirty}`` of the repository holding ``folder``, or None.

    ``dirty`` means tracked files differ from HEAD (untracked files are not looked
    at: listing them can take seconds in a big tree)."""
    out = _git(folder, "rev-parse", "--show-toplevel", "HEAD")
    if not out or len(out.split()) < 2:
        return None
    root, commit = out.split("\n")[:2]
    status = _git(folder, "status", "--porcelain", "--untracked-files=no")
    return {
        "root": root,
        "commit": commit.strip(),
        "dirty": None if status is None else bool(status.strip()),
    }


def playbook_identity(given, file_name, git):
    """The playbook as given, resolved, and relative to its project (git root, else its folder)."""
    path = os.path.abspath(file_name or given)
    real = os.path.realpath(path)
    project = os.path.realpath(git["root"]) if git else os.path.dirname(real)
    relative = os.path.relpath(real, project)
    if relative.startswith(".."):  # a symlink out of the repository
        project, relative = os.path.dirname(real), os.path.basename(real)
    return {"given": given, "path": path, "project": project, "relative": relative}


def _names(values):
    """CLI list options (tags given as ``-t a,b -t c``) as a flat list of names."""
    out = []
    for value in values or ():
        out.extend(part.strip() for part in str(value).split(",") if part.strip())
    return out


def extra_var_names(loader):
    """The names (never the values) of the run's extra vars."""
    try:
        from ansible.utils.vars import load_extra_vars

        return sorted(str(k) for k in load_extra_vars(loader))  # cached by the CLI's own call
    except Exception:  # an odd Ansible version: read the key=value options ourselves
        names = set()
        for option in context.CLIARGS.get("extra_vars") or ():
            text = str(option)
            if not text.startswith(("@", "{", "[")):
                names.update(p.split("=", 1)[0] for p in text.split() if "=" in p)
        return sorted(names)


def invocation(loader):
    """The command-line options that shape the run (CLIARGS as ansible-playbook parsed them)."""
    args = context.CLIARGS
    tags = _names(args.get("tags"))
    inventory = [str(i) for i in args.get("inventory") or ()] or _names([C.DEFAULT_HOST_LIST])
    return {
        "tags": [] if tags == ["all"] else sorted(tags),  # ["all"]: no --tags
        "skip_tags": sorted(_names(args.get("skip_tags"))),
        "limit": args.get("subset") or None,
        "check": bool(args.get("check")),
        "diff": bool(args.get("diff")),
        "forks": args.get("forks"),
        "become": bool(args.get("become")),
        "inventory": inventory,
        "extra_vars_keys": extra_var_names(loader),
        "verbosity": args.get("verbosity") or 0,
        "playbooks": [str(p) for p in args.get("args") or ()],
    }


def controller():
    """Where ansible-playbook runs."""
    try:
        user = getpass.getuser()
    except Exception:
        user = None
    return {"hostname": socket.gethostname(), "user": user, "python": sys.version.split()[0]}


def header(run_id, playbook):
    """The first line of a run's file: everything known about the run before it starts."""
    given = str((context.CLIARGS.get("args") or ("",))[0])
    folder = os.path.dirname(os.path.abspath(playbook._file_name or given)) or "."
    git = git_state(folder)
    return {
        "_event": HEADER_EVENT,
        "_timestamp": now(),
        "ansiscope": {  # one key: jsonl readers that do not know it skip it cheaply
            "header_version": HEADER_VERSION,
            "run_id": run_id,
            "playbook": playbook_identity(given, playbook._file_name, git),
            "invocation": invocation(getattr(playbook, "_loader", None)),
            "ansible_version": ANSIBLE_VERSION,
            "controller": controller(),
            "git": None if git is None else {"commit": git["commit"], "dirty": git["dirty"]},
            "ci": {name: os.environ[name] for name in CI_VARIABLES if os.environ.get(name)},
        },
    }


class Upload:
    """Sends a finished run's file to ``ansiscope serve`` in a background thread.

    The thread starts when the run ends; the process waits for it at exit for at most
    ``timeout`` seconds in all, then warns. A failed upload never fails the playbook:
    the file stays the source of truth (``ansiscope ingest`` can send it later)."""

    def __init__(self, server, path, timeout, display):
        name = urllib.parse.quote(os.path.basename(path))
        self.url = f"{server.rstrip('/')}/api/runs?name={name}"
        self.path, self.timeout, self.display = path, timeout, display
        self.error = None
        self.thread = threading.Thread(target=self._send, name="ansiscope-upload", daemon=True)

    def start(self):
        self.thread.start()
        atexit.register(self.wait)

    def _send(self):
        try:
            with open(self.path, "rb") as handle:
                body = handle.read()
            request = urllib.request.Request(self.url, data=body, method="POST")
            request.add_header("Content-Type", "application/x-ndjson")
            auth = _basic_auth()
            if auth:
                request.add_header("Authorization", auth)
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except Exception as exc:  # any failure is a warning, never a failed run
            self.error = getattr(exc, "reason", None) or exc

    def wait(self):
        """At exit: give the upload what is left of its time, then warn if it failed."""
        self.thread.join(self.timeout)
        where = self.url.split("?")[0]
        if self.thread.is_alive():
            problem = f"no answer within {self.timeout:g}s"
        elif self.error is not None:
            problem = str(self.error)
        else:
            return
        self.display.warning(
            f"ansiscope: upload of {self.path} to {where} failed ({problem}); the file is kept"
        )


def _basic_auth():
    """``ansiscope serve``'s basic auth, from the variables ansiscope's client reads."""
    user = os.environ.get("ANSISCOPE_AUTH_USER")
    password_file = os.environ.get("ANSISCOPE_AUTH_PASSWORD_FILE")
    if not user or not password_file:
        return None
    try:
        with open(password_file, encoding="utf-8") as handle:
            password = (handle.read().splitlines() or [""])[0]
    except OSError:
        return None
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return "Basic " + token


class CallbackModule(CallbackBase):
    """Records the run; see the module docstring."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "ansiscope"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display)
        self._file = None
        self._path = None
        self._lockstep = True
        self._task = None  # the task results belong to (lockstep strategies)
        self._by_host = {}  # (host, task uuid) -> task, other strategies
        self._disabled = False

    # -- the file ----------------------------------------------------------------
    def _open(self, playbook):
        log_dir = self.get_option("log_dir")
        if not log_dir:
            self._disabled = True
            self._display.warning(
                "ansiscope: no log folder set (ANSISCOPE_LOG_DIR or [callback_ansiscope] "
                "log_dir); this run is not recorded"
            )
            return
        run_id = str(uuid.uuid4())
        started = datetime.datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        path = os.path.join(log_dir, f"{started}-{run_id[:8]}.jsonl")
        try:
            os.makedirs(log_dir, exist_ok=True)
            # unbuffered: one write per line; closed at the run's end (stats)
            self._file = open(path, "xb", buffering=0)  # noqa: SIM115
        except OSError as exc:
            self._disabled = True
            self._display.warning(f"ansiscope: cannot write {path} ({exc}); not recorded")
            return
        self._path = path
        self._write(header(run_id, playbook))

    def _write(self, event):
        if self._file is None:
            return
        line = json.dumps(event, cls=AnsibleJSONEncoder, separators=(",", ":"), sort_keys=True)
        data = (line + "\n").encode("utf-8")
        try:
            view = memoryview(data)
            while view:
                view = view[self._file.write(view) :]
        except OSError as exc:
            self._display.warning(f"ansiscope: cannot write {self._path} ({exc})")
            self._close()

    def _emit(self, name, event):
        event["_event"] = name
        event["_timestamp"] = now()
        self._write(event)

    def _close(self):
        if self._file is not None:
            self._file.close()
            self._file = None

    # -- events (ansible.posix.jsonl's shapes) -------------------------------------
    def v2_playbook_on_start(self, playbook):
        if self._file is None and not self._disabled:
            self._open(playbook)

    def v2_playbook_on_play_start(self, play):
        self._lockstep = play.strategy in LOCKSTEP
        self._task = None
        self._emit(
            "v2_playbook_on_play_start",
            {
                "play": {
                    "name": play.get_name(),
                    "id": str(play._uuid),
                    "path": str(play.get_path()),
                    "duration": {"start": now()},
                },
                "tasks": [],
            },
        )

    @staticmethod
    def _task_doc(task):
        return {
            "name": task.get_name(),
            "id": str(task._uuid),
            "path": str(task.get_path()),
            "duration": {"start": now()},
        }

    def v2_runner_on_start(self, host, task):
        if not self._lockstep:
            doc = self._by_host[(host.get_name(), task._uuid)] = self._task_doc(task)
            self._emit("v2_runner_on_start", {"task": doc, "hosts": {}})

    def v2_playbook_on_task_start(self, task, is_conditional):
        if self._lockstep:
            self._task = self._task_doc(task)
            self._emit("v2_playbook_on_task_start", {"task": self._task, "hosts": {}})

    def v2_playbook_on_handler_task_start(self, task):
        if self._lockstep:
            self._task = self._task_doc(task)
            self._emit("v2_playbook_on_handler_task_start", {"task": self._task, "hosts": {}})

    def _result(self, name, result, extra):
        host = result.host if hasattr(type(result), "host") else result._host
        task = result.task if hasattr(type(result), "task") else result._task
        data = result.result if hasattr(type(result), "result") else result._result
        doc = dict(data)  # already censored by ansible-core when no_log is set
        doc.update(extra)
        doc["action"] = task.action
        key = (host.get_name(), task._uuid)
        task_doc = self._by_host.pop(key, None) or self._task or self._task_doc(task)
        timing = {"start": task_doc["duration"]["start"], "end": now()}
        self._emit(name, {"task": {**task_doc, "duration": timing}, "hosts": {host.name: doc}})

    def v2_runner_on_ok(self, result):
        self._result("v2_runner_on_ok", result, {})

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result("v2_runner_on_failed", result, {"failed": True})

    def v2_runner_on_skipped(self, result):
        self._result("v2_runner_on_skipped", result, {"skipped": True})

    def v2_runner_on_unreachable(self, result):
        self._result("v2_runner_on_unreachable", result, {})

    def v2_playbook_on_stats(self, stats):
        summary = {h: stats.summarize(h) for h in sorted(stats.processed)}
        custom, global_custom = {}, {}
        if getattr(C, "SHOW_CUSTOM_STATS", False) and stats.custom:
            custom = {getattr(k, "name", k): v for k, v in stats.custom.items()}
            global_custom = custom.pop("_run", {})
        self._emit(
            "v2_playbook_on_stats",
            {"stats": summary, "custom_stats": custom, "global_custom_stats": global_custom},
        )
        path = self._path
        self._close()
        server = self.get_option("server") if path else None
        if server:
            Upload(server, path, float(self.get_option("upload_timeout")), self._display).start()
