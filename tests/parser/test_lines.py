"""The batched line reader against the obvious one-line-at-a-time definition."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from ansiscope.parser.lines import iter_line_batches


def reference(data: bytes, max_line: int) -> list[bytes | int]:
    r"""Lines split at ``\n`` (kept); an oversized one replaced by its length."""
    out: list[bytes | int] = []
    for line in io.BytesIO(data).readlines():
        content = len(line) - line.endswith(b"\n")
        out.append(len(line) if content > max_line else line)
    return out


def flatten(batches: list[list[bytes] | int]) -> list[bytes | int]:
    out: list[bytes | int] = []
    for b in batches:
        if isinstance(b, int):
            out.append(b)
        else:
            out.extend(b)
    return out


class Trickle(io.RawIOBase):
    """A stream that hands out at most ``step`` bytes per read, like a pipe."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.pos, self.step = data, 0, step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        part = self.data[self.pos : self.pos + min(self.step, len(buffer))]
        buffer[: len(part)] = part
        self.pos += len(part)
        return len(part)


lines = st.lists(
    st.one_of(
        st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")),
        st.sampled_from([b"", b"\r", b"x" * 100, b"{}\r\n"]),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(
    parts=lines,
    tail=st.booleans(),
    chunk=st.integers(1, 64),
    step=st.integers(1, 80),
    max_line=st.integers(0, 120),
    size=st.integers(1, 7),
)
def test_batches_are_the_lines_whatever_the_chunking(
    parts: list[bytes], tail: bool, chunk: int, step: int, max_line: int, size: int
) -> None:
    data = b"".join(p + b"\n" for p in parts) + (b"half" * 20 if tail else b"")
    for stream in (io.BytesIO(data), io.BufferedReader(Trickle(data, step))):
        batches = list(iter_line_batches(stream, size, max_line, chunk))  # type: ignore[arg-type]
        assert flatten(batches) == reference(data, max_line)
        assert all(isinstance(b, int) or 0 < len(b) <= size for b in batches)


def test_a_pipe_gets_its_lines_as_soon_as_they_are_there() -> None:
    stream = io.BufferedReader(Trickle(b"a\nb\nc", 2))  # "a\n", "b\n", "c"
    batches = iter_line_batches(stream, 100)  # type: ignore[arg-type]
    assert next(batches) == [b"a\n"]
    assert next(batches) == [b"b\n"]
    assert list(batches) == [[b"c"]]
