"""The session signing key is refused at start when it is short, wherever it comes from."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from mostrador.settings import MIN_SECRET_KEY_BYTES, InsecureSecretKey, Settings
from mostrador.web.app import create_app


def settings_in(data_dir: Path, **values: object) -> Settings:
    return Settings(data_dir=data_dir, **values)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def no_key_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOSTRADOR_SECRET_KEY", raising=False)


def test_an_empty_key_in_the_environment_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOSTRADOR_SECRET_KEY", "")
    with pytest.raises(InsecureSecretKey, match="MOSTRADOR_SECRET_KEY holds a session key of 0 bytes"):
        settings_in(tmp_path).ensure_secrets()


def test_31_bytes_are_refused_and_32_accepted(tmp_path: Path) -> None:
    with pytest.raises(InsecureSecretKey, match="31 bytes; it needs at least 32") as refused:
        settings_in(tmp_path, secret_key=SecretStr("k" * 31)).ensure_secrets()
    assert "secrets.token_urlsafe(48)" in str(refused.value)  # says how to make a good one
    assert settings_in(tmp_path, secret_key=SecretStr("k" * 32)).ensure_secrets().secret_key
    # Bytes, not characters: 16 two-byte letters are 32 bytes.
    assert settings_in(tmp_path, secret_key=SecretStr("ñ" * 16)).ensure_secrets().secret_key


@pytest.mark.parametrize("content", ["", "\n", "k" * 31])
def test_an_empty_or_short_key_file_is_refused(tmp_path: Path, content: str) -> None:
    (tmp_path / "secret_key").write_text(content)
    with pytest.raises(InsecureSecretKey) as refused:
        settings_in(tmp_path).ensure_secrets()
    assert str(tmp_path / "secret_key") in str(refused.value) and "delete it" in str(refused.value)


def test_a_missing_key_file_is_created_long_and_private(tmp_path: Path) -> None:
    settings = settings_in(tmp_path).ensure_secrets()
    assert settings.secret_key is not None
    assert len(settings.secret_key.get_secret_value().encode()) >= MIN_SECRET_KEY_BYTES
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    (tmp_path / "secret_key").write_text("k" * 32)  # a file of exactly 32 bytes is accepted
    assert settings_in(tmp_path).ensure_secrets().secret_key == SecretStr("k" * 32)


def test_the_app_refuses_to_start_with_a_short_key(tmp_path: Path) -> None:
    with pytest.raises(InsecureSecretKey):
        create_app(settings_in(tmp_path, secret_key=SecretStr("short")), durable=False)


def test_the_command_line_says_what_to_do_without_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "MOSTRADOR_DATA_DIR": str(tmp_path), "MOSTRADOR_SECRET_KEY": "too-short"}
    run = subprocess.run(
        [sys.executable, "-m", "mostrador.cli.main", "serve", "--port", "9"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert run.stderr.startswith("error: MOSTRADOR_SECRET_KEY holds a session key of 9 bytes")
    assert "Traceback" not in run.stderr + run.stdout
