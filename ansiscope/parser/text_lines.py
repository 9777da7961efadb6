"""What lines of ``ansible-playbook`` text look like: the patterns the text parser
matches, the readers of single lines and values that keep no state, and the record
of what one task's lines said about one host."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ansiscope.parser.base import stable_id
from ansiscope.parser.detect import LINE_PREFIX
from ansiscope.parser.events import HostStats, Status
from ansiscope.parser.results import parse_time

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
PREFIX = re.compile(LINE_PREFIX)
BANNER = re.compile(r"^(PLAY|TASK|RUNNING HANDLER) \[(.*)\]( \*+| =>.*)?\s*$")
RECAP = re.compile(r"^PLAY RECAP\b")
STATS = re.compile(r"^(\S+)\s+:\s+((?:[a-z]+=-?\d+\s*)+)$")
RESULT = re.compile(
    r"^(ok|changed|skipping|fatal|failed|unreachable): \[([^\]]+?)(?: -> ([^\]]+))?\]"
    r"(?::? ?(FAILED!|UNREACHABLE!))?(?: \(item=(.*?)\))?(?: => \(item=(.*?)\))?(?: => (.*))?$"
)
IGNORING = "...ignoring"
CENSORED_ITEM = "(censored due to no_log)"
RETRY = re.compile(r"^FAILED - RETRYING: \[([^\]]+)\]")
INCLUDED = re.compile(r"^included: (.+) for (.+?)(?: => \(item=(.*)\))?$")
WARNING = re.compile(r"^\[(WARNING|DEPRECATION WARNING)\]: ?(.*)$")
PROFILE = re.compile(
    r"^\w+ \d{1,2} \w+ \d{4}\s+(\d\d:\d\d:\d\d)(?: ([+-]\d{4}))?\s+\((\d+):(\d\d):(\d\d(?:\.\d+)?)\)"
    r"\s+(\d+):(\d\d):(\d\d(?:\.\d+)?)"
)
PROFILE_DATE = re.compile(r"^\w+ (\d{1,2} \w+ \d{4})\s+(\d\d:\d\d:\d\d)(?: ([+-]\d{4}))?")
TIMER = re.compile(r"^Playbook run took (\d+) days?, (\d+) hours?, (\d+) minutes?, (\d+) seconds?")
VERSION = re.compile(r"^ansible-playbook \[core ([\w.]+)\]")
PLAYBOOK = re.compile(r"^PLAYBOOK: (.+?) \*+")
TASK_PATH = re.compile(r"^task path: (.+)$")
STATUS_WORDS = {
    "ok": Status.OK,
    "changed": Status.CHANGED,
    "skipping": Status.SKIPPED,
    "fatal": Status.FAILED,
    "failed": Status.FAILED,
    "unreachable": Status.UNREACHABLE,
}


def banner_line(text: str) -> bool:
    """A banner or the recap: never inside a result dump (its lines are indented)."""
    return text.startswith(("PLAY", "TASK", "RUNNING HANDLER")) and bool(
        BANNER.match(text) or RECAP.match(text)
    )


def occurrence_id(play_id: str, handler: bool, name: str, occurrence: int) -> str:
    """A text task's id: its play, kind and name (and which of that name it is)."""
    kind = "handler" if handler else "task"
    if occurrence == 1:
        return stable_id(play_id, kind, name)
    return stable_id(play_id, kind, name, occurrence)


def merge_item(current: Status | None, item: Status) -> Status:
    """The status of a looped result so far, with one more item folded in."""
    order = [Status.SKIPPED, Status.OK, Status.CHANGED, Status.FAILED]
    if current is None:
        return item
    if item not in order or current not in order:
        return item
    return max(current, item, key=order.index)


def stats_of(text: str) -> HostStats:
    """A recap line's ``ok=1 changed=0 ...`` as host stats."""
    values = dict(pair.split("=", 1) for pair in text.split())
    return HostStats.from_mapping({k: int(v) for k, v in values.items()})


def hms(hours: str, minutes: str, seconds: str) -> float:
    """Hours, minutes and seconds as seconds."""
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def profile_stamp(text: str) -> datetime | None:
    """The date of a profile_tasks line, or ``None`` when it has none."""
    match = PROFILE_DATE.match(text)
    if not match:
        return None
    try:
        stamp = datetime.strptime(f"{match.group(1)} {match.group(2)}", "%d %B %Y %H:%M:%S")
    except ValueError:
        return None
    tz = match.group(3) or "+0000"
    return parse_time(stamp.isoformat() + tz[:3] + ":" + tz[3:])


class HostRecord:
    """What the lines of one task said about one host so far."""

    __slots__ = (
        "attempts",
        "changed",
        "data",
        "delegated",
        "ended",
        "failed_items",
        "items",
        "no_log",
        "status",
    )

    def __init__(self) -> None:
        self.status: Status | None = None
        self.items = 0
        self.failed_items = 0
        self.changed = False
        self.attempts = 1
        self.data: dict[str, Any] = {}
        self.delegated: str | None = None
        self.ended: datetime | None = None
        self.no_log = False  # an item shown as "(censored due to no_log)"
