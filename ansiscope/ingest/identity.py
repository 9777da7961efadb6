"""Which file is which, whatever its name: a file is known by its first bytes.

A record keeps the sha1 of the file's first line (``fingerprint``, a cheap key) and
of its first ``head_len`` bytes (up to 64 KiB of what was stored; ``head_hash``).
A file at another path with the same head is the same content: a rename when it is
the same inode (or the old path no longer has that head), otherwise a copy. A file
whose head changed under the same path was truncated or replaced. Two different
runs of one playbook share a first line in text output, but not 64 KiB.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ansiscope.errors import ParseError
from ansiscope.parser import runner
from ansiscope.store.records import FileRecord

FIRST_LINE_MAX = 4096
HEAD_MAX = 64 * 1024


def first_line(path: Path, *, final: bool = False) -> bytes | None:
    """The first complete line (``None`` until there is one, unless ``final``).

    For an ansible-runner folder: the name of its first job event file (a uuid).
    Raises ``ParseError`` for an empty final file, ``OSError`` when unreadable.
    """
    if path.is_dir():
        try:
            files = runner.event_files(path)
        except ParseError:
            return None
        return f"runner:{files[0][1].name}".encode()
    with path.open("rb") as f:
        head = f.read(FIRST_LINE_MAX)
    end = head.find(b"\n")
    if end >= 0:
        return head[: end + 1]
    if final and not head:
        raise ParseError(str(path), "empty file, nothing to ingest")
    return head if final or len(head) >= FIRST_LINE_MAX else None


def sha1(data: bytes) -> str:
    """The hex SHA-1 of ``data`` (an identity, not a security check)."""
    return hashlib.sha1(data).hexdigest()


def head_matches(path: Path, record: FileRecord) -> bool:
    """Whether ``path`` starts with the bytes ``record`` was identified by."""
    if path.is_dir():
        line = first_line(path)
        return line is not None and sha1(line) == record.fingerprint
    try:
        with path.open("rb") as f:
            head = f.read(record.head_len)
    except OSError:
        return False
    return len(head) == record.head_len and sha1(head) == record.head_hash


def grow_head(path: Path, record: FileRecord) -> None:
    """Extend the record's head to what is stored now (up to ``HEAD_MAX`` bytes)."""
    want = min(record.offset, HEAD_MAX)
    if path.is_dir() or want <= record.head_len:
        return
    try:
        with path.open("rb") as f:
            head = f.read(want)
    except OSError:
        return
    if len(head) == want:
        record.head_len, record.head_hash = want, sha1(head)


def inode(path: Path) -> int | None:
    """The inode of ``path``, or ``None`` when it cannot be read."""
    try:
        return path.stat().st_ino
    except OSError:
        return None
