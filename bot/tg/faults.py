"""Start-up faults as an operator reads them: one line saying what is wrong and what to do.

`run_polling` / `run_webhook` (bot/tg/app.py) catch what escapes python-telegram-bot's start-up
and ask `explain` for the line; `python -m bot` prints it and exits 1, without a traceback. (The
database is checked before that, by bot/cli.py: `database: …`, exit 2.)
A fault nobody foresaw is not explained: its traceback is the most useful thing to show.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Literal

from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError, TimedOut

from bot.config import DEFAULT_BASE_URL, Settings
from bot.storage import StorageError

# Where start-up had got to: contacting the Bot API (getMe), opening the database and setting
# up (post_init), then deleteWebhook / setWebhook and the webhook server.
Phase = Literal["connect", "setup", "updates"]


class StartupFault(Exception):
    """A known start-up fault; the message is the one line to print."""


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def token_hint(token: str) -> str:
    """Enough of the token to tell which one it was, never the secret part."""
    return f"token ending …{token[-4:]}" if len(token) >= 12 else "token"


def _network_reason(exc: BaseException) -> str:
    for cause in _causes(exc):
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "cannot resolve the host name"
        if isinstance(cause, TimedOut):
            return "no answer (timed out)"
    text = str(exc).lower()
    if "all connection attempts failed" in text or "connection refused" in text:
        return "connection refused"
    return f"cannot connect ({exc})"


def explain(exc: BaseException, settings: Settings, phase: Phase, webhook: bool) -> str | None:
    """The one line for a known start-up fault, or None."""
    if isinstance(exc, StorageError):  # checked before start-up too (bot/cli.py); this is a race
        return f"database: {exc}"
    if isinstance(exc, InvalidToken):
        # 401 and 404 both end here: a wrong base URL looks like a wrong token.
        also = "" if settings.base_url == DEFAULT_BASE_URL else " (and TELEGRAM_API_BASE_URL)"
        return f"token rejected by Telegram ({token_hint(settings.token)}) — check TELEGRAM_BOT_TOKEN{also}"
    if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):  # BadRequest is one in PTB
        return f"Bot API: {_network_reason(exc)} at {settings.base_url} — check TELEGRAM_API_BASE_URL"
    if phase == "updates" and webhook:
        url = f"{settings.webhook_url.rstrip('/')}/telegram"
        if isinstance(exc, TelegramError):
            return (
                f"Telegram refused setWebhook for {url}: {exc.message} — check WEBHOOK_URL "
                "(Telegram needs a public HTTPS address)"
            )
        if isinstance(exc, OSError):
            where = f"{settings.webhook_listen}:{settings.port}"
            why = (exc.strerror or str(exc)).lower()
            return f"webhook: cannot listen on {where} ({why}) — check PORT and WEBHOOK_LISTEN"
    if isinstance(exc, TelegramError):
        return f"Bot API refused the start-up ({exc.message}) — check TELEGRAM_API_BASE_URL and the bot's settings"
    return None
