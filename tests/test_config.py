"""Settings: environment, TOML file, generated secrets."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from motmedia.config import Settings, ensure_secrets


def test_defaults_work_on_a_laptop(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("MOTMEDIA_DATA_DIR", "MOTMEDIA_DATABASE_URL", "MOTMEDIA_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    s = Settings()
    assert (s.host, s.port, s.data_dir) == ("127.0.0.1", 8080, Path("var"))
    assert s.sqlalchemy_url.startswith("sqlite:///") and s.sqlalchemy_url.endswith(
        "var/motmedia.db"
    )


def test_env_and_toml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "motmedia.toml"
    cfg.write_text('port = 9001\nhost = "0.0.0.0"\ndatabase_url = "postgresql://x@h/db"\n')
    monkeypatch.setenv("MOTMEDIA_CONFIG", str(cfg))
    monkeypatch.setenv("MOTMEDIA_PORT", "9100")
    s = Settings()
    assert s.port == 9100  # environment beats the file
    assert s.host == "0.0.0.0" and s.sqlalchemy_url == "postgresql://x@h/db"


def test_secrets_generated_once_private_and_never_shown(tmp_path: Path) -> None:
    s1 = ensure_secrets(Settings(data_dir=tmp_path))
    path = tmp_path / "secrets.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    s2 = ensure_secrets(Settings(data_dir=tmp_path))
    for name in ("token_signing_key", "api_key_pepper", "storage_key"):
        assert s1.secret(name) == s2.secret(name) and len(s1.secret(name)) == 32
    value = s1.api_key_pepper.get_secret_value()  # type: ignore[union-attr]
    assert value not in repr(s1) and value not in str(s1.model_dump())


def test_given_secret_wins(tmp_path: Path) -> None:
    s = ensure_secrets(Settings(data_dir=tmp_path, storage_key="k" * 40))  # type: ignore[arg-type]
    assert s.secret("storage_key") == b"k" * 40
