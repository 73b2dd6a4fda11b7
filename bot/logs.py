"""Logging for every command: one line per event, readable by an operator, safe to keep.

* `LogGuard`, a filter on every handler of the root logger, redacts the bot token and the
  webhook secret wherever they appear (python-telegram-bot puts the token into its
  `InvalidToken` message) and cuts any message, and any line of a traceback, to 1 KB (one
  webhook request could otherwise write its whole body, megabytes, into one line);
* the formatter then masks phone, ID-card and bank-card numbers (bot.core.privacy);
* the scheduler's "Running job …" lines every two seconds and httpx's one line per request
  belong at DEBUG: INFO shows start-up, deliveries and faults;
* python-telegram-bot logs a failed start-up (getMe, setWebhook) with its traceback and then
  raises it; bot/tg/faults.py turns the raised error into one line, so that copy is dropped.
"""

from __future__ import annotations

import logging
import sys

from bot.core.privacy import install_log_masking

MAX_BYTES = 1024
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET = ("httpx", "apscheduler")  # below WARNING only when LOG_LEVEL=DEBUG
REDACTED = "[REDACTED]"


def truncate(text: str, limit: int = MAX_BYTES) -> str:
    """At most `limit` bytes of UTF-8 (never half a character), saying how much was cut."""
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore") + f"… [{len(data)} bytes, cut to {limit}]"


class LogGuard(logging.Filter):
    """Redact secrets and cut payloads in every record, its traceback included."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: list[str] = []

    def protect(self, secret: str) -> None:
        """Redact `secret` from now on; for a bot token also its secret half on its own."""
        for value in (secret, secret.partition(":")[2]):
            if len(value) >= 8 and value not in self.secrets:
                self.secrets.append(value)
        self.secrets.sort(key=len, reverse=True)  # the whole token before its half

    def clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return truncate(text)

    def _lines(self, text: str) -> str:
        return "\n".join(self.clean(line) for line in text.splitlines())

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.clean(record.getMessage()), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._lines(record.exc_text)
        if record.stack_info:
            record.stack_info = self._lines(record.stack_info)
        return True


class _DropStartupAbort(logging.Filter):
    """PTB's "Network Retry Loop (Bootstrap …): … Aborting …" with its traceback.

    PTB's retry loop gives up only in its bootstrap (getMe, deleteWebhook, setWebhook) and then
    raises what it logged; the polling loop itself retries for ever.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.module == "networkloop" and "Aborting" in str(record.msg))


GUARD = LogGuard()
_STARTUP_ABORT = _DropStartupAbort()


def setup(level: str = "INFO") -> None:
    """Log to stderr through the guard and the masking formatter (idempotent)."""
    logging.basicConfig(level=logging.INFO, format=FORMAT, stream=sys.stderr)
    root = logging.getLogger()
    for handler in root.handlers:
        if GUARD not in handler.filters:
            handler.addFilter(GUARD)
    install_log_masking()
    logging.getLogger("telegram.ext").addFilter(_STARTUP_ABORT)  # PTB's private modules log here
    set_level(level)


def set_level(level: str) -> None:
    """LOG_LEVEL for our own lines; the chatty libraries stay at WARNING unless it is DEBUG."""
    value = logging.getLevelName(level.upper())
    root_level = value if isinstance(value, int) else logging.INFO
    logging.getLogger().setLevel(root_level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.DEBUG if root_level <= logging.DEBUG else logging.WARNING)


def protect(*secrets: str) -> None:
    """Redact these values (the token, the webhook secret) from every log line from now on."""
    for secret in secrets:
        if secret:
            GUARD.protect(secret)
