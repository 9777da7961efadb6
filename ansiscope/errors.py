"""The one exception hierarchy: every error a user can see, with a one-line message."""

from __future__ import annotations


class AnsiscopeError(Exception):
    """Base of every error ansiscope reports to a user; ``str()`` is the message."""

    exit_code = 2


class UsageError(AnsiscopeError):
    """The command line asks for something that cannot be done."""


class ParseError(AnsiscopeError):
    """Input that cannot be parsed, located by file and line or byte offset."""

    def __init__(
        self,
        source: str,
        reason: str,
        *,
        line: int | None = None,
        offset: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.source = source
        self.reason = reason
        self.line = line
        self.offset = offset
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
        if self.offset is not None:
            where += f" (byte {self.offset})"
        text = f"{where}: {self.reason}"
        if self.hint:
            text += f" ({self.hint})"
        return text
