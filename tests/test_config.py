"""Configuration precedence (flag > environment > file > default) and masked passwords."""

from __future__ import annotations

import pytest

from deskterm import config


@pytest.fixture
def isolated(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for key in ("DESKTERM_DATABASE_URL", "DESKTERM_LANGUAGE", "DESKTERM_CONFIG_FILE"):
        monkeypatch.delenv(key, raising=False)
    return tmp_path


def test_default_is_a_sqlite_file_in_the_user_data_dir(isolated):
    loaded = config.load_settings()
    assert loaded.settings.database_url == f"sqlite:///{isolated / 'data' / 'deskterm' / 'deskterm.db'}"
    assert loaded.sources["database_url"] == "default"


def test_flag_beats_environment_beats_file(isolated, monkeypatch):
    cfg = isolated / "config" / "deskterm"
    cfg.mkdir(parents=True)
    (cfg / "config.toml").write_text('database_url = "sqlite:///from-file.db"\nlanguage = "zh"\n')
    loaded = config.load_settings()
    assert loaded.settings.database_url == "sqlite:///from-file.db"
    assert loaded.sources["language"].startswith("config ")
    monkeypatch.setenv("DESKTERM_DATABASE_URL", "sqlite:///from-env.db")
    loaded = config.load_settings()
    assert (loaded.settings.database_url, loaded.sources["database_url"]) == (
        "sqlite:///from-env.db",
        "env DESKTERM_DATABASE_URL",
    )
    loaded = config.load_settings(database_url="sqlite:///from-flag.db")
    assert (loaded.settings.database_url, loaded.sources["database_url"]) == (
        "sqlite:///from-flag.db",
        "flag",
    )
    assert loaded.settings.language == "zh"


def test_malformed_settings_are_a_clear_error(isolated, monkeypatch):
    monkeypatch.setenv("DESKTERM_LANGUAGE", "klingon")
    with pytest.raises(config.ConfigError, match="language"):
        config.load_settings()
    cfg = isolated / "config" / "deskterm"
    cfg.mkdir(parents=True)
    (cfg / "config.toml").write_text("database_url = \n")
    with pytest.raises(config.ConfigError, match="cannot read"):
        config.load_settings()


def test_password_masked():
    assert config.mask_url("postgresql://desk:s3cret@db:5432/desk") == "postgresql://desk:***@db:5432/desk"
    assert config.mask_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


def test_environment_variables_in_any_case_with_lists_and_tables_as_json(isolated, monkeypatch):
    monkeypatch.setenv("DESKTERM_KEYMAP", '{"app.agents": "f9"}')
    monkeypatch.setenv("deskterm_poll_interval", "0.5")
    monkeypatch.setenv("DESKTERM_MAIL_KINDS", '["breach"]')
    monkeypatch.setenv("DESKTERM_MAIL_ENABLED", "true")
    loaded = config.load_settings()
    s = loaded.settings
    assert (s.keymap, s.poll_interval, s.mail_kinds, s.mail_enabled) == (
        {"app.agents": "f9"},
        0.5,
        ["breach"],
        True,
    )
    assert loaded.sources["poll_interval"] == "env DESKTERM_POLL_INTERVAL"
    monkeypatch.setenv("DESKTERM_KEYMAP", "{app.agents: f9}")
    with pytest.raises(config.ConfigError, match="DESKTERM_KEYMAP"):
        config.load_settings()
