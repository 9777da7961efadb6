r"""The Prometheus exporter-toolkit web config file (``serve --web-config FILE``).

```yaml
tls_server_config:
  cert_file: server.crt        # relative paths are relative to this file
  key_file: server.key
basic_auth_users:
  ops: $2y$10$...              # bcrypt hashes (htpasswd -nBC 10 "" | tr -d ':\n')
```

Simpler setups use ``ANSISCOPE_AUTH_USER`` + ``ANSISCOPE_AUTH_PASSWORD_FILE`` and
``--tls-cert``/``--tls-key``.
"""

from __future__ import annotations

import dataclasses
import hmac
import os
from collections.abc import Callable
from pathlib import Path

import bcrypt
import yaml

from ansiscope.errors import UsageError

Check = Callable[[str, str], bool]


@dataclasses.dataclass(frozen=True)
class WebConfig:
    """What the web config file asks for: TLS (cert, key) and basic-auth users."""

    tls: tuple[str, str] | None
    users: dict[str, bytes]

    def checker(self) -> Check | None:
        """A (user, password) check against the bcrypt hashes, or ``None`` (no auth)."""
        if not self.users:
            return None
        users = self.users

        def check(user: str, password: str) -> bool:
            hashed = users.get(user)
            if hashed is None:
                bcrypt.checkpw(b"x", next(iter(users.values())))  # same time either way
                return False
            return bcrypt.checkpw(password.encode(), hashed)

        return check


def load_web_config(path: str | Path) -> WebConfig:
    """Read a web config file; a malformed one is a usage error naming the key."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping (tls_server_config, basic_auth_users)")
    unknown = set(data) - {"tls_server_config", "basic_auth_users", "http_server_config"}
    if unknown:
        raise UsageError(f"{path}: unknown keys: {', '.join(sorted(unknown))}")
    tls = None
    if data.get("tls_server_config"):
        section = data["tls_server_config"]
        try:
            cert, key = (str(path.parent / section[k]) for k in ("cert_file", "key_file"))
        except (KeyError, TypeError) as exc:
            raise UsageError(f"{path}: tls_server_config needs cert_file and key_file") from exc
        tls = (cert, key)
    users: dict[str, bytes] = {}
    for user, hashed in (data.get("basic_auth_users") or {}).items():
        if not isinstance(hashed, str) or not hashed.startswith("$2"):
            raise UsageError(f"{path}: basic_auth_users.{user}: expected a bcrypt hash")
        users[str(user)] = hashed.replace("$2y$", "$2b$", 1).encode()
    return WebConfig(tls, users)


def plain_checker(user: str, password: str) -> Check:
    """A check against one user and password (the environment-variable setup)."""

    def check(given_user: str, given_password: str) -> bool:
        return hmac.compare_digest(given_user, user) & hmac.compare_digest(given_password, password)

    return check


def read_password(path: str | None) -> str | None:
    """The basic-auth password from its file (first line), like exporter-toolkit's files."""
    if not path:
        return None
    return Path(path).read_text().splitlines()[0] if Path(path).read_text() else ""


def auth_and_tls(
    web_config: str | None, tls_cert: str | None, tls_key: str | None
) -> tuple[Check | None, tuple[str, str] | None]:
    """Basic auth (the environment, or the web config's users) and the TLS pair (the
    flags, or the web config)."""
    if bool(tls_cert) != bool(tls_key):
        raise UsageError("--tls-cert and --tls-key go together")
    user = os.environ.get("ANSISCOPE_AUTH_USER")
    password = read_password(os.environ.get("ANSISCOPE_AUTH_PASSWORD_FILE"))
    if bool(user) != (password is not None):
        raise UsageError(
            "set both ANSISCOPE_AUTH_USER and ANSISCOPE_AUTH_PASSWORD_FILE, or neither"
        )
    checker = plain_checker(user, password) if user and password is not None else None
    if web_config:
        config = load_web_config(web_config)
        if config.tls and tls_cert:
            raise UsageError("TLS comes from --web-config or --tls-cert/--tls-key, not both")
        if config.tls:
            tls_cert, tls_key = config.tls
        checker = config.checker() or checker
    return checker, (tls_cert, tls_key) if tls_cert and tls_key else None
