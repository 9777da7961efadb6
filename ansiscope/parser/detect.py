"""Sniff an input's format from its first bytes (``--format`` overrides)."""

from __future__ import annotations

import re

from ansiscope.errors import AnsiscopeError
from ansiscope.parser.events import LogFormat

SNIFF_BYTES = 64 * 1024
# What may come before Ansible's text on a line: Ansible's own log file prefix
# (log_path: "2026-11-29 12:52:16,535 p=25993 u=root n=ansible INFO| "), or a CI
# runner's timestamp (GitHub Actions "2026-11-29T12:52:16.5350000Z ", GitLab
# FF_TIMESTAMPS "... 00O ", Jenkins timestamper "[2026-11-29T12:52:16.535Z] ").
LINE_PREFIX = (
    r"(?:(?P<logtime>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) p=(?P<pid>\d+) u=\S* n=\S+ (?:[A-Z]+)?\| ?"
    r"|\[?(?P<citime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)\]?"
    r" (?:[0-9a-f]{2}[OE]\+? )?)"
)


def _line_start(pattern: bytes) -> re.Pattern[bytes]:
    """``pattern`` at the start of a line, after a ``LINE_PREFIX`` if there is one."""
    return re.compile(b"^(?:" + LINE_PREFIX.encode() + b")?" + pattern, re.MULTILINE)


TEXT_MARKERS = _line_start(
    rb"(?:PLAY \[|TASK \[|RUNNING HANDLER \[|PLAY RECAP|PLAYBOOK: |ansible-playbook \[core )"
)
ANSIBLE_ERROR = _line_start(rb"(?:\[ERROR\]: ?|ERROR! ?)(?P<reason>.*)$")
LISTING = _line_start(rb"playbook: \S")  # --list-tasks, --syntax-check
# A jsonl event line (keys sorted: "_event" first), and the banners only the text
# callback prints: -v.. output in a jsonl stream shows "ansible-playbook [core ...",
# never "PLAY [".
JSONL_EVENT = re.compile(rb'^\{"_event": ?"', re.MULTILINE)
BANNERS = _line_start(rb"(?:PLAY \[|TASK \[|RUNNING HANDLER \[|PLAY RECAP)")
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")  # not in text (ESC is: colours)


class Unknown(AnsiscopeError):
    """The bytes are not a format ansiscope reads; ``str()`` says why."""


def sniff(head: bytes) -> LogFormat:
    """Decide the format from the first bytes of an input.

    Raises ``Unknown`` with a reason for empty, binary or unrecognised input.
    """
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not body:
        raise Unknown("empty input")
    start = head[:4096]
    if b"\x00" in start or len(CONTROL.findall(start)) > len(start) // 100:
        raise Unknown("binary data, not an Ansible log")
    if body.startswith(b"{"):
        return _sniff_json(body)
    clean = ANSI.sub(b"", body)
    if JSONL_EVENT.search(body, 0, SNIFF_BYTES) and not BANNERS.search(clean):
        return LogFormat.JSONL  # verbose output (or stderr) around jsonl events
    if TEXT_MARKERS.search(clean):
        return LogFormat.TEXT
    if b'"_event"' in body[:SNIFF_BYTES] and b"\n{" in body:
        return LogFormat.JSONL  # verbose noise before the first JSON line
    if error := ANSIBLE_ERROR.search(clean):
        reason = error.group("reason").decode("utf-8", "replace").strip()[:200]
        raise Unknown(f"ansible-playbook stopped before running a play: {reason}")
    if LISTING.search(clean):
        raise Unknown(
            "ansible-playbook listed or checked a playbook (--list-*, --syntax-check): no play ran"
        )
    raise Unknown(
        "not ansible.posix.jsonl, ansible.posix.json, ansible-runner events "
        "or ansible-playbook text (pass --format to force one)"
    )


def _sniff_json(body: bytes) -> LogFormat:
    first_line, _, rest = body.partition(b"\n")
    if first_line.strip() == b"{":
        # pretty-printed: the first key tells (keys are sorted; jsonl's is "_event")
        key = rest.lstrip()[:40]
        if key.startswith(b'"_event"'):
            return LogFormat.JSONL
        if key.startswith((b'"event"', b'"counter"', b'"uuid"')) and b'"counter"' in body:
            return LogFormat.RUNNER
        return LogFormat.JSON
    if b'"_event"' in first_line:
        return LogFormat.JSONL
    if b'"counter"' in first_line and b'"event"' in first_line:
        return LogFormat.RUNNER
    if b'"plays"' in body[:SNIFF_BYTES] or b'"custom_stats"' in first_line:
        return LogFormat.JSON
    return LogFormat.JSONL
