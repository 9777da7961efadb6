r"""Reading a byte stream as lines, a batch at a time.

Blocks of up to ``CHUNK`` bytes are split into lines in C (``BytesIO.readlines``),
not one ``readline`` call per line. Lines end at ``\n`` only (a ``\r`` inside a
line stays in it), keep their newline, and come in lists of at most ``size``; a
list ends where the input read so far ends, so a pipe's lines arrive as soon as
they are written. A line longer than ``max_line`` is not kept: its place in the
sequence holds its length in bytes (newline included) instead.

Compiled with mypyc (see ``native.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from io import BytesIO
from typing import BinaryIO

MAX_LINE = 128 * 1024 * 1024  # longer lines are rejected, not loaded
CHUNK = 1 << 20


def _reader(stream: BinaryIO) -> Callable[[int], bytes]:
    read1 = getattr(stream, "read1", None)  # at most one system call: no waiting on pipes
    return read1 if read1 is not None else stream.read


# the per-chunk state machine of every line read (compiled): kept in one frame
def iter_line_batches(  # noqa: C901
    stream: BinaryIO, size: int, max_line: int | None = None, chunk: int = CHUNK
) -> Iterator[list[bytes] | int]:
    """Lists of consecutive lines; an ``int`` (bytes skipped) for each oversized line.

    The stream's last line may lack its newline (a half-written line, or a file that
    just ends without one): callers decide what to do with it.
    """
    if max_line is None:
        max_line = MAX_LINE
    read = _reader(stream)
    pending: list[bytes] = []  # the start of a line whose newline has not come yet
    pending_len = 0
    dropped = -1  # >= 0: bytes of an oversized line skipped so far
    while True:
        data = read(chunk)
        if not data:
            break
        start = 0
        if pending or dropped >= 0:
            nl = data.find(b"\n")
            end = len(data) if nl < 0 else nl + 1
            if dropped >= 0:
                dropped += end
            else:
                pending.append(data[:end])
                pending_len += end
                content = pending_len - 1 if nl >= 0 else pending_len
                if content > max_line:
                    dropped, pending, pending_len = pending_len, [], 0
            if nl < 0:
                continue
            if dropped >= 0:
                yield dropped
                dropped = -1
            else:
                yield [b"".join(pending)]
                pending, pending_len = [], 0
            start = end
            if start == len(data):
                continue
        block = BytesIO(data)  # shares data's buffer: no copy
        block.seek(start)
        lines = block.readlines()
        last = lines[-1]
        if not last.endswith(b"\n"):
            lines.pop()
            if len(last) > max_line:
                dropped = len(last)
            else:
                pending, pending_len = [last], len(last)
        yield from _batches(lines, size, max_line)
    if dropped >= 0:
        yield dropped
    elif pending:
        yield [b"".join(pending)]


def _batches(lines: list[bytes], size: int, max_line: int) -> Iterator[list[bytes] | int]:
    if not lines:
        return
    if max(map(len, lines)) - 1 <= max_line:  # the common case: no line to leave out
        for i in range(0, len(lines), size):
            yield lines[i : i + size]
        return
    group: list[bytes] = []
    for line in lines:
        if len(line) - 1 > max_line:  # every line here ends with its newline
            if group:
                yield group
                group = []
            yield len(line)
            continue
        group.append(line)
        if len(group) >= size:
            yield group
            group = []
    if group:
        yield group
