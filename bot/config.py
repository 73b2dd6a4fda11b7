"""Settings, read once from the environment in `main()` and passed down (never at import)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_BASE_FILE_URL = "https://api.telegram.org/file/bot"


def default_model_cache(env: Mapping[str, str]) -> Path:
    """Where fitted model arrays are cached: $XDG_CACHE_HOME/cuishou-wenda (~/.cache/…)."""
    base = env.get("XDG_CACHE_HOME", "").strip() or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cuishou-wenda"


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def redact_url(url: str) -> str:
    """A database URL fit for logs: the password (if any) replaced by ***."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rsplit("@", 1)[1]
        user = parts.username or ""
        return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))
    except ValueError:
        return "<unparsable database URL>"


def _database_url(env: Mapping[str, str]) -> str:
    url = env.get("DATABASE_URL", "").strip()
    if url and not url.startswith(POSTGRES_SCHEMES):
        raise ConfigError(
            f"DATABASE_URL must start with postgresql:// (got {redact_url(url)!r}); "
            "for SQLite leave it unset and set DATABASE_PATH"
        )
    return url


def _int_list(raw: str, name: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in raw.replace(";", ",").split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(f"{name} must be comma-separated Telegram user ids, got {raw!r}") from exc


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"{name} must be a positive number, got {raw!r}")
    return value


def knowledge_dir_from(env: Mapping[str, str], override: str | Path | None = None) -> Path:
    """`--knowledge DIR` if given, else KNOWLEDGE_DIR, else the bundled knowledge/."""
    return Path(override or env.get("KNOWLEDGE_DIR", "").strip() or DEFAULT_KNOWLEDGE)


@dataclass(frozen=True)
class Settings:
    token: str = ""
    base_url: str = DEFAULT_BASE_URL
    base_file_url: str = DEFAULT_BASE_FILE_URL
    knowledge_dir: Path = DEFAULT_KNOWLEDGE
    database_path: Path = Path("data/bot.sqlite3")
    # PostgreSQL (postgresql://user:password@host/db); when set it wins over database_path.
    database_url: str = field(default="", repr=False)
    firm_chat_id: int | None = None
    admin_ids: tuple[int, ...] = ()
    retention_days: int = 180
    enquiries_per_hour: int = 3
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    port: int = 8080
    # The web process must accept Telegram's requests from outside, hence all interfaces by
    # default; tests bind to loopback.
    webhook_listen: str = "0.0.0.0"
    log_level: str = "INFO"
    # Poll knowledge/ for changes every n seconds and reload (0 = only on /reload).
    knowledge_watch_seconds: int = 0
    # Secret salt for the hashes in the learning log (LOG_SALT); empty: one is generated and
    # kept in the database.
    log_salt: str = field(default="", repr=False)
    # Fitted model arrays (classifier, calibration, embeddings of the knowledge base).
    model_cache_dir: Path = field(default_factory=lambda: default_model_cache(os.environ))
    # The semantic model (if installed); SEMANTIC_MODEL=off matches on lexical signals only.
    semantic: bool = True
    # Telegram's overall limit for the bot (messages/s), shared by all running instances.
    send_rate: float = 25.0

    def __repr__(self) -> str:
        # Keep the token and the webhook secret out of every repr and log line.
        return (
            f"Settings(token={'set' if self.token else 'unset'}, base_url={self.base_url!r}, "
            f"knowledge_dir={str(self.knowledge_dir)!r}, database={self.database_description!r}, "
            f"firm_chat_id={self.firm_chat_id}, admin_ids={self.admin_ids})"
        )

    @property
    def database(self) -> str | Path:
        """Where the bot keeps its data: the PostgreSQL URL if set, else the SQLite file."""
        return self.database_url or self.database_path

    @property
    def database_description(self) -> str:
        return redact_url(self.database_url) if self.database_url else str(self.database_path)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, knowledge_dir: str | None = None) -> Settings:
        env = os.environ if env is None else env
        firm_chat = env.get("FIRM_CHAT_ID", "").strip()
        try:
            firm_chat_id = int(firm_chat) if firm_chat else None
        except ValueError as exc:
            raise ConfigError(
                f"FIRM_CHAT_ID must be a chat id such as -1001234567890, got {firm_chat!r}"
            ) from exc
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN", "").strip(),
            base_url=env.get("TELEGRAM_API_BASE_URL", "").strip() or DEFAULT_BASE_URL,
            base_file_url=env.get("TELEGRAM_API_BASE_FILE_URL", "").strip() or DEFAULT_BASE_FILE_URL,
            knowledge_dir=knowledge_dir_from(env, knowledge_dir),
            database_path=Path(env.get("DATABASE_PATH", "").strip() or "data/bot.sqlite3"),
            database_url=_database_url(env),
            firm_chat_id=firm_chat_id,
            admin_ids=_int_list(env.get("ADMIN_IDS", ""), "ADMIN_IDS"),
            retention_days=_int(env, "RETENTION_DAYS", 180),
            enquiries_per_hour=_int(env, "ENQUIRIES_PER_HOUR", 3),
            webhook_url=env.get("WEBHOOK_URL", "").strip(),
            webhook_secret=env.get("WEBHOOK_SECRET", "").strip(),
            port=_int(env, "PORT", 8080),
            webhook_listen=env.get("WEBHOOK_LISTEN", "").strip() or "0.0.0.0",
            log_level=env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO",
            knowledge_watch_seconds=_int(env, "KNOWLEDGE_WATCH_SECONDS", 0),
            log_salt=env.get("LOG_SALT", "").strip(),
            model_cache_dir=Path(env.get("MODEL_CACHE_DIR", "").strip() or default_model_cache(env)),
            send_rate=_positive_float(env, "SEND_RATE", 25.0),
            semantic=env.get("SEMANTIC_MODEL", "on").strip().lower() not in ("off", "0", "false", "no"),
        )
