"""A tiny HTTP client for tests: status, body and headers, errors included. Header names
are case-insensitive, as HTTP says (servers differ in the case they send)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from email.message import Message


class Headers(Mapping[str, str]):
    """Response headers, looked up whatever the case of the name."""

    def __init__(self, message: Message) -> None:
        self._items = {k.lower(): v for k, v in message.items()}

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def fetch(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes, Headers]:
    request = urllib.request.Request(
        url, data=data, headers=headers or {}, method="POST" if data is not None else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), Headers(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), Headers(exc.headers)
