"""Masking of secret-looking values in text that leaves the process (on by default).

``no_log`` results are censored by Ansible before any callback sees them, and the
event model never carries module arguments; this catches what remains in
messages: passwords, tokens, keys, ``Authorization`` headers, credentials in URLs.
"""

from __future__ import annotations

import re

MASK = "********"
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S
        ),
        "-----BEGIN PRIVATE KEY----- " + MASK,
    ),
    (
        re.compile(r"(?i)\b(authorization\s*[:=]\s*)(?:(bearer|basic|token)\s+)?[^\s,;'\"]+"),
        r"\1\2 " + MASK,
    ),
    (re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"), MASK),
    (re.compile(r"(?i)(aws_secret_access_key\s*[:=]\s*['\"]?)[A-Za-z0-9/+=]{20,}"), r"\1" + MASK),
    (re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:)[^@\s/]+(@)"), r"\1" + MASK + r"\2"),
    (
        re.compile(
            r"(?i)\b((?:[a-z0-9_-]*)(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)"
            r"[a-z0-9_-]*['\"]?\s*[:=]\s*['\"]?)([^\s'\",;&]+)"
        ),
        r"\1" + MASK,
    ),
    (
        re.compile(
            r"\b(gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20,})"
        ),
        MASK,
    ),
)


def redact(text: str | None) -> str | None:
    """``text`` with secret-looking values replaced by ``********``."""
    if not text:
        return text
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
IPV6 = re.compile(  # full form, or compressed with "::" (not clock times like 03:00:01)
    r"(?<![\w:])(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}"
    r"|(?:[0-9a-fA-F]{1,4}:){0,6}[0-9a-fA-F]{0,4}::(?:[0-9a-fA-F]{1,4}:){0,6}[0-9a-fA-F]{1,4})(?![\w:])"
)


class HostPseudonyms:
    """``--redact-hosts``: hostnames and IP addresses replaced by stable pseudonyms
    (``host-01``…, ``ip-01``…) in text meant for publishing."""

    def __init__(self, hosts: list[str]) -> None:
        names = sorted({h for h in hosts if h}, key=lambda h: (-len(h), h))
        self.names = {h: f"host-{i:02d}" for i, h in enumerate(sorted(set(names)), start=1)}
        self.ips: dict[str, str] = {}
        self._pattern = (
            re.compile(r"(?<![\w.-])(" + "|".join(re.escape(h) for h in names) + r")(?![\w-])")
            if names
            else None
        )

    def _ip(self, match: re.Match[str]) -> str:
        return self.ips.setdefault(match.group(0), f"ip-{len(self.ips) + 1:02d}")

    def apply(self, text: str) -> str:
        """``text`` with every known host and any IP address replaced."""
        text = IPV4.sub(self._ip, text)
        text = IPV6.sub(self._ip, text)
        if self._pattern is not None:
            text = self._pattern.sub(lambda m: self.names[m.group(1)], text)
        return text
