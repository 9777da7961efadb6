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
