"""Settings: CLI flag > DESKTERM_* environment > config.toml > default, with where each came from."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict, SettingsError

APP_NAME = "deskterm"
ENV_PREFIX = "DESKTERM_"
HANDOVER_MINUTES = 15  # the default of the handover_minutes setting, for services called without one


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
    # Login throttling: after this many failures in a row from one source (terminal, SSH client) for
    # one login, that source waits lockout_seconds (doubling); see services/auth.login.
    login_max_failures: int = 3
    login_lockout_seconds: int = 30
    # The backlog target of the monitor (DOMAIN.md: at most 10 pending).
    pending_target: int = 10
    # --- monitor, presence and callbacks ---
    # Each console beats this often (seconds); one silent for presence_timeout shows as logged out.
    heartbeat_seconds: float = Field(default=15.0, gt=0)
    presence_timeout: float = Field(default=60.0, gt=0)
    # After-call work (wrap-up after saving a call) ends by itself after this many seconds.
    acw_max_seconds: float = Field(default=120.0, ge=0)
    # The monitor refreshes at most this often (seconds), however many changes arrive.
    monitor_interval: float = Field(default=1.0, gt=0)
    # An unreachable customer is called back again after callback_retry_minutes; after
    # callback_attempts tries without an answer the ticket closes with "no answer".
    callback_attempts: int = Field(default=3, ge=1)
    callback_retry_minutes: int = Field(default=60, ge=0)
    # Key bindings overridden by id, e.g. {"app.agents" = "f9"}.
    keymap: dict[str, str] = Field(default_factory=dict)
    # --- intake ---
    # Open tickets of the same caller or device at least this similar (0-100) are offered as duplicates.
    duplicate_threshold: int = Field(default=60, ge=0, le=100)
    # Priority by impact (rows: high, medium, low) x urgency (columns: high, medium, low), P1..P5.
    priority_matrix: list[list[int]] = Field(default_factory=lambda: [[1, 2, 3], [2, 3, 4], [3, 4, 5]])
    # Service mode suggestion: the first rule whose conditions all hold gives the mode. Conditions:
    # kind, warranty (in|out|unknown), customer_class (key|standard), device (true|false); a list
    # means "any of". Modes: phone, on_site, carry_in, mail_in, paid, exchange.
    service_mode_rules: list[dict[str, Any]] = Field(
        default_factory=lambda: [  # type: ignore[arg-type]  # pydantic types the factory by its list literal
            {"kind": "consultation", "mode": "phone"},
            {"device": True, "warranty": "out", "mode": "paid"},
            {"device": True, "customer_class": "key", "mode": "on_site"},
            {"device": True, "mode": "carry_in"},
            {"mode": "phone"},
        ]
    )
    # Intake script lines overridden per language, e.g. {zh = {greeting = "..."}} (see scripts.toml).
    scripts: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Where unsaved calls are kept (default: "drafts" under the data directory).
    drafts_dir: str | None = None
    # A task slip not handed over live reaches an engineer within this many minutes (DOMAIN.md):
    # intake promises it (handover_by), and the hand-over rule's thresholds in % are of this time,
    # both counted in the ticket's SLA calendar (business hours unless its policy is 24x7).
    handover_minutes: int = Field(default=HANDOVER_MINUTES, gt=0)
    # Knowledge suggestions wait this long after the last keystroke before searching.
    suggest_delay_ms: int = 150
    # --- escalation and notifications ---
    # `deskterm watch`: seconds between passes; at most watch_batch firings a pass (a backlog drains
    # over several passes, most overdue first).
    watch_interval: float = Field(default=10.0, gt=0)
    watch_batch: int = Field(default=500, ge=1)
    # A console looks for new notifications that came without a ticket event this often (seconds).
    inbox_poll: float = Field(default=2.0, gt=0)
    # E-mail for chosen notification kinds (escalated, assigned, breach, mention); off by default.
    mail_enabled: bool = False
    mail_kinds: list[str] = Field(default_factory=lambda: ["escalated", "breach"])
    mail_from: str = "deskterm@localhost"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    # --- the desk server (`deskterm serve`) ---
    # Where it listens, "host:port" (port 0: any free port), or "off".
    serve_ssh: str = "0.0.0.0:2222"
    serve_web: str = "127.0.0.1:8000"
    # The address browsers use when the desk's TLS reverse proxy is in front (https://desk.example.com).
    serve_public_url: str | None = None
    serve_max_sessions: int = Field(default=100, ge=1)
    # A session without a key pressed for this long ends (the intake draft is kept).
    serve_idle_minutes: float = Field(default=60.0, gt=0)
    # Where the SSH host key is kept (default: "serve" under the data directory).
    serve_dir: str | None = None
    # --- the phone system (`deskterm cti serve`) ---
    # Where the call-event endpoint listens ("host:port"), and the address the PBX posts to when a
    # proxy is in front (`deskterm cti url` prints it with the desk's token).
    cti_listen: str = "127.0.0.1:8765"
    cti_public_url: str | None = None
    # Callers' numbers are stored in E.164 with this country code when the PBX sends a national number.
    default_country: str = Field(default="86", pattern=r"^[1-9][0-9]{0,2}$")
    # The answer-speed target (seconds; three rings ≈ 15 s): the service level counts calls answered
    # within it.
    answer_target_seconds: int = Field(default=15, gt=0)

    @field_validator("priority_matrix")
    @classmethod
    def _matrix_shape(cls, value: list[list[int]]) -> list[list[int]]:
        if len(value) != 3 or any(len(row) != 3 or any(p not in range(1, 6) for p in row) for row in value):
            raise ValueError("3 rows (impact high, medium, low) of 3 priorities 1-5 (urgency high to low)")
        return value


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


def _environment() -> dict[str, Any]:
    """The DESKTERM_<SETTING> variables (any case; lists and tables as JSON). A value that is not
    JSON where JSON is due is the user's mistake: said in one line, naming the variable."""
    try:
        return EnvSettingsSource(Settings)()
    except SettingsError as e:
        field = re.search(r'field "(\w+)"', str(e))
        name = f"{ENV_PREFIX}{field.group(1).upper()}" if field else f"a {ENV_PREFIX} variable"
        raise ConfigError(f"setting from {name}: not valid JSON ({e.__cause__ or e})") from None


def load_settings(**flags: Any) -> LoadedSettings:
    """Merge the four layers; flags whose value is None are not given."""
    path = config_file()
    layers: list[tuple[str, dict[str, Any]]] = [
        (f"config {path}", _read_toml(path)),
        ("env", _environment()),
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
