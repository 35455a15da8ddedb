"""Settings: CLI flag > DESKTERM_* environment > config.toml > default, with where each came from."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict

APP_NAME = "deskterm"
ENV_PREFIX = "DESKTERM_"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    return Path(os.environ.get("DESKTERM_CONFIG_FILE") or config_dir() / "config.toml")


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'deskterm.db'}"


def demo_database_url() -> str:
    return f"sqlite:///{data_dir() / 'demo.db'}"


class Settings(BaseSettings):
    """Everything a console, a command or the watcher needs to know about its desk."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    language: Literal["en", "zh"] = "en"
    desk_name: str = "deskterm"
    desk_name_zh: str = "服务台"
    timezone: str = "Asia/Shanghai"
    sqlite_busy_timeout_ms: int = 10_000
    pg_pool_size: int = 5
    # Live updates: how often a console looks for others' changes on SQLite (seconds).
    poll_interval: float = 0.2
    # Login throttling: after this many failures in a row, wait lockout_seconds (doubling).
    login_max_failures: int = 3
    login_lockout_seconds: int = 30
    # The backlog target of the monitor (DOMAIN.md: at most 10 pending).
    pending_target: int = 10
    # Key bindings overridden by id, e.g. {"app.agents" = "f9"}.
    keymap: dict[str, str] = Field(default_factory=dict)


class ConfigError(Exception):
    """The configuration file or an environment variable is malformed (a user's error)."""


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    sources: dict[str, str]  # field -> "flag" | "env DESKTERM_X" | "config /path" | "default"


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read {path}: {e}") from None


def load_settings(**flags: Any) -> LoadedSettings:
    """Merge the four layers; flags whose value is None are not given."""
    path = config_file()
    layers: list[tuple[str, dict[str, Any]]] = [
        (f"config {path}", _read_toml(path)),
        ("env", EnvSettingsSource(Settings)()),
        ("flag", {k: v for k, v in flags.items() if v is not None}),
    ]
    values: dict[str, Any] = {}
    sources = {name: "default" for name in Settings.model_fields}
    for origin, layer in layers:
        for key, value in layer.items():
            if key in Settings.model_fields:
                values[key] = value
                sources[key] = f"env {ENV_PREFIX}{key.upper()}" if origin == "env" else origin
    try:
        # init kwargs only: the layers above already include the environment and the file
        settings = Settings.model_validate(values)
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"setting {field!r} ({sources.get(field, '?')}): {first['msg']}") from None
    return LoadedSettings(settings, sources)


def mask_url(url: str) -> str:
    """Hide the password in a database URL for display."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _at, host = rest.rpartition("@")
    user, colon, _password = creds.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{host}"
