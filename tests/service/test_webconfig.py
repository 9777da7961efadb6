"""``auth_and_tls``: what ``serve`` gets from its flags, the environment and a web config."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansiscope.errors import UsageError
from ansiscope.service.webconfig import auth_and_tls


def test_nothing_given_is_open_plain_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANSISCOPE_AUTH_USER", raising=False)
    monkeypatch.delenv("ANSISCOPE_AUTH_PASSWORD_FILE", raising=False)
    assert auth_and_tls(None, None, None) == (None, None)


def test_a_cert_without_its_key_is_refused() -> None:
    with pytest.raises(UsageError, match="go together"):
        auth_and_tls(None, "cert.pem", None)


def test_a_user_without_a_password_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANSISCOPE_AUTH_USER", "sre")
    monkeypatch.delenv("ANSISCOPE_AUTH_PASSWORD_FILE", raising=False)
    with pytest.raises(UsageError, match="or neither"):
        auth_and_tls(None, None, None)


def test_the_environment_user_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("ANSISCOPE_AUTH_USER", "sre")
    monkeypatch.setenv("ANSISCOPE_AUTH_PASSWORD_FILE", str(secret))
    checker, tls = auth_and_tls(None, "c.pem", "k.pem")
    assert tls == ("c.pem", "k.pem")
    assert checker is not None
    assert checker("sre", "s3cret")
    assert not checker("sre", "wrong")
    assert not checker("root", "s3cret")


def test_tls_from_both_the_flags_and_the_web_config_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANSISCOPE_AUTH_USER", raising=False)
    monkeypatch.delenv("ANSISCOPE_AUTH_PASSWORD_FILE", raising=False)
    config = tmp_path / "web.yml"
    config.write_text("tls_server_config:\n  cert_file: a.pem\n  key_file: b.pem\n")
    with pytest.raises(UsageError, match="not both"):
        auth_and_tls(str(config), "c.pem", "k.pem")
    assert auth_and_tls(str(config), None, None)[1] == (
        str(tmp_path / "a.pem"),
        str(tmp_path / "b.pem"),
    )
